/**
 * GET /oauth/connect and GET /oauth/complete on the public listener: a user's
 * browser goes to GitLab and comes back. Who the user is comes from the
 * single-use link `/gitlab connect` gave them, or from their Mattermost session
 * cookie (the webapp's popup). `state` is single-use and carries the PKCE verifier.
 */
import { randomBytes } from 'node:crypto';
import express, { type Response } from 'express';
import type { GitLabConnections } from '../accounts/gitlab-connections.js';
import type { EncryptionKey } from '../crypto/secret-box.js';
import { authorizeUrl, pkcePair, type OAuthApp } from '../gitlab/oauth.js';
import type { Logger } from '../log.js';
import type { Queryable } from '../store/queryable.js';
import { cookie } from './cookies.js';
import { consumeConnectLink, consumeOAuthState, createOAuthState } from '../store/gitlab-accounts.js';

export interface OAuthRoutesDeps {
  db: Queryable;
  key: EncryptionKey;
  keys: readonly EncryptionKey[];
  /** Null until GITLAB_OAUTH_CLIENT_ID, GITLAB_OAUTH_CLIENT_SECRET and a public URL are configured. */
  app: OAuthApp | null;
  connections: GitLabConnections | null;
  /** The Mattermost user a session token belongs to, or null. */
  sessionUser(token: string): Promise<string | null>;
  log: Logger;
}

export function oauthRoutes(deps: OAuthRoutesDeps): express.Router {
  const router = express.Router();

  router.get('/oauth/connect', async (request, response) => {
    if (!deps.app || !deps.connections) return page(response, 503, 'Not set up yet', 'This bridge has no GitLab OAuth application configured yet (GITLAB_OAUTH_CLIENT_ID and GITLAB_OAUTH_CLIENT_SECRET). Ask your admin.');
    const link = typeof request.query.link === 'string' ? request.query.link : undefined;
    const session = cookie(request, 'MMAUTHTOKEN');
    const userId = link ? await consumeConnectLink(deps.db, link) : session ? await deps.sessionUser(session) : null;
    if (!userId) {
      return link
        ? page(response, 400, 'Link expired', 'This link was used already or is more than 10 minutes old. Run <code>/gitlab connect</code> in Mattermost for a new one.')
        : page(response, 401, 'Not signed in', 'Sign in to Mattermost first, then run <code>/gitlab connect</code>.');
    }
    const { verifier, challenge } = pkcePair();
    const state = await createOAuthState(deps.db, userId, verifier, deps.key);
    response.set('Cache-Control', 'no-store').redirect(302, authorizeUrl(deps.app, state, challenge));
  });

  router.get('/oauth/complete', async (request, response) => {
    if (!deps.app || !deps.connections) return page(response, 503, 'Not set up yet', 'This bridge has no GitLab OAuth application configured yet.');
    const state = typeof request.query.state === 'string' ? request.query.state : '';
    const pending = state ? await consumeOAuthState(deps.db, state, deps.keys) : null;
    if (!pending) return page(response, 400, 'Sign-in expired', 'This sign-in was finished already or took more than 10 minutes. Run <code>/gitlab connect</code> again.');
    if (typeof request.query.error === 'string') {
      return page(response, 400, 'Not connected', `GitLab did not connect your account (${escapeHtml(request.query.error)}). Run <code>/gitlab connect</code> to try again.`);
    }
    const code = typeof request.query.code === 'string' ? request.query.code : '';
    try {
      const outcome = await deps.connections.complete(pending.userId, code, pending.codeVerifier);
      if (!outcome.ok) return page(response, 409, 'Not connected', `${escapeHtml(outcome.reason)}.`);
      return page(response, 200, 'Connected', `Your Mattermost account is now connected to GitLab as <b>${escapeHtml(outcome.gitlabUsername)}</b>. You can close this window.`, { close: true });
    } catch (error) {
      (request as { log?: Logger }).log?.warn({ err: error }, 'GitLab sign-in could not be completed');
      return page(response, 502, 'Not connected', 'GitLab did not accept the sign-in. Run <code>/gitlab connect</code> to try again.');
    }
  });

  return router;
}

function page(response: Response, status: number, title: string, html: string, options: { close?: boolean } = {}): void {
  const nonce = randomBytes(16).toString('base64');
  // A popup closes itself once connected; a tab left open just shows the message.
  const script = options.close ? `<script nonce="${nonce}">setTimeout(() => window.close(), 1500);</script>` : '';
  response
    .status(status)
    .set({
      'Content-Security-Policy': `default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-${nonce}'`,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    })
    .type('html')
    .send(`<!doctype html><html><head><meta charset="utf-8"><title>GitLab: ${title}</title></head><body style="font-family:sans-serif;max-width:36em;margin:4em auto"><h1>${title}</h1><p>${html}</p>${script}</body></html>`);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

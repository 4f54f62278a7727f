/**
 * GET /oauth/connect and GET /oauth/complete on the public listener: a user's
 * browser goes to GitLab and comes back. A GitLab account is only ever linked
 * to the Mattermost user whose session (the MMAUTHTOKEN cookie, checked with
 * Mattermost) is in that browser, and only when that user is the one the
 * single-use link from `/gitlab connect`, and then the single-use `state`, was
 * made for. Else a user who opened someone else's link, signing in to GitLab as
 * themselves, would hand their GitLab account to the link's owner. A browser
 * that sends two session cookies (one planted by a neighbouring host, see
 * cookies.ts) or an MMUSERID naming someone else is refused: it could be
 * carrying someone else's session into this user's GitLab sign-in.
 */
import { randomBytes } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import type { GitLabConnections } from '../accounts/gitlab-connections.js';
import type { EncryptionKey } from '../crypto/secret-box.js';
import { authorizeUrl, pkcePair, type OAuthApp } from '../gitlab/oauth.js';
import type { Logger } from '../log.js';
import { audit } from '../store/audit-log.js';
import { ApiError } from '../webapp-api/errors.js';
import type { Queryable } from '../store/queryable.js';
import { clientAddress } from './client-address.js';
import { AMBIGUOUS_SESSION, otherUserCookie, sessionCookie } from './cookies.js';
import { connectLoginUrl } from './mattermost-login.js';
import { originsOf, startedFromSite } from './started-from-site.js';
import { connectLinkOwner, consumeConnectLink, consumeOAuthState, createOAuthState } from '../store/gitlab-accounts.js';

export interface OAuthRoutesDeps {
  db: Queryable;
  key: EncryptionKey;
  keys: readonly EncryptionKey[];
  /**
   * Each GitLab instance's sign-in, the default's first. `app` and `connections` are null until its
   * OAuth application (GITLAB_OAUTH_CLIENT_ID, GITLAB_OAUTH_CLIENT_SECRET) and a public URL are configured.
   */
  instances: readonly OAuthInstance[];
  /**
   * The Mattermost user a session token belongs to; null when Mattermost refuses it; throws when Mattermost
   * cannot be asked. `client` (the caller's address) is what checks of new tokens are limited by.
   */
  sessionUser(token: string, client?: string): Promise<string | null>;
  /** MATTERMOST_SITE_URL and PUBLIC_URL: where a browser without a session signs in, and the way back. */
  siteUrl: string | undefined;
  publicUrl: string | undefined;
  log: Logger;
}

export interface OAuthInstance {
  name: string;
  app: OAuthApp | null;
  connections: GitLabConnections | null;
}

/** Who is signed in to Mattermost in this browser: a user id, nobody, two sessions, or why that could not be learnt. */
type Session = { userId: string | null } | { ambiguous: string } | { failed: unknown };

const NOT_SET_UP = 'This bridge has no GitLab OAuth application configured yet (GITLAB_OAUTH_CLIENT_ID and GITLAB_OAUTH_CLIENT_SECRET). Ask your admin.';
const LINK_EXPIRED = 'This link was used already or is more than 10 minutes old. Run <code>/gitlab connect</code> in Mattermost for a new one.';

export function oauthRoutes(deps: OAuthRoutesDeps): express.Router {
  const router = express.Router();
  const siteOrigins = originsOf([deps.siteUrl, deps.publicUrl]);

  const sessionOf = async (request: Request): Promise<Session> => {
    const cookie = sessionCookie(request);
    if ('ambiguous' in cookie) return cookie;
    if (!cookie.token) return { userId: null };
    try {
      const userId = await deps.sessionUser(cookie.token, clientAddress(request));
      const otherUser = userId ? otherUserCookie(request, userId) : null;
      return otherUser ? { ambiguous: otherUser } : { userId };
    } catch (error) {
      // The message only: nothing that could carry the token.
      (request as { log?: Logger }).log?.warn({ reason: (error as Error).message }, 'Mattermost could not confirm a session for the GitLab sign-in');
      return { failed: error };
    }
  };

  const refused = (actor: string, owner: string, step: 'link' | 'complete', reason: string) =>
    audit(deps.db, { actor, action: 'account.connect_refused', target: `mattermost_user:${owner}`, details: { step, reason } });

  /** Which cookie came twice goes to the log (never a value); to the audit log when we know whose sign-in it was. */
  const twoSessions = async (request: Request, response: Response, session: { ambiguous: string }, owner: string | null, step: 'link' | 'complete') => {
    (request as { log?: Logger }).log?.warn({ reason: session.ambiguous, step }, 'refused a GitLab sign-in from a browser that sends two Mattermost sessions');
    if (owner) await refused('unknown', owner, step, `the browser sent two Mattermost sessions (${session.ambiguous})`);
    page(response, 400, 'Two Mattermost sessions', `${AMBIGUOUS_SESSION} Nothing was connected.`);
  };

  const instanceNamed = (name: unknown): OAuthInstance | undefined =>
    name === undefined ? deps.instances[0] : deps.instances.find((instance) => instance.name === name);

  router.get('/oauth/connect', async (request, response) => {
    // Any `link` parameter makes this a link's request; an empty or repeated one is a link that cannot work.
    const hasLink = request.query.link !== undefined;
    const link = typeof request.query.link === 'string' ? request.query.link : '';
    // A link names its instance itself; the webapp's popup says which with ?instance= (none: the default).
    const asked = instanceNamed(request.query.instance);
    if (!asked) return page(response, 404, 'Unknown GitLab', 'This bridge has no GitLab instance of that name.');
    if (!asked.app || !asked.connections) return page(response, 503, 'Not set up yet', NOT_SET_UP);
    // The webapp's popup has only the session cookie to go on: it must come from Mattermost's own pages.
    // A link needs no such check: only its owner ever sees it, and only the owner's session can use it.
    if (!hasLink && !startedFromSite({ fetchSite: request.get('sec-fetch-site'), referer: request.get('referer') }, siteOrigins)) {
      (request as { log?: Logger }).log?.warn({ fetchSite: request.get('sec-fetch-site') ?? null }, 'refused a GitLab sign-in started from another website');
      return page(
        response,
        403,
        'Started from another website',
        'Connecting a GitLab account starts only from Mattermost itself, so nothing was started. Use the <b>Connect GitLab</b> button in Mattermost, or run <code>/gitlab connect</code> there.',
      );
    }
    // A link that cannot work is said so before anyone is asked to sign in for it.
    const linked = link ? await connectLinkOwner(deps.db, link) : null;
    if (hasLink && !linked) return page(response, 400, 'Link expired', LINK_EXPIRED);
    const owner = linked?.userId ?? null;
    const instance = linked ? instanceNamed(linked.instance) : asked;
    if (!instance?.app) return page(response, 503, 'Not set up yet', NOT_SET_UP);
    const session = await sessionOf(request);
    // The link is left unused: once the browser is cleaned up, its owner can still use it.
    if ('ambiguous' in session) return twoSessions(request, response, session, owner, 'link');
    if ('failed' in session) return unconfirmed(response, session.failed, 'Open the link again shortly; it works until it expires.');
    if (!session.userId) {
      if (!link) return page(response, 401, 'Not signed in', 'This browser is not signed in to Mattermost. Sign in to Mattermost first, then run <code>/gitlab connect</code>.');
      // Through Mattermost's login and back here; the link is left unused, so it still works then.
      const login = connectLoginUrl(deps.siteUrl, deps.publicUrl, link);
      if (login) return void response.set('Cache-Control', 'no-store').redirect(302, login);
      return page(response, 401, 'Not signed in', 'This browser is not signed in to Mattermost. Sign in to Mattermost in this browser, then open the link again.');
    }
    if (owner && owner !== session.userId) {
      await refused(session.userId, owner, 'link', 'the connect link was made for another Mattermost user');
      return page(
        response,
        403,
        'Wrong Mattermost account',
        'This link was made for another Mattermost account, not the one signed in to Mattermost in this browser. Sign in to Mattermost as that account, or run <code>/gitlab connect</code> yourself for a link of your own.',
      );
    }
    if (link && !(await consumeConnectLink(deps.db, link, session.userId))) return page(response, 400, 'Link expired', LINK_EXPIRED);
    const { verifier, challenge } = pkcePair();
    const state = await createOAuthState(deps.db, session.userId, instance.name, verifier, deps.key);
    response.set('Cache-Control', 'no-store').redirect(302, authorizeUrl(instance.app, state, challenge));
  });

  router.get('/oauth/complete', async (request, response) => {
    if (!deps.instances.some((instance) => instance.connections)) return page(response, 503, 'Not set up yet', NOT_SET_UP);
    // Asked before the state is used up: when Mattermost is down, reloading this page later still works.
    const session = await sessionOf(request);
    if ('failed' in session) return unconfirmed(response, session.failed, 'Reload this page shortly.');
    const state = typeof request.query.state === 'string' ? request.query.state : '';
    const pending = state ? await consumeOAuthState(deps.db, state, deps.keys) : null;
    if (!pending) return page(response, 400, 'Sign-in expired', 'This sign-in was finished already or took more than 10 minutes. Run <code>/gitlab connect</code> again.');
    // Used up too: whoever this browser is, GitLab's code for it is not finished anywhere.
    if ('ambiguous' in session) return twoSessions(request, response, session, pending.userId, 'complete');
    // The state is used up either way: a code GitLab gave this browser must not be finished elsewhere.
    // No bounce through the login here: it would carry GitLab's code through Mattermost's login page.
    if (!session.userId) {
      await refused('nobody', pending.userId, 'complete', 'no Mattermost session in the browser that came back from GitLab');
      return page(
        response,
        401,
        'Not signed in',
        'This browser is not signed in to Mattermost, so the GitLab account was not connected to anyone. Sign in to Mattermost in this browser, then run <code>/gitlab connect</code> again.',
      );
    }
    if (session.userId !== pending.userId) {
      await refused(session.userId, pending.userId, 'complete', 'the GitLab sign-in was started by another Mattermost user');
      return page(
        response,
        403,
        'Wrong Mattermost account',
        'This GitLab sign-in was started for another Mattermost account, not the one signed in to Mattermost in this browser, so nothing was connected. Run <code>/gitlab connect</code> yourself to connect your own GitLab account.',
      );
    }
    // Only after the session checks: another browser sending `?error=` burns the state too, and is a refusal
    // on record like any other. Its owner declining at GitLab (`access_denied`) is no security event.
    if (typeof request.query.error === 'string') {
      return page(response, 400, 'Not connected', `GitLab did not connect your account (${escapeHtml(request.query.error)}). Run <code>/gitlab connect</code> to try again.`);
    }
    const code = typeof request.query.code === 'string' ? request.query.code : '';
    // The state, stored by the bridge, says which GitLab the code is from: the request cannot choose.
    const connections = instanceNamed(pending.instance)?.connections;
    if (!connections) return page(response, 503, 'Not set up yet', NOT_SET_UP);
    try {
      const outcome = await connections.complete(pending.userId, code, pending.codeVerifier);
      if (!outcome.ok) return page(response, 409, 'Not connected', `${escapeHtml(outcome.reason)}.`);
      return page(response, 200, 'Connected', `Your Mattermost account is now connected to GitLab as <b>${escapeHtml(outcome.gitlabUsername)}</b>. You can close this window.`, { close: true });
    } catch (error) {
      (request as { log?: Logger }).log?.warn({ err: error }, 'GitLab sign-in could not be completed');
      return page(response, 502, 'Not connected', 'GitLab did not accept the sign-in. Run <code>/gitlab connect</code> to try again.');
    }
  });

  return router;
}

/**
 * Who is signed in could not be learnt: nothing was used up, so trying again later works. The session
 * check's own refusals (not configured, too many checks at once) say what they are; anything else is
 * Mattermost failing to answer.
 */
function unconfirmed(response: Response, error: unknown, retry: string): void {
  if (error instanceof ApiError) {
    if (error.retryAfterSeconds) response.set('Retry-After', String(error.retryAfterSeconds));
    const title = error.code === 'not_configured' ? 'Not set up yet' : 'Try again shortly';
    return page(response, error.status, title, `${escapeHtml(error.message)} ${error.code === 'not_configured' ? 'Ask your admin.' : retry}`);
  }
  page(response, 502, 'Mattermost did not answer', `Mattermost could not confirm who is signed in, so nothing was connected. ${retry}`);
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

/**
 * GitLab's OAuth 2 endpoints, for the connect flow: authorization code with
 * PKCE (S256), refresh (GitLab rotates both tokens each time), revocation.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { GitLabTokens } from '../store/gitlab-accounts.js';

const TIMEOUT_MS = 10_000;

export interface OAuthApp {
  gitlabUrl: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  /** What people's tokens are asked for (accounts/write-access.ts requestedScopes): "api read_user" or "read_api read_user". */
  scopes: string;
}

/** GitLab refused the grant itself (`invalid_grant`: revoked, expired or already used), as opposed to being unreachable. */
export class OAuthGrantError extends Error {
  constructor(
    /** 400, or 401 when the client itself was not accepted (`invalid_client`). */
    readonly status: number,
    readonly error: string,
    description: string,
  ) {
    super(`${error}: ${description}`);
    this.name = 'OAuthGrantError';
  }
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

const base = (gitlabUrl: string): string => gitlabUrl.replace(/\/+$/, '');

export function authorizeUrl(app: OAuthApp, state: string, challenge: string): string {
  const query = new URLSearchParams({
    client_id: app.clientId,
    redirect_uri: app.redirectUri,
    response_type: 'code',
    state,
    scope: app.scopes,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  return `${base(app.gitlabUrl)}/oauth/authorize?${query}`;
}

export function exchangeCode(app: OAuthApp, code: string, verifier: string): Promise<GitLabTokens> {
  return tokenRequest(app, { grant_type: 'authorization_code', code, redirect_uri: app.redirectUri, code_verifier: verifier });
}

export function refreshTokens(app: OAuthApp, refreshToken: string): Promise<GitLabTokens> {
  return tokenRequest(app, { grant_type: 'refresh_token', refresh_token: refreshToken, redirect_uri: app.redirectUri });
}

export async function revokeToken(app: OAuthApp, token: string): Promise<void> {
  const response = await fetch(`${base(app.gitlabUrl)}/oauth/revoke`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, client_id: app.clientId, client_secret: app.clientSecret }),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  if (!response.ok) throw new Error(`GitLab answered ${response.status} to the token revocation`);
}

export interface GitLabUser {
  id: number;
  username: string;
  name: string;
}

export async function fetchCurrentUser(gitlabUrl: string, accessToken: string): Promise<GitLabUser> {
  const response = await fetch(`${base(gitlabUrl)}/api/v4/user`, { headers: { Authorization: `Bearer ${accessToken}` }, signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (!response.ok) throw new Error(`GitLab answered ${response.status} to /api/v4/user`);
  const user = (await response.json()) as GitLabUser;
  return { id: user.id, username: user.username, name: user.name };
}

/** What GitLab says about a token right now; null when it no longer accepts it. */
export async function fetchTokenInfo(gitlabUrl: string, accessToken: string): Promise<{ scopes: string[]; expiresInSeconds: number | null } | null> {
  const response = await fetch(`${base(gitlabUrl)}/oauth/token/info`, { headers: { Authorization: `Bearer ${accessToken}` }, signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (response.status === 401) return null;
  if (!response.ok) throw new Error(`GitLab answered ${response.status} to /oauth/token/info`);
  const info = (await response.json()) as { scope?: string[] | string; expires_in?: number | null };
  const scopes = Array.isArray(info.scope) ? info.scope : (info.scope ?? '').split(' ').filter(Boolean);
  return { scopes, expiresInSeconds: info.expires_in ?? null };
}

async function tokenRequest(app: OAuthApp, grant: Record<string, string>): Promise<GitLabTokens> {
  const response = await fetch(`${base(app.gitlabUrl)}/oauth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    body: new URLSearchParams({ ...grant, client_id: app.clientId, client_secret: app.clientSecret }),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  const body = (await response.json().catch(() => ({}))) as {
    access_token?: string;
    refresh_token?: string;
    expires_in?: number;
    scope?: string;
    error?: string;
    error_description?: string;
  };
  if (response.status === 400 || response.status === 401) throw new OAuthGrantError(response.status, body.error ?? 'invalid_request', body.error_description ?? `GitLab answered ${response.status}`);
  if (!response.ok || !body.access_token || !body.refresh_token) throw new Error(`GitLab answered ${response.status} to the token request`);
  return {
    accessToken: body.access_token,
    refreshToken: body.refresh_token,
    // GitLab's access tokens live 2 hours; one without expires_in is treated the same.
    expiresAt: new Date(Date.now() + (body.expires_in ?? 7200) * 1000),
    // What GitLab granted; it says so in `scope`, else it granted what was asked.
    scopes: body.scope ?? app.scopes,
  };
}

/**
 * Least privilege (GITLAB_OAUTH_SCOPES, per instance): what people's GitLab
 * connections are asked for, and whether the bridge may write to GitLab for
 * someone. Pure. Every path that writes (buttons and their dialogs, the
 * `/gitlab` commands, replies and reactions carried to GitLab, the webapp)
 * asks `refuseWrite` first, so a read-only bridge answers in its own words
 * instead of failing at GitLab, and draws no buttons at all.
 *
 * The rule, where the scopes of a person's token and the admin's choice differ:
 * - The admin's choice wins for writes. With read_api the bridge never writes,
 *   even with a token connected earlier with `api`. Such tokens keep working
 *   for everything that reads (notifications, lists, previews, polling): nobody
 *   is disconnected or asked to connect again.
 * - With api, a token GitLab granted only read_api (connected while the bridge
 *   was read-only) is not used to write either: GitLab would refuse it
 *   (insufficient_scope), so the person is told to connect again instead.
 *
 * GitLab's own rule (lib/api/api.rb): `allow_access_with_scope :read_api, if:
 * request.get? || request.head?`: read_api covers every GET and HEAD of the
 * REST API and GraphQL queries; anything that changes something needs api.
 */
import type { GitLabInstanceConfig } from '../config.js';

/** The admin's choice for one GitLab instance (a GitLabInstanceConfig has both). */
export type ScopeSetting = Pick<GitLabInstanceConfig, 'name' | 'oauthScopes'>;

/**
 * The `scope` of the authorize request: the chosen API scope, and read_user as always (the bridge asks
 * /api/v4/user who connected).
 */
export function requestedScopes(setting: Pick<ScopeSetting, 'oauthScopes'>): string {
  return `${setting.oauthScopes} read_user`;
}

export function writesAllowed(setting: Pick<ScopeSetting, 'oauthScopes'>): boolean {
  return setting.oauthScopes === 'api';
}

/** The variable that chose it: GITLAB_OAUTH_SCOPES for the default instance, GITLAB_<NAME>_OAUTH_SCOPES for the others. */
export function scopesVariable(setting: Pick<ScopeSetting, 'name'>): string {
  return setting.name === 'default' ? 'GITLAB_OAUTH_SCOPES' : `GITLAB_${setting.name.toUpperCase()}_OAUTH_SCOPES`;
}

export type WriteRefusal = { reason: 'read_only' | 'token_read_only'; text: string };

/**
 * Null when the bridge may write to GitLab for this person; otherwise why not, in words for them.
 * `what` finishes "so it cannot …" (e.g. "approve merge requests"). `tokenScopes`: what GitLab granted
 * the person's token, when known; without it only the admin's choice is asked (before anyone is known).
 */
export function refuseWrite(setting: ScopeSetting, what: string, tokenScopes?: readonly string[]): WriteRefusal | null {
  if (!writesAllowed(setting)) {
    return { reason: 'read_only', text: `This bridge connects to GitLab read-only (${scopesVariable(setting)}=read_api), so it cannot ${what}. Do it in GitLab itself.` };
  }
  if (tokenScopes && tokenScopes.length > 0 && !tokenScopes.includes('api')) {
    return {
      reason: 'token_read_only',
      text: `Your GitLab connection is read-only (it was made with ${tokenScopes.join(', ')}), so the bridge cannot ${what} for you. Disconnect and connect again (\`disconnect\`, then \`connect\`) to let it write as you.`,
    };
  }
  return null;
}

/** The scopes in use, for `/gitlab me` and `doctor`: what is asked for, and what that means. */
export function describeScopeSetting(setting: ScopeSetting): string {
  return writesAllowed(setting)
    ? `${requestedScopes(setting).replace(' ', ', ')} (${scopesVariable(setting)}=api): the bridge reads and, when people ask, writes as them`
    : `${requestedScopes(setting).replace(' ', ', ')} (${scopesVariable(setting)}=read_api): read-only, the bridge never writes to GitLab`;
}

/** Scopes as stored beside a token ("api read_user"), as a list. */
export function parseScopes(stored: string | null | undefined): string[] {
  return (stored ?? '').split(/[\s,]+/).filter(Boolean);
}

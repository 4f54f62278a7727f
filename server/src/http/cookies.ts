/**
 * Reads cookies from a request's Cookie header (no dependency for one header),
 * and what they say about the browser's Mattermost session.
 *
 * A name can come more than once: a host next to Mattermost's (a sibling under
 * the same parent domain) can set `MMAUTHTOKEN; Domain=<parent>; Path=<ours>`
 * in a visitor's browser, which then sends it beside, and before, Mattermost's
 * own (longer paths first, RFC 6265 §5.4). Nothing in the header says which is
 * which, so a session cookie that comes twice is never guessed at: it is refused.
 */
import type { Request } from 'express';

/** Every value sent under this name, in the browser's order; an empty or undecodable value is no value. */
export function cookieValues(request: Request, name: string): string[] {
  const values: string[] = [];
  for (const part of (request.get('cookie') ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key !== name) continue;
    try {
      const decoded = decodeURIComponent(value.join('='));
      if (decoded) values.push(decoded);
    } catch {
      // Not a value Mattermost sets: as if absent.
    }
  }
  return values;
}

/** The first value sent under this name (for cookies whose duplicates do not matter). */
export function cookie(request: Request, name: string): string | undefined {
  return cookieValues(request, name)[0];
}

/** The browser's Mattermost session cookie, or why it cannot be used. */
export type SessionCookie = { token: string | undefined } | { ambiguous: string };

export const AMBIGUOUS_SESSION =
  'Your browser sends two Mattermost sessions for this site, so the bridge cannot tell which one is you and did nothing. Sign out of Mattermost and sign in again; if this persists, clear this site\'s cookies in your browser.';

/** `MMAUTHTOKEN`, which must come at most once. */
export function sessionCookie(request: Request): SessionCookie {
  const tokens = cookieValues(request, 'MMAUTHTOKEN');
  if (tokens.length > 1) return { ambiguous: `${tokens.length} MMAUTHTOKEN cookies` };
  return { token: tokens[0] };
}

/**
 * Mattermost sets `MMUSERID` to the session's user id beside `MMAUTHTOKEN`, with the same Path and
 * Domain (`AttachSessionCookies` in server/channels/app/login.go; `model.SessionCookieUser`). When the
 * browser sends one that names someone else, its cookies come from two sessions: why, if so.
 */
export function otherUserCookie(request: Request, userId: string): string | null {
  return cookieValues(request, 'MMUSERID').some((value) => value !== userId) ? 'MMUSERID names another user than the session' : null;
}

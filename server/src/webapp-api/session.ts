/**
 * Who is calling the webapp API, and whether a state-changing call really
 * comes from the Mattermost page (ARCHITECTURE.md §7). The session is the
 * `MMAUTHTOKEN` cookie, checked with Mattermost (`users/me`) through the
 * shared resolver, which remembers answers under a hash of the token, never the
 * token itself, and bounds checks of new tokens per client and in all
 * (session-cache.ts says for how long). A browser that sends two session
 * cookies, or an `MMUSERID` naming someone else, is refused (cookies.ts: a
 * neighbouring host can plant a cookie of its own). Writes also need
 * `X-Requested-With: XMLHttpRequest`, `X-CSRF-Token` equal to the one `MMCSRF`
 * cookie, and a same-origin `Origin`. No CORS: a cross-origin caller is refused.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { clientAddress } from '../http/client-address.js';
import { AMBIGUOUS_SESSION, cookieValues, otherUserCookie, sessionCookie } from '../http/cookies.js';
import type { SessionUser } from './context.js';
import type { Logger } from '../log.js';
import { ApiError, sendError } from './errors.js';

const SAFE_METHODS = new Set(['GET', 'HEAD']);

export interface SessionDeps {
  /**
   * The Mattermost user behind a session token; null when Mattermost refuses it; throws when Mattermost
   * cannot be asked (an ApiError is answered as it is). Remembers answers, and limits checks of new tokens
   * per `client` (the caller's address), itself (session-cache.ts).
   */
  resolveSession(token: string, client?: string): Promise<SessionUser | null>;
  /** Origins the page may have besides the request's own (MATTERMOST_SITE_URL, PUBLIC_URL). */
  trustedOrigins: readonly string[];
}

export function sessionMiddleware(deps: SessionDeps): RequestHandler {
  return async (request: Request, response: Response, next: NextFunction) => {
    response.set({ 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
    const origin = request.get('origin');
    // Sec-Fetch-Site covers what browsers send without an Origin (a cross-site GET).
    if ((origin !== undefined && !sameOrigin(origin, request, deps.trustedOrigins)) || request.get('sec-fetch-site') === 'cross-site') {
      return sendError(response, 403, 'cross_origin', 'Cross-origin requests are not allowed.');
    }
    const log = (request as { log?: Logger }).log;
    // Which cookie, how many: never their values.
    const ambiguous = (reason: string) => {
      log?.warn({ reason }, 'refused a webapp call whose browser sends two Mattermost sessions');
      sendError(response, 400, 'ambiguous_session', AMBIGUOUS_SESSION);
    };
    if (!SAFE_METHODS.has(request.method)) {
      const csrfCookies = cookieValues(request, 'MMCSRF').length;
      if (csrfCookies > 1) return ambiguous(`${csrfCookies} MMCSRF cookies`);
      const refusal = writeRefusal(request, origin);
      if (refusal) return sendError(response, 403, refusal.code, refusal.message);
    }
    const session = sessionCookie(request);
    if ('ambiguous' in session) return ambiguous(session.ambiguous);
    const token = session.token;
    if (!token) return sendError(response, 401, 'not_logged_in', 'Not logged in to Mattermost.');
    let user: SessionUser | null;
    try {
      user = await deps.resolveSession(token, clientAddress(request));
    } catch (error) {
      if (error instanceof ApiError) {
        if (error.retryAfterSeconds !== undefined) response.set('Retry-After', String(error.retryAfterSeconds));
        return sendError(response, error.status, error.code, error.message);
      }
      // The message only: nothing that could carry the token.
      log?.warn({ reason: (error as Error).message }, 'Mattermost could not confirm a webapp session');
      return sendError(response, 502, 'mattermost_unavailable', 'Mattermost could not confirm the session; try again shortly.');
    }
    if (!user) return sendError(response, 401, 'not_logged_in', 'The Mattermost session has expired; log in again.');
    const otherUser = otherUserCookie(request, user.id);
    if (otherUser) return ambiguous(otherUser);
    response.locals.user = user;
    response.locals.sessionToken = token;
    next();
  };
}

function writeRefusal(request: Request, origin: string | undefined): { code: string; message: string } | null {
  if (origin === undefined) return { code: 'cross_origin', message: 'Changes need an Origin header from the Mattermost page.' };
  if (request.get('x-requested-with') !== 'XMLHttpRequest') return { code: 'csrf', message: 'Missing X-Requested-With: XMLHttpRequest.' };
  const [expected] = cookieValues(request, 'MMCSRF');
  const presented = request.get('x-csrf-token');
  if (!expected || !presented || !equalSecrets(expected, presented)) return { code: 'csrf', message: 'The CSRF token does not match this session.' };
  return null;
}

function equalSecrets(a: string, b: string): boolean {
  // Hashing first gives equal lengths, so the comparison time says nothing about either value.
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(a), digest(b));
}

/** The page's origin is the one the browser addressed (through the proxy), or a configured Mattermost origin. */
function sameOrigin(origin: string, request: Request, trusted: readonly string[]): boolean {
  const host = request.get('x-forwarded-host')?.split(',')[0]?.trim() || request.get('host');
  const protocol = request.get('x-forwarded-proto')?.split(',')[0]?.trim() || request.protocol;
  return (host !== undefined && origin === originOf(`${protocol}://${host}`)) || trusted.includes(origin);
}

/** `https://host:443` and `https://host` are one origin. */
function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

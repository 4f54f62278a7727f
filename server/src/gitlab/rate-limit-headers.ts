/**
 * What a GitLab answer says about its rate limits (pure): `Retry-After` on a
 * 429 or 503, and the `RateLimit-*` headers GitLab sends with every
 * rate-limited endpoint. Anything unreadable counts as absent.
 */

export interface RateLimit {
  /** Do not call again before this (429 or 503 only). */
  retryAt: Date | null;
  /** Requests left in GitLab's current window. */
  remaining: number | null;
  /** Requests GitLab allows per window. */
  limit: number | null;
  /** When GitLab's window restarts. */
  resetAt: Date | null;
}

/**
 * Epoch seconds below this are read as seconds from now: what the IETF
 * RateLimit draft (and proxies following it) send, where GitLab sends an epoch.
 */
const EPOCH_THRESHOLD = 1_000_000_000;

export function readRateLimit(status: number, headers: Headers, now: Date): RateLimit {
  const resetAt = readReset(headers.get('ratelimit-reset'), now) ?? readHttpDate(headers.get('ratelimit-resettime'));
  let retryAt: Date | null = null;
  if (status === 429 || status === 503) {
    retryAt = readRetryAfter(headers.get('retry-after'), now);
    // A 429 without Retry-After still means "until the window restarts".
    if (!retryAt && status === 429) retryAt = resetAt;
  }
  return {
    retryAt,
    remaining: readCount(headers.get('ratelimit-remaining')),
    limit: readCount(headers.get('ratelimit-limit')),
    resetAt,
  };
}

/**
 * Whom a refusal or a warning concerns. GitLab counts authenticated API
 * requests per user and unauthenticated ones per IP (RateLimit-Name says which
 * throttle: `throttle_authenticated_api`, `throttle_unauthenticated_api`, …;
 * doc/administration/settings/user_and_ip_rate_limits.md, "Response headers").
 * The bridge always sends a token, so a per-IP throttle means our IP: everyone.
 * A 503 is GitLab (or its proxy) unavailable to all. Anything else, a 429
 * without a name (an endpoint limit, a proxy) included, concerns the token;
 * several tokens refused at once still pause everyone (request-budget.ts).
 */
export function throttleScope(status: number, headers: Headers): 'caller' | 'everyone' {
  if (status === 503) return 'everyone';
  const name = headers.get('ratelimit-name')?.trim().toLowerCase() ?? '';
  return name.startsWith('throttle_unauthenticated') ? 'everyone' : 'caller';
}

/** `Retry-After`: delay-seconds or an HTTP date. */
export function readRetryAfter(value: string | null, now: Date): Date | null {
  const seconds = readCount(value);
  if (seconds !== null) return new Date(now.getTime() + seconds * 1000);
  return readHttpDate(value);
}

function readReset(value: string | null, now: Date): Date | null {
  const seconds = readCount(value);
  if (seconds === null) return null;
  return seconds < EPOCH_THRESHOLD ? new Date(now.getTime() + seconds * 1000) : new Date(seconds * 1000);
}

function readCount(value: string | null): number | null {
  const trimmed = value?.trim();
  if (!trimmed || !/^\d{1,15}$/.test(trimmed)) return null;
  return Number(trimmed);
}

/** An HTTP date (`Tue, 08 Mar 2022 14:06:00 GMT`); numbers and words that happen to parse as dates do not count. */
function readHttpDate(value: string | null): Date | null {
  const trimmed = value?.trim();
  if (!trimmed || !/^[A-Za-z]{3,9},? .*\d{2}:\d{2}:\d{2} (GMT|UTC)$/.test(trimmed)) return null;
  const time = Date.parse(trimmed);
  return Number.isNaN(time) ? null : new Date(time);
}

/**
 * Remembers what Mattermost said about session tokens, so the webapp API and
 * the /oauth pages (which share one resolver) do not ask `users/me` on every
 * request. Each answer is kept under the token's SHA-256, never the token
 * itself, in a bounded map (10,000 of each kind, oldest first out):
 * - a good answer is trusted for 60 s, then asked again; its hash is kept 24 h
 *   after Mattermost last confirmed it, and meanwhile lets the re-check skip the
 *   limit on new tokens below;
 * - a refusal is trusted, and kept, for 15 s.
 * Expired entries go at the next check after they expire.
 *
 * A flood of distinct bogus tokens cannot be answered from memory, so tokens
 * not accepted within the day are checked at a bounded rate, per client (by
 * address: one client cannot use up everyone's checks) and in all (a ceiling
 * on what many clients together make the bridge ask): beyond it they are
 * refused for now (`too_many_session_checks`) while known sessions go on.
 */
import { createHash } from 'node:crypto';
import type { SessionUser } from './context.js';
import { ApiError } from './errors.js';

/** Asks Mattermost who a token belongs to: null when refused, throws when Mattermost cannot be asked. */
export type AskMattermost = (token: string) => Promise<SessionUser | null>;
/**
 * The same, remembered and rate-limited. `client` is who sends the token (clientAddress()); callers that
 * do not say share one client's allowance, so they cannot use up everyone else's.
 */
export type ResolveSession = (token: string, client?: string) => Promise<SessionUser | null>;

export interface SessionCacheOptions {
  /** Milliseconds since the epoch; injectable for tests. */
  now?: () => number;
  /** Entries in each map (good, refused); the oldest go first. */
  maxEntries?: number;
  /** Checks of tokens not accepted lately, per second (SESSION_CHECKS_PER_SECOND), with bursts up to `newTokenBurst`. */
  newTokensPerSecond?: number;
  /** Ten seconds' worth unless given. */
  newTokenBurst?: number;
  /** The same for each client: a tenth of the total, at least 5 (the total when lower); bursts up to `newTokenBurstPerClient`. */
  newTokensPerClientPerSecond?: number;
  /** Four seconds' worth unless given. */
  newTokenBurstPerClient?: number;
}

/** A good answer is trusted this long (ARCHITECTURE.md §7: at most 60 s); its hash is kept for KNOWN_FOR_MS. */
const GOOD_FOR_MS = 60_000;
/**
 * A refusal is remembered this long: a bogus cookie repeated costs one check
 * per 15 s, and a user who just logged in again has a new token anyway.
 */
const REFUSED_FOR_MS = 15_000;
/** A token accepted within this long is re-checked without counting against the rate for new ones; then forgotten. */
const KNOWN_FOR_MS = 24 * 60 * 60_000;
/** About 2 MB per map at most (the per-client buckets too). */
const MAX_ENTRIES = 10_000;
/**
 * Fifty new sessions a second is far more than people open (each token is
 * checked once, then once a minute as a known one) and little for Mattermost,
 * whose `users/me` is a cached session lookup; the burst (ten seconds' worth)
 * covers a restart, when every open page comes back within a few seconds.
 */
const NEW_TOKENS_PER_SECOND = 50;
const BURST_SECONDS = 10;
/**
 * A person signing in brings one new token; a client sending more than a few a
 * second is guessing. A tenth of the total (five a second by default), bursts of
 * four seconds' worth (twenty), lets an office behind one NAT address come back
 * after a restart (twenty at once, then five a second, each page retrying)
 * while one address alone takes a tenth of the total at most. It grows with
 * SESSION_CHECKS_PER_SECOND, so an admin raising that for a large site raises
 * both; it is never below five unless the total is.
 */
const CLIENT_SHARE = 0.1;
const MIN_PER_CLIENT_PER_SECOND = 5;
const CLIENT_BURST_SECONDS = 4;

interface Bucket {
  tokens: number;
  filledAt: number;
}

export function cacheSessions(resolve: AskMattermost, options: SessionCacheOptions = {}): ResolveSession {
  const now = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? MAX_ENTRIES;
  const rate = options.newTokensPerSecond ?? NEW_TOKENS_PER_SECOND;
  const burst = options.newTokenBurst ?? rate * BURST_SECONDS;
  const clientRate = Math.min(rate, options.newTokensPerClientPerSecond ?? Math.max(MIN_PER_CLIENT_PER_SECOND, rate * CLIENT_SHARE));
  const clientBurst = Math.min(burst, options.newTokenBurstPerClient ?? clientRate * CLIENT_BURST_SECONDS);
  const good = new Map<string, { user: SessionUser; checkedAt: number }>();
  const refused = new Map<string, number>();
  // A page load fires several calls at once: they share one question to Mattermost.
  const asking = new Map<string, Promise<SessionUser | null>>();
  const total: Bucket = { tokens: burst, filledAt: now() };
  // Least recently used first: a client forgotten when full comes back with a full bucket, as an idle one would have.
  const clients = new Map<string, Bucket>();

  const refill = (bucket: Bucket, perSecond: number, most: number, at: number): Bucket => {
    bucket.tokens = Math.min(most, bucket.tokens + ((Math.max(0, at - bucket.filledAt)) / 1000) * perSecond);
    bucket.filledAt = at;
    return bucket;
  };
  const takeNewTokenCheck = (client: string, at: number): boolean => {
    const own = refill(clients.get(client) ?? { tokens: clientBurst, filledAt: at }, clientRate, clientBurst, at);
    remember(clients, client, own, maxEntries);
    refill(total, rate, burst, at);
    if (own.tokens < 1 || total.tokens < 1) return false;
    own.tokens -= 1;
    total.tokens -= 1;
    return true;
  };
  // Entries are in the order they were last set, each at now(): the expired ones are at the front.
  const forgetExpired = (at: number): void => {
    for (const [key, entry] of good) {
      if (at - entry.checkedAt < KNOWN_FOR_MS) break;
      good.delete(key);
    }
    for (const [key, refusedAt] of refused) {
      if (at - refusedAt < REFUSED_FOR_MS) break;
      refused.delete(key);
    }
  };

  return async (token, client = '') => {
    const key = createHash('sha256').update(token).digest('hex');
    const at = now();
    forgetExpired(at);
    const known = good.get(key);
    if (known && at - known.checkedAt < GOOD_FOR_MS) return known.user;
    if (refused.has(key)) return null;
    let answer = asking.get(key);
    if (!answer) {
      // Whatever is still in `good` was accepted within KNOWN_FOR_MS.
      if (!known && !takeNewTokenCheck(client, at)) {
        throw new ApiError(429, 'too_many_session_checks', 'Too many sign-in checks at the moment; try again in a few seconds.', 1);
      }
      answer = resolve(token).finally(() => asking.delete(key));
      asking.set(key, answer);
      void answer.then(
        (user) => {
          if (user) {
            refused.delete(key);
            remember(good, key, { user, checkedAt: now() }, maxEntries);
          } else {
            good.delete(key);
            remember(refused, key, now(), maxEntries);
          }
        },
        // Mattermost could not be asked: nothing is learnt, the next request asks again.
        () => undefined,
      );
    }
    return answer;
  };
}

/** Insertion order is age: a key set again moves to the end, and the oldest goes when full. */
function remember<V>(map: Map<string, V>, key: string, value: V, maxEntries: number): void {
  map.delete(key);
  if (map.size >= maxEntries) map.delete(map.keys().next().value!);
  map.set(key, value);
}

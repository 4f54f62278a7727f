/**
 * Remembers what Mattermost said about session tokens, so the webapp API and
 * the /oauth pages (which share one resolver, assembled in bridge.ts) do not
 * ask `users/me` on every request: a good session for a minute, a refused one
 * briefly, each under the token's SHA-256, never the token itself, each in a
 * bounded map. A flood of distinct bogus tokens cannot be answered from
 * memory, so tokens the bridge has not seen accepted lately are checked at a
 * bounded rate: beyond it they are refused for now (`too_many_session_checks`)
 * while known sessions go on.
 */
import { createHash } from 'node:crypto';
import type { SessionUser } from './context.js';
import { ApiError } from './errors.js';

export type ResolveSession = (token: string) => Promise<SessionUser | null>;

export interface SessionCacheOptions {
  /** Milliseconds since the epoch; injectable for tests. */
  now?: () => number;
  /** Entries in each map (good, refused); the oldest go first. */
  maxEntries?: number;
  /** Checks of tokens not accepted lately, per second (SESSION_CHECKS_PER_SECOND), with bursts up to `newTokenBurst`. */
  newTokensPerSecond?: number;
  /** Ten seconds' worth unless given. */
  newTokenBurst?: number;
}

/** A good answer is trusted this long (ARCHITECTURE.md §7: at most 60 s). */
const GOOD_FOR_MS = 60_000;
/**
 * A refusal is remembered this long: a bogus cookie repeated costs one check
 * per 15 s, and a user who just logged in again has a new token anyway.
 */
const REFUSED_FOR_MS = 15_000;
/** A token accepted within this long is re-checked without counting against the rate for new ones. */
const KNOWN_FOR_MS = 24 * 60 * 60_000;
/** About 2 MB per map at most. */
const MAX_ENTRIES = 10_000;
/**
 * Fifty new sessions a second is far more than people open (each token is
 * checked once, then once a minute as a known one) and little for Mattermost,
 * whose `users/me` is a cached session lookup; the burst (ten seconds' worth)
 * covers a restart, when every open page comes back within a few seconds.
 */
const NEW_TOKENS_PER_SECOND = 50;
const BURST_SECONDS = 10;

export function cacheSessions(resolve: ResolveSession, options: SessionCacheOptions = {}): ResolveSession {
  const now = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? MAX_ENTRIES;
  const rate = options.newTokensPerSecond ?? NEW_TOKENS_PER_SECOND;
  const burst = options.newTokenBurst ?? rate * BURST_SECONDS;
  const good = new Map<string, { user: SessionUser; checkedAt: number }>();
  const refused = new Map<string, number>();
  // A page load fires several calls at once: they share one question to Mattermost.
  const asking = new Map<string, Promise<SessionUser | null>>();
  let tokens = burst;
  let filledAt = now();

  const takeNewTokenCheck = (): boolean => {
    const at = now();
    tokens = Math.min(burst, tokens + ((at - filledAt) / 1000) * rate);
    filledAt = at;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };

  return async (token) => {
    const key = createHash('sha256').update(token).digest('hex');
    const at = now();
    const known = good.get(key);
    if (known && at - known.checkedAt < GOOD_FOR_MS) return known.user;
    const refusedAt = refused.get(key);
    if (refusedAt !== undefined && at - refusedAt < REFUSED_FOR_MS) return null;
    let answer = asking.get(key);
    if (!answer) {
      const acceptedLately = known !== undefined && at - known.checkedAt < KNOWN_FOR_MS;
      if (!acceptedLately && !takeNewTokenCheck()) {
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

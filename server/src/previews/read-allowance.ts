/**
 * How many GitLab reads each person's code previews may cost: a bucket per
 * user that holds `perMinute` reads and fills again at `perMinute` a minute.
 * The reads are made with the viewer's own token, but they are counted in the
 * budget every replica shares (polling, deliveries, everyone's previews), so
 * one viewer asking for link after link must not spend it for all. A page
 * full of code links asks for each file once (the answers are kept), which
 * stays far below the allowance.
 */

export interface ReadAllowance {
  /** Takes one read for `userId`, or says in how many seconds one is back. */
  take(userId: string): { granted: true } | { granted: false; retryAfterSeconds: number };
}

export interface ReadAllowanceOptions {
  perMinute: number;
  /** Milliseconds since the epoch; injectable for tests. */
  now?: () => number;
  /** Users remembered; the least recently seen go first, and come back with a full bucket, as an idle one would. */
  maxUsers?: number;
}

const MAX_USERS = 10_000;

export function createReadAllowance(options: ReadAllowanceOptions): ReadAllowance {
  const now = options.now ?? Date.now;
  const capacity = options.perMinute;
  const perMs = options.perMinute / 60_000;
  const maxUsers = options.maxUsers ?? MAX_USERS;
  const buckets = new Map<string, { reads: number; filledAt: number }>();

  return {
    take(userId) {
      const at = now();
      const bucket = buckets.get(userId) ?? { reads: capacity, filledAt: at };
      bucket.reads = Math.min(capacity, bucket.reads + Math.max(0, at - bucket.filledAt) * perMs);
      bucket.filledAt = at;
      buckets.delete(userId);
      if (buckets.size >= maxUsers) buckets.delete(buckets.keys().next().value!);
      buckets.set(userId, bucket);
      if (bucket.reads < 1) return { granted: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.reads) / perMs / 1000)) };
      bucket.reads -= 1;
      return { granted: true };
    },
  };
}

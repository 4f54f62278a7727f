/**
 * The GitLab request budget every replica shares (migration 0010): at most
 * `perMinute` requests in any sliding 60 seconds, counted in per-second buckets,
 * plus the pause GitLab itself asked for. A poller that is refused waits, so
 * polling cycles stretch instead of GitLab being flooded.
 */
import type pg from 'pg';

export type BudgetAnswer = { granted: true } | { granted: false; retryInMs: number };

export interface RequestBudget {
  /** Takes `count` requests from the budget, or says how long until that many are free (or the pause ends). */
  take(count?: number): Promise<BudgetAnswer>;
  /** Nobody takes anything until `until` (a later pause already recorded wins). */
  pause(until: Date, reason: string): Promise<void>;
  /** The end of the pause in force, or null. */
  pausedUntil(): Promise<Date | null>;
}

export interface RequestBudgetOptions {
  perMinute: number;
  /** Milliseconds since the epoch; injectable for tests. */
  now?: () => number;
}

/**
 * Buckets counted: this second and the 60 before it. A request made late in
 * one second and another early 60 seconds on are less than a minute apart, so
 * both must be counted when the second is taken.
 */
const WINDOW_SECONDS = 61;
/** Arbitrary, fixed: the advisory lock that makes taking from the budget single-file across replicas. */
const BUDGET_LOCK = 0x67627062;
/** How often one replica sweeps buckets that have left the window. */
const SWEEP_EVERY_MS = 60_000;

export function createRequestBudget(pool: pg.Pool, options: RequestBudgetOptions): RequestBudget {
  const { perMinute } = options;
  if (!Number.isInteger(perMinute) || perMinute < 1) throw new RangeError(`perMinute must be a whole number of at least 1, not ${perMinute}`);
  const now = options.now ?? Date.now;
  let lastSweep = -Infinity;

  async function readPause(db: Pick<pg.PoolClient, 'query'>): Promise<Date | null> {
    const result = await db.query<{ until: Date }>('SELECT until FROM gitlab_rate_pause');
    const until = result.rows[0]?.until;
    return until && until.getTime() > now() ? until : null;
  }

  return {
    async take(count = 1) {
      if (!Number.isInteger(count) || count < 1 || count > perMinute) {
        throw new RangeError(`cannot take ${count} requests from a budget of ${perMinute} a minute`);
      }
      const at = now();
      const second = Math.floor(at / 1000);
      const windowStart = second - WINDOW_SECONDS + 1;
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        try {
          // Every statement after the lock sees what the previous holder committed.
          await client.query('SELECT pg_advisory_xact_lock($1)', [BUDGET_LOCK]);
          const paused = await readPause(client);
          if (paused) {
            await client.query('COMMIT');
            return { granted: false, retryInMs: paused.getTime() - at };
          }
          const { rows } = await client.query<{ second: Date; used: number }>(
            'SELECT second, used FROM gitlab_request_budget WHERE second >= to_timestamp($1) ORDER BY second',
            [windowStart],
          );
          const used = rows.reduce((sum, row) => sum + row.used, 0);
          if (used + count > perMinute) {
            await client.query('COMMIT');
            return { granted: false, retryInMs: whenFree(rows, used + count - perMinute) - at };
          }
          await client.query(
            `INSERT INTO gitlab_request_budget (second, used) VALUES (to_timestamp($1), $2)
             ON CONFLICT (second) DO UPDATE SET used = gitlab_request_budget.used + $2`,
            [second, count],
          );
          if (at - lastSweep >= SWEEP_EVERY_MS) {
            await client.query('DELETE FROM gitlab_request_budget WHERE second < to_timestamp($1)', [windowStart]);
            lastSweep = at;
          }
          await client.query('COMMIT');
          return { granted: true };
        } catch (error) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw error;
        }
      } finally {
        client.release();
      }
    },

    async pause(until, reason) {
      await pool.query(
        `INSERT INTO gitlab_rate_pause (id, until, reason) VALUES (true, $1, $2)
         ON CONFLICT (id) DO UPDATE SET
           reason = CASE WHEN EXCLUDED.until >= gitlab_rate_pause.until THEN EXCLUDED.reason ELSE gitlab_rate_pause.reason END,
           until = GREATEST(gitlab_rate_pause.until, EXCLUDED.until),
           updated_at = now()`,
        [until, reason],
      );
    },

    pausedUntil: () => readPause(pool),
  };
}

/**
 * When `needed` requests will have left the window: the moment the bucket that
 * frees the last of them stops being counted. Buckets are oldest first.
 */
function whenFree(buckets: readonly { second: Date; used: number }[], needed: number): number {
  let freed = 0;
  for (const bucket of buckets) {
    freed += bucket.used;
    if (freed >= needed) return bucket.second.getTime() + WINDOW_SECONDS * 1000;
  }
  // Unreachable while count <= perMinute; a full window from now is the safe answer.
  return buckets.at(-1)!.second.getTime() + WINDOW_SECONDS * 1000;
}

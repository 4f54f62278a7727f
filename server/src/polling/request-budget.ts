/**
 * The GitLab request budget every replica shares (migrations 0010 and 0018):
 * at most `perMinute` requests in any sliding 60 seconds, counted in
 * per-second buckets, plus the pauses GitLab itself asked for. GitLab's API
 * limits are per user, so a refusal pauses the token it was given to (the
 * caller); a pause for everyone is kept for what concerns the whole instance,
 * and for several tokens refused at once (a limit on the bridge's IP looks
 * like that). A poller that is refused waits, so polling cycles stretch
 * instead of GitLab being flooded.
 */
import type pg from 'pg';

/** `callerPausedUntil`: refused for the caller's own pause; waiting for it would only hold up everyone else's work. */
export type BudgetAnswer = { granted: true } | { granted: false; retryInMs: number; callerPausedUntil?: Date };

export type PauseScope = 'caller' | 'everyone';

export interface RequestBudget {
  /**
   * Takes `count` requests from the budget for `caller` (a key for the token
   * used, see callerKey), or says how long until that many are free, or until
   * the pause in force ends.
   */
  take(count?: number, caller?: string): Promise<BudgetAnswer>;
  /** Nobody takes anything until `until` (a later pause already recorded wins). */
  pause(until: Date, reason: string): Promise<void>;
  /**
   * Only `caller` takes nothing until `until`; when this makes several callers
   * refused within a minute, everyone pauses (briefly) too. Says which it was.
   */
  pauseCaller(caller: string, until: Date, reason: string): Promise<PauseScope>;
  /** The end of the pause for everyone in force, or null. */
  pausedUntil(): Promise<Date | null>;
  /** The end of the caller's own pause in force, or null. */
  callerPausedUntil(caller: string): Promise<Date | null>;
}

export interface RequestBudgetOptions {
  perMinute: number;
  /** Each GitLab instance has its own budget and pauses (config.gitlabInstances[].name; default `default`). */
  instance?: string;
  /** Milliseconds since the epoch; injectable for tests. */
  now?: () => number;
}

/**
 * Buckets counted: this second and the 60 before it. A request made late in
 * one second and another early 60 seconds on are less than a minute apart, so
 * both must be counted when the second is taken.
 */
const WINDOW_SECONDS = 61;
/** Arbitrary, fixed: the advisory lock that makes taking from the budget single-file across replicas (also in migration 0029's function). */
const BUDGET_LOCK = 0x67627062;
/** How often one replica sweeps buckets that have left the window, and caller pauses that no longer count. */
const SWEEP_EVERY_MS = 60_000;
/**
 * This many different tokens refused within ESCALATE_WITHIN_MS is read as a
 * limit on the whole bridge (its IP, a proxy in front of GitLab), not as
 * three users each spending their own limit. Below it, at most two requests
 * are wasted on a limit everyone shares.
 */
const ESCALATE_AFTER_CALLERS = 3;
const ESCALATE_WITHIN_MS = 60_000;
/**
 * The pause for everyone that several refused tokens bring is at most this
 * long: heavy users each at their own (self-managed: hourly) limit must not
 * stop everyone for long. If the limit really is shared, the next refusals
 * bring it back within seconds; the refused tokens keep their own full pause.
 */
const ESCALATED_PAUSE_MAX_MS = 60_000;

export function createRequestBudget(pool: pg.Pool, options: RequestBudgetOptions): RequestBudget {
  const { perMinute } = options;
  if (!Number.isInteger(perMinute) || perMinute < 1) throw new RangeError(`perMinute must be a whole number of at least 1, not ${perMinute}`);
  const now = options.now ?? Date.now;
  const instance = options.instance ?? 'default';
  let lastSweep = -Infinity;

  async function readPause(db: Pick<pg.PoolClient, 'query'>): Promise<Date | null> {
    const result = await db.query<{ until: Date }>('SELECT until FROM gitlab_rate_pause WHERE instance = $1', [instance]);
    const until = result.rows[0]?.until;
    return until && until.getTime() > now() ? until : null;
  }

  async function readCallerPause(db: Pick<pg.PoolClient, 'query'>, caller: string): Promise<Date | null> {
    const result = await db.query<{ until: Date }>('SELECT until FROM gitlab_caller_rate_pause WHERE caller = $1', [caller]);
    const until = result.rows[0]?.until;
    return until && until.getTime() > now() ? until : null;
  }

  /** Runs `work` in a transaction holding the budget's lock: every replica's takes and pauses go single-file. */
  async function underLock<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      try {
        // Every statement after the lock sees what the previous holder committed.
        await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [BUDGET_LOCK, instance]);
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    } finally {
      client.release();
    }
  }

  /**
   * Buckets that have left the window, and caller pauses that are over and no longer count towards
   * pausing everyone. Neither changes an answer, so no lock is needed.
   */
  async function sweep(at: number): Promise<void> {
    const windowStart = Math.floor(at / 1000) - WINDOW_SECONDS + 1;
    await pool.query('DELETE FROM gitlab_request_budget WHERE instance = $2 AND second < to_timestamp($1)', [windowStart, instance]);
    await pool.query('DELETE FROM gitlab_caller_rate_pause WHERE until < $1 AND throttled_at < $2', [new Date(at), new Date(at - ESCALATE_WITHIN_MS)]);
  }

  async function pauseEveryone(db: Pick<pg.PoolClient, 'query'>, until: Date, reason: string): Promise<void> {
    await db.query(
      `INSERT INTO gitlab_rate_pause (instance, until, reason) VALUES ($3, $1, $2)
       ON CONFLICT (instance) DO UPDATE SET
         reason = CASE WHEN EXCLUDED.until >= gitlab_rate_pause.until THEN EXCLUDED.reason ELSE gitlab_rate_pause.reason END,
         until = GREATEST(gitlab_rate_pause.until, EXCLUDED.until),
         updated_at = now()`,
      [until, reason, instance],
    );
  }

  return {
    async take(count = 1, caller) {
      if (!Number.isInteger(count) || count < 1 || count > perMinute) {
        throw new RangeError(`cannot take ${count} requests from a budget of ${perMinute} a minute`);
      }
      const at = now();
      // One round trip: the function (migration 0029) reads the pauses and the window and counts the
      // requests under the budget's lock, which every request of every replica waits for.
      const { rows } = await pool.query<{ granted: boolean; wait_until: Date | null; caller_paused: boolean }>(
        'SELECT granted, wait_until, caller_paused FROM gitlab_request_budget_take($1, $2, $3, $4, $5, $6)',
        [instance, caller ?? null, count, perMinute, new Date(at), WINDOW_SECONDS],
      );
      const answer = rows[0]!;
      if (at - lastSweep >= SWEEP_EVERY_MS) {
        lastSweep = at;
        await sweep(at);
      }
      if (answer.granted) return { granted: true };
      const retryInMs = answer.wait_until!.getTime() - at;
      return answer.caller_paused ? { granted: false, retryInMs, callerPausedUntil: answer.wait_until! } : { granted: false, retryInMs };
    },

    async pause(until, reason) {
      await pauseEveryone(pool, until, reason);
    },

    pauseCaller(caller, until, reason) {
      const at = new Date(now());
      return underLock(async (client) => {
        await client.query(
          `INSERT INTO gitlab_caller_rate_pause (caller, until, reason, throttled_at, instance) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (caller) DO UPDATE SET
             reason = CASE WHEN EXCLUDED.until >= gitlab_caller_rate_pause.until THEN EXCLUDED.reason ELSE gitlab_caller_rate_pause.reason END,
             until = GREATEST(gitlab_caller_rate_pause.until, EXCLUDED.until),
             throttled_at = EXCLUDED.throttled_at`,
          [caller, until, reason, at, instance],
        );
        const { rows } = await client.query<{ callers: number }>('SELECT count(*)::int AS callers FROM gitlab_caller_rate_pause WHERE throttled_at > $1 AND instance = $2', [
          new Date(at.getTime() - ESCALATE_WITHIN_MS),
          instance,
        ]);
        const callers = rows[0]?.callers ?? 0;
        if (!pauseEveryoneAfter(callers)) return 'caller';
        const everyoneUntil = new Date(Math.min(until.getTime(), at.getTime() + ESCALATED_PAUSE_MAX_MS));
        await pauseEveryone(client, everyoneUntil, `${callers} GitLab users refused within a minute, the last: ${reason}`);
        return 'everyone';
      });
    },

    pausedUntil: () => readPause(pool),
    callerPausedUntil: (caller) => readCallerPause(pool, caller),
  };
}

/** Several tokens refused at about the same time: a limit they share, the bridge's IP or the instance (pure). */
export function pauseEveryoneAfter(callersRefusedWithinAMinute: number): boolean {
  return callersRefusedWithinAMinute >= ESCALATE_AFTER_CALLERS;
}

/**
 * Recurring GitLab polls (migration 0010): which subjects are polled, when each
 * is due, which replica holds it right now, and what it remembers between runs.
 */
import { DEFAULT_INSTANCE } from '../config.js';
import type { Queryable } from './queryable.js';

export type JobState = Record<string, unknown>;

export interface PollJob<S extends JobState = JobState> {
  kind: string;
  /** The GitLab instance it polls; each instance's runner claims its own. */
  instance: string;
  subject: string;
  nextRunAt: Date;
  /** Held by the claiming replica until then; also what `finishJob` checks it still holds. */
  leaseUntil: Date;
  lastRunAt: Date | null;
  lastSuccessAt: Date | null;
  lastError: string | null;
  failures: number;
  state: S;
}

export interface JobFreshness {
  lastRunAt: Date | null;
  lastSuccessAt: Date | null;
  lastError: string | null;
  failures: number;
}

interface JobRow {
  kind: string;
  instance: string;
  subject: string;
  next_run_at: Date;
  lease_until: Date;
  last_run_at: Date | null;
  last_success_at: Date | null;
  last_error: string | null;
  failures: number;
  state: JobState;
}

/** Creates the job unless it exists; an existing job keeps its schedule. True when it was created. */
export async function ensureJob(db: Queryable, kind: string, subject: string, firstRunAt: Date, instance: string = DEFAULT_INSTANCE): Promise<boolean> {
  const result = await db.query(
    'INSERT INTO poll_jobs (kind, subject, next_run_at, instance) VALUES ($1, $2, $3, $4) ON CONFLICT (kind, instance, subject) DO NOTHING',
    [kind, subject, firstRunAt, instance],
  );
  return result.rowCount === 1;
}

/**
 * Makes one kind's jobs of one instance exactly the subjects `subjectsQuery` selects (one text
 * column; `$2` in it is the instance's name): new ones due at once, existing ones keep their
 * schedule, others go. Two set-based statements, cheap enough to run every few seconds.
 */
export async function syncJobs(db: Queryable, kind: string, subjectsQuery: string, instance: string = DEFAULT_INSTANCE): Promise<void> {
  await db.query(
    `INSERT INTO poll_jobs (kind, instance, subject, next_run_at) SELECT $1, $2, subject, now() FROM (${subjectsQuery}) wanted (subject) ON CONFLICT (kind, instance, subject) DO NOTHING`,
    [kind, instance],
  );
  await db.query(`DELETE FROM poll_jobs WHERE kind = $1 AND instance = $2 AND subject NOT IN (SELECT subject FROM (${subjectsQuery}) wanted (subject))`, [kind, instance]);
}

/** Reconciles one kind with what should be polled: removes the jobs of every other subject. Returns how many went. */
export async function removeJobs(db: Queryable, kind: string, subjectsToKeep: readonly string[], instance: string = DEFAULT_INSTANCE): Promise<number> {
  const result = await db.query('DELETE FROM poll_jobs WHERE kind = $1 AND instance = $3 AND NOT (subject = ANY($2::text[]))', [kind, subjectsToKeep, instance]);
  return result.rowCount ?? 0;
}

export interface ClaimOptions {
  kind: string;
  /** Only this instance's jobs (default `default`). */
  instance?: string;
  limit: number;
  leaseSeconds: number;
  /** The moment to judge "due" and leases by; the database's clock by default (one clock for every replica). */
  at?: Date;
}

/**
 * Takes up to `limit` due jobs of one kind, most overdue first, and leases them
 * to the caller. One statement, skipping rows another replica is claiming at
 * the same moment, so no two callers ever get the same job; a lease that runs
 * out (a replica died mid-poll) makes the job due again.
 */
export async function claimDueJobs<S extends JobState = JobState>(db: Queryable, options: ClaimOptions): Promise<PollJob<S>[]> {
  // Leases are cut to milliseconds so the JavaScript Date handed back compares equal in finishJob.
  const result = await db.query<JobRow>(
    `WITH clock AS (SELECT COALESCE($4::timestamptz, now()) AS now),
     due AS (
       SELECT kind, instance, subject FROM poll_jobs, clock
       WHERE kind = $1 AND instance = $5 AND next_run_at <= clock.now AND (lease_until IS NULL OR lease_until <= clock.now)
       ORDER BY next_run_at LIMIT $2
       FOR UPDATE OF poll_jobs SKIP LOCKED
     )
     UPDATE poll_jobs j SET lease_until = date_trunc('milliseconds', clock.now + $3 * interval '1 second'), last_run_at = clock.now
     FROM due, clock
     WHERE j.kind = due.kind AND j.instance = due.instance AND j.subject = due.subject
     RETURNING j.kind, j.instance, j.subject, j.next_run_at, j.lease_until, j.last_run_at, j.last_success_at, j.last_error, j.failures, j.state`,
    [options.kind, options.limit, options.leaseSeconds, options.at ?? null, options.instance ?? DEFAULT_INSTANCE],
  );
  return result.rows.map((row) => toJob<S>(row)).sort((a, b) => a.nextRunAt.getTime() - b.nextRunAt.getTime());
}

/**
 * Extends the leases of jobs the caller still holds (running, or claimed and waiting their turn), so
 * that leases can be short: a replica that dies stops renewing, and its jobs are due again within
 * one lease instead of sitting out a long one. A job whose lease ran out and went to another replica
 * is left alone. Each renewed job's `leaseUntil` is moved, so that `finishJob` still matches it;
 * returns how many were renewed.
 */
export async function renewLeases(db: Queryable, jobs: readonly PollJob[], leaseSeconds: number, at?: Date): Promise<number> {
  if (jobs.length === 0) return 0;
  const result = await db.query<{ kind: string; instance: string; subject: string; lease_until: Date }>(
    `UPDATE poll_jobs j SET lease_until = date_trunc('milliseconds', COALESCE($6::timestamptz, now()) + $5 * interval '1 second')
     FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[]) AS held (kind, instance, subject, lease_until)
     WHERE j.kind = held.kind AND j.instance = held.instance AND j.subject = held.subject AND j.lease_until = held.lease_until
     RETURNING j.kind, j.instance, j.subject, j.lease_until`,
    [jobs.map((job) => job.kind), jobs.map((job) => job.instance), jobs.map((job) => job.subject), jobs.map((job) => job.leaseUntil), leaseSeconds, at ?? null],
  );
  const key = (kind: string, instance: string, subject: string) => JSON.stringify([kind, instance, subject]);
  const renewed = new Map(result.rows.map((row) => [key(row.kind, row.instance, row.subject), row.lease_until]));
  for (const job of jobs) job.leaseUntil = renewed.get(key(job.kind, job.instance, job.subject)) ?? job.leaseUntil;
  return result.rows.length;
}

export interface FinishOptions<S extends JobState> {
  nextRunAt: Date;
  /** The job's new watermarks; omitted, the stored state stays. */
  state?: S;
  /** Set when the run failed: recorded, and counted in `failures`; omitted, the run succeeded. */
  error?: string;
}

/**
 * Releases a claimed job and schedules its next run. A run asked for while
 * this one was going (the job's next_run_at moved past the moment it was
 * claimed, see pollUsersSoon) stands when it is sooner: this run may have read
 * GitLab before the change that asked for it. Returns false, changing nothing,
 * when the lease was lost (it ran out and another replica claimed the job):
 * that replica's run is the one that counts.
 */
export async function finishJob<S extends JobState>(db: Queryable, job: PollJob<S>, options: FinishOptions<S>): Promise<boolean> {
  const [finished] = await finishJobs(db, [{ job, options }]);
  return finished!;
}

/**
 * finishJob for several jobs in one statement (pollers finish the polls that ended at about the
 * same time together). Says for each, in order, whether it was finished (false: its lease was lost).
 */
export async function finishJobs<S extends JobState>(db: Queryable, runs: readonly { job: PollJob<S>; options: FinishOptions<S> }[]): Promise<boolean[]> {
  if (runs.length === 0) return [];
  const column = <T>(value: (run: { job: PollJob<S>; options: FinishOptions<S> }, n: number) => T) => runs.map(value);
  const result = await db.query<{ n: number }>(
    `UPDATE poll_jobs j SET
       lease_until = NULL,
       next_run_at = CASE WHEN j.next_run_at > j.last_run_at THEN LEAST(j.next_run_at, f.next_run_at) ELSE f.next_run_at END,
       state = COALESCE(f.state, j.state),
       last_success_at = CASE WHEN f.failed THEN j.last_success_at ELSE now() END,
       last_error = f.error,
       failures = CASE WHEN f.failed THEN j.failures + 1 ELSE 0 END
     FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::jsonb[], $7::boolean[], $8::text[], $9::int[])
       AS f (kind, instance, subject, lease_until, next_run_at, state, failed, error, n)
     WHERE j.kind = f.kind AND j.instance = f.instance AND j.subject = f.subject AND j.lease_until = f.lease_until
     RETURNING f.n`,
    [
      column((run) => run.job.kind),
      column((run) => run.job.instance),
      column((run) => run.job.subject),
      column((run) => run.job.leaseUntil),
      column((run) => run.options.nextRunAt),
      column((run) => (run.options.state === undefined ? null : JSON.stringify(run.options.state))),
      column((run) => run.options.error !== undefined),
      column((run) => run.options.error ?? null),
      column((_, n) => n),
    ],
  );
  const finished = new Set(result.rows.map((row) => row.n));
  return runs.map((_, n) => finished.has(n));
}

/**
 * Brings a job forward (a user just became active): it runs at `nextRunAt`
 * unless it was due sooner already. A run in progress keeps the schedule its
 * finish sets. False when there is no such job.
 */
export async function rescheduleJob(db: Queryable, kind: string, subject: string, nextRunAt: Date, instance: string = DEFAULT_INSTANCE): Promise<boolean> {
  const result = await db.query('UPDATE poll_jobs SET next_run_at = LEAST(next_run_at, $3) WHERE kind = $1 AND subject = $2 AND instance = $4', [
    kind,
    subject,
    nextRunAt,
    instance,
  ]);
  return result.rowCount === 1;
}

/** The job's watermarks, or null when there is no such job. */
export async function jobState<S extends JobState = JobState>(db: Queryable, kind: string, subject: string, instance: string = DEFAULT_INSTANCE): Promise<S | null> {
  const result = await db.query<{ state: S }>('SELECT state FROM poll_jobs WHERE kind = $1 AND subject = $2 AND instance = $3', [kind, subject, instance]);
  return result.rows[0]?.state ?? null;
}

/** How recently each subject was polled successfully, and its last error; subjects without a job are absent. */
export async function jobFreshness<S extends JobState = JobState>(
  db: Queryable,
  kind: string,
  subjects: readonly string[],
  instance: string = DEFAULT_INSTANCE,
): Promise<Map<string, JobFreshness & { state: S }>> {
  const result = await db.query<JobRow>(
    'SELECT subject, last_run_at, last_success_at, last_error, failures, state FROM poll_jobs WHERE kind = $1 AND subject = ANY($2::text[]) AND instance = $3',
    [kind, subjects, instance],
  );
  return new Map(
    result.rows.map((row) => [
      row.subject,
      { lastRunAt: row.last_run_at, lastSuccessAt: row.last_success_at, lastError: row.last_error, failures: row.failures, state: row.state as S },
    ]),
  );
}

function toJob<S extends JobState>(row: JobRow): PollJob<S> {
  return {
    kind: row.kind,
    instance: row.instance,
    subject: row.subject,
    nextRunAt: row.next_run_at,
    leaseUntil: row.lease_until,
    lastRunAt: row.last_run_at,
    lastSuccessAt: row.last_success_at,
    lastError: row.last_error,
    failures: row.failures,
    state: row.state as S,
  };
}

/**
 * Runs the polling jobs in this process. Jobs live in PostgreSQL (`poll_jobs`):
 * each replica claims due ones with a lease, so every user and project is
 * polled by exactly one replica per cycle, and a crashed replica's jobs come
 * back when its leases run out. How late jobs start is measured: when the
 * GitLab request budget is short, cycles stretch and the lag shows it.
 */
import type pg from 'pg';
import type { Logger } from '../log.js';
import { claimDueJobs, finishJob, type JobState, type PollJob } from '../store/poll-jobs.js';
import type { PollOutcome } from './poll-users.js';

const TICK_MS = 1000;
/** New connections and subscriptions are polled within this long. */
const SYNC_EVERY_MS = 5000;
const CLAIM = 25;
const CONCURRENT = 8;
/** Longer than any one poll takes (a few requests with 15 s time-outs). */
const LEASE_SECONDS = 180;

export interface PollerKind {
  kind: string;
  /** Makes jobs match what should be polled (connected users, subscriptions without webhooks). */
  sync(): Promise<void>;
  run(job: PollJob<JobState>): Promise<PollOutcome<JobState>>;
}

export interface PollerDeps {
  pool: pg.Pool;
  /** The GitLab instance whose jobs this runner claims (default `default`). */
  instance?: string;
  log: Logger;
  kinds: PollerKind[];
  /** How late a job started after it was due, and how it ended. */
  observe?(kind: string, lagSeconds: number, outcome: 'ok' | 'error'): void;
}

export function startPollers(deps: PollerDeps): { stop(): Promise<void> } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let lastSync = 0;
  let running: Promise<void> | undefined;

  const pass = async (): Promise<boolean> => {
    if (Date.now() - lastSync > SYNC_EVERY_MS) {
      lastSync = Date.now();
      for (const kind of deps.kinds) await kind.sync();
    }
    let busy = false;
    for (const kind of deps.kinds) {
      const jobs = await claimDueJobs(deps.pool, { kind: kind.kind, instance: deps.instance, limit: CLAIM, leaseSeconds: LEASE_SECONDS });
      busy ||= jobs.length === CLAIM;
      for (let start = 0; start < jobs.length && !stopped; start += CONCURRENT) {
        await Promise.all(jobs.slice(start, start + CONCURRENT).map((job) => runOne(kind, job)));
      }
    }
    return busy;
  };

  const runOne = async (kind: PollerKind, job: PollJob<JobState>) => {
    const lag = Math.max(0, (Date.now() - job.nextRunAt.getTime()) / 1000);
    const outcome = await kind.run(job).catch((error: unknown) => ({ nextRunAt: new Date(Date.now() + 60_000), state: job.state, error: String((error as Error).message ?? error) }));
    deps.observe?.(kind.kind, lag, outcome.error ? 'error' : 'ok');
    await finishJob(deps.pool, job, { nextRunAt: outcome.nextRunAt, state: outcome.state, ...(outcome.error ? { error: outcome.error } : {}) });
  };

  const tick = () => {
    if (stopped) return;
    running = pass().then(
      (busy) => schedule(busy ? 0 : TICK_MS),
      (error: unknown) => {
        if (!stopped) deps.log.error({ err: error }, 'polling pass failed; retrying shortly');
        schedule(TICK_MS * 5);
      },
    );
  };
  const schedule = (delay: number) => {
    if (!stopped) timer = setTimeout(tick, delay);
  };
  tick();

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

/**
 * Runs the polling jobs in this process. Jobs live in PostgreSQL (`poll_jobs`):
 * each replica claims due ones with a lease, so every user and project is
 * polled by exactly one replica per cycle. Leases are short and renewed while
 * a job is held, so a crashed replica's jobs come back within one lease. How
 * late jobs start is measured: when the GitLab request budget is short, cycles
 * stretch and the lag shows it.
 */
import type pg from 'pg';
import type { Logger } from '../log.js';
import { claimDueJobs, finishJob, renewLeases, type JobState, type PollJob } from '../store/poll-jobs.js';
import type { PollOutcome } from './poll-users.js';

const TICK_MS = 1000;
/** New connections and subscriptions are polled within this long. */
const SYNC_EVERY_MS = 5000;
const CLAIM = 25;
const CONCURRENT = 8;
/** How long a claim holds without renewal: a replica killed mid-poll delays its jobs by at most this. */
const LEASE_SECONDS = 30;
/** Held jobs are renewed this often: a few renewals may fail (the database restarting) before a lease runs out. */
const RENEW_EVERY_MS = 10_000;

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
  /** LEASE_SECONDS and RENEW_EVERY_MS unless given (tests shorten them). */
  leaseSeconds?: number;
  renewEveryMs?: number;
}

export function startPollers(deps: PollerDeps): { stop(): Promise<void> } {
  const leaseSeconds = deps.leaseSeconds ?? LEASE_SECONDS;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let lastSync = 0;
  let running: Promise<void> | undefined;
  /** Claimed and not finished: running, or waiting for their turn in this pass. */
  const held = new Set<PollJob<JobState>>();
  let renewing: Promise<unknown> = Promise.resolve();
  const renew = () => {
    renewing = renewing.then(() =>
      renewLeases(deps.pool, [...held], leaseSeconds).catch((error: unknown) => deps.log.warn({ err: error }, 'could not renew poll leases; retrying shortly')),
    );
  };
  const renewer = setInterval(renew, deps.renewEveryMs ?? RENEW_EVERY_MS);

  const pass = async (): Promise<boolean> => {
    if (Date.now() - lastSync > SYNC_EVERY_MS) {
      lastSync = Date.now();
      for (const kind of deps.kinds) await kind.sync();
    }
    let busy = false;
    for (const kind of deps.kinds) {
      const jobs = await claimDueJobs(deps.pool, { kind: kind.kind, instance: deps.instance, limit: CLAIM, leaseSeconds });
      busy ||= jobs.length === CLAIM;
      for (const job of jobs) held.add(job);
      try {
        for (let start = 0; start < jobs.length && !stopped; start += CONCURRENT) {
          await Promise.all(jobs.slice(start, start + CONCURRENT).map((job) => runOne(kind, job)));
        }
      } finally {
        // Left unfinished (stopping, or the database failed): their leases run out, and they are due again.
        for (const job of jobs) held.delete(job);
      }
    }
    return busy;
  };

  const runOne = async (kind: PollerKind, job: PollJob<JobState>) => {
    const lag = Math.max(0, (Date.now() - job.nextRunAt.getTime()) / 1000);
    const outcome = await kind.run(job).catch((error: unknown) => ({ nextRunAt: new Date(Date.now() + 60_000), state: job.state, error: String((error as Error).message ?? error) }));
    deps.observe?.(kind.kind, lag, outcome.error ? 'error' : 'ok');
    // No renewal may move the lease between reading it and finishing with it.
    held.delete(job);
    await renewing;
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
      clearInterval(renewer);
      await running;
    },
  };
}

/**
 * Runs the polling jobs in this process. Jobs live in PostgreSQL (`poll_jobs`):
 * each replica claims due ones with a lease, so every user and project is
 * polled by exactly one replica per cycle. Leases are short and renewed while
 * a job is held, so a crashed replica's jobs come back within one lease. How
 * late jobs start is measured: when the GitLab request budget is short, cycles
 * stretch and the lag shows it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { Logger } from '../log.js';
import { claimDueJobs, finishJobs, renewLeases, type FinishOptions, type JobState, type PollJob } from '../store/poll-jobs.js';
import type { PollOutcome } from './poll-users.js';

/** A kind with nothing due is asked again after this long; one with a few due (not a whole claim), sooner. */
const REST_MS = 1000;
const TRICKLE_REST_MS = 200;
/** After a claim failed (the database is away), every kind rests this long. */
const FAILED_REST_MS = 5000;
/** New connections and subscriptions are polled within this long. */
const SYNC_EVERY_MS = 5000;
const CLAIM = 25;
/**
 * Polls under way at once. Each mostly waits for GitLab, so this many keep up with this many ÷
 * GitLab's answer time polls a second (Little's law): at 0.2 s, 160 a second, 10,000 users a minute.
 * It does not add to GitLab's load: the request budget paces the requests themselves.
 */
const CONCURRENT = 32;
/** Polls that end within this long of each other are finished in one statement. */
const FINISH_EVERY_MS = 50;
/** How long a claim holds without renewal: a replica killed mid-poll delays its jobs by at most this. */
const LEASE_SECONDS = 30;
/** Held jobs are renewed this often: a few renewals may fail (the database restarting) before a lease runs out. */
const RENEW_EVERY_MS = 10_000;

type Run = (job: PollJob<JobState>) => Promise<PollOutcome<JobState>>;

export interface PollerKind {
  kind: string;
  /** Makes jobs match what should be polled (connected users, subscriptions without webhooks). */
  sync(): Promise<void>;
  /**
   * Reads what the runs of a claimed batch need in a few queries for the whole batch, rather than a
   * few for each run, and answers how to run each of them. Without it, `run`.
   */
  prepare?(jobs: PollJob<JobState>[]): Promise<Run>;
  run: Run;
}

export interface PollerDeps {
  pool: pg.Pool;
  /** The GitLab instance whose jobs this runner claims (default `default`). */
  instance?: string;
  log: Logger;
  kinds: PollerKind[];
  /** How late a job started after it was due, and how it ended. */
  observe?(kind: string, lagSeconds: number, outcome: 'ok' | 'error'): void;
  /** Polls under way at once (default 32). */
  concurrent?: number;
  /** LEASE_SECONDS and RENEW_EVERY_MS unless given (tests shorten them). */
  leaseSeconds?: number;
  renewEveryMs?: number;
}

/**
 * Runs due jobs, `concurrent` at a time, for as long as it is not stopped: a run that ends makes
 * room for the next at once (no run waits for a slower one), the kinds are claimed from in turn (a
 * backlog of users holds no project up), a kind with nothing due rests a second (with a few due,
 * 200 ms), and runs that end at about the same time are finished together.
 */
export function startPollers(deps: PollerDeps): { stop(): Promise<void> } {
  const concurrent = deps.concurrent ?? CONCURRENT;
  const leaseSeconds = deps.leaseSeconds ?? LEASE_SECONDS;
  const restUntil = new Map<PollerKind, number>();
  const waiting: { kind: PollerKind; job: PollJob<JobState>; run: Run }[] = [];
  const underWay = new Set<Promise<void>>();
  let stopped = false;
  let lastSync = 0;
  let turn = 0;

  // The loop naps until a run ends, a kind's rest is over, or it is stopped; a wake-up while it is
  // busy is kept for its next nap.
  let wake: (() => void) | undefined;
  let woken = false;
  const nudge = () => (wake ? wake() : (woken = true));
  const nap = (ms: number) =>
    new Promise<void>((resolve) => {
      if (woken || stopped) {
        woken = false;
        return resolve();
      }
      const timer = Number.isFinite(ms) ? setTimeout(() => done(), ms) : undefined;
      const done = () => {
        clearTimeout(timer);
        wake = undefined;
        woken = false;
        resolve();
      };
      wake = done;
    });

  /** Claimed and not finished: running, or waiting for their turn. */
  const held = new Set<PollJob<JobState>>();
  let renewing: Promise<unknown> = Promise.resolve();
  const renew = () => {
    renewing = renewing.then(() =>
      renewLeases(deps.pool, [...held], leaseSeconds).catch((error: unknown) => deps.log.warn({ err: error }, 'could not renew poll leases; retrying shortly')),
    );
  };
  const renewer = setInterval(renew, deps.renewEveryMs ?? RENEW_EVERY_MS);

  const finishing: { job: PollJob<JobState>; options: FinishOptions<JobState> }[] = [];
  let flushing: Promise<void> | undefined;
  const flushAll = async () => {
    while (finishing.length > 0) {
      await sleep(FINISH_EVERY_MS);
      const runs = finishing.splice(0);
      // No renewal may move a lease between reading it and finishing with it (these are no longer held).
      await renewing;
      // A job left unfinished stays leased, and runs again once its lease runs out.
      await finishJobs(deps.pool, runs).catch((error: unknown) => deps.log.error({ err: error, jobs: runs.length }, 'could not record the end of polls'));
    }
    flushing = undefined;
  };
  const finishSoon = (run: { job: PollJob<JobState>; options: FinishOptions<JobState> }) => {
    finishing.push(run);
    flushing ??= flushAll();
  };

  const runOne = async (kind: PollerKind, job: PollJob<JobState>, run: Run) => {
    const lag = Math.max(0, (Date.now() - job.nextRunAt.getTime()) / 1000);
    const outcome = await run(job).catch((error: unknown) => ({ nextRunAt: new Date(Date.now() + 60_000), state: job.state, error: String((error as Error).message ?? error) }));
    deps.observe?.(kind.kind, lag, outcome.error ? 'error' : 'ok');
    held.delete(job);
    finishSoon({ job, options: { nextRunAt: outcome.nextRunAt, state: outcome.state, ...(outcome.error ? { error: outcome.error } : {}) } });
  };

  /** Claims a batch of the next kind in turn that is not resting; false when every kind rests. */
  const claim = async (): Promise<boolean> => {
    const now = Date.now();
    const ready = deps.kinds.filter((kind) => (restUntil.get(kind) ?? 0) <= now);
    if (ready.length === 0) return false;
    if (now - lastSync > SYNC_EVERY_MS) {
      lastSync = now;
      for (const kind of deps.kinds) await kind.sync();
    }
    const kind = ready[turn++ % ready.length]!;
    const jobs = await claimDueJobs(deps.pool, { kind: kind.kind, instance: deps.instance, limit: CLAIM, leaseSeconds });
    for (const job of jobs) held.add(job);
    // Many users come due a few at a time, all the time: they are claimed every 200 ms, not every second.
    if (jobs.length < CLAIM) restUntil.set(kind, Date.now() + (jobs.length === 0 ? REST_MS : TRICKLE_REST_MS));
    if (jobs.length === 0) return true;
    // Reading for the batch failed: each of its runs fails with that, and the jobs come round again.
    const run = kind.prepare ? await kind.prepare(jobs).catch((error: unknown): Run => () => Promise.reject(error)) : kind.run;
    waiting.push(...jobs.map((job) => ({ kind, job, run })));
    return true;
  };

  const loop = async () => {
    while (!stopped) {
      if (waiting.length < concurrent) {
        const claimed = await claim().catch((error: unknown) => {
          deps.log.error({ err: error }, 'claiming polls failed; retrying shortly');
          for (const kind of deps.kinds) restUntil.set(kind, Date.now() + FAILED_REST_MS);
          return false;
        });
        if (claimed) continue;
      }
      while (underWay.size < concurrent && waiting.length > 0) {
        const { kind, job, run } = waiting.shift()!;
        const running: Promise<void> = runOne(kind, job, run).finally(() => {
          underWay.delete(running);
          nudge();
        });
        underWay.add(running);
      }
      // With room for more, every kind rests (else it would have claimed): until the first rest is over.
      await nap(waiting.length < concurrent ? Math.max(1, Math.min(...deps.kinds.map((kind) => restUntil.get(kind) ?? 0)) - Date.now()) : Infinity);
    }
    await Promise.all(underWay);
    clearInterval(renewer);
    // Claimed but never started: their leases run out, and they are due again.
    held.clear();
    await flushing;
  };
  const looping = loop();

  return {
    async stop() {
      stopped = true;
      nudge();
      await looping;
    },
  };
}

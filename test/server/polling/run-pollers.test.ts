/**
 * The poll runner against real PostgreSQL, with kinds whose runs the test controls: every due job
 * runs once, no more than so many at once, a slow run holds no other up, a backlog of one kind holds
 * no other kind up, a claimed batch is read once, and what a run answers is what the job keeps. On
 * several replicas, a poll that outlasts its lease is never run twice at once while its replica lives
 * (the lease is renewed), and a replica that stops renewing (it died) loses its jobs to another within
 * one lease.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { startPollers, type PollerKind } from '../../../server/src/polling/run-pollers.js';
import { ensureJob, type JobState, type PollJob } from '../../../server/src/store/poll-jobs.js';
import { createMigratedDatabase, type MigratedDatabase } from '../../helpers/databases.js';
import { silentLog } from '../../helpers/silent-log.js';
import { waitFor } from '../../helpers/wait-for.js';

let database: MigratedDatabase;

const past = new Date(Date.now() - 60_000);
const later = () => new Date(Date.now() + 3_600_000);

async function due(kind: string, count: number): Promise<string[]> {
  const subjects = Array.from({ length: count }, (_, index) => `${kind}-${index}`);
  for (const subject of subjects) await ensureJob(database.pool, kind, subject, past);
  return subjects;
}

async function finished(kind: string): Promise<number> {
  const { rows } = await database.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM poll_jobs WHERE kind = $1 AND next_run_at > now() AND lease_until IS NULL', [kind]);
  return rows[0]!.n;
}

/** A kind whose runs take `ms(subject)` and record when they ran. */
function kind(name: string, ms: (subject: string) => number, log: { subject: string; start: number; end: number }[]): PollerKind {
  return {
    kind: name,
    sync: async () => undefined,
    run: async (job) => {
      const start = Date.now();
      await sleep(ms(job.subject));
      log.push({ subject: job.subject, start, end: Date.now() });
      return { nextRunAt: later(), state: { runs: ((job.state.runs as number | undefined) ?? 0) + 1 } };
    },
  };
}

describe('the poll runner', () => {
  beforeAll(async () => {
    database = await createMigratedDatabase();
  });
  afterAll(async () => {
    await database?.close();
  });
  beforeEach(async () => {
    await database.pool.query('TRUNCATE poll_jobs');
  });

  it('runs every due job once, no more than so many at once, and a slow run holds no other up', async () => {
    const subjects = await due('a', 60);
    const log: { subject: string; start: number; end: number }[] = [];
    const runner = startPollers({ pool: database.pool, log: silentLog, concurrent: 4, kinds: [kind('a', (subject) => (subject === 'a-0' ? 3000 : 20), log)] });
    try {
      await waitFor(async () => (await finished('a')) === 60, 'every job finished', 20_000);
    } finally {
      await runner.stop();
    }
    expect(log.map((run) => run.subject).sort()).toEqual([...subjects].sort());
    const atOnce = Math.max(...log.map((run) => log.filter((other) => other.start <= run.start && other.end > run.start).length));
    expect(atOnce).toBeLessThanOrEqual(4);
    // The other 59 were done while the slow one still ran.
    const slow = log.find((run) => run.subject === 'a-0')!;
    expect(log.filter((run) => run.subject !== 'a-0').every((run) => run.end < slow.end)).toBe(true);
    const { rows } = await database.pool.query<{ state: JobState; failures: number }>("SELECT state, failures FROM poll_jobs WHERE kind = 'a'");
    expect(rows.every((row) => row.state.runs === 1 && row.failures === 0)).toBe(true);
  });

  it('takes turns between kinds, so a backlog of one holds no other up', async () => {
    await due('users', 200);
    await due('projects', 1);
    const log: { subject: string; start: number; end: number }[] = [];
    const runner = startPollers({ pool: database.pool, log: silentLog, concurrent: 2, kinds: [kind('users', () => 30, log), kind('projects', () => 1, log)] });
    try {
      await waitFor(async () => (await finished('projects')) === 1, 'the project polled', 20_000);
      expect(log.filter((run) => run.subject.startsWith('users')).length).toBeLessThan(100);
    } finally {
      await runner.stop();
    }
  });

  it('reads each claimed batch once; a read that fails fails those runs, which are kept for their next turn', async () => {
    await due('b', 30);
    const batches: number[] = [];
    let failing = true;
    const readFirst: PollerKind = {
      kind: 'b',
      sync: async () => undefined,
      prepare: async (jobs: PollJob<JobState>[]) => {
        batches.push(jobs.length);
        if (failing) throw new Error('the database went away');
        return async () => ({ nextRunAt: later(), state: { read: true } });
      },
      run: async () => {
        throw new Error('each run is prepared');
      },
    };
    let runner = startPollers({ pool: database.pool, log: silentLog, kinds: [readFirst] });
    try {
      await waitFor(async () => (await finished('b')) === 30, 'every job through once', 20_000);
    } finally {
      await runner.stop();
    }
    expect(batches).toEqual([25, 5]);
    const { rows: failed } = await database.pool.query<{ last_error: string; failures: number }>("SELECT last_error, failures FROM poll_jobs WHERE kind = 'b'");
    expect(failed.every((row) => row.last_error === 'the database went away' && row.failures === 1)).toBe(true);

    failing = false;
    batches.length = 0;
    await database.pool.query("UPDATE poll_jobs SET next_run_at = now() - interval '1 second' WHERE kind = 'b'");
    runner = startPollers({ pool: database.pool, log: silentLog, kinds: [readFirst] });
    try {
      await waitFor(async () => (await finished('b')) === 30, 'every job through again', 20_000);
    } finally {
      await runner.stop();
    }
    expect(batches).toEqual([25, 5]);
    const { rows } = await database.pool.query<{ state: JobState; last_error: string | null; failures: number }>("SELECT state, last_error, failures FROM poll_jobs WHERE kind = 'b'");
    expect(rows.every((row) => row.state.read === true && row.last_error === null && row.failures === 0)).toBe(true);
  });

  it('finishes what is under way when stopped', async () => {
    await due('c', 3);
    const log: { subject: string; start: number; end: number }[] = [];
    const runner = startPollers({ pool: database.pool, log: silentLog, kinds: [kind('c', () => 300, log)] });
    await waitFor(async () => (await database.pool.query("SELECT 1 FROM poll_jobs WHERE kind = 'c' AND lease_until IS NOT NULL")).rows.length === 3, 'the jobs claimed');
    await runner.stop();
    expect(log.length).toBe(3);
    expect(await finished('c')).toBe(3);
  });
});

/** A kind whose every run of 'alice' takes `runMs`, recording which runner ran it and when. */
function slowKind(database: MigratedDatabase, runner: string, runs: { runner: string; from: number; to: number }[], runMs: number): PollerKind {
  return {
    kind: 'user',
    sync: async () => void (await ensureJob(database.pool, 'user', 'alice', new Date(0))),
    async run(job) {
      const from = Date.now();
      await sleep(runMs);
      runs.push({ runner, from, to: Date.now() });
      return { nextRunAt: new Date(), state: job.state };
    },
  };
}

const overlapping = (runs: { from: number; to: number }[]) => runs.some((a, i) => runs.some((b, j) => i !== j && a.from < b.to && b.from < a.to));

describe('polling runners on several replicas', () => {
  let database: MigratedDatabase;
  beforeEach(async () => {
    database = await createMigratedDatabase();
  });
  afterEach(() => database.close());

  it('never polls a user twice at once, even when a poll outlasts its lease', async () => {
    const runs: { runner: string; from: number; to: number }[] = [];
    const runners = ['a', 'b'].map((name) =>
      startPollers({ pool: database.pool, log: silentLog, kinds: [slowKind(database, name, runs, 2500)], leaseSeconds: 1, renewEveryMs: 250 }),
    );
    await sleep(6000);
    await Promise.all(runners.map((runner) => runner.stop()));
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(overlapping(runs)).toBe(false);
  });

  it('hands the jobs of a replica that stopped renewing (as a dead one does) to another within one lease', async () => {
    const runs: { runner: string; from: number; to: number }[] = [];
    // 'stuck' claims alice first and never renews; 'alive' takes her over once the 1 s lease is out.
    const stuck = startPollers({ pool: database.pool, log: silentLog, kinds: [slowKind(database, 'stuck', runs, 4000)], leaseSeconds: 1, renewEveryMs: 60_000 });
    await sleep(300);
    const alive = startPollers({ pool: database.pool, log: silentLog, kinds: [slowKind(database, 'alive', runs, 100)], leaseSeconds: 1, renewEveryMs: 250 });
    await sleep(3000);
    await Promise.all([stuck.stop(), alive.stop()]);
    const takenOver = runs.filter((run) => run.runner === 'alive');
    const stuckRun = runs.find((run) => run.runner === 'stuck');
    expect(takenOver.length).toBeGreaterThan(0);
    // Taken over while the stuck holder still had it, a little over one lease after it claimed.
    expect(takenOver[0]!.from).toBeLessThan(stuckRun!.to);
    expect(takenOver[0]!.from - stuckRun!.from).toBeLessThan(2500);
  });
});

/**
 * Poll jobs against real PostgreSQL: each due job goes to exactly one replica,
 * leases expire, and a finished job waits for its next run.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import { migrate } from '../../../server/src/store/migrate.js';
import {
  claimDueJobs,
  ensureJob,
  finishJob,
  finishJobs,
  jobFreshness,
  jobState,
  removeJobs,
  renewLeases,
  rescheduleJob,
} from '../../../server/src/store/poll-jobs.js';
import { createTestDatabase, openPool, testServers, type TestDatabase } from '../../helpers/databases.js';
import { silentLog } from '../../helpers/silent-log.js';

const T = new Date('2030-01-01T12:00:00Z');
const after = (seconds: number): Date => new Date(T.getTime() + seconds * 1000);
const claimAt = (db: pg.Pool, seconds: number, limit = 10) => claimDueJobs(db, { kind: 'user_work', limit, leaseSeconds: 60, at: after(seconds) });

describe.each(testServers())('poll jobs on $label', (server) => {
  let database: TestDatabase;
  let pool: pg.Pool;

  beforeEach(async () => {
    database = await createTestDatabase(server);
    pool = openPool(database.url);
    await migrate(pool, silentLog);
  });
  afterEach(async () => {
    await pool.end();
    await database.drop();
  });

  it('creates a job once: ensuring it again never moves its schedule', async () => {
    expect(await ensureJob(pool, 'user_work', 'alice', after(0))).toBe(true);
    expect(await ensureJob(pool, 'user_work', 'alice', after(600))).toBe(false);

    const claimed = await claimAt(pool, 1);
    expect(claimed.map((job) => [job.subject, job.nextRunAt])).toEqual([['alice', after(0)]]);
  });

  it('hands out only due jobs of the kind asked for, most overdue first, up to the limit', async () => {
    await ensureJob(pool, 'user_work', 'late', after(-30));
    await ensureJob(pool, 'user_work', 'later', after(-60));
    await ensureJob(pool, 'user_work', 'on-time', after(0));
    await ensureJob(pool, 'user_work', 'future', after(30));
    await ensureJob(pool, 'project_events', 'other-kind', after(-90));

    expect((await claimAt(pool, 0, 2)).map((job) => job.subject)).toEqual(['later', 'late']);
    expect((await claimAt(pool, 0)).map((job) => job.subject)).toEqual(['on-time']);
    expect(await claimAt(pool, 0)).toEqual([]);
  });

  it('never gives the same job to two replicas claiming at the same moment', async () => {
    const subjects = Array.from({ length: 60 }, (_, index) => `user-${index}`);
    for (const subject of subjects) await ensureJob(pool, 'user_work', subject, after(-1));
    const other = openPool(database.url);
    try {
      const replicas = [pool, other];
      const claims = await Promise.all(Array.from({ length: 16 }, (_, index) => claimAt(replicas[index % 2]!, 0, 5)));
      const leftovers = await claimAt(pool, 0, 100);

      const handedOut = [...claims.flat(), ...leftovers].map((job) => job.subject);
      expect(handedOut).toHaveLength(subjects.length);
      expect(new Set(handedOut)).toEqual(new Set(subjects));
    } finally {
      await other.end();
    }
  });

  it('does not hand out a leased job again until its lease runs out, and then the old holder cannot finish it', async () => {
    await ensureJob(pool, 'user_work', 'alice', after(0));
    const [first] = await claimAt(pool, 0);
    expect(first?.leaseUntil).toEqual(after(60));

    expect(await claimAt(pool, 59)).toEqual([]);

    // The first replica died (or hung) mid-poll: another takes over.
    const [second] = await claimAt(pool, 61);
    expect(second?.subject).toBe('alice');
    expect(await finishJob(pool, first!, { nextRunAt: after(120), state: { cursor: 'stale' } })).toBe(false);
    expect(await finishJob(pool, second!, { nextRunAt: after(180), state: { cursor: 'fresh' } })).toBe(true);
    expect(await jobState(pool, 'user_work', 'alice')).toEqual({ cursor: 'fresh' });
  });

  it('renews the leases of jobs still held, so only a holder that stopped renewing loses them', async () => {
    await ensureJob(pool, 'user_work', 'alice', after(0));
    await ensureJob(pool, 'user_work', 'bob', after(0));
    const [alice, bob] = await claimAt(pool, 0);
    expect(alice?.leaseUntil).toEqual(after(60));

    // The holder renews Alice (still polling her) at 50 s; Bob's holder died and renews nothing.
    expect(await renewLeases(pool, [alice!], 60, after(50))).toBe(1);
    expect(alice?.leaseUntil).toEqual(after(110));
    expect((await claimAt(pool, 61)).map((job) => job.subject)).toEqual(['bob']);
    expect(await finishJob(pool, alice!, { nextRunAt: after(300), state: { cursor: 'renewed' } })).toBe(true);
    expect(await jobState(pool, 'user_work', 'alice')).toEqual({ cursor: 'renewed' });

    // A lease that ran out and went to someone else is not taken back by a late renewal.
    expect(await renewLeases(pool, [bob!], 60, after(62))).toBe(0);
    expect(bob?.leaseUntil).toEqual(after(60));
    expect(await renewLeases(pool, [], 60)).toBe(0);
  });

  it('moves a finished job to its next run and keeps the state it stored', async () => {
    await ensureJob(pool, 'user_work', 'alice', after(0));
    const [job] = await claimAt(pool, 0);
    expect(job?.state).toEqual({});
    expect(await finishJob(pool, job!, { nextRunAt: after(60), state: { lastEventId: 41 } })).toBe(true);

    // Released, but not due before its next run, even though the lease would have run out.
    expect(await claimAt(pool, 30)).toEqual([]);
    const [again] = await claimAt(pool, 60);
    expect(again?.state).toEqual({ lastEventId: 41 });
    expect(again?.nextRunAt).toEqual(after(60));
  });

  it('keeps a run asked for while the job was running when it is sooner than the one its finish sets', async () => {
    for (const subject of ['asked-sooner', 'asked-later', 'not-asked']) await ensureJob(pool, 'user_work', subject, after(0));
    const claimed = await claimAt(pool, 0);
    // What pollUsersSoon does to a leased job: its next run moves past the moment it was claimed.
    await pool.query("UPDATE poll_jobs SET next_run_at = $1 WHERE subject = 'asked-sooner'", [after(5)]);
    await pool.query("UPDATE poll_jobs SET next_run_at = $1 WHERE subject = 'asked-later'", [after(90)]);
    for (const job of claimed) expect(await finishJob(pool, job, { nextRunAt: after(60) })).toBe(true);

    expect((await claimAt(pool, 5)).map((job) => job.subject)).toEqual(['asked-sooner']);
    expect((await claimAt(pool, 60)).map((job) => job.subject).sort()).toEqual(['asked-later', 'not-asked']);
  });

  it('finishes several jobs in one statement, each with its own outcome, except one whose lease was lost', async () => {
    for (const subject of ['alice', 'bob', 'carol']) await ensureJob(pool, 'user_work', subject, after(0));
    const claimed = await claimAt(pool, 0);
    const [alice, bob, carol] = ['alice', 'bob', 'carol'].map((subject) => claimed.find((job) => job.subject === subject)!);
    // Carol's lease ran out and another replica has her now.
    await pool.query("UPDATE poll_jobs SET lease_until = $1 WHERE subject = 'carol'", [after(500)]);

    const answers = await finishJobs(pool, [
      { job: alice!, options: { nextRunAt: after(60), state: { note: 'quote " and backslash \\ kept' } } },
      { job: bob!, options: { nextRunAt: after(90), error: 'GitLab answered 502' } },
      { job: carol!, options: { nextRunAt: after(30), state: { stale: true } } },
    ]);
    expect(answers).toEqual([true, true, false]);
    expect(await jobState(pool, 'user_work', 'alice')).toEqual({ note: 'quote " and backslash \\ kept' });
    const fresh = await jobFreshness(pool, 'user_work', ['alice', 'bob', 'carol']);
    expect(fresh.get('alice')).toMatchObject({ lastError: null, failures: 0 });
    expect(fresh.get('bob')).toMatchObject({ lastError: 'GitLab answered 502', failures: 1, lastSuccessAt: null });
    expect(fresh.get('carol')?.state).toEqual({});
    expect((await claimAt(pool, 60)).map((job) => job.subject)).toEqual(['alice']);
    expect(await finishJobs(pool, [])).toEqual([]);
  });

  it('records failures in a row and clears them on the next success', async () => {
    await ensureJob(pool, 'user_work', 'alice', after(0));
    await ensureJob(pool, 'user_work', 'bob', after(0));

    const claimed = await claimAt(pool, 0);
    const alice = claimed.find((job) => job.subject === 'alice');
    const bob = claimed.find((job) => job.subject === 'bob');
    await finishJob(pool, alice!, { nextRunAt: after(10), error: 'GitLab answered 500' });
    await finishJob(pool, bob!, { nextRunAt: after(10), state: { seen: 1 } });
    const [aliceAgain] = await claimAt(pool, 10);
    await finishJob(pool, aliceAgain!, { nextRunAt: after(20), error: 'GitLab answered 502' });

    let fresh = await jobFreshness(pool, 'user_work', ['alice', 'bob', 'nobody']);
    expect(fresh.get('alice')).toMatchObject({ lastSuccessAt: null, lastError: 'GitLab answered 502', failures: 2 });
    expect(fresh.get('bob')).toMatchObject({ lastError: null, failures: 0 });
    expect(fresh.get('bob')?.lastSuccessAt).toBeInstanceOf(Date);
    expect(fresh.has('nobody')).toBe(false);

    const [aliceRecovered] = (await claimAt(pool, 20)).filter((job) => job.subject === 'alice');
    await finishJob(pool, aliceRecovered!, { nextRunAt: after(30) });
    fresh = await jobFreshness(pool, 'user_work', ['alice']);
    expect(fresh.get('alice')).toMatchObject({ lastError: null, failures: 0 });
    expect(fresh.get('alice')?.lastSuccessAt).toBeInstanceOf(Date);
  });

  it('brings a job forward, never back', async () => {
    await ensureJob(pool, 'user_work', 'alice', after(600));
    expect(await rescheduleJob(pool, 'user_work', 'alice', after(5))).toBe(true);
    expect(await rescheduleJob(pool, 'user_work', 'alice', after(900))).toBe(true);
    expect(await claimAt(pool, 4)).toEqual([]);
    expect((await claimAt(pool, 5)).map((job) => job.subject)).toEqual(['alice']);
    expect(await rescheduleJob(pool, 'user_work', 'nobody', after(5))).toBe(false);
  });

  it('removes the jobs of subjects no longer polled, and only of that kind', async () => {
    for (const subject of ['alice', 'bob', 'carol']) await ensureJob(pool, 'user_work', subject, after(0));
    await ensureJob(pool, 'project_events', 'bob', after(0));

    expect(await removeJobs(pool, 'user_work', ['alice', 'carol'])).toBe(1);
    expect(await jobState(pool, 'user_work', 'bob')).toBeNull();
    expect(await jobState(pool, 'project_events', 'bob')).toEqual({});
    expect((await claimAt(pool, 0)).map((job) => job.subject).sort()).toEqual(['alice', 'carol']);

    expect(await removeJobs(pool, 'user_work', [])).toBe(2);
  });
});

/**
 * Polling runners on several replicas: a poll that outlasts its lease is never run twice at once
 * while its replica lives (the lease is renewed), and a replica that stops renewing (it died) loses
 * its jobs to another within one lease.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { startPollers, type PollerKind } from '../../../server/src/polling/run-pollers.js';
import { ensureJob } from '../../../server/src/store/poll-jobs.js';
import { createMigratedDatabase, type MigratedDatabase } from '../../helpers/databases.js';
import { silentLog } from '../../helpers/silent-log.js';

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

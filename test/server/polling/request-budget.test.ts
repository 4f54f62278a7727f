/**
 * The shared GitLab request budget against real PostgreSQL, with two pools
 * standing for two replicas and a clock the test moves.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import { createRequestBudget, type RequestBudget } from '../../../server/src/polling/request-budget.js';
import { migrate } from '../../../server/src/store/migrate.js';
import { createTestDatabase, openPool, testServers, type TestDatabase } from '../../helpers/databases.js';
import { silentLog } from '../../helpers/silent-log.js';

const T = Date.parse('2030-01-01T12:00:00.250Z');

describe.each(testServers())('GitLab request budget on $label', (server) => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let otherPool: pg.Pool;
  let clock: number;
  const now = () => clock;
  /** One budget per "replica", each on its own pool, reading the same clock. */
  const replicas = (perMinute: number): [RequestBudget, RequestBudget] => [
    createRequestBudget(pool, { perMinute, now }),
    createRequestBudget(otherPool, { perMinute, now }),
  ];

  beforeEach(async () => {
    database = await createTestDatabase(server);
    pool = openPool(database.url);
    otherPool = openPool(database.url);
    await migrate(pool, silentLog);
    clock = T;
  });
  afterEach(async () => {
    await Promise.all([pool.end(), otherPool.end()]);
    await database.drop();
  });

  it('grants no more than perMinute among replicas taking at the same moment', async () => {
    const [a, b] = replicas(10);
    const answers = await Promise.all(Array.from({ length: 30 }, (_, index) => (index % 2 ? a : b).take()));
    expect(answers.filter((answer) => answer.granted)).toHaveLength(10);
    for (const answer of answers) if (!answer.granted) expect(answer.retryInMs).toBeGreaterThan(0);
  });

  it('never grants more than perMinute in any 60 seconds while time passes', async () => {
    const [a, b] = replicas(5);
    const granted: number[] = [];
    // Irregular steps, so grants land early and late in their seconds.
    const steps = [130, 870, 990, 10, 2300, 640, 7100, 450];
    for (let index = 0; clock < T + 5 * 60_000; index += 1) {
      const answer = await (index % 2 ? a : b).take();
      if (answer.granted) granted.push(clock);
      clock += steps[index % steps.length]!;
    }
    for (const at of granted) {
      expect(granted.filter((other) => other > at - 60_000 && other <= at).length).toBeLessThanOrEqual(5);
    }
    // And it keeps granting as the window slides: about five a minute over five minutes.
    expect(granted.length).toBeGreaterThanOrEqual(20);
  });

  it('counts a request made at the end of a second against one made less than a minute later', async () => {
    const [a, b] = replicas(1);
    clock = Date.parse('2030-01-01T12:00:00.999Z');
    expect(await a.take()).toEqual({ granted: true });
    clock = Date.parse('2030-01-01T12:01:00.000Z');
    expect((await b.take()).granted).toBe(false);
    clock = Date.parse('2030-01-01T12:01:01.000Z');
    expect(await b.take()).toEqual({ granted: true });
  });

  it('says when enough of the window will have passed, and grants again then', async () => {
    const [a, b] = replicas(3);
    for (let i = 0; i < 3; i += 1) expect(await a.take()).toEqual({ granted: true });
    clock += 20_000;
    const refused = await b.take();
    expect(refused.granted).toBe(false);
    const retryInMs = refused.granted ? 0 : refused.retryInMs;
    expect(retryInMs).toBeGreaterThan(0);
    expect(retryInMs).toBeLessThanOrEqual(61_000 - 20_000);

    clock += retryInMs - 1;
    expect((await b.take()).granted).toBe(false);
    clock += 1;
    expect(await b.take()).toEqual({ granted: true });
  });

  it('takes several requests at once only when all of them fit', async () => {
    const [a] = replicas(5);
    expect(await a.take(4)).toEqual({ granted: true });
    expect((await a.take(2)).granted).toBe(false);
    expect(await a.take(1)).toEqual({ granted: true });
    await expect(a.take(6)).rejects.toThrow(/cannot take 6 requests from a budget of 5/);
  });

  it("stops every replica while GitLab's pause for everyone lasts", async () => {
    const [a, b] = replicas(100);
    await a.pause(new Date(T + 30_000), 'GitLab answered 429');

    expect(await b.pausedUntil()).toEqual(new Date(T + 30_000));
    expect(await b.take()).toEqual({ granted: false, retryInMs: 30_000 });
    clock = T + 29_999;
    expect((await a.take()).granted).toBe(false);

    // A shorter pause told later does not cut the longer one short.
    await b.pause(new Date(T + 10_000), 'GitLab has 3 of 2000 requests left');
    expect(await a.pausedUntil()).toEqual(new Date(T + 30_000));

    clock = T + 30_000;
    expect(await a.pausedUntil()).toBeNull();
    expect(await b.take()).toEqual({ granted: true });
  });

  it("pauses one caller on every replica while the others, and callers not named, go on", async () => {
    const [a, b] = replicas(100);
    expect(await a.pauseCaller('sha256:x', new Date(T + 30_000), 'GitLab answered 429')).toBe('caller');

    expect(await b.take(1, 'sha256:x')).toEqual({ granted: false, retryInMs: 30_000, callerPausedUntil: new Date(T + 30_000) });
    expect(await b.take(1, 'sha256:y')).toEqual({ granted: true });
    expect(await b.take()).toEqual({ granted: true });
    expect(await b.pausedUntil()).toBeNull();
    expect(await b.callerPausedUntil('sha256:x')).toEqual(new Date(T + 30_000));

    // A shorter pause told later does not cut the longer one short.
    await b.pauseCaller('sha256:x', new Date(T + 5_000), 'GitLab has 3 of 2000 requests left');
    expect(await a.callerPausedUntil('sha256:x')).toEqual(new Date(T + 30_000));

    clock = T + 30_000;
    expect(await a.take(1, 'sha256:x')).toEqual({ granted: true });
  });

  it('pauses everyone, for at most a minute, when three callers are refused within a minute', async () => {
    const [a, b] = replicas(100);
    const long = new Date(T + 10 * 60_000);
    expect(await a.pauseCaller('sha256:x', long, 'GitLab answered 429 to GET /a')).toBe('caller');
    clock = T + 20_000;
    expect(await b.pauseCaller('sha256:y', long, 'GitLab answered 429 to GET /b')).toBe('caller');
    expect(await a.pausedUntil()).toBeNull();
    clock = T + 40_000;
    expect(await a.pauseCaller('sha256:z', long, 'GitLab answered 429 to GET /c')).toBe('everyone');

    expect(await b.pausedUntil()).toEqual(new Date(T + 40_000 + 60_000));
    expect((await b.take(1, 'sha256:other')).granted).toBe(false);
    const { rows } = await pool.query<{ reason: string }>('SELECT reason FROM gitlab_rate_pause');
    expect(rows[0]!.reason).toMatch(/3 GitLab users refused within a minute/);
    // The refused callers keep their own, longer pause.
    clock = T + 40_000 + 60_000;
    expect(await a.take(1, 'sha256:other')).toEqual({ granted: true });
    expect((await a.take(1, 'sha256:x')).granted).toBe(false);
  });

  it('does not pause everyone for callers refused more than a minute apart, nor for one caller refused again and again', async () => {
    const [a] = replicas(100);
    const until = () => new Date(clock + 5_000);
    for (let i = 0; i < 5; i += 1) {
      expect(await a.pauseCaller('sha256:x', until(), 'GitLab answered 429')).toBe('caller');
      clock += 1_000;
    }
    clock = T + 61_000;
    expect(await a.pauseCaller('sha256:y', until(), 'GitLab answered 429')).toBe('caller');
    clock = T + 125_000;
    expect(await a.pauseCaller('sha256:z', until(), 'GitLab answered 429')).toBe('caller');
    expect(await a.pausedUntil()).toBeNull();
  });

  it('forgets caller pauses that are over and no longer count', async () => {
    const [a] = replicas(100);
    await a.pauseCaller('sha256:x', new Date(T + 5_000), 'GitLab answered 429');
    clock = T + 2 * 60_000;
    await a.pauseCaller('sha256:y', new Date(clock + 5_000), 'GitLab answered 429');
    await a.take(1, 'sha256:z');
    const { rows } = await pool.query<{ caller: string }>('SELECT caller FROM gitlab_caller_rate_pause');
    expect(rows.map((row) => row.caller)).toEqual(['sha256:y']);
  });

  it('forgets requests that have left the window', async () => {
    const [a] = replicas(10);
    await a.take();
    clock += 2 * 60_000;
    await a.take();
    const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM gitlab_request_budget');
    expect(rows[0]!.n).toBe(1);
  });

  it('refuses a budget below one request a minute', () => {
    expect(() => createRequestBudget(pool, { perMinute: 0 })).toThrow(/at least 1/);
  });
});

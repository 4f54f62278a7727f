/**
 * Retention against real PostgreSQL: finished work older than its setting is
 * gone after a pruning run, while anything still to be done, anything recent,
 * and the threads of open MRs and issues stay; and two replicas never prune at
 * the same time.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import type { RetentionSettings } from '../../../server/src/config.js';
import { startPruning, type PruningDeps } from '../../../server/src/jobs/run-pruning.js';
import { migrate } from '../../../server/src/store/migrate.js';
import { createSessionLocks, type SessionLocks } from '../../../server/src/store/session-locks.js';
import type { Queryable } from '../../../server/src/store/queryable.js';
import { createTestDatabase, openPool, testServers, type TestDatabase } from '../../helpers/databases.js';
import { silentLog } from '../../helpers/silent-log.js';

const DAY = 86_400;
/** The defaults: 7 days, 30 days, a year, a year. */
const RETENTION: RetentionSettings = { webhookDedupeSeconds: 7 * DAY, deliverySeconds: 30 * DAY, idleThreadSeconds: 365 * DAY, auditSeconds: 365 * DAY, pruneIntervalSeconds: 3600 };
const NEVER = 3_600_000;

describe.each(testServers())('retention on $label', (server) => {
  let database: TestDatabase;
  let pool: pg.Pool;
  const sessions: SessionLocks[] = [];
  const lockSession = () => {
    const locks = createSessionLocks(database.url, silentLog);
    sessions.push(locks);
    return locks;
  };
  const pruner = (overrides: Partial<PruningDeps> & { options?: PruningDeps['options'] } = {}) =>
    startPruning({
      db: pool,
      locks: lockSession(),
      retention: RETENTION,
      log: silentLog,
      count: () => undefined,
      ...overrides,
      options: { firstRunMs: NEVER, pauseMs: 0, ...overrides.options },
    });
  const count = async (table: string, where = 'true'): Promise<number> => Number((await pool.query(`SELECT count(*) AS n FROM ${table} WHERE ${where}`)).rows[0].n);

  beforeEach(async () => {
    database = await createTestDatabase(server);
    pool = openPool(database.url);
    await migrate(pool, silentLog);
  });
  afterEach(async () => {
    await Promise.all(sessions.splice(0).map((locks) => locks.close()));
    await pool.end();
    await database.drop();
  });

  /** A delivery received `days` ago, processed or still waiting. */
  const delivery = (key: string, days: number, processed: boolean) =>
    pool.query(
      `INSERT INTO webhook_deliveries (dedupe_key, event, payload, received_at, processed_at)
       VALUES ($1, 'Issue Hook', '{}', now() - $2 * interval '1 day', CASE WHEN $3 THEN now() - $2 * interval '1 day' END)`,
      [key, days, processed],
    );
  const post = (key: string, days: number, state: string) =>
    pool.query(`INSERT INTO channel_outbox (event_key, channel_id, message, state, created_at) VALUES ($1, 'c1', 'm', $3, now() - $2 * interval '1 day')`, [key, days, state]);
  const directMessage = (key: string, days: number, state: string) =>
    pool.query(`INSERT INTO direct_outbox (mattermost_user_id, notification_key, kind, message, state, created_at) VALUES ('u1', $1, 'review', 'm', $3, now() - $2 * interval '1 day')`, [
      key,
      days,
      state,
    ]);
  /** An MR last heard of `days` ago, with a channel thread, a DM thread and a participant. */
  const mergeRequest = async (key: string, days: number, state: 'opened' | 'closed' | 'merged') => {
    await pool.query(`INSERT INTO tracked_objects (object_key, state, updated_at) VALUES ($1, $2, now() - $3 * interval '1 day')`, [
      key,
      JSON.stringify({ type: 'merge_request', state, draft: false, approvedBy: [], approved: false, pipeline: null }),
      days,
    ]);
    await pool.query(`INSERT INTO channel_threads (channel_id, thread_key, root_post_id, root_message, updated_at) VALUES ('c1', $1, 'p1', 'root', now() - $2 * interval '1 day')`, [key, days]);
    await pool.query(`INSERT INTO direct_threads (mattermost_user_id, thread_key, root_post_id, created_at) VALUES ('u1', $1, 'p2', now() - $2 * interval '1 day')`, [key, days]);
    await pool.query(`INSERT INTO thread_participants (thread_key, gitlab_user_id, role, seen_at) VALUES ($1, 7, 'commenter', now() - $2 * interval '1 day')`, [key, days]);
  };
  const keys = async (table: string, column: string): Promise<string[]> =>
    (await pool.query(`SELECT ${column} AS k FROM ${table} ORDER BY 1`)).rows.map((row: { k: unknown }) => String(row.k));

  it('forgets finished work past its retention and keeps what is pending, recent, or still open', async () => {
    await delivery('old-processed', 8, true);
    await delivery('old-waiting', 8, false);
    await delivery('recent-processed', 6, true);
    await post('old-sent', 31, 'sent');
    await post('old-failed', 31, 'failed');
    await post('old-pending', 31, 'pending');
    await post('recent-sent', 29, 'sent');
    await directMessage('old-sent', 31, 'sent');
    await directMessage('old-skipped', 31, 'skipped');
    await directMessage('old-pending', 31, 'pending');
    await directMessage('recent-sent', 29, 'sent');
    await mergeRequest('1:merge_request:1', 31, 'merged');
    await mergeRequest('1:merge_request:2', 31, 'opened');
    await mergeRequest('1:merge_request:3', 29, 'closed');
    await mergeRequest('1:merge_request:4', 366, 'opened');
    // Merged long ago, but a post about it still waits (Mattermost was down): it must land in its thread.
    await mergeRequest('1:merge_request:5', 31, 'merged');
    await pool.query(`INSERT INTO channel_outbox (event_key, channel_id, message, thread_key, created_at) VALUES ('late', 'c1', 'm', '1:merge_request:5', now() - interval '29 days')`);
    await mergeRequest('1:merge_request:6', 31, 'merged');
    await pool.query(`INSERT INTO direct_outbox (mattermost_user_id, notification_key, kind, message, thread_key) VALUES ('u1', 'late', 'review', 'm', '1:merge_request:6')`);
    // DMs only (no channel follows project 2): forgotten once idle for a year.
    await pool.query(`INSERT INTO thread_participants (thread_key, gitlab_user_id, role, seen_at) VALUES ('2:issue:1', 7, 'commenter', now() - interval '366 days'), ('2:issue:2', 7, 'commenter', now() - interval '31 days')`);
    await pool.query(`INSERT INTO ref_pipelines (project_key, ref, pipeline_id, status, updated_at) VALUES ('1', 'gone', 1, 'success', now() - interval '366 days'), ('1', 'main', 2, 'failed', now() - interval '31 days')`);
    await pool.query(`INSERT INTO gitlab_access_cache (gitlab_user_id, probe, visible, checked_at) VALUES (1, 'project:1', true, now() - interval '2 hours'), (1, 'project:2', true, now())`);
    await pool.query(`INSERT INTO audit_log (actor, action, target, at) VALUES ('a', 'old', 't', now() - interval '366 days'), ('a', 'recent', 't', now() - interval '364 days')`);
    await pool.query(`INSERT INTO connect_links (link_hash, mattermost_user_id, expires_at) VALUES ('expired', 'u1', now() - interval '1 second'), ('live', 'u1', now() + interval '10 minutes')`);
    await pool.query(
      `INSERT INTO oauth_states (state_hash, mattermost_user_id, key_id, code_verifier, expires_at) VALUES ('expired', 'u1', 'k', '\\x00', now() - interval '1 second'), ('live', 'u1', 'k', '\\x00', now() + interval '10 minutes')`,
    );

    // Button presses are remembered for a day (pressing twice does one thing), answered or still at work.
    await pool.query(
      `INSERT INTO action_presses (press_key, answer, pressed_at) VALUES ('old', 'Merged.', now() - interval '25 hours'), ('old-unanswered', NULL, now() - interval '25 hours'), ('recent', 'Approved.', now() - interval '23 hours')`,
    );

    const counted: Record<string, number> = {};
    // Batches of 1: every step has to go round its loop.
    const run = await pruner({ count: (table, rows) => (counted[table] = (counted[table] ?? 0) + rows), options: { batchRows: 1 } }).runOnce();

    expect(await keys('webhook_deliveries', 'dedupe_key')).toEqual(['old-waiting', 'recent-processed']);
    expect(await keys('channel_outbox', 'event_key')).toEqual(['late', 'old-pending', 'recent-sent']);
    expect(await keys('direct_outbox', 'notification_key')).toEqual(['late', 'old-pending', 'recent-sent']);
    const kept = ['1:merge_request:2', '1:merge_request:3', '1:merge_request:5', '1:merge_request:6'];
    expect(await keys('tracked_objects', 'object_key')).toEqual(kept);
    expect(await keys('channel_threads', 'thread_key')).toEqual(kept);
    expect(await keys('direct_threads', 'thread_key')).toEqual(kept);
    expect(await keys('thread_participants', 'thread_key')).toEqual([...kept, '2:issue:2']);
    expect(await keys('ref_pipelines', 'ref')).toEqual(['main']);
    expect(await keys('gitlab_access_cache', 'probe')).toEqual(['project:2']);
    expect(await keys('audit_log', 'action')).toEqual(['recent']);
    expect(await keys('connect_links', 'link_hash')).toEqual(['live']);
    expect(await keys('oauth_states', 'state_hash')).toEqual(['live']);
    expect(await keys('action_presses', 'press_key')).toEqual(['recent']);

    const expected = {
      webhook_deliveries: 1,
      channel_outbox: 2,
      direct_outbox: 2,
      tracked_objects: 2,
      channel_threads: 2,
      direct_threads: 2,
      thread_participants: 3,
      ref_pipelines: 1,
      gitlab_access_cache: 1,
      audit_log: 1,
      connect_links: 1,
      oauth_states: 1,
      action_presses: 2,
    };
    expect(run).toEqual({ ran: true, pruned: expected });
    expect(counted).toEqual(expected);
  });

  it("keeps an untracked thread's root while a post or DM still to be sent threads under it", async () => {
    // Project 2 is followed by DMs only (no tracked_objects rows); every thread idle for over a year.
    for (const [key, user] of [['2:issue:1', 'u1'], ['2:issue:2', 'u1'], ['2:issue:3', 'u2']]) {
      await pool.query(`INSERT INTO direct_threads (mattermost_user_id, thread_key, root_post_id, created_at) VALUES ($1, $2, 'p', now() - interval '366 days')`, [user, key]);
      await pool.query(`INSERT INTO channel_threads (channel_id, thread_key, root_post_id, root_message, updated_at) VALUES ('c1', $1, 'p', 'root', now() - interval '366 days')`, [key]);
    }
    // Queued while Mattermost was down: the DM to u1 about issue 1, a post in c1 about issue 2.
    await pool.query(`INSERT INTO direct_outbox (mattermost_user_id, notification_key, kind, message, thread_key) VALUES ('u1', 'late-dm', 'review', 'm', '2:issue:1')`);
    await pool.query(`INSERT INTO channel_outbox (event_key, channel_id, message, thread_key) VALUES ('late-post', 'c1', 'm', '2:issue:2')`);
    // Pending elsewhere (another person, another channel), or finished: no reason to keep these roots.
    await pool.query(`INSERT INTO direct_outbox (mattermost_user_id, notification_key, kind, message, thread_key) VALUES ('u3', 'other-dm', 'review', 'm', '2:issue:3')`);
    await pool.query(`INSERT INTO channel_outbox (event_key, channel_id, message, thread_key) VALUES ('other-post', 'c2', 'm', '2:issue:3')`);
    await pool.query(`INSERT INTO direct_outbox (mattermost_user_id, notification_key, kind, message, thread_key, state) VALUES ('u1', 'sent-dm', 'review', 'm', '2:issue:2', 'sent')`);

    await pruner({ options: { batchRows: 1 } }).runOnce();

    expect(await keys('direct_threads', 'thread_key')).toEqual(['2:issue:1']);
    expect(await keys('channel_threads', 'thread_key')).toEqual(['2:issue:2']);
  });

  it('measures retention as configured, down to seconds, and caps the access cache at its newest rows', async () => {
    await delivery('two-minutes-old', 120 / DAY, true);
    await delivery('just-now', 0, true);
    await pool.query(
      `INSERT INTO gitlab_access_cache (gitlab_user_id, probe, visible, checked_at) VALUES (1, 'a', true, now() - interval '3 minutes'), (1, 'b', false, now() - interval '2 minutes'), (1, 'c', true, now() - interval '1 minute')`,
    );
    await pruner({ retention: { ...RETENTION, webhookDedupeSeconds: 60 }, options: { accessCacheMaxRows: 2 } }).runOnce();
    expect(await keys('webhook_deliveries', 'dedupe_key')).toEqual(['just-now']);
    expect(await keys('gitlab_access_cache', 'probe')).toEqual(['b', 'c']);
  });

  it('forgets why deliveries were (not) posted with the posts, but keeps the newest 20 of every project', async () => {
    const explanation = (id: number, path: string, days: number, instance = 'default') =>
      pool.query(
        `INSERT INTO delivery_explanations (delivery_id, instance, path, received_at, source, kind, action, open_to_all, confidential, verdicts)
         VALUES ($1, $4, $2, now() - $3 * interval '1 day', 'webhook', 'issue', 'opened', true, false, '[]')`,
        [id, path, days, instance],
      );
    for (let id = 1; id <= 25; id += 1) await explanation(id, 'a/busy', 40);
    for (let id = 101; id <= 103; id += 1) await explanation(id, 'a/quiet', 400);
    // Old ones beyond the newest 20 go; recent ones stay however many there are.
    for (let id = 201; id <= 230; id += 1) await explanation(id, 'a/lively', id <= 205 ? 40 : 1);
    // The same path on another GitLab is another project.
    await explanation(301, 'a/busy', 40, 'corp');

    const run = await pruner({ options: { batchRows: 2 } }).runOnce();

    const kept = async (path: string, instance = 'default') =>
      (await pool.query('SELECT delivery_id FROM delivery_explanations WHERE path = $1 AND instance = $2 ORDER BY delivery_id', [path, instance])).rows.map((row: { delivery_id: string }) => Number(row.delivery_id));
    const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, index) => from + index);
    expect(await kept('a/busy')).toEqual(range(6, 25));
    expect(await kept('a/quiet')).toEqual(range(101, 103));
    expect(await kept('a/lively')).toEqual(range(206, 230));
    expect(await kept('a/busy', 'corp')).toEqual([301]);
    expect(run.pruned.delivery_explanations).toBe(10);
  });

  it("clears the GitLab content of the explanations it keeps past the retention, and keeps what happened", async () => {
    const verdicts = JSON.stringify([{ s: '1', c: 'chan', r: 'label_filter', m: 'label filter secret-label did not match labels: ui' }]);
    const explanation = (id: number, days: number) =>
      pool.query(
        `INSERT INTO delivery_explanations (delivery_id, instance, path, received_at, source, kind, action, summary, url, open_to_all, confidential, verdicts)
         VALUES ($1, 'default', 'a/kept', now() - $2 * interval '1 day', 'webhook', 'issue', 'opened', '#1 Secret plans', 'https://gitlab.example/a/kept/-/issues/1', false, false, $3)`,
        [id, days, verdicts],
      );
    await explanation(1, 40);
    await explanation(2, 1);

    const run = await pruner().runOnce();

    const { rows } = await pool.query('SELECT delivery_id, kind, action, summary, url, verdicts FROM delivery_explanations WHERE path = $1 ORDER BY delivery_id', ['a/kept']);
    expect(rows).toEqual([
      { delivery_id: '1', kind: 'issue', action: 'opened', summary: null, url: null, verdicts: [{ s: '1', c: 'chan', r: 'label_filter' }] },
      { delivery_id: '2', kind: 'issue', action: 'opened', summary: '#1 Secret plans', url: 'https://gitlab.example/a/kept/-/issues/1', verdicts: JSON.parse(verdicts) },
    ]);
    expect(run.pruned.delivery_explanations_content).toBe(1);
    expect((await pruner().runOnce()).pruned.delivery_explanations_content).toBeUndefined();
  });

  it('lets one replica prune at a time, and gives the turn back as soon as it is done', async () => {
    for (let n = 0; n < 5; n += 1) await delivery(`old-${n}`, 8, true);
    // Replica A's first batch waits until replica B has tried its turn.
    let bTried!: () => void;
    const bHasTried = new Promise<void>((resolve) => (bTried = resolve));
    let aStarted!: () => void;
    const aHasStarted = new Promise<void>((resolve) => (aStarted = resolve));
    const heldUp: Queryable = {
      query: (async (...args: Parameters<pg.Pool['query']>) => {
        aStarted();
        await bHasTried;
        return (pool.query as (...a: unknown[]) => unknown)(...args);
      }) as Queryable['query'],
    };
    const counted = { a: 0, b: 0 };
    const a = pruner({ db: heldUp, count: (_table, rows) => (counted.a += rows), options: { batchRows: 2 } });
    const b = pruner({ count: (_table, rows) => (counted.b += rows), options: { batchRows: 2 } });

    const aRun = a.runOnce();
    await aHasStarted;
    const bRun = await b.runOnce();
    bTried();
    expect(bRun).toEqual({ ran: false, pruned: {} });
    expect(await aRun).toEqual({ ran: true, pruned: { webhook_deliveries: 5 } });
    expect(counted).toEqual({ a: 5, b: 0 });
    expect(await count('webhook_deliveries')).toBe(0);

    // A gave the lock back: B's next turn runs (and finds nothing left).
    expect(await b.runOnce()).toEqual({ ran: true, pruned: {} });
    await Promise.all([a.stop(), b.stop()]);
  });

  it('stops after the batch in flight when the bridge stops', async () => {
    for (let n = 0; n < 6; n += 1) await delivery(`old-${n}`, 8, true);
    let stopNow!: () => void;
    const firstBatch = new Promise<void>((resolve) => (stopNow = resolve));
    const pruning = pruner({ count: () => stopNow(), options: { batchRows: 2, pauseMs: 60_000 } });
    const run = pruning.runOnce();
    await firstBatch;
    await pruning.stop();
    expect(await run).toEqual({ ran: true, pruned: { webhook_deliveries: 2 } });
    expect(await count('webhook_deliveries')).toBe(4);
  });
});

/**
 * Migration 0019 on a database that already holds subscriptions and queued
 * posts: a subscription a system admin forced into a public channel stays
 * forced (the audit log says so), and a post still waiting that may carry
 * members-only content needs a private channel. Real PostgreSQL.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type pg from 'pg';
import { loadMigrations, migrate } from '../../../server/src/store/migrate.js';
import { createTestDatabase, openPool, testServers, type TestDatabase } from '../../helpers/databases.js';
import { silentLog } from '../../helpers/silent-log.js';

let database: TestDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  database = await createTestDatabase(testServers()[0]!);
  pool = openPool(database.url);
});
afterAll(async () => {
  await pool.end();
  await database.drop();
});

it('keeps forced subscriptions forced and marks waiting posts that may carry members-only content', async () => {
  await migrate(pool, silentLog, loadMigrations().filter((migration) => migration.version < 19));
  const subscribe = async (channel: string, privateAccess: boolean) =>
    (await pool.query<{ id: string }>("INSERT INTO subscriptions (channel_id, target_kind, target_path, private_access, creator_id) VALUES ($1, 'project', $1, $2, 'u') RETURNING id", [channel, privateAccess]))
      .rows[0]!.id;
  const forced = await subscribe('forced', true);
  const privateRoom = await subscribe('private-room', true);
  const publicRoom = await subscribe('public-room', false);
  await pool.query("INSERT INTO audit_log (actor, action, target) VALUES ('admin', 'subscription.created_forced', $1), ('u', 'subscription.created', $2)", [`subscription:${forced}`, `subscription:${privateRoom}`]);
  const delivery = (await pool.query<{ id: string }>("INSERT INTO webhook_deliveries (dedupe_key, event, payload) VALUES ('d', 'Issue Hook', '{}') RETURNING id")).rows[0]!.id;
  const queue = (key: string, channel: string, subscription: string | null, options: { delivery?: string | null; state?: string; confidential?: boolean } = {}) =>
    pool.query('INSERT INTO channel_outbox (event_key, channel_id, subscription_id, delivery_id, message, state, confidential) VALUES ($1, $2, $3, $4, $1, $5, $6)', [
      key,
      channel,
      subscription,
      options.delivery === undefined ? delivery : options.delivery,
      options.state ?? 'pending',
      options.confidential ?? false,
    ]);
  await queue('forced', 'forced', forced);
  await queue('forced-confidential', 'forced', forced, { confidential: true });
  await queue('private', 'private-room', privateRoom);
  await queue('private-sent', 'private-room', privateRoom, { state: 'sent' });
  await queue('public', 'public-room', publicRoom);
  await queue('orphan', 'gone', null);
  await queue('notice', 'private-room', privateRoom, { delivery: null });

  await migrate(pool, silentLog);

  const { rows: subscriptions } = await pool.query<{ channel_id: string; forced: boolean }>('SELECT channel_id, forced FROM subscriptions ORDER BY id');
  expect(subscriptions).toEqual([
    { channel_id: 'forced', forced: true },
    { channel_id: 'private-room', forced: false },
    { channel_id: 'public-room', forced: false },
  ]);
  const { rows: posts } = await pool.query<{ event_key: string; needs_private_channel: boolean }>('SELECT event_key, needs_private_channel FROM channel_outbox ORDER BY id');
  expect(Object.fromEntries(posts.map((post) => [post.event_key, post.needs_private_channel]))).toEqual({
    forced: false,
    'forced-confidential': true,
    private: true,
    'private-sent': false,
    public: false,
    orphan: true,
    notice: false,
  });
});

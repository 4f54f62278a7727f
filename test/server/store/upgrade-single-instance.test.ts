/**
 * A single-instance bridge from before several GitLab instances (schema version 21) moves to this
 * version with everything attached to the default instance: restored from a backup that schema made,
 * and upgraded in place. The state is written as the previous version wrote it (its columns, its
 * sealing of tokens); then the current bridge runs on it against the same fake Mattermost and GitLab:
 * the connected person is still connected, the channel's subscription still posts, a webhook left
 * unprocessed is delivered, and the next event of a merge request lands in its existing thread.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { seal, toEncryptionKey } from '../../../server/src/crypto/secret-box.js';
import { loadMigrations, migrate } from '../../../server/src/store/migrate.js';
import type { FakeChannel } from '../../fakes/fake-mattermost.js';
import { runBridge, runCommand, type BridgeProcess } from '../../helpers/bridge-process.js';
import { startCommandBridge, type CommandBridge } from '../../helpers/command-bridge.js';
import { createTestDatabase, openPool, testServers, type TestDatabase } from '../../helpers/databases.js';
import { sendFixture, webhookFixture } from '../../helpers/fixtures.js';
import { silentLog } from '../../helpers/silent-log.js';
import { waitFor } from '../../helpers/wait-for.js';

/** The last schema before several instances (migration 0022). */
const PREVIOUS_SCHEMA = 21;
const THREAD = '1:merge_request:1';

let running: CommandBridge;
let channel: FakeChannel;
let ann: string;
let rootPostId: string;
const databases: TestDatabase[] = [];
const pools: pg.Pool[] = [];
const bridges: BridgeProcess[] = [];

beforeAll(async () => {
  running = await startCommandBridge({ users: ['ann'], oauth: true });
  // Only the fakes and the provisioning are wanted from here: each case runs its own bridge.
  await running.bridge.stop();
  ann = running.users.ann!;
  const bot = [...running.mattermost.users.values()].find((user) => user.username === 'gitlab')!.id;
  running.team.members.add(bot);
  channel = running.mattermost.addChannel('releases', { type: 'P', members: [ann, bot], teamId: running.team.id });
  running.gitlab.addUser({ id: 77, username: 'ann.gl', name: 'Ann' });
  // The root the previous version posted for MR !1, as it keeps it.
  const root = await running.mattermost.postAs(running.env.MATTERMOST_BOT_TOKEN!, { channelId: channel.id, message: 'Merge request !1 opened' });
  rootPostId = root.post!.id;
}, 120_000);

afterAll(async () => {
  for (const bridge of bridges) await bridge.stop();
  for (const pool of pools) await pool.end();
  for (const database of databases) await database.drop();
  await running?.close();
});

/** A database at schema 21 holding what the previous version stored, written with its columns. */
async function previousVersionDatabase(): Promise<{ database: TestDatabase; pool: pg.Pool }> {
  const database = await createTestDatabase(testServers()[0]!);
  const pool = openPool(database.url);
  databases.push(database);
  pools.push(pool);
  await migrate(pool, silentLog, loadMigrations().filter((migration) => migration.version <= PREVIOUS_SCHEMA));
  // The slash command and key records setup and the first start wrote.
  const provisioned = (await running.pool.query('SELECT * FROM slash_commands')).rows;
  for (const row of provisioned) {
    const columns = Object.keys(row);
    await pool.query(`INSERT INTO slash_commands (${columns.join(', ')}) VALUES (${columns.map((_, index) => `$${index + 1}`).join(', ')})`, columns.map((column) => row[column]));
  }
  const settings = (await running.pool.query("SELECT key, value FROM settings WHERE key LIKE 'encryption%'")).rows;
  for (const row of settings) await pool.query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING", [row.key, JSON.stringify(row.value)]);

  // Ann's account, sealed as the previous version sealed it (bound to her user id only).
  const key = toEncryptionKey(Buffer.from(running.env.ENCRYPTION_KEY!, 'hex'));
  const token = running.gitlab.addUser({ id: 78, username: 'ann.token', name: 'Ann' }).token;
  await pool.query(
    `INSERT INTO gitlab_accounts (mattermost_user_id, gitlab_user_id, gitlab_username, key_id, access_token, refresh_token, expires_at, scopes)
     VALUES ($1, 77, 'ann.gl', $2, $3, $4, now() + interval '1 hour', 'api read_user')`,
    [ann, key.id, seal(token, key, `gitlab_accounts:${ann}:access_token`).payload, seal('refresh', key, `gitlab_accounts:${ann}:refresh_token`).payload],
  );
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO subscriptions (channel_id, team_id, target_kind, target_path, target_id, filters, private_access, creator_id)
     VALUES ($1, $2, 'project', 'gitlabhq/gitlab-test', 1, '{}', true, $3) RETURNING id`,
    [channel.id, running.team.id, ann],
  );
  await pool.query('INSERT INTO channel_threads (channel_id, thread_key, root_post_id, root_message) VALUES ($1, $2, $3, $4)', [channel.id, THREAD, rootPostId, 'Merge request !1 opened']);
  await pool.query(`INSERT INTO tracked_objects (object_key, state) VALUES ($1, '{"type":"merge_request","state":"opened","draft":false,"approvedBy":[],"approved":false,"pipeline":null}')`, [THREAD]);
  await pool.query("INSERT INTO poll_jobs (kind, subject, next_run_at) VALUES ('user_work', $1, now() + interval '1 day')", [ann]);
  await pool.query("INSERT INTO gitlab_rate_pause (id, until, reason) VALUES (true, now() - interval '1 minute', 'Retry-After 60')");
  // A webhook stored and not processed yet when the old version stopped: X-Gitlab-Instance in `instance`.
  const approval = webhookFixture('merge_request.approval.json');
  await pool.query(
    `INSERT INTO webhook_deliveries (dedupe_key, event, idempotency_key, instance, payload) VALUES ('idempotency:left-over', $1, 'left-over', 'https://gitlab.example.com', $2)`,
    [approval.event, approval.body],
  );
  expect(rows).toHaveLength(1);
  return { database, pool };
}

async function startOn(database: TestDatabase): Promise<BridgeProcess> {
  const bridge = runBridge(['start'], { ...running.env, DATABASE_URL: database.url });
  bridges.push(bridge);
  await bridge.ready();
  return bridge;
}

const repliesInThread = () => running.mattermost.posts.filter((post) => post.root_id === rootPostId);

async function expectItKeepsWorking(pool: pg.Pool): Promise<void> {
  // Everything belongs to the default instance.
  for (const table of ['gitlab_accounts', 'subscriptions', 'poll_jobs', 'webhook_deliveries', 'gitlab_rate_pause']) {
    const { rows } = await pool.query<{ instance: string }>(`SELECT DISTINCT instance FROM ${table}`);
    expect({ table, instances: rows.map((row) => row.instance) }).toEqual({ table, instances: ['default'] });
  }
  // The header the old version kept is still there, under its new name, and chose nothing.
  expect((await pool.query("SELECT instance_header FROM webhook_deliveries WHERE idempotency_key = 'left-over'")).rows).toEqual([{ instance_header: 'https://gitlab.example.com' }]);
  // The left-over webhook is delivered into the existing thread; so is the next one.
  await waitFor(() => repliesInThread().length >= 1, 'the left-over approval in the old thread', 30_000);
  expect(await sendFixture(running.publicUrl, running.env.GITLAB_WEBHOOK_SECRET!, 'merge_request.close.json')).toBe(202);
  await waitFor(() => repliesInThread().length >= 2, 'the close in the old thread', 30_000);
  expect(running.mattermost.posts.filter((post) => post.channel_id === channel.id && post.root_id === '' && post.id !== rootPostId)).toEqual([]);
  // Ann is still connected: her sealed token opens, and the bridge uses it.
  expect(await running.command(ann, 'me', channel.id)).toContain('**ann.gl**');
  expect(await running.command(ann, 'subscriptions list', channel.id)).toContain('gitlabhq/gitlab-test');
}

describe('a single-instance database from before several instances', () => {
  it('restored from a backup of schema 21, runs on with everything on the default instance', async () => {
    const previous = await previousVersionDatabase();
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'upgrade-')), 'previous.jsonl');
    const backup = await runCommand(['backup', file], { ...running.env, DATABASE_URL: previous.database.url });
    expect(backup.code).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8').split('\n', 1)[0]!)).toMatchObject({ schemaVersion: PREVIOUS_SCHEMA });

    const target = await createTestDatabase(testServers()[0]!);
    databases.push(target);
    const restore = await runCommand(['restore', file], { ...running.env, DATABASE_URL: target.url });
    expect(`${restore.stdout}${restore.stderr}`).toContain('restored');
    expect(restore.code).toBe(0);
    const pool = openPool(target.url);
    pools.push(pool);
    const bridge = await startOn(target);
    running.bridge = bridge;
    await expectItKeepsWorking(pool);
    await bridge.stop();
  });

  it('upgraded in place by starting the new version on it', async () => {
    running.mattermost.posts.splice(0, running.mattermost.posts.length, ...running.mattermost.posts.filter((post) => post.id === rootPostId));
    const previous = await previousVersionDatabase();
    const bridge = await startOn(previous.database);
    running.bridge = bridge;
    expect((await previous.pool.query<{ version: number }>('SELECT max(version) AS version FROM schema_migrations')).rows[0]!.version).toBeGreaterThan(PREVIOUS_SCHEMA);
    await expectItKeepsWorking(previous.pool);
  });
});

/**
 * Backup and restore against real PostgreSQL: every row of every bridge table
 * comes back exactly, sealed tokens still open with the same key, sequences
 * continue, and files this version must not restore are refused with nothing
 * changed. With two servers, a backup moves between PostgreSQL majors.
 */
import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { toEncryptionKey } from '../../../server/src/crypto/secret-box.js';
import { BridgeError } from '../../../server/src/errors.js';
import { exportBackup, importBackup, openBackup, TRANSIENT_TABLES, type BackupHeader, type RestoreSummary } from '../../../server/src/store/backup.js';
import { consumeOAuthState, createConnectLink, createOAuthState, readAccount, saveAccount } from '../../../server/src/store/gitlab-accounts.js';
import { loadMigrations, migrate } from '../../../server/src/store/migrate.js';
import { VERSION } from '../../../server/src/version.js';
import { createTestDatabase, openPool, testServers, type TestDatabase, type TestServer } from '../../helpers/databases.js';
import { silentLog } from '../../helpers/silent-log.js';

const key = toEncryptionKey(randomBytes(32));
const NEWEST = loadMigrations().at(-1)!.version;
const ANN = 'mm-user-ann';

/** At least one row in every bridge table, with the values that trip up dumps: unicode, NULLs, json text, bytea, big numbers, instants. */
async function populate(pool: pg.Pool): Promise<{ oauthState: string }> {
  const insert = (sql: string, values: unknown[] = []) => pool.query(sql, values);
  await insert('INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3), ($4, $5, $6), ($7, $8, now())', [
    'encryption_key_id', JSON.stringify(key.id), '2024-02-29 23:59:59.123456+05:30',
    'json null', 'null', '1999-12-31 23:59:59.999999+00',
    'unicode ✓ "quoted" \\ key', '{"emoji": "🦊", "nested": [1, 2.50, {"a": null}], "big": 12345678901234567890, "text": "tab\\tnew\\nline"}',
  ]);
  const deliveries = await insert(
    `INSERT INTO webhook_deliveries (dedupe_key, event, idempotency_key, event_uuid, webhook_uuid, instance_header, signed, payload, received_at, processed_at, attempts, last_error)
     VALUES ('d-1', 'Push Hook', 'idem-1', 'uuid-1', 'hook-1', 'https://gitlab.example', true, $1, '2024-01-01 00:00:00.000001+00', '2024-01-01 00:00:01+00', 3, $2),
            ('d-2', 'Merge Request Hook', NULL, NULL, NULL, NULL, false, '{}', now(), NULL, 0, NULL)
     RETURNING id`,
    // json keeps its text: the spacing, the duplicate key and the escape must survive.
    ['{ "object_kind" :  "push", "id": 9007199254740993, "id": "duplicate",\n  "title": "Zo\\u00eb 🦊" }', 'first line\nsecond line: «ошибка»'],
  );
  const subscriptions = await insert(
    `INSERT INTO subscriptions (channel_id, team_id, target_kind, target_path, target_id, filters, style, threads, confidential, private_access, creator_id, last_failure, last_failure_at, last_event_at)
     VALUES ('chan-1', NULL, 'project', 'group/sub/προϊόν', 9007199254740993, $1, 'compact', false, true, true, 'mm-creator', 'channel archived', '2023-06-30 12:00:00+02', '2024-03-10 02:30:00.5+00'),
            ('chan-2', 'team-1', 'group', 'group', NULL, '{}', 'full', true, false, false, 'mm-creator', NULL, NULL, NULL)
     RETURNING id`,
    [JSON.stringify({ events: ['push', 'merge_requests'], labels: ['🐛 bug', 'a,b', 'quote"d'], branch: null })],
  );
  await insert(
    `INSERT INTO channel_outbox (event_key, channel_id, subscription_id, delivery_id, message, thread_key, thread_status, confidential, state, attempts, next_attempt_at, attempt_started_at, post_id, last_error, sent_at)
     VALUES ('ev-1', 'chan-1', $1, $2, $3, 'mr:1', ':white_check_mark: merged', true, 'sent', 1, '2024-01-01 00:00:02+00', '2024-01-01 00:00:02+00', 'post-1', NULL, '2024-01-01 00:00:03+00'),
            ('ev-2', 'chan-2', NULL, NULL, '', NULL, NULL, false, 'pending', 0, now(), NULL, NULL, 'timeout', NULL)`,
    [subscriptions.rows[0].id, deliveries.rows[0].id, '**Zoë** pushed to `main`\n> 引用\n\t| a | b |'],
  );
  await insert("INSERT INTO channel_threads (channel_id, thread_key, root_post_id, root_message) VALUES ('chan-1', 'mr:1', 'post-1', 'Merge request !1 «Ünïcode»')");
  await insert('INSERT INTO tracked_objects (object_key, state) VALUES ($1, $2)', ['project:9:mr:1', JSON.stringify({ state: 'merged', approvals: [], pipeline: { id: 1, status: null } })]);
  await insert("INSERT INTO ref_pipelines (project_key, ref, pipeline_id, status) VALUES ('project:9', 'refs/heads/fïx', 9007199254740993, 'failed')");
  await insert("INSERT INTO slash_commands (team_id, team_name, command_id, trigger, token_hash, url) VALUES ('team-1', 'Team Ωne', 'cmd-1', 'gitlab', repeat('ab', 32), 'http://127.0.0.1:3501/mattermost/command')");
  await insert('INSERT INTO audit_log (actor, action, target, details) VALUES ($1, $2, $3, $4)', ['setup', 'slash_command.created', 'team-1', JSON.stringify({ before: null, after: '🦊' })]);
  await saveAccount(pool, { instance: 'default', mattermostUserId: ANN, gitlabUserId: 42, gitlabUsername: 'ann' }, { accessToken: 'access-🦊-token', refreshToken: 'refresh-token', expiresAt: new Date('2030-01-01T00:00:00.123Z'), scopes: 'api read_user' }, key);
  await insert(
    `INSERT INTO gitlab_accounts (mattermost_user_id, gitlab_user_id, gitlab_username, scopes, disconnected_at, disconnect_reason)
     VALUES ('mm-user-ben', 43, 'ben', '', '2024-05-05 05:05:05+00', 'GitLab refused the grant: "invalid_grant" — revoked')`,
  );
  const oauthState = await createOAuthState(pool, ANN, 'default', 'verifier-✓', key);
  await insert("INSERT INTO oauth_states (state_hash, mattermost_user_id, key_id, code_verifier, expires_at) VALUES ('raw', 'mm-user-ben', 'k', $1, now() + interval '1 hour')", [
    Buffer.from([0, 255, 0, 10, 13, 92, 120]),
  ]);
  await createConnectLink(pool, ANN);
  await insert("INSERT INTO notification_settings (mattermost_user_id, enabled, disabled_kinds, reminder_enabled, reminder_time, reminder_only_when_changed) VALUES ($1, false, $2, true, '07:30:15.5', true)", [
    ANN,
    ['a,b', 'quote"d', 'back\\slash', '🦊', null, ''],
  ]);
  await insert("INSERT INTO notification_settings (mattermost_user_id) VALUES ('mm-user-ben')");
  await insert("INSERT INTO gitlab_mutes (mattermost_user_id, gitlab_user_id, gitlab_username) VALUES ($1, 9007199254740993, 'bot 🤖')", [ANN]);
  await insert("INSERT INTO direct_message_log (mattermost_user_id, last_sent_at, last_sent_summary, last_failed_at, last_failure) VALUES ($1, now(), 'review requested', NULL, NULL)", [ANN]);
  await insert("INSERT INTO poll_jobs (kind, subject, next_run_at, last_success_at, state) VALUES ('user', $1, now(), now(), $2)", [ANN, JSON.stringify({ lastTodoId: 4242, reminder: { dueAt: '2026-11-26T08:00:00.000Z', for: '09:00|Europe/Berlin' } })]);
  await insert("INSERT INTO gitlab_request_budget (second, used) VALUES (date_trunc('second', now()), 3)");
  await insert("INSERT INTO gitlab_rate_pause (until, reason) VALUES (now() + interval '1 minute', 'Retry-After «60»')");
  await insert("INSERT INTO gitlab_caller_rate_pause (caller, until, reason, throttled_at) VALUES ('sha256:' || repeat('cd', 32), now() + interval '1 minute', '429 «throttle_authenticated_api»', now())");
  await insert("INSERT INTO project_features (project_id, levels) VALUES (9007199254740993, $1), (10, NULL)", [
    JSON.stringify({ visibility: 'public', levels: { merge_requests: 'private', issues: 'enabled' }, publicJobs: true }),
  ]);
  await insert(
    `INSERT INTO direct_outbox (mattermost_user_id, notification_key, family, kind, thread_key, access_probe, message, state, attempts, attempt_started_at, post_id, sent_at)
     VALUES ($1, 'review:9:merge_request:1:6', NULL, 'reviews', '9:merge_request:1', 'project:9', ':eyes: Ünïcode review', 'sent', 1, now(), 'post-2', now())`,
    [ANN],
  );
  await insert("INSERT INTO direct_threads (mattermost_user_id, thread_key, root_post_id) VALUES ($1, '9:merge_request:1', 'post-2')", [ANN]);
  await insert("INSERT INTO thread_participants (thread_key, gitlab_user_id, role) VALUES ('9:merge_request:1', 9007199254740993, 'author')");
  await insert("INSERT INTO gitlab_access_cache (gitlab_user_id, probe, visible) VALUES (6, 'project:9', true)");
  await insert("INSERT INTO action_presses (press_key, answer) VALUES (repeat('ef', 32), $1), (repeat('01', 32), NULL)", [JSON.stringify({ by: ANN, text: 'You approved **acme/app!7** «ü»' })]);
  await insert("INSERT INTO work_snapshots (mattermost_user_id, snapshot, reminder_digest, reminded_at) VALUES ($1, $2, 'abc', now())", [ANN, JSON.stringify({ reviews: { total: 1, items: [] } })]);
  await insert(
    `INSERT INTO chat_replies (post_id, channel_id, root_post_id, thread_key, mattermost_user_id, message, file_names, posted_at, state, change, gitlab_user_id, note_id, reason)
     VALUES ('reply-1', 'chan-1', 'post-1', '9:merge_request:1:discussion:abc123', $1, $2, $3, '2024-01-01 00:00:04.125+00', 'sent', 'edit', 9007199254740993, 9007199254740993, NULL),
            ('reply-2', 'chan-1', 'post-1', '9:merge_request:1', 'mm-user-ben', '', '[]', now(), 'skipped', NULL, NULL, NULL, 'not connected «ü»')`,
    [ANN, 'Thanks `@all` «Zoë»\n\\/merge', JSON.stringify(['trace 🦊.log', 'a"b'])],
  );
  await insert(
    `INSERT INTO chat_reactions (post_id, mattermost_user_id, emoji_name, channel_id, thread_key, award_name, state, gitlab_user_id, award_id)
     VALUES ('post-1', $1, '+1_medium_skin_tone', 'chan-1', '9:merge_request:1', 'thumbsup_tone3', 'awarded', 42, 9007199254740993)`,
    [ANN],
  );
  await insert("INSERT INTO chat_notices (mattermost_user_id, kind) VALUES ('mm-user-ben', 'replies-connect')");
  await insert(
    `INSERT INTO official_plugin_imports (channel_id, target_kind, target_path, outcome, subscription_id, imported_by)
     VALUES ('chan-1', 'project', 'group/sub/προϊόν', 'created', $1, $2), ('chan-2', 'group', 'secret', 'pending', NULL, $2)`,
    [subscriptions.rows[0].id, ANN],
  );
  await insert("INSERT INTO official_plugin_connect_asks (mattermost_user_id) VALUES ('mm-user-ben')");
  await insert(
    `INSERT INTO group_hook_sets (instance, group_id, group_path, requested_by, maintainable, kinds, listed_at, last_error)
     VALUES ('default', 7, 'acme', $1, 2, '{push,merge_request}', '2024-01-01 00:00:00.5+00', NULL), ('corp', 7, 'acme', $1, 0, '{}', NULL, 'GitLab «answered» 500')`,
    [ANN],
  );
  await insert(
    `INSERT INTO group_hook_projects (instance, group_id, project_id, project_path, visibility, state, hook_id, error, verified_at)
     VALUES ('default', 7, 9007199254740993, 'acme/app', 'private', 'hooked', 12, NULL, now()), ('corp', 7, 8, 'acme/docs', 'public', 'failed', NULL, 'Forbidden', NULL)`,
  );
  await insert("INSERT INTO stream_cursors (channel_id, seen_until) VALUES ('chan-1', 1704067204125)");
  await insert("INSERT INTO channel_settings (channel_id, code_previews, updated_by) VALUES ('chan-1', true, $1)", [ANN]);
  await insert("INSERT INTO code_preview_replies (post_id, reply_post_id) VALUES ('post-3', NULL), ('post-4', 'post-5')");
  await insert(
    `INSERT INTO delivery_explanations (delivery_id, instance, path, received_at, source, kind, action, event_key, summary, url, open_to_all, confidential, verdicts)
     VALUES (9007199254740993, 'default', 'acme/app', now(), 'poll', 'merge_request', 'opened', 'project:9:mr:1', '!1 «Ünïcode» @all', NULL, false, true, $1)`,
    [JSON.stringify([{ s: '1', c: 'chan-1', r: 'label_filter', m: 'label filter bug did not match labels: «ü»' }, { s: '2', c: 'chan-2', r: null }])],
  );
  // Transient: never backed up (TRANSIENT_TABLES).
  await insert("INSERT INTO live_events (kind, user_id, data) VALUES ('work', $1, $2)", [ANN, JSON.stringify({ counts: { todos: 1 } })]);
  return { oauthState };
}

/** Every bridge table's rows as row_to_json text, by primary key; UTC and hex so two servers compare equal. Transient tables with `transient`. */
async function contents(pool: pg.Pool, { transient = false } = {}): Promise<Record<string, string[]>> {
  const client = await pool.connect();
  try {
    await client.query("SET TimeZone = 'UTC'; SET bytea_output = 'hex'");
    const tables = await client.query<{ name: string; key: string[] }>(
      `SELECT c.relname::text AS name,
         ARRAY(SELECT a.attname::text FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
               WHERE i.indrelid = c.oid AND i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)) AS key
       FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' AND c.relname <> 'schema_migrations'
       ORDER BY 1`,
    );
    const result: Record<string, string[]> = {};
    for (const { name, key: primaryKey } of tables.rows) {
      if (!transient && TRANSIENT_TABLES.includes(name)) continue;
      const order = primaryKey.length > 0 ? primaryKey.map((column) => pg.escapeIdentifier(column)).join(', ') : '1';
      const rows = await client.query<{ row: string }>(`SELECT row_to_json(r.*)::text AS row FROM ${pg.escapeIdentifier(name)} r ORDER BY ${order}`);
      result[name] = rows.rows.map((row) => row.row);
    }
    return result;
  } finally {
    client.release(true);
  }
}

async function backupOf(pool: pg.Pool): Promise<{ text: string; header: BackupHeader }> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  const header = await exportBackup(pool, sink, { bridgeVersion: VERSION });
  return { text: Buffer.concat(chunks).toString('utf8'), header };
}

/** Small chunks, so lines (and multi-byte characters) arrive split as they would from a slow disk or a pipe. */
function streamOf(text: string, chunkBytes = 64 * 1024): Readable {
  const bytes = Buffer.from(text, 'utf8');
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += chunkBytes) chunks.push(bytes.subarray(offset, offset + chunkBytes));
  return Readable.from(chunks);
}

async function restore(pool: pg.Pool, text: string, options: { force?: boolean; chunkBytes?: number } = {}): Promise<RestoreSummary> {
  const backup = await openBackup(streamOf(text, options.chunkBytes), { source: 'test.ndjson', newestSchemaVersion: NEWEST });
  try {
    return await importBackup(pool, backup, { force: options.force ?? false });
  } finally {
    backup.close();
  }
}

async function failure(promise: Promise<unknown>): Promise<BridgeError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(BridgeError);
  return error as BridgeError;
}

function withHeader(text: string, change: (header: Record<string, unknown>) => void): string {
  const [first, ...rest] = text.split('\n');
  const header = JSON.parse(first!) as Record<string, unknown>;
  change(header);
  return [JSON.stringify(header), ...rest].join('\n');
}

const isEmpty = (tables: Record<string, string[]>): boolean => Object.values(tables).every((rows) => rows.length === 0);

describe.each(testServers())('backup and restore on $label', (server) => {
  let source: TestDatabase;
  let target: TestDatabase;
  let sourcePool: pg.Pool;
  let targetPool: pg.Pool;
  let oauthState: string;

  beforeEach(async () => {
    [source, target] = await Promise.all([createTestDatabase(server), createTestDatabase(server)]);
    sourcePool = openPool(source.url);
    targetPool = openPool(target.url);
    await migrate(sourcePool, silentLog);
    ({ oauthState } = await populate(sourcePool));
  });
  afterEach(async () => {
    await Promise.all([sourcePool.end(), targetPool.end()]);
    await Promise.all([source.drop(), target.drop()]);
  });

  it('has a fixture that leaves no bridge table empty (a table added by a migration needs rows here)', async () => {
    const tables = await contents(sourcePool, { transient: true });
    expect(Object.keys(tables).length).toBeGreaterThan(10);
    expect(Object.entries(tables).filter(([, rows]) => rows.length === 0).map(([name]) => name)).toEqual([]);
  });

  it('restores every row of every table exactly into an empty database, and the tokens open with the same key', async () => {
    // More rows than one cursor fetch or one insert batch holds.
    await sourcePool.query("INSERT INTO audit_log (actor, action, target, details) SELECT 'u-' || g, 'bulk', repeat('é', g % 50), jsonb_build_object('n', g) FROM generate_series(1, 1200) g");
    const before = await contents(sourcePool);
    const { text, header } = await backupOf(sourcePool);

    expect(header).toMatchObject({ format: 'gitlab-bridge-backup', formatVersion: 1, schemaVersion: NEWEST, bridgeVersion: VERSION });
    expect(header.tables.map((table) => table.name).sort()).toEqual(Object.keys(before));
    for (const table of header.tables) expect(table.rows).toBe(before[table.name]!.length);
    const total = Object.values(before).reduce((sum, rows) => sum + rows.length, 0);
    const lines = text.trimEnd().split('\n');
    expect(JSON.parse(lines.at(-1)!)).toEqual({ end: true, rows: total });
    expect(lines).toHaveLength(1 + header.tables.length + total + 1);
    // Parents before the tables that point at them.
    const order = header.tables.map((table) => table.name);
    expect(order.indexOf('subscriptions')).toBeLessThan(order.indexOf('channel_outbox'));

    await migrate(targetPool, silentLog);
    const summary = await restore(targetPool, text, { chunkBytes: 7 });
    expect(summary.rows).toBe(total);
    expect(summary.replaced).toEqual([]);
    expect(summary.tables.every((table) => table.restored)).toBe(true);

    expect(await contents(targetPool)).toEqual(before);
    // Live update hints are for the minutes they are made in: not carried over.
    expect(header.tables.map((table) => table.name)).not.toContain('live_events');
    expect((await contents(targetPool, { transient: true })).live_events).toEqual([]);
    const account = await readAccount(targetPool, ANN, 'default', [key]);
    expect(account?.tokens).toMatchObject({ accessToken: 'access-🦊-token', refreshToken: 'refresh-token', expiresAt: new Date('2030-01-01T00:00:00.123Z') });
    expect(await consumeOAuthState(targetPool, oauthState, [key])).toEqual({ userId: ANN, instance: 'default', codeVerifier: 'verifier-✓' });
    const setting = await targetPool.query<{ value: unknown; is_json_null: boolean }>("SELECT value, value = 'null'::jsonb AS is_json_null FROM settings WHERE key = 'json null'");
    expect(setting.rows[0]?.is_json_null).toBe(true);
  });

  it('continues every sequence past the restored ids and past ids used before the backup', async () => {
    const deleted = await sourcePool.query<{ id: string }>("INSERT INTO audit_log (actor, action, target) VALUES ('x', 'y', 'z') RETURNING id");
    await sourcePool.query('DELETE FROM audit_log WHERE id = $1', [deleted.rows[0]!.id]);
    const maxima = await sourcePool.query<{ subscriptions: string; deliveries: string; outbox: string }>(
      'SELECT (SELECT max(id) FROM subscriptions) AS subscriptions, (SELECT max(id) FROM webhook_deliveries) AS deliveries, (SELECT max(id) FROM channel_outbox) AS outbox',
    );
    const { text } = await backupOf(sourcePool);
    await migrate(targetPool, silentLog);
    await restore(targetPool, text);

    const subscription = await targetPool.query<{ id: string }>("INSERT INTO subscriptions (channel_id, target_kind, target_path, creator_id) VALUES ('chan-9', 'project', 'new/one', 'u') RETURNING id");
    const delivery = await targetPool.query<{ id: string }>("INSERT INTO webhook_deliveries (dedupe_key, event, payload) VALUES ('d-9', 'Push Hook', '{}') RETURNING id");
    const outbox = await targetPool.query<{ id: string }>("INSERT INTO channel_outbox (event_key, channel_id, message) VALUES ('ev-9', 'chan-9', 'm') RETURNING id");
    const audit = await targetPool.query<{ id: string }>("INSERT INTO audit_log (actor, action, target) VALUES ('x', 'y', 'z') RETURNING id");
    expect(BigInt(subscription.rows[0]!.id)).toBeGreaterThan(BigInt(maxima.rows[0]!.subscriptions));
    expect(BigInt(delivery.rows[0]!.id)).toBeGreaterThan(BigInt(maxima.rows[0]!.deliveries));
    expect(BigInt(outbox.rows[0]!.id)).toBeGreaterThan(BigInt(maxima.rows[0]!.outbox));
    // The deleted row's id is not handed out again.
    expect(BigInt(audit.rows[0]!.id)).toBeGreaterThan(BigInt(deleted.rows[0]!.id));
  });

  it('refuses a database that holds bridge state, and with force replaces that state', async () => {
    const { text } = await backupOf(sourcePool);
    await migrate(targetPool, silentLog);
    await targetPool.query("INSERT INTO settings (key, value) VALUES ('left over', '1')");
    await targetPool.query("INSERT INTO subscriptions (channel_id, target_kind, target_path, creator_id) SELECT 'c-' || g, 'group', 'g', 'u' FROM generate_series(1, 5) g");
    const existing = await contents(targetPool);

    const refused = await failure(restore(targetPool, text));
    expect(refused.code).toBe('database_not_empty');
    expect(refused.message).toBe('the database already holds bridge state (rows in settings, subscriptions)');
    expect(refused.hint).toMatch(/--force/);
    expect(await contents(targetPool)).toEqual(existing);

    const summary = await restore(targetPool, text, { force: true });
    expect(summary.replaced).toEqual(['settings', 'subscriptions']);
    expect(await contents(targetPool)).toEqual(await contents(sourcePool));
    const next = await targetPool.query<{ id: string }>("INSERT INTO subscriptions (channel_id, target_kind, target_path, creator_id) VALUES ('chan-9', 'project', 'new/one', 'u') RETURNING id");
    const max = await sourcePool.query<{ id: string }>('SELECT max(id) AS id FROM subscriptions');
    expect(BigInt(next.rows[0]!.id)).toBeGreaterThan(BigInt(max.rows[0]!.id));
  });

  it('refuses a file that is not a backup', async () => {
    for (const text of ['', '\n', 'hello\n', '[1, 2]\n', '{"format":"pg_dump"}\n', '{"format":"gitlab-bridge-backup","formatVersion":1}\n', '\u0000\u0001binary']) {
      const error = await failure(openBackup(streamOf(text), { source: 'x.ndjson', newestSchemaVersion: NEWEST }));
      expect(error.code).toBe('backup_invalid');
      expect(error.message).toBe('x.ndjson is not a gitlab-bridge backup');
    }
  });

  it('refuses a backup in a newer format, or from a newer schema, as written by a newer gitlab-bridge', async () => {
    const { text } = await backupOf(sourcePool);
    const newerFormat = await failure(restore(targetPool, withHeader(text, (header) => (header.formatVersion = 2))));
    expect(newerFormat.code).toBe('backup_too_new');
    expect(newerFormat.message).toBe('test.ndjson was written by a newer gitlab-bridge (backup format 2; this version reads format 1)');

    const newerSchema = await failure(
      restore(
        targetPool,
        withHeader(text, (header) => {
          header.schemaVersion = NEWEST + 1;
          header.bridgeVersion = '99.0.0';
        }),
      ),
    );
    expect(newerSchema.code).toBe('backup_too_new');
    expect(newerSchema.message).toBe(`test.ndjson was written by a newer gitlab-bridge (99.0.0, schema version ${NEWEST + 1}; this one knows up to ${NEWEST})`);
    // Refused from the header alone: the database was not even migrated.
    expect((await targetPool.query("SELECT to_regclass('schema_migrations') IS NULL AS untouched")).rows[0].untouched).toBe(true);
  });

  it('refuses a truncated backup wherever it was cut, and leaves the database as it was', async () => {
    const { text } = await backupOf(sourcePool);
    await migrate(targetPool, silentLog);
    const lines = text.trimEnd().split('\n');
    const withoutEnd = `${lines.slice(0, -1).join('\n')}\n`;
    const cuts = {
      'just after the header': `${lines[0]}\n`,
      'halfway through the rows': text.slice(0, lines[0]!.length + 1 + Math.floor((text.length - lines[0]!.length) / 2)),
      'in the middle of the last row': withoutEnd.slice(0, withoutEnd.length - 10),
      'before the end marker': withoutEnd,
      'in the end marker': text.slice(0, text.length - 5),
    };
    for (const [where, cut] of Object.entries(cuts)) {
      const error = await failure(restore(targetPool, cut));
      expect([where, error.code]).toEqual([where, 'backup_invalid']);
      expect(error.message).toMatch(/^test\.ndjson is (incomplete|damaged): /);
      expect(isEmpty(await contents(targetPool))).toBe(true);
    }
    const damaged = await failure(restore(targetPool, `${withoutEnd}{"end":true,"rows":1}\n`));
    expect(damaged.message).toBe('test.ndjson is damaged: its end marker does not match its rows');
  });

  it('restores an older backup into this schema: columns added since take their defaults, retired columns and tables are skipped', async () => {
    const { text } = await backupOf(sourcePool);
    // Rewrite the file as an older version would have written it: no `style` (default 'full') nor `last_event_at` on subscriptions,
    // plus a column and a table this version no longer has.
    let table = '';
    const lines = text
      .trimEnd()
      .split('\n')
      .map((line, index) => {
        if (index === 0) return line;
        const section = /^\{"table":"([a-z_]+)"\}$/.exec(line);
        if (section) {
          table = section[1]!;
          return line;
        }
        if (table === 'subscriptions') return line.replace(/"style":"[a-z]+",/, '').replace(/,"last_event_at":(null|"[^"]*")\}$/, '}');
        if (table === 'settings') return line.replace(/\}$/, ',"retired_column":"gone"}');
        return line;
      });
    const end = JSON.parse(lines.pop()!) as { rows: number };
    lines.push('{"table":"retired_table"}', '{"id":1,"what":"gone"}', JSON.stringify({ end: true, rows: end.rows + 1 }));
    const older = withHeader(`${lines.join('\n')}\n`, (header) => {
      const tables = header.tables as { name: string; columns: string[]; rows: number; sequences: Record<string, string> }[];
      const subscriptions = tables.find((entry) => entry.name === 'subscriptions')!;
      subscriptions.columns = subscriptions.columns.filter((column) => column !== 'style' && column !== 'last_event_at');
      tables.find((entry) => entry.name === 'settings')!.columns.push('retired_column');
      tables.push({ name: 'retired_table', columns: ['id', 'what'], rows: 1, sequences: {} });
      header.schemaVersion = NEWEST - 1;
    });

    await migrate(targetPool, silentLog);
    const summary = await restore(targetPool, older);
    expect(summary.tables.find((entry) => entry.name === 'retired_table')).toEqual({ name: 'retired_table', rows: 1, restored: false });
    const restored = await targetPool.query<{ style: string; last_event_at: Date | null }>('SELECT style, last_event_at FROM subscriptions');
    expect(restored.rows).toEqual([
      { style: 'full', last_event_at: null },
      { style: 'full', last_event_at: null },
    ]);
    const [before, after] = [await contents(sourcePool), await contents(targetPool)];
    expect(after.settings).toEqual(before.settings);
    for (const name of Object.keys(before).filter((entry) => entry !== 'subscriptions')) expect([name, after[name]]).toEqual([name, before[name]]);
  });

  it('refuses to load into a database older than the backup (restore migrates first)', async () => {
    const { text } = await backupOf(sourcePool);
    await expect(restore(targetPool, text)).rejects.toThrow(/schema version none, older than the backup's \d+: migrate it first/);
  });

  it('refuses to back up a database that was never migrated', async () => {
    const error = await failure(backupOf(targetPool));
    expect(error.code).toBe('database_not_migrated');
  });
});

/** Every ordered pair of servers (by label, then the servers): a backup from one restores exactly into the other. */
const pairs: [string, string, TestServer, TestServer][] = testServers().flatMap((from) =>
  testServers()
    .filter((to) => to.url !== from.url)
    .map((to): [string, string, TestServer, TestServer] => [from.label, to.label, from, to]),
);

if (pairs.length > 0) {
  describe('backup and restore between PostgreSQL versions', () => {
    it.each(pairs)('restores a backup taken on %s exactly into %s', async (_fromLabel, _toLabel, from, to) => {
      const [source, target] = await Promise.all([createTestDatabase(from), createTestDatabase(to)]);
      const [sourcePool, targetPool] = [openPool(source.url), openPool(target.url)];
      try {
        await migrate(sourcePool, silentLog);
        await populate(sourcePool);
        const { text } = await backupOf(sourcePool);
        await migrate(targetPool, silentLog);
        await restore(targetPool, text);
        expect(await contents(targetPool)).toEqual(await contents(sourcePool));
        expect((await readAccount(targetPool, ANN, 'default', [key]))?.tokens?.accessToken).toBe('access-🦊-token');
      } finally {
        await Promise.all([sourcePool.end(), targetPool.end()]);
        await Promise.all([source.drop(), target.drop()]);
      }
    });
  });
} else {
  describe('backup and restore between PostgreSQL versions', () => {
    it.skip('needs a second server (TEST_EXTERNAL_DATABASE_URL)', () => undefined);
  });
}

/**
 * `gitlab-bridge backup` and `restore` as an operator runs them: the real
 * command against a real PostgreSQL through DATABASE_URL, including a backup
 * taken while a bridge runs against the same database.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { toEncryptionKey } from '../../../server/src/crypto/secret-box.js';
import { readAccount, saveAccount } from '../../../server/src/store/gitlab-accounts.js';
import { loadMigrations, migrate } from '../../../server/src/store/migrate.js';
import { BIN, runBridge, runCommand, tempWorkDir } from '../../helpers/bridge-process.js';
import { createTestDatabase, openPool, testServers, type TestDatabase } from '../../helpers/databases.js';
import { silentLog } from '../../helpers/silent-log.js';

const keyBytes = randomBytes(32);
const key = toEncryptionKey(keyBytes);
const NEWEST = loadMigrations().at(-1)!.version;

let source: TestDatabase;
let target: TestDatabase;
let sourcePool: pg.Pool;
let targetPool: pg.Pool;
let dir: string;

beforeEach(async () => {
  [source, target] = await Promise.all([createTestDatabase(testServers()[0]!), createTestDatabase(testServers()[0]!)]);
  sourcePool = openPool(source.url);
  targetPool = openPool(target.url);
  await migrate(sourcePool, silentLog);
  await seed(sourcePool);
  dir = tempWorkDir();
});
afterEach(async () => {
  await Promise.all([sourcePool.end(), targetPool.end()]);
  await Promise.all([source.drop(), target.drop()]);
});

/** A bridge's worth of state: the key id, a connected account, a subscription, a delivery with json text, an outbox row, an audit entry. */
async function seed(pool: pg.Pool): Promise<void> {
  await pool.query("INSERT INTO settings (key, value) VALUES ('encryption_key_id', $1)", [JSON.stringify(key.id)]);
  await saveAccount(pool, { instance: 'default', mattermostUserId: 'mm-ann', gitlabUserId: 7, gitlabUsername: 'ann' }, { accessToken: 'access-✓', refreshToken: 'refresh-✓', expiresAt: new Date('2031-01-01T00:00:00Z'), scopes: 'api' }, key);
  const subscription = await pool.query<{ id: string }>(
    "INSERT INTO subscriptions (channel_id, target_kind, target_path, filters, creator_id, last_event_at) VALUES ('chan', 'project', 'grüppe/prøject', $1, 'mm-ann', now()) RETURNING id",
    [JSON.stringify({ events: ['push'], labels: ['🐛'] })],
  );
  const delivery = await pool.query<{ id: string }>("INSERT INTO webhook_deliveries (dedupe_key, event, payload) VALUES ('d', 'Push Hook', $1) RETURNING id", ['{ "a" : 1,\n "a": "dup" }']);
  await pool.query("INSERT INTO channel_outbox (event_key, channel_id, subscription_id, delivery_id, message) VALUES ('e', 'chan', $1, $2, 'line one\nline «two»')", [subscription.rows[0]!.id, delivery.rows[0]!.id]);
  await pool.query("INSERT INTO audit_log (actor, action, target, details) VALUES ('setup', 'test', 'x', '{\"n\": null}')");
}

/** Every bridge table's rows as row_to_json text, in a fixed order. */
async function contents(pool: pg.Pool): Promise<Record<string, string[]>> {
  const client = await pool.connect();
  try {
    await client.query("SET TimeZone = 'UTC'");
    const tables = await client.query<{ name: string }>(
      // live_events are transient: backups leave them out.
      "SELECT relname::text AS name FROM pg_class WHERE relnamespace = current_schema()::regnamespace AND relkind = 'r' AND relname NOT IN ('schema_migrations', 'live_events') ORDER BY 1",
    );
    const result: Record<string, string[]> = {};
    for (const { name } of tables.rows) {
      result[name] = (await client.query<{ row: string }>(`SELECT row_to_json(r.*)::text AS row FROM ${pg.escapeIdentifier(name)} r ORDER BY 1`)).rows.map((row) => row.row);
    }
    return result;
  } finally {
    client.release(true);
  }
}

const rowCount = (tables: Record<string, string[]>): number => Object.values(tables).reduce((sum, rows) => sum + rows.length, 0);
const backup = (file: string, url = source.url) => runCommand(['backup', file], { DATABASE_URL: url }, dir);
const restore = (args: string[], url = target.url) => runCommand(['restore', ...args], { DATABASE_URL: url }, dir);

describe('gitlab-bridge backup and restore', () => {
  it('backs up to a private file in one go, and restores it into an empty database', async () => {
    const file = path.join(dir, 'bridge.backup');
    const before = await contents(sourcePool);
    const run = await backup(file);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`backed up ${rowCount(before)} rows from ${Object.keys(before).length} tables (schema version ${NEWEST}) to ${file}\n`);
    expect(run.stdout).toMatch(/^ {2}subscriptions +1$/m);
    expect(run.stdout).toContain(`key id ${key.id}`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['bridge.backup']);
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(JSON.parse(lines[0]!)).toMatchObject({ format: 'gitlab-bridge-backup', formatVersion: 1, schemaVersion: NEWEST });
    expect(JSON.parse(lines.at(-1)!)).toEqual({ end: true, rows: rowCount(before) });

    const restored = await restore([file]);
    expect(restored.code).toBe(0);
    expect(restored.stderr).toBe('');
    expect(restored.stdout).toContain(`restored ${rowCount(before)} rows into ${Object.keys(before).length} tables`);
    expect(restored.stdout).toContain(`key id is ${key.id}`);
    expect(await contents(targetPool)).toEqual(before);
    expect((await readAccount(targetPool, 'mm-ann', 'default', [key]))?.tokens?.accessToken).toBe('access-✓');
  });

  it('writes the backup to stdout with -, and every message to stderr', async () => {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, 'backup', '-'], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', DATABASE_URL: source.url },
      maxBuffer: 64 * 1024 * 1024,
    });
    const lines = stdout.trimEnd().split('\n');
    expect(JSON.parse(lines[0]!)).toMatchObject({ format: 'gitlab-bridge-backup' });
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ end: true });
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(stderr).toMatch(/^backed up \d+ rows from \d+ tables .* to stdout$/m);

    const file = path.join(dir, 'from-stdout.backup');
    writeFileSync(file, stdout);
    expect((await restore([file])).code).toBe(0);
    expect(await contents(targetPool)).toEqual(await contents(sourcePool));
  });

  it('refuses a database that holds bridge state unless --force, which replaces that state', async () => {
    const file = path.join(dir, 'bridge.backup');
    expect((await backup(file)).code).toBe(0);
    await migrate(targetPool, silentLog);
    await targetPool.query("INSERT INTO settings (key, value) VALUES ('encryption_key_id', '\"another-key\"')");

    const refused = await restore([file]);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toEqual([
      'gitlab-bridge: the database already holds bridge state (rows in settings) (restore into an empty database, or add --force to replace that state)',
    ]);
    expect((await targetPool.query("SELECT value FROM settings WHERE key = 'encryption_key_id'")).rows).toEqual([{ value: 'another-key' }]);

    const forced = await restore(['--force', file]);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('replaced the state that was there (rows in settings)');
    expect(await contents(targetPool)).toEqual(await contents(sourcePool));
  });

  it('refuses a truncated file, a newer format, a newer schema and a file that is not a backup, in one line each, changing nothing', async () => {
    const good = path.join(dir, 'good.backup');
    expect((await backup(good)).code).toBe(0);
    const text = readFileSync(good, 'utf8');
    const [first, ...rest] = text.split('\n');
    const header = JSON.parse(first!) as Record<string, unknown>;
    const variant = (name: string, body: string): string => {
      const file = path.join(dir, name);
      writeFileSync(file, body);
      return file;
    };
    const cases: [string, RegExp][] = [
      [variant('truncated.backup', text.slice(0, text.length - 40)), /^gitlab-bridge: .*truncated\.backup is incomplete: it ends .* \(the file was cut short .*nothing was restored\)$/],
      [variant('newer-format.backup', [JSON.stringify({ ...header, formatVersion: 2 }), ...rest].join('\n')), /^gitlab-bridge: .*newer-format\.backup was written by a newer gitlab-bridge \(backup format 2; this version reads format 1\)/],
      [
        variant('newer-schema.backup', [JSON.stringify({ ...header, schemaVersion: NEWEST + 1, bridgeVersion: '9.9.9' }), ...rest].join('\n')),
        new RegExp(`^gitlab-bridge: .*newer-schema\\.backup was written by a newer gitlab-bridge \\(9\\.9\\.9, schema version ${NEWEST + 1}; this one knows up to ${NEWEST}\\) \\(restore it with gitlab-bridge 9\\.9\\.9 or newer\\)$`),
      ],
      [variant('notes.txt', 'just some notes\n'), /^gitlab-bridge: .*notes\.txt is not a gitlab-bridge backup/],
      [path.join(dir, 'missing.backup'), /^gitlab-bridge: cannot read .*missing\.backup: no such file or directory$/],
    ];
    for (const [file, message] of cases) {
      const run = await restore([file]);
      expect([file, run.code]).toEqual([file, 1]);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr.trim()).toMatch(message);
    }
    expect(rowCount(await contents(targetPool))).toBe(0);
    expect((await restore([])).code).toBe(2);
  });

  it('leaves no file behind when a backup fails, and keeps the one it would have replaced', async () => {
    const file = path.join(dir, 'bridge.backup');
    writeFileSync(file, 'the previous backup\n');
    const run = await backup(file, target.url);
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe('gitlab-bridge: the database holds no gitlab-bridge state to back up (it was never migrated) (check DATABASE_URL (or DATA_DIR for the embedded database))');
    expect(readdirSync(dir)).toEqual(['bridge.backup']);
    expect(readFileSync(file, 'utf8')).toBe('the previous backup\n');
    expect((await backup(path.join(dir, 'no-such-dir', 'x.backup'))).stderr.trim()).toMatch(/^gitlab-bridge: cannot write .*x\.backup: no such file or directory$/);
  });

  it('backs up while a bridge runs against the same database', async () => {
    const bridge = runBridge(['start'], { DATABASE_URL: source.url, ENCRYPTION_KEY: keyBytes.toString('hex') });
    let header: { tables: { name: string; rows: number }[] };
    const file = path.join(dir, 'live.backup');
    try {
      const { internalPort } = await bridge.ready();
      const run = await backup(file);
      expect(run.code).toBe(0);
      header = JSON.parse(readFileSync(file, 'utf8').split('\n')[0]!) as typeof header;
      // The bridge was not held up: it still answers.
      expect((await fetch(`http://127.0.0.1:${internalPort}/healthz`)).status).toBe(200);
    } finally {
      await bridge.stop();
    }
    expect((await restore([file])).code).toBe(0);
    const restored = await contents(targetPool);
    for (const table of header.tables) expect([table.name, restored[table.name]?.length]).toEqual([table.name, table.rows]);
    expect((await readAccount(targetPool, 'mm-ann', 'default', [key]))?.tokens?.refreshToken).toBe('refresh-✓');
  });

  it('backs up the embedded database of a running bridge, and restore asks for the bridge to be stopped', async () => {
    const cwd = tempWorkDir();
    const bridge = runBridge(['start'], { PORT: '0', INTERNAL_PORT: '0' }, cwd);
    try {
      await bridge.ready(60_000);
      const run = await runCommand(['backup', 'embedded.backup'], {}, cwd);
      expect(run.code).toBe(0);
      expect(JSON.parse(readFileSync(path.join(cwd, 'embedded.backup'), 'utf8').split('\n')[0]!)).toMatchObject({ format: 'gitlab-bridge-backup' });
      const refused = await runCommand(['restore', '--force', 'embedded.backup'], {}, cwd);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('is in use by another process');
    } finally {
      await bridge.stop();
    }
  });
});

/** `gitlab-bridge migrate --status`: what is applied and pending, without changing anything. */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import { loadMigrations, migrate } from '../../../server/src/store/migrate.js';
import { runBridge, runCommand, tempWorkDir } from '../../helpers/bridge-process.js';
import { createTestDatabase, openPool, testServers, type TestDatabase } from '../../helpers/databases.js';
import { silentLog } from '../../helpers/silent-log.js';

let database: TestDatabase;
let pool: pg.Pool;

beforeEach(async () => {
  database = await createTestDatabase(testServers()[0]!);
  pool = openPool(database.url);
});
afterEach(async () => {
  await pool.end();
  await database.drop();
});

const status = () => runCommand(['migrate', '--status'], { DATABASE_URL: database.url });

describe('migrate --status', () => {
  it('lists applied and pending migrations and applies none of them', async () => {
    const all = loadMigrations();
    await migrate(pool, silentLog, all.slice(0, 3));
    const run = await status();
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines.filter((line) => line.startsWith('applied  '))).toHaveLength(3);
    expect(lines.filter((line) => line.startsWith('pending  ')).map((line) => line.slice(9))).toEqual(all.slice(3).map((m) => `${String(m.version).padStart(4, '0')}_${m.name}`));
    expect(lines.at(-1)).toBe(`${all.length - 3} migration(s) pending: \`gitlab-bridge migrate\` (or \`start\`) applies them.`);
    expect((await pool.query('SELECT count(*)::int AS n FROM schema_migrations')).rows[0].n).toBe(3);
  });

  it('says up to date, and flags a database migrated by a newer version with exit 1', async () => {
    await migrate(pool, silentLog);
    expect((await status()).stdout.trim().split('\n').at(-1)).toBe('Up to date.');
    await pool.query("INSERT INTO schema_migrations (version, name, checksum) VALUES (9999, 'from_the_future', 'x')");
    const run = await status();
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('9999_from_the_future');
    expect(run.stdout).toContain('This database was migrated by a newer gitlab-bridge; this version will not start against it.');
    const start = await runCommand(['start'], { DATABASE_URL: database.url, PORT: '0', INTERNAL_PORT: '0' });
    expect(start.code).toBe(1);
    expect(start.stderr).toContain('migrated by a newer gitlab-bridge');
  });

  it('reads a database never migrated as all pending', async () => {
    const run = await status();
    expect(run.stdout).not.toContain('applied  ');
    expect(run.stdout).toContain('pending  0001_settings');
    expect((await pool.query("SELECT to_regclass('schema_migrations') IS NULL AS missing")).rows[0].missing).toBe(true);
  });

  it('reads the embedded database of a running bridge instead of starting a second server on it', async () => {
    const cwd = tempWorkDir();
    const bridge = runBridge(['start'], { PORT: '0', INTERNAL_PORT: '0' }, cwd);
    try {
      await bridge.ready(60_000);
      const run = await runCommand(['migrate', '--status'], {}, cwd);
      expect(run.stderr).toBe('');
      expect(run.stdout).toMatch(/^Database: 127\.0\.0\.1:\d+\/gitlab_bridge\n/);
      expect(run.stdout.trim().split('\n').at(-1)).toBe('Up to date.');
    } finally {
      await bridge.stop();
    }
  });
});

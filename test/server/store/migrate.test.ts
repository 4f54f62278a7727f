import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { BridgeError } from '../../../server/src/errors.js';
import { loadMigrations, migrate, type Migration } from '../../../server/src/store/migrate.js';
import { createTestDatabase, openPool, testServers, type TestDatabase } from '../../helpers/databases.js';
import { silentLog } from '../../helpers/silent-log.js';

describe.each(testServers())('migrations on $label', (server) => {
  let database: TestDatabase;
  let pool: pg.Pool;

  beforeEach(async () => {
    database = await createTestDatabase(server);
    pool = openPool(database.url);
  });
  afterEach(async () => {
    await pool.end();
    await database.drop();
  });

  it('creates every shipped table on a fresh database and records each migration', async () => {
    const shipped = loadMigrations();
    const result = await migrate(pool, silentLog);

    expect(result.applied.map((m) => m.version)).toEqual(shipped.map((m) => m.version));
    const tables = await pool.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    );
    expect(tables.rows.map((row) => row.table_name)).toEqual(expect.arrayContaining(['schema_migrations', 'settings']));
    const recorded = await pool.query('SELECT version FROM schema_migrations ORDER BY version');
    expect(recorded.rows.map((row) => row.version)).toEqual(shipped.map((m) => m.version));
  });

  it('applies nothing the second time', async () => {
    await migrate(pool, silentLog);
    const again = await migrate(pool, silentLog);
    expect(again.applied).toEqual([]);
    expect(again.version).toBe(loadMigrations().at(-1)!.version);
  });

  it('applies each migration exactly once when replicas migrate at the same moment', async () => {
    const others = [1, 2, 3].map(() => openPool(database.url));
    try {
      const results = await Promise.all([pool, ...others].map((p) => migrate(p, silentLog)));
      const appliedCounts = results.map((r) => r.applied.length);
      expect(appliedCounts.reduce((a, b) => a + b, 0)).toBe(loadMigrations().length);
      const recorded = await pool.query('SELECT count(*)::int AS n FROM schema_migrations');
      expect(recorded.rows[0].n).toBe(loadMigrations().length);
    } finally {
      await Promise.all(others.map((p) => p.end()));
    }
  });

  it('refuses a database migrated by a newer version', async () => {
    await migrate(pool, silentLog);
    await pool.query("INSERT INTO schema_migrations (version, name, checksum) VALUES (9999, 'future', 'x')");
    const error = await migrate(pool, silentLog).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BridgeError);
    expect((error as BridgeError).code).toBe('database_too_new');
    expect((error as Error).message).toMatch(/newer gitlab-bridge.*9999/);
  });

  it('refuses to run when an applied migration was edited afterwards', async () => {
    const dir = mkdtempSync(path.join(process.env.TEST_WORK_ROOT ?? os.tmpdir(), 'migrations-'));
    writeFileSync(path.join(dir, '0001_first.sql'), 'CREATE TABLE first_table (id int);');
    await migrate(pool, silentLog, loadMigrations(dir));
    writeFileSync(path.join(dir, '0001_first.sql'), 'CREATE TABLE first_table (id bigint);');
    const error = await migrate(pool, silentLog, loadMigrations(dir)).catch((e: unknown) => e);
    expect((error as BridgeError).code).toBe('migration_changed');
  });

  it('rolls back a failing migration completely and reports which one failed', async () => {
    const broken: Migration[] = [
      { version: 1, name: 'half', sql: 'CREATE TABLE half_done (id int); SELECT * FROM no_such_table;', checksum: 'a' },
    ];
    await expect(migrate(pool, silentLog, broken)).rejects.toThrow(/1_half failed.*no_such_table/);
    const table = await pool.query("SELECT to_regclass('public.half_done') AS t");
    expect(table.rows[0].t).toBeNull();
    const recorded = await pool.query('SELECT count(*)::int AS n FROM schema_migrations');
    expect(recorded.rows[0].n).toBe(0);
  });
});

/**
 * Plain-SQL migrations from server/migrations (NNNN_name.sql), applied in order,
 * each in its own transaction, under an advisory lock so replicas starting
 * together apply each one exactly once.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { BridgeError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Queryable } from './queryable.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrationResult {
  applied: Migration[];
  /** Highest version in the database after the run. */
  version: number;
}

/** Same path from server/src/store (tests) and server/dist/store (build). */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

/** Arbitrary constant shared by every replica: "glbr" in ASCII. */
const LOCK_ID = 0x67_6c_62_72;

export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const migrations = readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .map((file) => {
      const match = /^(\d+)_([a-z0-9_]+)\.sql$/.exec(file);
      if (!match) throw new Error(`migration file name ${file} is not NNNN_name.sql`);
      // Line endings are normalised so a Windows checkout does not look like an edited migration.
      const sql = readFileSync(`${dir}/${file}`, 'utf8').replaceAll('\r\n', '\n');
      return {
        version: Number(match[1]),
        name: match[2]!,
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
      };
    })
    .sort((a, b) => a.version - b.version);
  migrations.forEach((migration, index) => {
    if (index > 0 && migrations[index - 1]!.version === migration.version) {
      throw new Error(`two migrations have version ${migration.version}`);
    }
  });
  return migrations;
}

export async function migrate(pool: pg.Pool, log: Logger, migrations: Migration[] = loadMigrations()): Promise<MigrationResult> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_ID]);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version    integer PRIMARY KEY,
        name       text NOT NULL,
        checksum   text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
      const { rows } = await client.query<{ version: number; name: string; checksum: string }>(
        'SELECT version, name, checksum FROM schema_migrations ORDER BY version',
      );
      checkHistory(rows, migrations);
      const done = new Set(rows.map((row) => row.version));
      const applied: Migration[] = [];
      for (const migration of migrations.filter((m) => !done.has(m.version))) {
        await client.query('BEGIN');
        try {
          await client.query(migration.sql);
          await client.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
            migration.version,
            migration.name,
            migration.checksum,
          ]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw new Error(`migration ${migration.version}_${migration.name} failed: ${(error as Error).message}`, {
            cause: error,
          });
        }
        log.info({ version: migration.version, name: migration.name }, 'applied database migration');
        applied.push(migration);
      }
      const version = Math.max(0, ...rows.map((row) => row.version), ...applied.map((m) => m.version));
      return { applied, version };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [LOCK_ID]);
    }
  } finally {
    client.release();
  }
}

function checkHistory(rows: { version: number; name: string; checksum: string }[], migrations: Migration[]): void {
  const known = new Map(migrations.map((migration) => [migration.version, migration]));
  const newest = migrations.at(-1)?.version ?? 0;
  for (const row of rows) {
    const migration = known.get(row.version);
    if (!migration) {
      if (row.version > newest) {
        throw new BridgeError(
          'database_too_new',
          `the database was migrated by a newer gitlab-bridge (schema version ${row.version}; this one knows up to ${newest})`,
          { hint: 'run the newer version, or restore a backup made by this one' },
        );
      }
      continue;
    }
    if (migration.checksum !== row.checksum) {
      throw new BridgeError(
        'migration_changed',
        `migration ${row.version}_${row.name} was changed after it was applied to this database`,
        { hint: 'applied migrations must never be edited; add a new migration instead' },
      );
    }
  }
}

export interface MigrationStatus {
  applied: { version: number; name: string; appliedAt: Date; /** Beyond this version's migrations: a newer bridge's. */ unknown: boolean; /** Edited since it was applied. */ changed: boolean }[];
  pending: Migration[];
}

/** What `migrate --status` shows; reads only (a database never migrated has nothing applied). */
export async function migrationStatus(db: Queryable, migrations: Migration[] = loadMigrations()): Promise<MigrationStatus> {
  const { rows: exists } = await db.query<{ found: boolean }>("SELECT to_regclass('schema_migrations') IS NOT NULL AS found");
  const rows = exists[0]?.found
    ? (await db.query<{ version: number; name: string; checksum: string; applied_at: Date }>('SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version')).rows
    : [];
  const known = new Map(migrations.map((migration) => [migration.version, migration]));
  const newest = migrations.at(-1)?.version ?? 0;
  const done = new Set(rows.map((row) => row.version));
  return {
    applied: rows.map((row) => ({
      version: row.version,
      name: row.name,
      appliedAt: row.applied_at,
      unknown: row.version > newest,
      changed: known.has(row.version) && known.get(row.version)!.checksum !== row.checksum,
    })),
    pending: migrations.filter((migration) => !done.has(migration.version)),
  };
}

/**
 * PostgreSQL servers for storage tests: always the embedded one that the global
 * setup starts, plus an external server when TEST_EXTERNAL_DATABASE_URL is set
 * (CI points it at Debian's PostgreSQL 15, the oldest major we support). Each
 * test gets a database of its own on each server.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate } from '../../server/src/store/migrate.js';
import { silentLog } from './silent-log.js';

export interface TestServer {
  label: string;
  url: string;
}

export function testServers(): TestServer[] {
  const raw = process.env.TEST_DATABASE_SERVERS;
  if (!raw) throw new Error('TEST_DATABASE_SERVERS is not set: run the tests through jest (npm test)');
  return JSON.parse(raw) as TestServer[];
}

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(server: TestServer): Promise<TestDatabase> {
  const name = `test_${randomBytes(6).toString('hex')}`;
  await withAdmin(server.url, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(server.url);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () => withAdmin(server.url, (client) => dropPolitely(client, name)),
  };
}

/** A pool for a test database; a connection cut while the test tears down is expected, not a failure. */
export function openPool(url: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: url });
  pool.on('error', () => undefined);
  return pool;
}

/** A database of its own on the first test server, migrated to the bridge's schema, with a pool on it. */
export interface MigratedDatabase extends TestDatabase {
  pool: pg.Pool;
  /** Ends the pool and drops the database. */
  close(): Promise<void>;
}

export async function createMigratedDatabase(): Promise<MigratedDatabase> {
  const database = await createTestDatabase(testServers()[0]!);
  const pool = openPool(database.url);
  await migrate(pool, silentLog);
  return {
    ...database,
    pool,
    async close() {
      await pool.end();
      await database.drop();
    },
  };
}

/**
 * pool.end() returns before its sockets are closed: give sessions a moment to
 * leave before forcing them out, so no test sees its connection killed.
 */
async function dropPolitely(client: pg.Client, name: string): Promise<void> {
  for (let attempt = 0; attempt < 40; attempt += 1) {
    try {
      await client.query(`DROP DATABASE IF EXISTS ${name}`);
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== '55006') throw error; // 55006: database is being accessed
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

async function withAdmin<T>(serverUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

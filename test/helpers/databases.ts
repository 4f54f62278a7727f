/**
 * PostgreSQL servers for storage tests: always the embedded one that the global
 * setup starts, plus an external server when TEST_EXTERNAL_DATABASE_URL is set
 * (CI points it at Debian's PostgreSQL 15, the oldest major we support). Each
 * test gets a database of its own on each server.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

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
    drop: () => withAdmin(server.url, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
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

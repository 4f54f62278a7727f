// Starts one embedded PostgreSQL for the whole run, through the bridge's own (compiled) code, and
// publishes the servers storage tests run against. Plain JS: jest loads global setup outside its
// module system. `npm test` builds server/dist first.
import { chmodSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createLogger } from '../../server/dist/log.js';
import { bundledMajorVersion, startEmbeddedPostgres } from '../../server/dist/store/embedded-postgres.js';

export default async function globalSetup() {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'gitlab-bridge-test-pg-'));
  chmodSync(dataDir, 0o755); // reachable by the 'postgres' user the server runs as under root
  const embedded = await startEmbeddedPostgres(dataDir, createLogger('silent'));
  // Bridges started by tests work in here; global-teardown.mjs removes it, whatever the tests left.
  const workRoot = mkdtempSync(path.join(os.tmpdir(), 'gitlab-bridge-test-runs-'));
  chmodSync(workRoot, 0o755);
  process.env.TEST_WORK_ROOT = workRoot;
  globalThis.__embeddedPostgres = { embedded, dataDir, workRoot };

  const servers = [{ label: `embedded PostgreSQL ${bundledMajorVersion()}`, url: embedded.url }];
  const external = process.env.TEST_EXTERNAL_DATABASE_URL;
  if (external) {
    const client = new pg.Client({ connectionString: external });
    await client.connect();
    const { rows } = await client.query('SHOW server_version');
    await client.end();
    servers.push({ label: `external PostgreSQL ${rows[0].server_version.split(' ')[0]}`, url: external });
  }
  process.env.TEST_DATABASE_SERVERS = JSON.stringify(servers);
}

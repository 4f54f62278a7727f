import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { BridgeError } from '../../../server/src/errors.js';
import { bundledMajorVersion, startEmbeddedPostgres } from '../../../server/src/store/embedded-postgres.js';
import { tempWorkDir } from '../../helpers/bridge-process.js';
import { silentLog } from '../../helpers/silent-log.js';

async function serverVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query<{ server_version: string; encoding: string }>(
    "SELECT current_setting('server_version') AS server_version, pg_encoding_to_char(encoding) AS encoding FROM pg_database WHERE datname = current_database()",
  );
  await client.end();
  return `${rows[0]!.server_version} ${rows[0]!.encoding}`;
}

describe('the embedded PostgreSQL', () => {
  it('initialises a UTF-8 database on first start, listens on loopback only, and needs its password', async () => {
    const dataDir = tempWorkDir();
    const server = await startEmbeddedPostgres(dataDir, silentLog);
    try {
      expect(await serverVersion(server.url)).toMatch(new RegExp(`^${bundledMajorVersion()}\\.\\d+.* UTF8$`));
      expect(new URL(server.url).hostname).toBe('127.0.0.1');
      const conf = readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n');
      expect(conf[5]).toBe('127.0.0.1'); // listen address line of postmaster.pid
      const wrong = new URL(server.url);
      wrong.password = 'guess';
      await expect(serverVersion(wrong.toString())).rejects.toThrow(/password authentication failed/);
    } finally {
      await server.stop();
    }
  });

  it('starts after a crash that left a stale postmaster.pid naming a dead process', async () => {
    const dataDir = tempWorkDir();
    const first = await startEmbeddedPostgres(dataDir, silentLog);
    await first.stop();
    const lockFile = path.join(dataDir, 'postgres', 'postmaster.pid');
    writeFileSync(lockFile, '999999\n/nowhere\n0\n5432\n\n127.0.0.1\n');
    const second = await startEmbeddedPostgres(dataDir, silentLog);
    try {
      expect(await serverVersion(second.url)).toMatch(/UTF8/);
    } finally {
      await second.stop();
    }
  });

  it('starts over when an interrupted first run left a half-made data directory', async () => {
    const dataDir = tempWorkDir();
    mkdirSync(path.join(dataDir, 'postgres', 'base'), { recursive: true });
    writeFileSync(path.join(dataDir, 'postgres', 'PG_VERSION'), `${bundledMajorVersion()}\n`);
    const server = await startEmbeddedPostgres(dataDir, silentLog);
    try {
      expect(await serverVersion(server.url)).toMatch(/UTF8/);
    } finally {
      await server.stop();
    }
  });

  it('explains what to do when the data was made by another PostgreSQL major version', async () => {
    const dataDir = tempWorkDir();
    mkdirSync(path.join(dataDir, 'postgres', 'global'), { recursive: true });
    writeFileSync(path.join(dataDir, 'postgres', 'PG_VERSION'), '13\n');
    writeFileSync(path.join(dataDir, 'postgres', 'global', 'pg_control'), '');
    const error = (await startEmbeddedPostgres(dataDir, silentLog).catch((e: unknown) => e)) as BridgeError;
    expect(error.code).toBe('embedded_postgres_failed');
    expect(error.message).toMatch(new RegExp(`created by PostgreSQL 13, but this version of gitlab-bridge runs PostgreSQL ${bundledMajorVersion()}`));
    expect(error.hint).toMatch(/backup/);
  });

  const asRoot = process.getuid?.() === 0 ? it : it.skip;
  asRoot('says plainly when, running as root, the postgres user cannot reach DATA_DIR', async () => {
    const parent = tempWorkDir();
    const locked = path.join(parent, 'locked');
    mkdirSync(locked, { mode: 0o700 });
    const error = (await startEmbeddedPostgres(path.join(locked, 'data'), silentLog).catch((e: unknown) => e)) as BridgeError;
    expect(error.code).toBe('data_dir_unusable');
    expect(error.message).toContain(`cannot enter ${locked}`);
    expect(error.hint).toMatch(/chmod o\+x/);
  });
});

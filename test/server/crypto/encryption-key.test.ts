import { statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { checkKeyMatchesDatabase, KEY_FILE_NAME, resolveEncryptionKey } from '../../../server/src/crypto/encryption-key.js';
import { toEncryptionKey } from '../../../server/src/crypto/secret-box.js';
import { BridgeError } from '../../../server/src/errors.js';
import { migrate } from '../../../server/src/store/migrate.js';
import { createTestDatabase, openPool, testServers, type TestDatabase } from '../../helpers/databases.js';
import { tempWorkDir } from '../../helpers/bridge-process.js';
import { silentLog } from '../../helpers/silent-log.js';

describe('the encryption key for tokens at rest', () => {
  it('uses ENCRYPTION_KEY when given, writing nothing', async () => {
    const dir = tempWorkDir();
    const key = await resolveEncryptionKey(Buffer.alloc(32, 3), dir, silentLog);
    expect(key.key).toEqual(Buffer.alloc(32, 3));
    expect(() => statSync(path.join(dir, KEY_FILE_NAME))).toThrow();
  });

  it('generates a key into DATA_DIR readable by its owner only, and reuses it', async () => {
    const dir = tempWorkDir();
    const first = await resolveEncryptionKey(undefined, dir, silentLog);
    expect(statSync(path.join(dir, KEY_FILE_NAME)).mode & 0o777).toBe(0o600);
    const second = await resolveEncryptionKey(undefined, dir, silentLog);
    expect(second.id).toBe(first.id);
    expect(second.key).toEqual(first.key);
  });

  it('refuses a damaged key file instead of silently making a new key', async () => {
    const dir = tempWorkDir();
    writeFileSync(path.join(dir, KEY_FILE_NAME), 'c2hvcnQ=\n');
    const error = (await resolveEncryptionKey(undefined, dir, silentLog).catch((e: unknown) => e)) as BridgeError;
    expect(error.code).toBe('data_dir_unusable');
    expect(error.message).toMatch(/does not hold a 32-byte base64 key/);
  });
});

describe.each(testServers())('the database remembers its encryption key on $label', (server) => {
  let database: TestDatabase;
  let pool: pg.Pool;
  beforeEach(async () => {
    database = await createTestDatabase(server);
    pool = openPool(database.url);
    await migrate(pool, silentLog);
  });
  afterEach(async () => {
    await pool.end();
    await database.drop();
  });

  it('accepts the same key again and refuses another one, naming both ids', async () => {
    const key = toEncryptionKey(Buffer.alloc(32, 1));
    const other = toEncryptionKey(Buffer.alloc(32, 2));
    await checkKeyMatchesDatabase(pool, key);
    await checkKeyMatchesDatabase(pool, key);
    const error = (await checkKeyMatchesDatabase(pool, other).catch((e: unknown) => e)) as BridgeError;
    expect(error.code).toBe('encryption_key_mismatch');
    expect(error.message).toContain(other.id);
    expect(error.message).toContain(key.id);
  });

  it('lets exactly one of several replicas starting together record its key', async () => {
    const keys = [1, 2, 3, 4].map((n) => toEncryptionKey(Buffer.alloc(32, n)));
    const results = await Promise.allSettled(keys.map((key) => checkKeyMatchesDatabase(pool, key)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });
});

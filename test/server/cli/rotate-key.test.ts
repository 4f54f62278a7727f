/**
 * `gitlab-bridge rotate-key`: tokens move to the new key, an interrupted run
 * resumes, tokens no key opens cost a connection (and a direct message), and
 * afterwards the bridge runs with the new key alone.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import { open, toEncryptionKey, type EncryptionKey } from '../../../server/src/crypto/secret-box.js';
import { createOAuthState, saveAccount } from '../../../server/src/store/gitlab-accounts.js';
import { migrate } from '../../../server/src/store/migrate.js';
import { rotateTokens } from '../../../server/src/store/rotate-tokens.js';
import { startFakeMattermost, type FakeMattermost } from '../../fakes/fake-mattermost.js';
import { runBridge, runCommand } from '../../helpers/bridge-process.js';
import { createTestDatabase, openPool, testServers, type TestDatabase } from '../../helpers/databases.js';
import { silentLog } from '../../helpers/silent-log.js';

const oldKeyBytes = randomBytes(32);
const newKeyBytes = randomBytes(32);
const oldKey = toEncryptionKey(oldKeyBytes);
const newKey = toEncryptionKey(newKeyBytes);
const strayKey = toEncryptionKey(randomBytes(32));

let database: TestDatabase;
let pool: pg.Pool;
let mattermost: FakeMattermost;
let botToken: string;
let users: string[];

beforeEach(async () => {
  database = await createTestDatabase(testServers()[0]!);
  pool = openPool(database.url);
  await migrate(pool, silentLog);
  mattermost = await startFakeMattermost();
  botToken = mattermost.addUser('gitlab', { bot: true }).token;
  // Sorted as rotation takes them, so that the account under a lost key comes last, after the interruption.
  users = ['ann', 'ben', 'cat', 'dan', 'eve'].map((name) => mattermost.addUser(name).user.id).sort();
  // Four accounts under the key in use, one under a key nobody has any more; the database knows the old key.
  for (const [index, userId] of users.entries()) {
    await saveAccount(pool, { instance: 'default', mattermostUserId: userId, gitlabUserId: 100 + index, gitlabUsername: `user${index}` }, tokensFor(index), index === 4 ? strayKey : oldKey);
  }
  await createOAuthState(pool, users[0]!, 'default', 'verifier-0', oldKey);
  await pool.query("INSERT INTO settings (key, value) VALUES ('encryption_key_id', $1)", [JSON.stringify(oldKey.id)]);
});
afterEach(async () => {
  await pool.end();
  await database.drop();
  await mattermost.close();
});

const tokensFor = (index: number) => ({ accessToken: `access-${index}`, refreshToken: `refresh-${index}`, expiresAt: new Date(Date.now() + 3_600_000), scopes: 'api read_user' });
const keyHex = (key: Buffer) => key.toString('hex');

async function accounts() {
  return (await pool.query<{ mattermost_user_id: string; key_id: string | null; access_token: Buffer | null; refresh_token: Buffer | null; disconnect_reason: string | null }>(
    'SELECT mattermost_user_id, key_id, access_token, refresh_token, disconnect_reason FROM gitlab_accounts ORDER BY gitlab_user_id',
  )).rows;
}

function readable(row: { mattermost_user_id: string; key_id: string | null; access_token: Buffer | null }, keys: EncryptionKey[]): string | null {
  try {
    return open({ keyId: row.key_id!, payload: row.access_token! }, keys, `gitlab_accounts:${row.mattermost_user_id}:access_token`);
  } catch {
    return null;
  }
}

describe('rotate-key', () => {
  it('resumes an interrupted rotation and leaves every token readable with the new key only', async () => {
    // Interrupted after one batch of two accounts.
    const first = await rotateTokens(pool, { key: newKey, keys: [newKey, oldKey], batchSize: 2, maxBatches: 1 });
    expect(first).toMatchObject({ done: false });
    const halfway = await accounts();
    expect(halfway.filter((row) => row.key_id === newKey.id).length).toBeGreaterThan(0);
    expect(halfway.filter((row) => row.key_id === oldKey.id).length).toBeGreaterThan(0);

    const env = { DATABASE_URL: database.url, ENCRYPTION_KEY: keyHex(newKeyBytes), ENCRYPTION_KEY_PREVIOUS: keyHex(oldKeyBytes), MATTERMOST_URL: mattermost.url, MATTERMOST_BOT_TOKEN: botToken };
    const run = await runCommand(['rotate-key'], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`under the key with id ${newKey.id} (was ${oldKey.id})`);
    expect(run.stdout).toContain('1 account(s) had tokens no configured key opens; they are disconnected and were told by direct message.');

    const rows = await accounts();
    for (const [index, row] of rows.slice(0, 4).entries()) {
      expect(row.key_id).toBe(newKey.id);
      expect(readable(row, [newKey])).toBe(`access-${index}`);
      expect(readable({ ...row, key_id: oldKey.id }, [oldKey])).toBeNull();
    }
    expect(rows[4]).toMatchObject({ key_id: null, access_token: null, refresh_token: null, disconnect_reason: expect.stringContaining('encryption key this bridge no longer has') });
    expect(mattermost.directMessagesTo(users[4]!).map((post) => post.message)).toEqual([expect.stringContaining('Run `/gitlab connect` to connect again')]);
    expect((await pool.query('SELECT key_id FROM oauth_states')).rows).toEqual([{ key_id: newKey.id }]);
    expect((await pool.query("SELECT value FROM settings WHERE key = 'encryption_key_id'")).rows[0].value).toBe(newKey.id);

    // The bridge now starts with the new key alone, and refuses the old one.
    const bridge = runBridge(['start'], { DATABASE_URL: database.url, ENCRYPTION_KEY: keyHex(newKeyBytes), PORT: '0', INTERNAL_PORT: '0' });
    await bridge.ready();
    await bridge.stop();
    const old = await runCommand(['start'], { DATABASE_URL: database.url, ENCRYPTION_KEY: keyHex(oldKeyBytes), PORT: '0', INTERNAL_PORT: '0' });
    expect(old.code).toBe(1);
    expect(old.stderr).toContain('is not the one this database was set up with');
  });

  it('refuses to run without the key in use so far, changing nothing', async () => {
    const run = await runCommand(['rotate-key'], { DATABASE_URL: database.url, ENCRYPTION_KEY: keyHex(newKeyBytes) });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`sealed with the key with id ${oldKey.id}, which neither ENCRYPTION_KEY nor ENCRYPTION_KEY_PREVIOUS holds`);
    expect((await accounts()).map((row) => row.key_id)).toEqual([oldKey.id, oldKey.id, oldKey.id, oldKey.id, strayKey.id]);
    expect((await runCommand(['rotate-key'], { DATABASE_URL: database.url })).stderr).toContain('rotate-key needs ENCRYPTION_KEY set to the new key');
  });
});

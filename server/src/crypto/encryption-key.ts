/**
 * Where the key for tokens at rest comes from: ENCRYPTION_KEY, else a key
 * generated once into DATA_DIR (0600). The database remembers the id of the key
 * it was set up with, so a replica or restart with a different key stops with a
 * clear message instead of writing tokens nobody else can read.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BridgeError } from '../errors.js';
import type { Logger } from '../log.js';
import { claimSetting } from '../store/settings.js';
import type { Queryable } from '../store/queryable.js';
import { toEncryptionKey, type EncryptionKey } from './secret-box.js';

export const KEY_FILE_NAME = 'encryption.key';
export const KEY_ID_SETTING = 'encryption_key_id';

export async function resolveEncryptionKey(
  configured: Buffer | undefined,
  dataDir: string,
  log: Logger,
): Promise<EncryptionKey> {
  if (configured) return toEncryptionKey(configured);
  const file = path.join(dataDir, KEY_FILE_NAME);
  const existing = await readKeyFile(file);
  if (existing) {
    const mode = (await stat(file)).mode & 0o777;
    if (mode & 0o077) log.warn({ file, mode: mode.toString(8) }, 'the generated encryption key file is readable by other users; chmod 600 it');
    return toEncryptionKey(existing);
  }
  await mkdir(dataDir, { recursive: true });
  try {
    await writeFile(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    log.warn(
      { file },
      'ENCRYPTION_KEY is not set: generated a key into DATA_DIR. Back it up with the data, or set ENCRYPTION_KEY (every replica needs the same one)',
    );
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new BridgeError('data_dir_unusable', `cannot write ${file}: ${(error as Error).message}`, {
        hint: 'make DATA_DIR writable, or set ENCRYPTION_KEY',
      });
    }
  }
  const written = await readKeyFile(file);
  if (!written) throw new BridgeError('data_dir_unusable', `${file} does not hold a 32-byte base64 key`);
  return toEncryptionKey(written);
}

/**
 * Records the key id on first use; refuses a different key afterwards, unless the recorded one is among
 * `readable` (ENCRYPTION_KEY_PREVIOUS during a rotation).
 */
export async function checkKeyMatchesDatabase(db: Queryable, key: EncryptionKey, readable: readonly EncryptionKey[] = [key]): Promise<void> {
  const recorded = await claimSetting(db, KEY_ID_SETTING, key.id);
  if (recorded !== key.id && !readable.some((candidate) => candidate.id === recorded)) {
    throw new BridgeError(
      'encryption_key_mismatch',
      `the encryption key (id ${key.id}) is not the one this database was set up with (id ${recorded})`,
      { hint: 'set ENCRYPTION_KEY to the key used before (the same on every replica)' },
    );
  }
}

async function readKeyFile(file: string): Promise<Buffer | undefined> {
  let text: string;
  try {
    text = (await readFile(file, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new BridgeError('data_dir_unusable', `cannot read ${file}: ${(error as Error).message}`);
  }
  const key = Buffer.from(text, 'base64');
  if (key.length !== 32) {
    throw new BridgeError('data_dir_unusable', `${file} does not hold a 32-byte base64 key`, {
      hint: 'restore it from a backup; without it stored tokens cannot be read',
    });
  }
  return key;
}

/**
 * DATA_DIR/postgres.lock is truncated and written by whoever takes the lock. If
 * another local user can write DATA_DIR, they must not be able to aim that write
 * at a file of the bridge's (a symbolic or hard link at the lock path), nor plant
 * a file of their own there: the bridge refuses, naming the file, and leaves the
 * target as it was.
 */
import { chownSync, linkSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from '@jest/globals';
import { BridgeError } from '../../../server/src/errors.js';
import { lockFilePath, tryLockDataDir } from '../../../server/src/store/data-dir-lock.js';
import { tempWorkDir } from '../../helpers/bridge-process.js';

const PRECIOUS = 'the bridge can write this, nobody else should\n';

/** A file the bridge's user owns, outside DATA_DIR, and DATA_DIR with `plant` done to its lock path. */
const setUp = (plant: (lockPath: string, target: string) => void) => {
  const work = tempWorkDir();
  const target = path.join(work, 'precious.txt');
  writeFileSync(target, PRECIOUS);
  const dataDir = path.join(work, 'data');
  mkdirSync(dataDir);
  plant(lockFilePath(dataDir), target);
  return { dataDir, target, lockPath: lockFilePath(dataDir) };
};

const refusal = async (dataDir: string): Promise<BridgeError> => {
  const error = await tryLockDataDir(dataDir).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(BridgeError);
  return error as BridgeError;
};

it('refuses a symbolic link at the lock path and leaves its target untouched', async () => {
  const { dataDir, target, lockPath } = setUp((lock, to) => symlinkSync(to, lock));
  const error = await refusal(dataDir);
  expect(error.message).toBe(`refusing ${lockPath}: it is a symbolic link`);
  expect(error.code).toBe('data_dir_unusable');
  expect(readFileSync(target, 'utf8')).toBe(PRECIOUS);
});

it('refuses a hard link to another file at the lock path and leaves that file untouched', async () => {
  const { dataDir, target, lockPath } = setUp((lock, to) => linkSync(to, lock));
  const error = await refusal(dataDir);
  expect(error.message).toBe(`refusing ${lockPath}: it has other names (hard links)`);
  expect(readFileSync(target, 'utf8')).toBe(PRECIOUS);
});

it('refuses a lock file someone else owns, without writing to it', async () => {
  const uid = process.getuid!();
  const other = uid === 0 ? 65_534 : undefined;
  if (other === undefined) return; // only root can give a file away; CI and the dev container run as root
  const { dataDir, lockPath } = setUp((lock) => {
    writeFileSync(lock, 'planted\n');
    chownSync(lock, other, other);
  });
  const error = await refusal(dataDir);
  expect(error.message).toBe(`refusing ${lockPath}: it belongs to uid ${other}, not to this process's uid ${uid}`);
  expect(readFileSync(lockPath, 'utf8')).toBe('planted\n');
});

it('takes a lock file of its own as before, writing who holds it', async () => {
  const { dataDir, lockPath } = setUp(() => undefined);
  const attempt = await tryLockDataDir(dataDir);
  expect(attempt.kind).toBe('acquired');
  expect(readFileSync(lockPath, 'utf8')).toMatch(/^gitlab-bridge .*\(pid \d+ on host /);
  const again = await tryLockDataDir(dataDir);
  expect(again).toEqual({ kind: 'held', owner: expect.stringMatching(/^gitlab-bridge /) });
  if (attempt.kind === 'acquired') attempt.lock.release();
  const after = await tryLockDataDir(dataDir);
  expect(after.kind).toBe('acquired');
  if (after.kind === 'acquired') after.lock.release();
});

/**
 * Who owns the embedded database: an OS lock (flock) on DATA_DIR/postgres.lock,
 * held for as long as one process (a bridge, or an admin command that started
 * the server itself) runs PostgreSQL on that data. flock works across PID
 * namespaces and containers sharing the volume, and the kernel drops it when its
 * holder dies, even by SIGKILL: no PID guessing, nothing stale to clean up.
 *
 * Node has no flock call. The lock is taken by util-linux's `flock` on a file
 * descriptor this process opened and hands to it as fd 3: a flock belongs to
 * the open file description, which both share, so the lock stays with this
 * process once `flock` exits, and goes when this process closes the file or dies.
 * The descriptor is close-on-exec, so PostgreSQL does not inherit it.
 */
import { spawn } from 'node:child_process';
import { closeSync, fstatSync, ftruncateSync, openSync, readFileSync, writeSync, constants } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { BridgeError } from '../errors.js';

export const LOCK_FILE_NAME = 'postgres.lock';

export interface DataDirLock {
  /** Idempotent. Only after the server has stopped. */
  release(): void;
}

export type LockAttempt =
  | { kind: 'acquired'; lock: DataDirLock }
  /** Another live process holds it; `owner` is what it wrote there, when readable. */
  | { kind: 'held'; owner: string | undefined }
  /** No `flock` command on this machine (not Linux): ownership cannot be known. */
  | { kind: 'unavailable'; reason: string };

export function lockFilePath(dataDir: string): string {
  return path.join(dataDir, LOCK_FILE_NAME);
}

/** Never waits: an owner is either there or not. */
export async function tryLockDataDir(dataDir: string): Promise<LockAttempt> {
  const file = lockFilePath(dataDir);
  let fd: number;
  try {
    // No symlink (ELOOP) and no blocking on a FIFO: whoever can write DATA_DIR must not aim our writes elsewhere.
    fd = openSync(file, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o600);
  } catch (error) {
    const symlink = (error as NodeJS.ErrnoException).code === 'ELOOP';
    throw new BridgeError('data_dir_unusable', symlink ? `refusing ${file}: it is a symbolic link` : `cannot open ${file}: ${(error as Error).message}`, {
      hint: symlink ? `remove ${file} and make DATA_DIR writable only by the bridge's user` : 'the bridge and its admin commands must run as a user that can write DATA_DIR',
      cause: error,
    });
  }
  try {
    checkLockFile(fd, file);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  const outcome = await runFlock(fd).catch((error: unknown) => {
    closeSync(fd);
    throw error;
  });
  if (outcome === 'missing') {
    closeSync(fd);
    return { kind: 'unavailable', reason: 'the flock command (util-linux) is not installed' };
  }
  if (outcome === 'held') {
    const owner = readOwner(fd);
    closeSync(fd);
    return { kind: 'held', owner };
  }
  describeOwner(fd);
  let released = false;
  return {
    kind: 'acquired',
    lock: {
      release() {
        if (released) return;
        released = true;
        closeSync(fd); // the last descriptor of the description: the lock goes with it
      },
    },
  };
}

function runFlock(fd: number): Promise<'acquired' | 'held' | 'missing'> {
  return new Promise((resolve, reject) => {
    const child = spawn('flock', ['--exclusive', '--nonblock', '3'], { stdio: ['ignore', 'ignore', 'pipe', fd] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', (error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? resolve('missing') : reject(error)));
    child.once('close', (code) => {
      // flock: 0 = locked, 1 = held elsewhere (--nonblock), anything else = it could not try.
      if (code === 0) resolve('acquired');
      else if (code === 1) resolve('held');
      else reject(new BridgeError('data_dir_unusable', `flock could not lock the embedded database's lock file: ${stderr.trim() || `exit ${code ?? 'by a signal'}`}`));
    });
  });
}

/** One line for whoever finds the lock held: which process, on which host (a container's is its id). */
function describeOwner(fd: number): void {
  const text = `gitlab-bridge ${process.argv.slice(2).join(' ') || 'start'} (pid ${process.pid} on host ${hostname()}, since ${new Date().toISOString()})\n`;
  try {
    ftruncateSync(fd, 0);
    writeSync(fd, text, 0);
  } catch {
    // Only a courtesy for error messages.
  }
}

/**
 * Only a regular file of our own with no other name is ours to truncate and write: a hard link or
 * someone else's file at the lock path would let another local user aim our writes at it.
 */
function checkLockFile(fd: number, file: string): void {
  const stat = fstatSync(fd);
  const uid = process.getuid?.();
  const problem = !stat.isFile()
    ? 'it is not a regular file'
    : uid !== undefined && stat.uid !== uid
      ? `it belongs to uid ${stat.uid}, not to this process's uid ${uid}`
      : stat.nlink !== 1
        ? 'it has other names (hard links)'
        : undefined;
  if (problem) {
    throw new BridgeError('data_dir_unusable', `refusing ${file}: ${problem}`, {
      hint: `remove ${file} and make DATA_DIR writable only by the bridge's user`,
    });
  }
}

function readOwner(fd: number): string | undefined {
  try {
    return readFileSync(fd, 'utf8').split('\n')[0]?.trim() || undefined;
  } catch {
    return undefined;
  }
}

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
import { closeSync, ftruncateSync, openSync, readFileSync, writeSync, constants } from 'node:fs';
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
    fd = openSync(file, constants.O_RDWR | constants.O_CREAT, 0o600);
  } catch (error) {
    throw new BridgeError('data_dir_unusable', `cannot open ${file}: ${(error as Error).message}`, {
      hint: 'the bridge and its admin commands must run as a user that can write DATA_DIR',
      cause: error,
    });
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
    closeSync(fd);
    return { kind: 'held', owner: readOwner(file) };
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

function readOwner(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').split('\n')[0]?.trim() || undefined;
  } catch {
    return undefined;
  }
}

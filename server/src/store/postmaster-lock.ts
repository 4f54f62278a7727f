/**
 * What to do before opening the embedded database, from three facts: whether a
 * live process owns it (the DATA_DIR lock, data-dir-lock.ts), whether a server
 * answers on the port its `postmaster.pid` names, and whether that server's
 * process is visible from here. A PID alone proves nothing across PID
 * namespaces (`docker exec`, a second container on the same volume): a live
 * server may look dead or orphaned, so nothing here is decided on PID liveness,
 * and nothing deletes `postmaster.pid`: PostgreSQL judges a stale one itself.
 * The decision is pure; the probes below it are the I/O.
 */
import { readlinkSync, realpathSync } from 'node:fs';

export interface PostmasterPid {
  pid: number;
  port: number | undefined;
}

/**
 * postmaster.pid, as PostgreSQL writes it (src/include/utils/pidfile.h): line 1 the postmaster's PID,
 * 2 the data directory, 3 the start time, 4 the port, 5 the socket directory, 6 the listen address,
 * 7 the shared memory key, 8 the status. Lines 4 and up are filled in as the server starts.
 */
export function parsePostmasterPid(text: string | undefined): PostmasterPid | undefined {
  if (text === undefined) return undefined;
  const lines = text.split('\n');
  const pid = Number.parseInt(lines[0] ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  const port = Number.parseInt(lines[3] ?? '', 10);
  return { pid, port: Number.isInteger(port) && port > 0 && port < 65536 ? port : undefined };
}

export interface Situation {
  /** own: start a server (`start`, `restore`); share: an admin command that may use a running one. */
  purpose: 'own' | 'share';
  /** The DATA_DIR lock: we got it, a live process holds it, or it cannot be known (no flock). */
  ownership: 'acquired' | 'held' | 'unavailable';
  /** none: no postmaster.pid; silent: nothing of ours answers on its port; answers: our server does. */
  server: 'none' | 'silent' | 'answers';
  /** postmaster.pid's PID is, in this PID namespace, a process working in this data directory. */
  visibleHere: boolean;
}

export type Plan =
  /** Start our own server (holding the lock). */
  | { kind: 'start' }
  /** Use the running server; never stop it. */
  | { kind: 'share' }
  /** The owner is starting its server (or runs it out of our reach): look again shortly. */
  | { kind: 'wait' }
  /** A server nobody owns any more (its bridge was killed): stop it, then start our own. */
  | { kind: 'stop-orphan' }
  | { kind: 'refuse'; why: 'owned' | 'unowned-elsewhere' | 'unknown-owner' };

export function planEmbedded({ purpose, ownership, server, visibleHere }: Situation): Plan {
  if (ownership === 'held') {
    // A live bridge (or admin command) runs this database, in any container: never a second server.
    // An owner is asked only after waiting for it (embedded-postgres.ts waitForOwner): it is staying.
    if (purpose === 'own') return { kind: 'refuse', why: 'owned' };
    return server === 'answers' ? { kind: 'share' } : { kind: 'wait' };
  }
  if (ownership === 'unavailable') {
    // Without the lock a running server may be a live bridge's: use it or leave it alone.
    if (server !== 'answers') return { kind: 'start' };
    return purpose === 'share' ? { kind: 'share' } : { kind: 'refuse', why: 'unknown-owner' };
  }
  // Nobody owns it. A silent port means no server runs for this data here; PostgreSQL checks the rest.
  if (server !== 'answers') return { kind: 'start' };
  // A server outlived its owner. Stop it only when we can see it is this data directory's.
  return visibleHere ? { kind: 'stop-orphan' } : { kind: 'refuse', why: 'unowned-elsewhere' };
}

/**
 * Whether `pid` is, in this PID namespace, a process whose working directory is `databaseDir`:
 * PostgreSQL's postmaster and backends chdir into their data directory. In another namespace the
 * PID is absent or some other process; without /proc (not Linux) we cannot tell, so: no.
 */
export function runsInDirectory(pid: number, databaseDir: string): boolean {
  try {
    return readlinkSync(`/proc/${pid}/cwd`) === realpathSync(databaseDir);
  } catch {
    return false;
  }
}

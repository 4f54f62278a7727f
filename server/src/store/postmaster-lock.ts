/**
 * What to do about a `postmaster.pid` left in the embedded data directory.
 * PostgreSQL refuses to start while that file names a live process, so after a
 * crash (or a container restart that reuses PIDs) we must tell a stale file from
 * a server that is really in use. The decision is pure; the probes are passed in.
 */
import { readFileSync } from 'node:fs';

export interface ProcessProbe {
  /** false when no process has this PID (ESRCH). */
  isAlive(pid: number): boolean;
  /** The process's command line, or undefined when it cannot be read (not Linux, gone). */
  commandLine(pid: number): string | undefined;
  /** The parent PID, or undefined when it cannot be read. */
  parentPid(pid: number): number | undefined;
}

export type LockVerdict =
  | { kind: 'none' }
  /** Nothing holds the file: remove it and start. */
  | { kind: 'stale'; pid: number }
  /** A PostgreSQL whose bridge died (its parent is gone or is init): stop it, then start. */
  | { kind: 'orphan'; pid: number }
  /** A PostgreSQL that a running process still uses: do not touch it. */
  | { kind: 'in-use'; pid: number; ownerPid: number | undefined };

export function judgeLock(lockFileText: string | undefined, probe: ProcessProbe): LockVerdict {
  if (lockFileText === undefined) return { kind: 'none' };
  const pid = Number.parseInt(lockFileText.split('\n')[0] ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0) return { kind: 'stale', pid: 0 };
  if (!probe.isAlive(pid)) return { kind: 'stale', pid };

  const command = probe.commandLine(pid);
  // Without /proc we cannot tell a reused PID from a live server: be safe.
  if (command === undefined) return { kind: 'in-use', pid, ownerPid: undefined };
  if (!/postgres/.test(command)) return { kind: 'stale', pid };

  const ownerPid = probe.parentPid(pid);
  if (ownerPid === undefined || ownerPid <= 1 || !probe.isAlive(ownerPid)) return { kind: 'orphan', pid };
  const ownerCommand = probe.commandLine(ownerPid) ?? '';
  // Orphans are re-parented to init or a subreaper (tini, systemd); a node parent is a live bridge.
  return /node|gitlab-bridge/.test(ownerCommand) ? { kind: 'in-use', pid, ownerPid } : { kind: 'orphan', pid };
}

/** Probes backed by process.kill(pid, 0) and Linux's /proc. */
export const systemProbe: ProcessProbe = {
  isAlive(pid) {
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  },
  commandLine(pid) {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
    } catch {
      return undefined;
    }
  },
  parentPid(pid) {
    try {
      // Field 4 of /proc/PID/stat, after the parenthesised command name (which may hold spaces).
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return Number.parseInt(fields[1] ?? '', 10);
    } catch {
      return undefined;
    }
  },
};

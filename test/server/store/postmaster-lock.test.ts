import { describe, expect, it } from '@jest/globals';
import { judgeLock, type ProcessProbe } from '../../../server/src/store/postmaster-lock.js';

function probe(processes: Record<number, { command: string; parent: number }>, proc = true): ProcessProbe {
  return {
    isAlive: (pid) => pid in processes,
    commandLine: (pid) => (proc ? processes[pid]?.command : undefined),
    parentPid: (pid) => processes[pid]?.parent,
  };
}
const lockFor = (pid: number) => `${pid}\n/data/postgres\n1700000000\n5432\n\n127.0.0.1\n`;

describe('what a leftover postmaster.pid means', () => {
  it('is nothing when there is no file', () => {
    expect(judgeLock(undefined, probe({}))).toEqual({ kind: 'none' });
  });

  it('is stale when its process is gone', () => {
    expect(judgeLock(lockFor(4242), probe({}))).toEqual({ kind: 'stale', pid: 4242 });
  });

  it('is stale when the PID was reused by something that is not PostgreSQL (container restarts)', () => {
    expect(judgeLock(lockFor(1), probe({ 1: { command: 'node server/bin/gitlab-bridge.js', parent: 0 } }))).toEqual({
      kind: 'stale',
      pid: 1,
    });
  });

  it('is stale when the file is garbage', () => {
    expect(judgeLock('not a pid', probe({})).kind).toBe('stale');
  });

  it('is an orphan when PostgreSQL outlived the bridge that started it', () => {
    const processes = { 300: { command: 'postgres -D /data/postgres', parent: 1 } };
    expect(judgeLock(lockFor(300), probe(processes))).toEqual({ kind: 'orphan', pid: 300 });
  });

  it('is an orphan when a subreaper (tini, systemd) adopted it', () => {
    const processes = {
      300: { command: 'postgres -D /data/postgres', parent: 7 },
      7: { command: '/sbin/tini -- something', parent: 1 },
    };
    expect(judgeLock(lockFor(300), probe(processes)).kind).toBe('orphan');
  });

  it('is in use when a live bridge (a node process) owns the server', () => {
    const processes = {
      300: { command: 'postgres -D /data/postgres', parent: 200 },
      200: { command: 'node server/bin/gitlab-bridge.js start', parent: 1 },
    };
    expect(judgeLock(lockFor(300), probe(processes))).toEqual({ kind: 'in-use', pid: 300, ownerPid: 200 });
  });

  it('assumes in use when it cannot look (no /proc)', () => {
    expect(judgeLock(lockFor(300), probe({ 300: { command: 'postgres', parent: 1 } }, false)).kind).toBe('in-use');
  });
});

import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parsePostmasterPid, planEmbedded, runsInDirectory, type Situation } from '../../../server/src/store/postmaster-lock.js';
import { tempWorkDir } from '../../helpers/bridge-process.js';

const plan = (situation: Partial<Situation>) =>
  planEmbedded({ purpose: 'own', ownership: 'acquired', server: 'none', visibleHere: false, ...situation });

describe('reading postmaster.pid', () => {
  it('takes the PID from line 1 and the port from line 4', () => {
    expect(parsePostmasterPid('4242\n/data/postgres\n1700000000\n40123\n\n127.0.0.1\n  1234  5\nready   \n')).toEqual({ pid: 4242, port: 40123 });
  });

  it('has no port while the server is still writing the file, and nothing for garbage', () => {
    expect(parsePostmasterPid('4242\n/data/postgres\n1700000000\n')).toEqual({ pid: 4242, port: undefined });
    expect(parsePostmasterPid('not a pid')).toBeUndefined();
    expect(parsePostmasterPid(undefined)).toBeUndefined();
  });
});

describe('what to do before opening the embedded database', () => {
  it('refuses a second owner while a live process holds the DATA_DIR lock, whatever its PID looks like from here', () => {
    for (const server of ['none', 'silent', 'answers'] as const) {
      expect(plan({ ownership: 'held', server, visibleHere: true })).toEqual({ kind: 'refuse', why: 'owned' });
    }
  });

  it('shares the owner’s server with an admin command, and waits while it is not answering yet', () => {
    expect(plan({ purpose: 'share', ownership: 'held', server: 'answers' })).toEqual({ kind: 'share' });
    expect(plan({ purpose: 'share', ownership: 'held', server: 'silent' })).toEqual({ kind: 'wait' });
    expect(plan({ purpose: 'share', ownership: 'held', server: 'none' })).toEqual({ kind: 'wait' });
  });

  it('starts its own server when nobody owns the data, leaving any postmaster.pid to PostgreSQL', () => {
    expect(plan({ server: 'none' })).toEqual({ kind: 'start' });
    expect(plan({ server: 'silent' })).toEqual({ kind: 'start' });
    expect(plan({ purpose: 'share', server: 'silent' })).toEqual({ kind: 'start' });
  });

  it('stops a server that outlived its owner only when it is seen running on this data here', () => {
    expect(plan({ server: 'answers', visibleHere: true })).toEqual({ kind: 'stop-orphan' });
    expect(plan({ server: 'answers', visibleHere: false })).toEqual({ kind: 'refuse', why: 'unowned-elsewhere' });
  });

  it('without flock, uses a server that answers and never stops one', () => {
    expect(plan({ purpose: 'share', ownership: 'unavailable', server: 'answers' })).toEqual({ kind: 'share' });
    expect(plan({ ownership: 'unavailable', server: 'answers', visibleHere: true })).toEqual({ kind: 'refuse', why: 'unknown-owner' });
    expect(plan({ ownership: 'unavailable', server: 'silent' })).toEqual({ kind: 'start' });
  });
});

describe('whether a PID runs on a data directory here', () => {
  it('is true for a process working in that directory, false for any other directory or a PID that is gone', async () => {
    const dir = path.join(tempWorkDir(), 'postgres');
    mkdirSync(dir);
    const child = spawn('sleep', ['30'], { cwd: dir, stdio: 'ignore' });
    try {
      expect(runsInDirectory(child.pid!, dir)).toBe(true);
      expect(runsInDirectory(child.pid!, tempWorkDir())).toBe(false);
      expect(runsInDirectory(process.pid, dir)).toBe(false);
    } finally {
      child.kill();
    }
    await new Promise((resolve) => child.once('exit', resolve));
    expect(runsInDirectory(child.pid!, dir)).toBe(false);
  });
});

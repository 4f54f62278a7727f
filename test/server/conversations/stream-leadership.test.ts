/**
 * One replica listens to Mattermost at a time: two replicas (each with its own lock session) on one
 * database, as in a deployment with two bridges.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import { runForLeadership, type Leadership } from '../../../server/src/conversations/stream-leadership.js';
import { createSessionLocks, type SessionLocks } from '../../../server/src/store/session-locks.js';
import { createMigratedDatabase, type MigratedDatabase } from '../../helpers/databases.js';
import { silentLog } from '../../helpers/silent-log.js';
import { waitFor } from '../../helpers/wait-for.js';

const RETRY_MS = 100;

let database: MigratedDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  database = await createMigratedDatabase();
  pool = database.pool;
});

afterAll(async () => {
  await database.close();
});

interface Replica {
  name: string;
  locks: SessionLocks;
  leadership: Leadership;
  /** How often this replica tried to start listening, started, and stopped. */
  attempts: number;
  started: number;
  stopped: number;
  listening: boolean;
}

let replicas: Replica[] = [];
const journal: string[] = [];

function startReplica(name: string, lead?: () => Promise<void>): Replica {
  const locks = createSessionLocks(database.url, silentLog);
  const replica = { name, locks, attempts: 0, started: 0, stopped: 0, listening: false } as Replica;
  replica.leadership = runForLeadership({
    locks,
    retryMs: RETRY_MS,
    log: silentLog,
    async lead() {
      replica.attempts += 1;
      await lead?.();
      replica.started += 1;
      replica.listening = true;
      journal.push(`${name} listens`);
      return {
        async stop() {
          replica.stopped += 1;
          replica.listening = false;
          journal.push(`${name} stops`);
        },
      };
    },
  });
  replicas.push(replica);
  return replica;
}

afterEach(async () => {
  await Promise.all(replicas.map(async (replica) => {
    await replica.leadership.stop();
    await replica.locks.close();
  }));
  replicas = [];
  journal.length = 0;
});

const leaders = () => replicas.filter((replica) => replica.leadership.isLeader());
const listening = () => replicas.filter((replica) => replica.listening);
/** A few retry periods: long enough for a second replica to have tried, and failed, to lead. */
const afewPeriods = () => new Promise((resolve) => setTimeout(resolve, 4 * RETRY_MS));

/** The database session holding the listener's advisory lock (two-key advisory locks show their keys as classid/objid). */
async function lockHolderPid(): Promise<number | null> {
  const { rows } = await pool.query<{ pid: number }>(
    `SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 AND l.classid = $1::bigint::oid
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND a.application_name = 'gitlab-bridge-locks'`,
    [0x67627035],
  );
  return rows[0]?.pid ?? null;
}

describe('stream leadership', () => {
  it('of two replicas, exactly one listens; the other stays on standby', async () => {
    const [a, b] = [startReplica('a'), startReplica('b')];
    await waitFor(() => leaders().length === 1, 'a leader');
    await afewPeriods();
    expect(leaders()).toHaveLength(1);
    expect(listening()).toHaveLength(1);
    expect(a.started + b.started).toBe(1);
    expect(await lockHolderPid()).not.toBeNull();
  });

  it('when the listener loses its database session, it stops listening and one replica listens again', async () => {
    startReplica('a');
    startReplica('b');
    await waitFor(() => listening().length === 1, 'a listener');
    const first = listening()[0]!;
    const pid = await lockHolderPid();
    await pool.query('SELECT pg_terminate_backend($1)', [pid]);

    // It no longer counts as the leader at once, and stops its listener at its next turn.
    await waitFor(() => !first.leadership.isLeader(), 'the old leader to know');
    await waitFor(() => first.stopped === 1, 'the old listener to stop', 20 * RETRY_MS);
    await waitFor(() => leaders().length === 1 && listening().length === 1, 'a new listener', 20 * RETRY_MS);
    await afewPeriods();
    expect(listening()).toHaveLength(1);
    expect(journal.filter((line) => line.endsWith('listens'))).toHaveLength(2);
    expect(await lockHolderPid()).not.toBe(pid);
  });

  it('a listener that stops (the replica shuts down) lets the other take over', async () => {
    const a = startReplica('a');
    await waitFor(() => a.listening, 'a to listen');
    const b = startReplica('b');
    await afewPeriods();
    expect(b.started).toBe(0);

    await a.leadership.stop();
    expect(a.listening).toBe(false);
    expect(a.leadership.isLeader()).toBe(false);
    await waitFor(() => b.listening, 'b to take over', 20 * RETRY_MS);
    expect(journal).toEqual(['a listens', 'a stops', 'b listens']);
    await afewPeriods();
    expect(a.started).toBe(1); // a stopped replica does not come back
  });

  it('a replica that cannot start listening lets go, so another can', async () => {
    const broken = startReplica('broken', async () => {
      throw new Error('Mattermost said 401');
    });
    await waitFor(() => broken.attempts >= 2, 'the broken replica to try, and try again');
    const healthy = startReplica('healthy');
    await waitFor(() => healthy.listening || broken.listening, 'someone to listen', 20 * RETRY_MS);
    expect(healthy.listening).toBe(true);
    expect(broken.leadership.isLeader()).toBe(false);
  });
});

/** The listening replica’s heartbeat, read by the others for /readyz: fresh while it beats, stale once it stops. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import { describeStream, HEARTBEAT_STALE_MS } from '../../../server/src/conversations/stream-report.js';
import { readStreamHeartbeat, writeStreamHeartbeat, type StreamHeartbeat } from '../../../server/src/store/stream-heartbeat.js';
import { createMigratedDatabase, type MigratedDatabase } from '../../helpers/databases.js';

let database: MigratedDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  database = await createMigratedDatabase();
  pool = database.pool;
});

afterAll(async () => {
  await database.close();
});

const beat: StreamHeartbeat = { listener: 'bridge-1 (pid 42)', phase: 'connected', connectedAt: 1_767_600_000_000, lastEventAt: 1_767_600_005_000, reconnects: 1 };

describe('stream heartbeat', () => {
  it('none before a replica listened', async () => {
    expect(await readStreamHeartbeat(pool)).toBeNull();
  });

  it('reads back what the listener wrote, and how old it is by the database’s clock', async () => {
    await writeStreamHeartbeat(pool, { ...beat, phase: 'connecting', connectedAt: null });
    await writeStreamHeartbeat(pool, beat);
    const read = await readStreamHeartbeat(pool);
    expect(read?.beat).toEqual(beat);
    expect(read!.ageMs).toBeGreaterThanOrEqual(0);
    expect(read!.ageMs).toBeLessThan(5000);
    expect(describeStream({ role: 'standby' }, read).detail).toContain('bridge-1 (pid 42) listens');
  });

  it('a heartbeat no longer renewed turns stale: then no one is said to listen', async () => {
    await pool.query("UPDATE settings SET updated_at = now() - $1 * interval '1 millisecond' WHERE key = 'mattermost_stream'", [HEARTBEAT_STALE_MS + 1000]);
    const read = await readStreamHeartbeat(pool);
    expect(read!.ageMs).toBeGreaterThan(HEARTBEAT_STALE_MS);
    expect(describeStream({ role: 'standby' }, read).state).toBe('no_listener');
  });
});

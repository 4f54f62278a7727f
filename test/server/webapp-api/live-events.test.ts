/**
 * The caps on live-update streams of one replica (LIVE_STREAMS_PER_USER,
 * LIVE_STREAMS_MAX), against real PostgreSQL: beyond them a stream is
 * refused, and a closed stream frees its place.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import { migrate } from '../../../server/src/store/migrate.js';
import { startLiveEvents, type LiveEvents } from '../../../server/src/webapp-api/live-events.js';
import { createTestDatabase, openPool, testServers, type TestDatabase } from '../../helpers/databases.js';
import { silentLog } from '../../helpers/silent-log.js';

describe('live update stream caps', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let live: LiveEvents;
  // A new subscriber each time, as every stream is.
  const subscriber = () => ({ event: () => undefined, end: () => undefined });

  beforeEach(async () => {
    database = await createTestDatabase(testServers()[0]!);
    pool = openPool(database.url);
    await migrate(pool, silentLog);
    live = await startLiveEvents({ pool, log: silentLog, streamsPerUser: 2, streamsMax: 3 });
  });
  afterEach(async () => {
    await live.close();
    await pool.end();
    await database.drop();
  });

  it('refuses a user beyond their streams, and everyone beyond the total; a closed stream frees its place', () => {
    const a1 = live.subscribe('alice', subscriber());
    expect('unsubscribe' in a1).toBe(true);
    live.subscribe('alice', subscriber());
    expect(live.subscribe('alice', subscriber())).toEqual({ refused: 'user', limit: 2 });
    const b1 = live.subscribe('bob', subscriber());
    expect('unsubscribe' in b1).toBe(true);
    expect(live.subscribe('carol', subscriber())).toEqual({ refused: 'total', limit: 3 });

    if ('unsubscribe' in b1) b1.unsubscribe();
    // Unsubscribing twice frees one place, not two.
    if ('unsubscribe' in b1) b1.unsubscribe();
    expect('unsubscribe' in live.subscribe('carol', subscriber())).toBe(true);
    expect(live.subscribe('dave', subscriber())).toEqual({ refused: 'total', limit: 3 });
    if ('unsubscribe' in a1) a1.unsubscribe();
    expect('unsubscribe' in live.subscribe('alice', subscriber())).toBe(true);
  });
});

/**
 * PostgreSQL ending a session the bridge holds (a restart, a failover, an admin's
 * pg_terminate_backend) must cost the holder its query, never the process.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { openDatabase, type Database } from '../../../server/src/store/database.js';
import { createTestDatabase, openPool, testServers, type TestDatabase } from '../../helpers/databases.js';
import { silentLog } from '../../helpers/silent-log.js';

describe.each(testServers())('a session lost under a checked-out client on $label', (server) => {
  let database: TestDatabase;
  let bridge: Database;
  beforeEach(async () => {
    database = await createTestDatabase(server);
    bridge = await openDatabase({ databaseUrl: database.url, dataDir: '/nonexistent' }, silentLog);
  });
  afterEach(async () => {
    await bridge.close();
    await database.drop();
  });

  it('rejects the holder’s next query, and the pool goes on with a new connection', async () => {
    const held = await bridge.pool.connect();
    const admin = openPool(database.url);
    try {
      const { rows } = await held.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      // Nobody else listens for the client's 'error' here: unheard, it would end the process (and fail this test).
      const ended = new Promise((resolve) => held.once('end', resolve));
      await admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
      await ended;
      await expect(held.query('SELECT 1')).rejects.toThrow();
    } finally {
      held.release();
      await admin.end();
    }
    expect((await bridge.pool.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });
});

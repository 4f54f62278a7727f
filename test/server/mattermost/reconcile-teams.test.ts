/**
 * The running bridge's periodic provisioning: teams created after setup get
 * /gitlab, once, even with two replicas checking at the same moment.
 */
import { afterEach, beforeEach, expect, it } from '@jest/globals';
import pg from 'pg';
import { parseConfig } from '../../../server/src/config.js';
import { createLogger } from '../../../server/src/log.js';
import { createMattermostClient } from '../../../server/src/mattermost/client.js';
import { provisionOptions } from '../../../server/src/mattermost/provision-options.js';
import { startTeamReconciler } from '../../../server/src/mattermost/reconcile-teams.js';
import { migrate } from '../../../server/src/store/migrate.js';
import { createSessionLocks } from '../../../server/src/store/session-locks.js';
import { startFakeMattermost, type FakeMattermost } from '../../fakes/fake-mattermost.js';
import { createTestDatabase, openPool, testServers, type TestDatabase } from '../../helpers/databases.js';

let mattermost: FakeMattermost;
let database: TestDatabase;
let pool: pg.Pool;
beforeEach(async () => {
  mattermost = await startFakeMattermost();
  database = await createTestDatabase(testServers()[0]!);
  pool = openPool(database.url);
  await migrate(pool, createLogger('silent'));
});
afterEach(async () => {
  expect(mattermost.violations).toEqual([]);
  await pool.end();
  await database.drop();
  await mattermost.close();
});

it('registers /gitlab on teams created since, once, with two replicas checking at the same moment', async () => {
  const { token: adminToken } = mattermost.addUser('root', { roles: 'system_user system_admin' });
  mattermost.config.ServiceSettings.AllowedUntrustedInternalConnections = '127.0.0.1';
  mattermost.addTeam('alpha');
  const config = parseConfig({ MATTERMOST_URL: mattermost.url, MATTERMOST_ADMIN_TOKEN: adminToken, INTERNAL_URL: 'http://127.0.0.1:3501' }, process.cwd());
  const options = await provisionOptions(config, pool);
  const log = createLogger('silent');
  const never = { firstRunMs: 3_600_000, intervalMs: 3_600_000 };
  // Each replica holds its locks on a session of its own.
  const sessions = [0, 1].map(() => createSessionLocks(database.url, log));
  const replicas = sessions.map((locks) => startTeamReconciler(locks, createMattermostClient(mattermost.url, adminToken), options, log, never));
  await replicas[0]!.runOnce();
  mattermost.addTeam('beta');

  await Promise.all(replicas.map((replica) => replica.runOnce()));
  const ours = [...mattermost.commands.values()].filter((command) => command.trigger === 'gitlab' && command.delete_at === 0);
  expect(ours.map((command) => mattermost.teams.get(command.team_id)?.name).sort()).toEqual(['alpha', 'beta']);
  expect(mattermost.requests.filter((request) => request.operationId === 'CreateCommand')).toHaveLength(2);
  expect((await pool.query('SELECT team_name FROM slash_commands ORDER BY team_name')).rows.map((row) => row.team_name)).toEqual(['alpha', 'beta']);
  await Promise.all(replicas.map((replica) => replica.stop()));
  await Promise.all(sessions.map((locks) => locks.close()));
});

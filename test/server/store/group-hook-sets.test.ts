/**
 * Group hook sets in PostgreSQL: a delivery about a project brings the right groups' jobs forward (by
 * path above it, or by the project's id), at most every 30 seconds each; and one reconcile at a time.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { GROUP_HOOKS_JOB, leaseGroupHookSet, readGroupHookSet, reconcileGroupHooksSoon, releaseGroupHookSet, saveGroupHookProject, saveGroupHookSet } from '../../../server/src/store/group-hook-sets.js';
import { ensureJob } from '../../../server/src/store/poll-jobs.js';
import { createMigratedDatabase, type MigratedDatabase } from '../../helpers/databases.js';

let database: MigratedDatabase;
const later = new Date(Date.now() + 60 * 60_000);

beforeAll(async () => {
  database = await createMigratedDatabase();
});
afterAll(() => database.close());
beforeEach(async () => {
  await database.pool.query('TRUNCATE group_hook_sets CASCADE; TRUNCATE poll_jobs');
  for (const [groupId, groupPath] of [
    [1, 'acme'],
    [2, 'acme/ops'],
    [3, 'other'],
  ] as const) {
    await saveGroupHookSet(database.pool, { instance: 'default', groupId, groupPath, requestedBy: 'alice', maintainable: 1, kinds: ['push'] });
    await ensureJob(database.pool, GROUP_HOOKS_JOB, String(groupId), later);
  }
  await saveGroupHookProject(database.pool, { instance: 'default', groupId: 3 }, { projectId: 77, path: 'other/moved', visibility: 'public', state: 'hooked', hookId: 1, error: null, verifiedAt: new Date() });
});

const due = async () =>
  (await database.pool.query<{ subject: string }>("SELECT subject FROM poll_jobs WHERE kind = $1 AND next_run_at <= now() + interval '1 second' ORDER BY subject", [GROUP_HOOKS_JOB])).rows.map((row) => row.subject);

describe('reconcileGroupHooksSoon', () => {
  it('brings forward the groups above the path and the group that had the project', async () => {
    expect(await reconcileGroupHooksSoon(database.pool, { paths: ['acme', 'acme/ops', 'acme/ops/new'], projectIds: [77] })).toBe(3);
    expect(await due()).toEqual(['1', '2', '3']);
    expect((await readGroupHookSet(database.pool, 'default', 1))?.wantedAt).toBeInstanceOf(Date);
  });

  it('leaves other groups, and other instances, alone', async () => {
    expect(await reconcileGroupHooksSoon(database.pool, { paths: ['acme'], projectIds: [] })).toBe(1);
    expect(await due()).toEqual(['1']);
    expect(await reconcileGroupHooksSoon(database.pool, { paths: ['acme'], projectIds: [77] }, 'second')).toBe(0);
  });

  it('waits 30 seconds after the last run, so that a burst costs few runs', async () => {
    await database.pool.query("UPDATE poll_jobs SET last_run_at = now() - interval '10 seconds' WHERE subject = '1'");
    await reconcileGroupHooksSoon(database.pool, { paths: ['acme'], projectIds: [] });
    const { rows } = await database.pool.query<{ wait: number }>("SELECT extract(epoch FROM next_run_at - now())::float AS wait FROM poll_jobs WHERE subject = '1'");
    expect(rows[0]!.wait).toBeGreaterThan(15);
    expect(rows[0]!.wait).toBeLessThanOrEqual(20);
  });
});

describe('leaseGroupHookSet', () => {
  it('lets one reconcile at a time have the set', async () => {
    expect(await leaseGroupHookSet(database.pool, 'default', 1, 60)).toBe(true);
    expect(await leaseGroupHookSet(database.pool, 'default', 1, 60)).toBe(false);
    await releaseGroupHookSet(database.pool, 'default', 1);
    expect(await leaseGroupHookSet(database.pool, 'default', 1, 60)).toBe(true);
  });
});

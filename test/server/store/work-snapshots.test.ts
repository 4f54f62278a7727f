/**
 * Saved work against real PostgreSQL: a poll that finds the same work writes nothing, a change is
 * written, a change made in place (a to-do marked done) is overwritten by the next poll whatever it
 * found, and how fresh the work is follows the user's last successful poll.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { WorkSnapshot } from '../../../server/src/gitlab/work-query.js';
import { workDigest } from '../../../server/src/polling/work-changes.js';
import { finishJob, claimDueJobs, ensureJob } from '../../../server/src/store/poll-jobs.js';
import { changeWorkSnapshot, readWorkSnapshot, readWorkSnapshots, saveWorkSnapshot } from '../../../server/src/store/work-snapshots.js';
import { createMigratedDatabase, type MigratedDatabase } from '../../helpers/databases.js';

let database: MigratedDatabase;

beforeAll(async () => {
  database = await createMigratedDatabase();
});

afterAll(async () => {
  await database?.close();
});

beforeEach(async () => {
  await database.pool.query('TRUNCATE gitlab_accounts, poll_jobs, work_snapshots');
  await database.pool.query(`INSERT INTO gitlab_accounts (mattermost_user_id, instance, gitlab_user_id, gitlab_username) VALUES ('alice', 'default', 6, 'alice')`);
});

const work = (reviews: number): WorkSnapshot => {
  const none = { total: 0, items: [] };
  return { gitlabUserId: 6, reviews: { total: reviews, items: [] }, assignedMergeRequests: none, myMergeRequests: none, assignedIssues: none, todos: none, moreTodos: false };
};
const save = (snapshot: WorkSnapshot) => saveWorkSnapshot(database.pool, 'alice', snapshot, workDigest(snapshot));

/** The row's version: PostgreSQL gives a row written again a new one, even with the same values. */
async function rowVersion(): Promise<string> {
  const { rows } = await database.pool.query<{ xmin: string }>("SELECT xmin::text FROM work_snapshots WHERE mattermost_user_id = 'alice'");
  return rows[0]!.xmin;
}

describe('saving work', () => {
  it('writes the first snapshot and a changed one, and nothing when a poll found the same work', async () => {
    expect(await save(work(1))).toBe(true);
    const written = await rowVersion();

    expect(await save(work(1))).toBe(false);
    expect(await rowVersion()).toBe(written);

    expect(await save(work(2))).toBe(true);
    expect(await rowVersion()).not.toBe(written);
    expect((await readWorkSnapshot(database.pool, 'alice'))?.snapshot.reviews.total).toBe(2);
  });

  it('writes what the next poll found after a change made in place, even when that poll found what was saved before it', async () => {
    await save(work(1));
    await changeWorkSnapshot(database.pool, 'alice', (snapshot) => ({ ...snapshot, reviews: { total: 0, items: [] } }), async () => undefined);
    expect((await readWorkSnapshot(database.pool, 'alice'))?.snapshot.reviews.total).toBe(0);

    expect(await save(work(1))).toBe(true);
    expect((await readWorkSnapshot(database.pool, 'alice'))?.snapshot.reviews.total).toBe(1);
  });

  it("is as fresh as the user's last successful poll, which found it unchanged", async () => {
    await save(work(1));
    const savedAt = (await readWorkSnapshot(database.pool, 'alice'))!.polledAt;

    const due = new Date(savedAt.getTime() + 60_000);
    await ensureJob(database.pool, 'user', 'alice', due);
    const [job] = await claimDueJobs(database.pool, { kind: 'user', limit: 1, leaseSeconds: 60, at: due });
    await finishJob(database.pool, job!, { nextRunAt: new Date(due.getTime() + 60_000) });
    const { rows } = await database.pool.query<{ last_success_at: Date }>("SELECT last_success_at FROM poll_jobs WHERE subject = 'alice'");

    expect((await readWorkSnapshot(database.pool, 'alice'))!.polledAt).toEqual(rows[0]!.last_success_at);
    expect((await readWorkSnapshots(database.pool, 'alice'))[0]!.polledAt).toEqual(rows[0]!.last_success_at);
    // A failed poll confirms nothing.
    await database.pool.query("UPDATE poll_jobs SET last_success_at = now() - interval '1 day' WHERE subject = 'alice'");
    expect((await readWorkSnapshot(database.pool, 'alice'))!.polledAt).toEqual(savedAt);
  });
});

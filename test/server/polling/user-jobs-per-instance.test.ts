/**
 * Users' poll jobs with several GitLab instances, against real PostgreSQL: each instance's runner
 * polls only the people connected to it, a webhook brings forward only its own instance's polls,
 * and being seen in Mattermost counts for every instance the person is connected to.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { markActive, syncUserJobs } from '../../../server/src/polling/poll-users.js';
import { workDigest } from '../../../server/src/polling/work-changes.js';
import { pollUsersSoon } from '../../../server/src/store/user-polls-soon.js';
import { readWorkSnapshots, saveWorkSnapshot } from '../../../server/src/store/work-snapshots.js';
import type { WorkSnapshot } from '../../../server/src/gitlab/work-query.js';
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
  // The same GitLab user id on both instances: two different people, numbered apart.
  await connect('alice', 'default', 6, 'alice');
  await connect('alice', 'corp', 6, 'alice.corp');
  await connect('bob', 'corp', 7, 'bob');
  await connect('carol', 'default', 7, 'carol');
});

async function connect(userId: string, instance: string, gitlabUserId: number, username: string): Promise<void> {
  await database.pool.query(
    `INSERT INTO gitlab_accounts (mattermost_user_id, instance, gitlab_user_id, gitlab_username, connected_at) VALUES ($1, $2, $3, $4, now() - interval '30 days')`,
    [userId, instance, gitlabUserId, username],
  );
}

async function jobs(): Promise<string[]> {
  const { rows } = await database.pool.query<{ instance: string; subject: string }>("SELECT instance, subject FROM poll_jobs WHERE kind = 'user' ORDER BY instance, subject");
  return rows.map((row) => `${row.instance}/${row.subject}`);
}

async function dueSoon(): Promise<string[]> {
  const { rows } = await database.pool.query<{ instance: string; subject: string }>(
    "SELECT instance, subject FROM poll_jobs WHERE kind = 'user' AND next_run_at < now() + interval '1 minute' ORDER BY instance, subject",
  );
  return rows.map((row) => `${row.instance}/${row.subject}`);
}

describe("users' poll jobs per GitLab instance", () => {
  it('each runner makes jobs for its own instance\'s connections only, and drops one when that connection ends', async () => {
    await syncUserJobs(database.pool, 'default');
    expect(await jobs()).toEqual(['default/alice', 'default/carol']);
    await syncUserJobs(database.pool, 'corp');
    expect(await jobs()).toEqual(['corp/alice', 'corp/bob', 'default/alice', 'default/carol']);
    await database.pool.query("UPDATE gitlab_accounts SET disconnected_at = now() WHERE mattermost_user_id = 'alice' AND instance = 'corp'");
    await syncUserJobs(database.pool, 'corp');
    expect(await jobs()).toEqual(['corp/bob', 'default/alice', 'default/carol']);
  });

  it("a webhook brings forward the polls of its own instance's people only, although GitLab ids repeat across instances", async () => {
    await syncUserJobs(database.pool, 'default');
    await syncUserJobs(database.pool, 'corp');
    await database.pool.query("UPDATE poll_jobs SET next_run_at = now() + interval '1 hour'");
    // GitLab user 7 on corp is bob; on the default instance, carol.
    expect(await pollUsersSoon(database.pool, { ids: [7], usernames: [] }, 'corp')).toBe(1);
    expect(await dueSoon()).toEqual(['corp/bob']);
    expect(await pollUsersSoon(database.pool, { ids: [], usernames: ['ALICE.corp'] }, 'corp')).toBe(1);
    expect(await dueSoon()).toEqual(['corp/alice', 'corp/bob']);
    // A username of one instance means nobody on another.
    expect(await pollUsersSoon(database.pool, { ids: [], usernames: ['alice.corp'] }, 'default')).toBe(0);
  });

  it('being seen in Mattermost makes the person active on every instance they are connected to', async () => {
    await syncUserJobs(database.pool, 'default');
    await syncUserJobs(database.pool, 'corp');
    await database.pool.query("UPDATE poll_jobs SET next_run_at = now() + interval '1 hour'");
    await markActive(database.pool, 'alice', 30);
    expect(await dueSoon()).toEqual(['corp/alice', 'default/alice']);
    const { rows } = await database.pool.query<{ instance: string }>("SELECT instance FROM gitlab_accounts WHERE mattermost_user_id = 'alice' AND last_active_at IS NOT NULL ORDER BY instance");
    expect(rows.map((row) => row.instance)).toEqual(['corp', 'default']);
  });

  it("a person's work is read per instance, and not from a connection that ended", async () => {
    const work = (reviews: number): WorkSnapshot => {
      const none = { total: 0, items: [] };
      return { gitlabUserId: 6, reviews: { total: reviews, items: [] }, assignedMergeRequests: none, myMergeRequests: none, assignedIssues: none, todos: none, moreTodos: false };
    };
    await saveWorkSnapshot(database.pool, 'alice', work(1), workDigest(work(1)), 'default');
    await saveWorkSnapshot(database.pool, 'alice', work(2), workDigest(work(2)), 'corp');
    const read = await readWorkSnapshots(database.pool, 'alice');
    expect(read.map((entry) => [entry.instance, entry.snapshot.reviews.total, entry.gitlabUsername]).sort()).toEqual([
      ['corp', 2, 'alice.corp'],
      ['default', 1, 'alice'],
    ]);
    await database.pool.query("UPDATE gitlab_accounts SET disconnected_at = now() WHERE mattermost_user_id = 'alice' AND instance = 'corp'");
    expect((await readWorkSnapshots(database.pool, 'alice')).map((entry) => entry.instance)).toEqual(['default']);
  });
});

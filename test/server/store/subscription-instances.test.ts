/**
 * Subscriptions keep the GitLab instance their target is on, and what depends on a person's GitLab
 * account counts only their account on that instance: a confidential opt-in vouched for by someone
 * connected elsewhere vouches for nothing, and each instance's pollers re-check only their own opt-ins.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { syncConfidentialJobs } from '../../../server/src/polling/check-confidential-access.js';
import { createSubscription, findCandidates, listChannelSubscriptions, readConfidentialOptIn } from '../../../server/src/store/subscriptions.js';
import { createMigratedDatabase, type MigratedDatabase } from '../../helpers/databases.js';

let database: MigratedDatabase;

beforeAll(async () => {
  database = await createMigratedDatabase();
});
afterAll(() => database.close());

const connect = (userId: string, instance: string, gitlabUserId: number) =>
  database.pool.query('INSERT INTO gitlab_accounts (mattermost_user_id, instance, gitlab_user_id, gitlab_username) VALUES ($1, $2, $3, $4)', [userId, instance, gitlabUserId, `${userId}-${instance}`]);

describe('subscriptions of several GitLab instances', () => {
  it('keeps the same path on two instances apart, and vouches for confidential content only with an account on the same instance', async () => {
    const common = { channelId: 'channel-1', targetKind: 'project' as const, targetPath: 'group/project', targetId: 7, creatorId: 'vera', confidential: true, confidentialBy: 'vera' };
    const onDefault = await createSubscription(database.pool, common);
    const onCorp = await createSubscription(database.pool, { ...common, instance: 'corp' });
    expect((await listChannelSubscriptions(database.pool, 'channel-1')).map((subscription) => [subscription.id, subscription.instance])).toEqual([
      [onDefault.id, 'default'],
      [onCorp.id, 'corp'],
    ]);

    // Vera is connected to the default GitLab only.
    await connect('vera', 'default', 5);
    const candidates = async (instance: string) => (await findCandidates(database.pool, ['group/project', 'group'], 7, instance)).map((subscription) => [subscription.id, subscription.confidentialBy]);
    expect(await candidates('default')).toEqual([[onDefault.id, 'vera']]);
    expect(await candidates('corp')).toEqual([[onCorp.id, null]]);
    await connect('vera', 'corp', 5);
    expect(await candidates('corp')).toEqual([[onCorp.id, 'vera']]);

    // Each instance's re-check reads only its own opt-ins, and makes jobs for them alone.
    expect(await readConfidentialOptIn(database.pool, onCorp.id, 'default')).toBeNull();
    expect(await readConfidentialOptIn(database.pool, onCorp.id, 'corp')).toMatchObject({ id: onCorp.id, targetId: 7 });
    await syncConfidentialJobs(database.pool, 'default');
    await syncConfidentialJobs(database.pool, 'corp');
    const jobs = (await database.pool.query("SELECT instance, subject FROM poll_jobs WHERE kind = 'confidential_access' ORDER BY instance")).rows;
    expect(jobs).toEqual([
      { instance: 'corp', subject: onCorp.id },
      { instance: 'default', subject: onDefault.id },
    ]);
  });
});

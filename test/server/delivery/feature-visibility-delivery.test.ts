/**
 * "Public" means the feature is public: a public project that keeps its merge
 * requests to members must not have them posted where non-members read, nor
 * sent as DMs to non-members; with every feature public nothing changes; and
 * when GitLab cannot say, the event is treated as members-only.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { toEncryptionKey } from '../../../server/src/crypto/secret-box.js';
import { saveAccount } from '../../../server/src/store/gitlab-accounts.js';
import { createSubscription } from '../../../server/src/store/subscriptions.js';
import { startChannelBridge, type ChannelBridge } from '../../helpers/channel-bridge.js';
import { startCommandBridge, type CommandBridge } from '../../helpers/command-bridge.js';
import { intoPublicProject as into, sendFixture, webhookFixture } from '../../helpers/fixtures.js';
import { waitFor } from '../../helpers/wait-for.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('events of features a public project keeps to members', () => {
  const MEMBERS_ONLY_MRS = { id: 301, path: 'open/tools' };
  const ALL_PUBLIC = { id: 302, path: 'open/everything' };
  let bridge: CommandBridge;
  let alice: string; // Reporter in both projects
  let bob: string; // connected, member of nothing
  let carol: string; // connected, member of nothing

  beforeAll(async () => {
    bridge = await startCommandBridge({ users: ['alice', 'bob', 'carol'], oauth: true });
    ({ alice, bob, carol } = bridge.users as { alice: string; bob: string; carol: string });
    bridge.gitlab.addProject(MEMBERS_ONLY_MRS.path, { visibility: 'public', id: MEMBERS_ONLY_MRS.id, features: { merge_requests: 'private' } });
    bridge.gitlab.addProject(ALL_PUBLIC.path, { visibility: 'public', id: ALL_PUBLIC.id });
    const { token } = await bridge.connectGitLab(alice, { id: 6, username: 'user1', name: 'User1' });
    await bridge.connectGitLab(bob, { id: 51, username: 'author', name: 'The Author' });
    await bridge.connectGitLab(carol, { id: 77, username: 'carol', name: 'Carol' });
    bridge.gitlab.grant(token, MEMBERS_ONLY_MRS.path, 20);
    bridge.gitlab.grant(token, ALL_PUBLIC.path, 20);
  }, 120_000);

  afterAll(async () => {
    await bridge?.close();
  });

  async function send(name: string, ...edits: ((payload: Json) => void)[]): Promise<void> {
    expect(await sendFixture(bridge.publicUrl, 'hook-secret', name, ...edits)).toBe(202);
  }

  async function settled(): Promise<void> {
    await waitFor(async () => {
      const { rows } = await bridge.pool.query<{ busy: string }>(
        `SELECT (SELECT count(*) FROM webhook_deliveries WHERE processed_at IS NULL)
              + (SELECT count(*) FROM channel_outbox WHERE state = 'pending')
              + (SELECT count(*) FROM direct_outbox WHERE state = 'pending') AS busy`,
      );
      return rows[0]!.busy === '0';
    }, 'webhooks processed, posts and direct messages sent');
  }

  const botId = () => [...bridge.mattermost.users.values()].find((user) => user.username === 'gitlab')!.id;
  const postsIn = (channelId: string) => bridge.mattermost.posts.filter((post) => post.channel_id === channelId);
  const subscribe = (channelId: string, creatorId: string, path: string, privateAccess = false) =>
    createSubscription(bridge.pool, { channelId, targetKind: 'project', targetPath: path, filters: { events: ['merge_request', 'issue'] }, privateAccess, creatorId });

  it('posts its issues but not its merge requests in a public channel subscribed by someone without access', async () => {
    const channel = bridge.mattermost.addChannel('open-tools', { type: 'O', members: [botId()], teamId: bridge.team.id });
    await subscribe(channel.id, bob, MEMBERS_ONLY_MRS.path);
    await send('merge_request.open.json', into(MEMBERS_ONLY_MRS), (payload) => (payload.object_attributes.title = 'Members-only change'));
    await send('issue.open.json', into(MEMBERS_ONLY_MRS), (payload) => (payload.object_attributes.title = 'Everyone may read this issue'));
    await settled();
    const messages = postsIn(channel.id).map((post) => post.message);
    expect(messages.some((message) => message.includes('Everyone may read this issue'))).toBe(true);
    expect(messages.some((message) => message.includes('Members-only change'))).toBe(false);
  });

  it('sends its merge request DMs to members only', async () => {
    bridge.gitlab.addMergeRequest(MEMBERS_ONLY_MRS.path, { iid: 5, title: 'Review me', authorId: 51, reviewerIds: [6] });
    await send('merge_request.update.reviewers.json', into(MEMBERS_ONLY_MRS), (payload) => {
      payload.object_attributes.iid = 5;
      payload.object_attributes.title = 'Review me';
      payload.changes.reviewers.current = [
        { id: 6, name: 'User1', username: 'user1' },
        { id: 77, name: 'Carol', username: 'carol' },
      ];
      payload.reviewers = payload.changes.reviewers.current;
      payload.assignees = [];
    });
    await settled();
    expect(bridge.mattermost.directMessagesTo(alice).filter((post) => post.message.includes('Review me'))).toHaveLength(1);
    expect(bridge.mattermost.directMessagesTo(carol).filter((post) => post.message.includes('Review me'))).toHaveLength(0);
  });

  it('gives its merge requests to a private channel subscribed by a Reporter through /gitlab', async () => {
    const channel = bridge.mattermost.addChannel('tools-team', { type: 'P', members: [botId(), alice], teamId: bridge.team.id });
    expect(await bridge.command(alice, `subscriptions add ${MEMBERS_ONLY_MRS.path} --events merge_requests`, channel.id)).toMatch(/Subscribed/);
    await send('merge_request.open.json', into(MEMBERS_ONLY_MRS), (payload) => (payload.object_attributes.title = 'Seen by the team'));
    await settled();
    expect(postsIn(channel.id).some((post) => post.message.includes('Seen by the team'))).toBe(true);
  });

  it('posts and DMs as before when every feature is public', async () => {
    const channel = bridge.mattermost.addChannel('open-everything', { type: 'O', members: [botId()], teamId: bridge.team.id });
    await subscribe(channel.id, bob, ALL_PUBLIC.path);
    await send('merge_request.open.json', into(ALL_PUBLIC), (payload) => (payload.object_attributes.title = 'An open change'));
    await send('merge_request.update.reviewers.json', into(ALL_PUBLIC), (payload) => {
      payload.object_attributes.iid = 9;
      payload.object_attributes.title = 'Open review';
      payload.changes.reviewers.current = [{ id: 77, name: 'Carol', username: 'carol' }];
      payload.reviewers = payload.changes.reviewers.current;
      payload.assignees = [];
    });
    await settled();
    expect(postsIn(channel.id).some((post) => post.message.includes('An open change'))).toBe(true);
    expect(bridge.mattermost.directMessagesTo(carol).filter((post) => post.message.includes('Open review'))).toHaveLength(1);
  });
});

describe('when GitLab cannot say which features a public project keeps to members', () => {
  let bridge: ChannelBridge;
  beforeAll(async () => {
    // An OAuth application is configured and the subscriber is connected, but GitLab (port 9) never answers.
    bridge = await startChannelBridge({ GITLAB_OAUTH_CLIENT_ID: 'app', GITLAB_OAUTH_CLIENT_SECRET: 'secret', PUBLIC_URL: 'http://127.0.0.1:1/plugins/gitlab-bridge' });
  }, 120_000);
  afterAll(() => bridge.close());

  it('treats its events as members-only: only the subscription shown to have access gets them, and the door never waits', async () => {
    const key = toEncryptionKey(Buffer.from('ab'.repeat(32), 'hex'));
    await saveAccount(
      bridge.pool,
      { instance: 'default', mattermostUserId: 'subscriber0000000000000000', gitlabUserId: 9, gitlabUsername: 'sub' },
      { accessToken: 'token', refreshToken: 'refresh', expiresAt: new Date(Date.now() + 3_600_000), scopes: 'api' },
      key,
    );
    const open = bridge.mattermost.addChannel('open', { type: 'O', members: [bridge.bot.id] });
    const team = bridge.mattermost.addChannel('team', { type: 'P', members: [bridge.bot.id] });
    const subscription = { targetKind: 'project' as const, targetPath: 'gitlabhq/gitlab-test', filters: { events: ['issue'] }, creatorId: 'subscriber0000000000000000' };
    await bridge.subscribe({ ...subscription, channelId: open.id });
    await bridge.subscribe({ ...subscription, channelId: team.id, privateAccess: true });
    const started = Date.now();
    const answer = await bridge.send('Issue Hook', webhookFixture('issue.open.json').body);
    expect(answer.status).toBe(202);
    expect(Date.now() - started).toBeLessThan(2000);
    await bridge.settle();
    expect(bridge.postsIn(team.id)).toHaveLength(1);
    expect(bridge.postsIn(open.id)).toHaveLength(0);
    const lookups = await bridge.pool.query<{ levels: unknown }>('SELECT levels FROM project_features WHERE project_id = 1');
    expect(lookups.rows).toEqual([{ levels: null }]);
  });
});

/**
 * Exactly once, and never wrongly "already done": deliveries that only look
 * alike (one X-Gitlab-Event-UUID for two events) both post, a real resend posts
 * once, someone else's post carrying our marker is not taken for the bot's, and
 * a direct message whose answer was lost is found even when Mattermost's clock
 * runs behind ours.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startChannelBridge, WEBHOOK_SECRET, type ChannelBridge } from '../../helpers/channel-bridge.js';
import { webhookFixture } from '../../helpers/fixtures.js';
import { waitFor } from '../../helpers/wait-for.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A fixture moved to a project of the test's own, so each test's channel gets only its events. */
function issueEvent(name: string, project: string, edit: (payload: Json) => void = () => undefined): { event: string; body: string } {
  const { body, event } = webhookFixture(name);
  const payload = JSON.parse(body) as Json;
  payload.project.path_with_namespace = project;
  payload.project.web_url = `http://example.com/${project}`;
  edit(payload);
  return { event, body: JSON.stringify(payload) };
}

describe('delivery safety', () => {
  let bridge: ChannelBridge;
  beforeAll(async () => {
    // With an OAuth application configured the bridge sends direct messages too.
    bridge = await startChannelBridge({ GITLAB_OAUTH_CLIENT_ID: 'bridge-app', GITLAB_OAUTH_CLIENT_SECRET: 'bridge-app-secret' });
  });
  afterAll(() => bridge.close());

  async function subscribedChannel(name: string, project: string, members: string[] = []) {
    const channel = bridge.mattermost.addChannel(name, { type: 'O', members: [bridge.bot.id, ...members] });
    // Made by someone with access to the project: what GitLab shows to whom is not what these tests are about.
    await bridge.subscribe({ channelId: channel.id, targetKind: 'project', targetPath: project, filters: { events: ['issue'] }, privateAccess: true });
    return channel;
  }
  const botPostsIn = (channelId: string) => bridge.postsIn(channelId).filter((post) => post.user_id === bridge.bot.id);

  /** As GitLab before 17.4 sends it: no Idempotency-Key. */
  function sendWithoutIdempotencyKey(event: { event: string; body: string }, eventUuid: string): Promise<Response> {
    return fetch(bridge.webhookUrl(), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Gitlab-Event': event.event, 'X-Gitlab-Token': WEBHOOK_SECRET, 'X-Gitlab-Event-UUID': eventUuid },
      body: event.body,
    });
  }

  it('posts two different events that share one X-Gitlab-Event-UUID (one GitLab request fired both)', async () => {
    const project = 'safety/shared-uuid';
    const channel = await subscribedChannel('shared-uuid', project);
    const uuid = randomUUID();
    expect((await sendWithoutIdempotencyKey(issueEvent('issue.open.json', project), uuid)).status).toBe(202);
    expect((await sendWithoutIdempotencyKey(issueEvent('issue.close.json', project), uuid)).status).toBe(202);
    // The same event again, as an older GitLab's retry sends it: recognised by header and body.
    expect((await sendWithoutIdempotencyKey(issueEvent('issue.close.json', project), uuid)).status).toBe(200);
    await bridge.settle();
    expect(botPostsIn(channel.id)).toHaveLength(2);
  });

  it('posts a delivery resent with the same Idempotency-Key once', async () => {
    const project = 'safety/resent';
    const channel = await subscribedChannel('resent', project);
    const issue = issueEvent('issue.open.json', project);
    const key = randomUUID();
    expect((await bridge.send(issue.event, issue.body, { idempotencyKey: key })).status).toBe(202);
    await bridge.settle();
    expect((await bridge.send(issue.event, issue.body, { idempotencyKey: key })).status).toBe(200);
    await bridge.settle();
    expect(botPostsIn(channel.id)).toHaveLength(1);
  });

  it('does not take a member’s post carrying the bot’s outbox marker for the bot’s lost post', async () => {
    const project = 'safety/forged';
    const mallory = bridge.mattermost.addUser('mallory');
    const channel = await subscribedChannel('forged', project, [mallory.user.id]);
    // The bot's first try fails in a way that may have posted (5xx): the next one looks for the post first.
    bridge.mattermost.inject('CreatePost', { status: 500, headers: { 'Retry-After': '2' } }, 1);
    const attempts = () => bridge.mattermost.requests.filter((request) => request.operationId === 'CreatePost' && (request.body as Json)?.channel_id === channel.id);
    const issue = issueEvent('issue.open.json', project, (payload) => (payload.object_attributes.title = 'The real issue title'));
    expect((await bridge.send(issue.event, issue.body)).status).toBe(202);
    await waitFor(() => attempts().length === 1, 'the first, failed attempt');

    // Outbox ids are sequential and the bot's posts show them: Mallory forges one before the retry.
    const { rows } = await bridge.pool.query<{ id: string }>('SELECT id FROM channel_outbox WHERE channel_id = $1', [channel.id]);
    const forged = await fetch(`${bridge.mattermost.url}/api/v4/posts`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${mallory.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ channel_id: channel.id, message: 'nothing to see here', props: { gitlab_bridge_outbox_id: rows[0]!.id } }),
    });
    expect(forged.status).toBe(201);

    await bridge.settle();
    const real = botPostsIn(channel.id);
    expect(real).toHaveLength(1);
    expect(real[0]!.message).toContain('The real issue title');
    const { rows: sent } = await bridge.pool.query<{ post_id: string }>('SELECT post_id FROM channel_outbox WHERE channel_id = $1', [channel.id]);
    expect(sent[0]!.post_id).toBe(real[0]!.id);
  });

  it('finds a direct message whose answer was lost although Mattermost’s clock is a minute behind, and sends it once', async () => {
    const dana = bridge.mattermost.addUser('dana').user;
    bridge.mattermost.clock.offsetMs = -60_000;
    try {
      // The DM is made, then the connection is cut before the answer: the bridge cannot know it worked.
      bridge.mattermost.inject('CreatePost', 'drop', 1);
      await bridge.pool.query(`INSERT INTO direct_outbox (mattermost_user_id, notification_key, kind, message) VALUES ($1, 'safety:skew', 'review_requested', 'Please review !7')`, [dana.id]);
      await waitFor(async () => {
        const { rows } = await bridge.pool.query<{ state: string }>(`SELECT state FROM direct_outbox WHERE notification_key = 'safety:skew'`);
        return rows[0]?.state === 'sent';
      }, 'the direct message marked sent', 20_000);
    } finally {
      bridge.mattermost.clock.offsetMs = 0;
    }
    expect(bridge.mattermost.directMessagesTo(dana.id).filter((post) => post.message === 'Please review !7')).toHaveLength(1);
    // Logged before it was marked sent, but read from the bridge's output on its own schedule.
    await bridge.bridges[0]!.waitForLog((line) => /lost answer found/.test(line.msg), 5000);
  });
});

/**
 * A thread whose replies go to GitLab says so on its root, in one line: posted with the root when
 * the subscription sends replies, added at the root's next status update once it is turned on,
 * and taken away once it is turned off; the thread records since when the root has said it.
 * Real bridge process and PostgreSQL; Mattermost is a fake on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { REPLIES_NOTICE } from '../../../server/src/render/replies-notice.js';
import { findThreadByRoot } from '../../../server/src/store/channel-outbox.js';
import { startChannelBridge, type ChannelBridge } from '../../helpers/channel-bridge.js';
import { webhookFixture } from '../../helpers/fixtures.js';

const MR_PROJECT = 'gitlabhq/gitlab-test';

interface ThreadRow {
  root_post_id: string;
  root_message: string;
  replies_since: Date | null;
  subscription_id: string | null;
}

describe('the replies line on a thread root', () => {
  let bridge: ChannelBridge;
  beforeAll(async () => {
    bridge = await startChannelBridge();
  });
  afterAll(() => bridge.close());

  /** A private channel with the bot in it, subscribed to the merge requests' project. */
  async function channelWith(name: string, syncReplies: boolean) {
    const channel = bridge.mattermost.addChannel(name, { type: 'P', members: [bridge.bot.id] });
    const subscriptionId = await bridge.subscribe({ channelId: channel.id, targetKind: 'project', targetPath: MR_PROJECT, filters: { events: ['merge_request'] }, privateAccess: true, syncReplies });
    return { channel, subscriptionId };
  }
  async function deliver(name: string): Promise<void> {
    const { body, event } = webhookFixture(name);
    expect((await bridge.send(event, body)).status).toBe(202);
    await bridge.settle();
  }
  const thread = async (channelId: string): Promise<ThreadRow> =>
    (await bridge.pool.query<ThreadRow>('SELECT root_post_id, root_message, replies_since, subscription_id::text FROM channel_threads WHERE channel_id = $1', [channelId])).rows[0]!;
  const setSync = (subscriptionId: string, on: boolean) => bridge.pool.query('UPDATE subscriptions SET sync_replies = $2 WHERE id = $1', [subscriptionId, on]);
  const rootOf = (channelId: string) => bridge.postsIn(channelId).find((post) => post.root_id === '')!;

  it('posts the root with the line when the subscription sends replies, keeps it through status updates, and stores the root without it', async () => {
    const { channel, subscriptionId } = await channelWith('review-sync', true);
    await deliver('merge_request.open.json');
    const root = rootOf(channel.id);
    expect(root.message.endsWith(`\n\n${REPLIES_NOTICE}`)).toBe(true);
    const first = await thread(channel.id);
    expect(first).toMatchObject({ root_post_id: root.id, subscription_id: subscriptionId });
    // Stored without the line, so a redraw can take it away.
    expect(first.root_message).toBe(root.message.slice(0, -`\n\n${REPLIES_NOTICE}`.length));
    expect(first.replies_since).toBeInstanceOf(Date);
    // What a reply in the thread is checked against.
    expect(await findThreadByRoot(bridge.pool, root.id)).toEqual({ channelId: channel.id, threadKey: expect.any(String), rootPostId: root.id, repliesSince: first.replies_since, subscriptionId });
    expect(await findThreadByRoot(bridge.pool, 'not-a-root-post-id')).toBeNull();

    await deliver('merge_request.approval.json');
    expect(rootOf(channel.id).edits).toBeGreaterThan(0);
    expect(rootOf(channel.id).message).toMatch(new RegExp(`^${escape(first.root_message)}\\n\\n${escape(REPLIES_NOTICE)}\\n\\nStatus: `));
    // Still the moment it first said so.
    expect((await thread(channel.id)).replies_since).toEqual(first.replies_since);
  });

  it('leaves a root exactly as before while replies stay in Mattermost, adds the line once turned on, and removes it once turned off', async () => {
    const { channel, subscriptionId } = await channelWith('review-quiet', false);
    await deliver('merge_request.open.json');
    // The fake keeps one object per post, edited in place: the message as first posted is copied.
    const root = { message: rootOf(channel.id).message };
    expect(root.message).not.toContain(REPLIES_NOTICE);
    expect(await thread(channel.id)).toMatchObject({ root_message: root.message, replies_since: null, subscription_id: subscriptionId });

    await deliver('merge_request.approval.json');
    expect(rootOf(channel.id).message).toMatch(new RegExp(`^${escape(root.message)}\\n\\nStatus: `));
    expect((await thread(channel.id)).replies_since).toBeNull();

    await setSync(subscriptionId, true);
    const turnedOn = new Date();
    await deliver('merge_request.merge.json');
    expect(rootOf(channel.id).message).toMatch(new RegExp(`^${escape(root.message)}\\n\\n${escape(REPLIES_NOTICE)}\\n\\nStatus: \\*\\*Merged\\*\\*`));
    const since = (await thread(channel.id)).replies_since;
    expect(since).toBeInstanceOf(Date);
    // Replies count from when the root said so, not from when the thread began (allowing for clock skew between the test and PostgreSQL).
    expect(since!.getTime()).toBeGreaterThan(turnedOn.getTime() - 1000);

    await setSync(subscriptionId, false);
    await deliver('merge_request.close.json');
    expect(rootOf(channel.id).message).not.toContain(REPLIES_NOTICE);
    expect(rootOf(channel.id).message).toMatch(new RegExp(`^${escape(root.message)}\\n\\nStatus: `));
    expect((await thread(channel.id)).replies_since).toBeNull();
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

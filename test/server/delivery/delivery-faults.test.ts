/**
 * Exactly once, whatever Mattermost and the bridge's own processes do:
 * rate limits, server errors, lost answers, timeouts, a SIGKILL in the middle
 * of a post, and two replicas sharing one database.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import type { FakePost } from '../../fakes/fake-mattermost.js';
import { startChannelBridge, type ChannelBridge } from '../../helpers/channel-bridge.js';
import { webhookFixture } from '../../helpers/fixtures.js';

const PROJECT = 'gitlabhq/gitlab-test';

/** Issue events that each make one post, numbered so order and uniqueness can be checked. */
function numberedIssues(count: number, first = 1): { event: string; body: string; title: string }[] {
  const { body, event } = webhookFixture('issue.open.json');
  return Array.from({ length: count }, (_, index) => {
    const n = first + index;
    const payload = JSON.parse(body);
    payload.object_attributes.id = 10_000 + n;
    payload.object_attributes.iid = 10_000 + n;
    payload.object_attributes.title = `Numbered issue ${n}.`;
    return { event, body: JSON.stringify(payload), title: `Numbered issue ${n}.` };
  });
}

function numbersIn(posts: FakePost[]): number[] {
  return posts.map((post) => Number(/Numbered issue (\d+)\./.exec(post.message)?.[1]));
}

async function channelWithSubscription(bridge: ChannelBridge, name: string) {
  const channel = bridge.mattermost.addChannel(name, { type: 'O', members: [bridge.bot.id] });
  // privateAccess: without a GitLab to read feature levels from, a public project's issues count as members-only.
  await bridge.subscribe({ channelId: channel.id, targetKind: 'project', targetPath: PROJECT, filters: { events: ['issue'] }, privateAccess: true });
  return channel;
}

describe('delivery faults', () => {
  let bridge: ChannelBridge | undefined;
  afterEach(async () => {
    await bridge?.close();
    bridge = undefined;
  });

  it('posts every event exactly once, in order, through 429s, 500s and lost answers', async () => {
    bridge = await startChannelBridge();
    const channel = await channelWithSubscription(bridge, 'flaky');
    bridge.mattermost.inject('CreatePost', { status: 429, headers: { 'Retry-After': '1' }, body: { message: 'limit exceeded' } }, 2);
    bridge.mattermost.inject('CreatePost', { status: 500 }, 2);
    bridge.mattermost.inject('CreatePost', 'drop', 2); // the post is made, the answer never arrives

    const issues = numberedIssues(8);
    for (const issue of issues) expect((await bridge.send(issue.event, issue.body)).status).toBe(202);
    await bridge.settle(60_000);

    expect(numbersIn(bridge.postsIn(channel.id))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const retries = bridge.bridges[0]!.logs.filter((line) => line.msg === 'post not delivered yet; will retry');
    expect(retries.some((line) => /429/.test(String(line.reason)))).toBe(true);
    expect(retries.some((line) => /500/.test(String(line.reason)))).toBe(true);
    expect(bridge.bridges[0]!.logs.some((line) => /lost answer found/.test(line.msg))).toBe(true);
    expect(bridge.mattermost.violations).toEqual([]);
  });

  it('waits out a Mattermost that does not answer, then posts once', async () => {
    bridge = await startChannelBridge();
    const channel = await channelWithSubscription(bridge, 'slow');
    bridge.mattermost.inject('CreatePost', 'hang', 1);
    const [issue] = numberedIssues(1);
    await bridge.send(issue!.event, issue!.body);
    await bridge.settle(60_000);
    expect(numbersIn(bridge.postsIn(channel.id))).toEqual([1]);
    expect(bridge.bridges[0]!.logs.some((line) => /no answer in time/.test(String(line.reason)))).toBe(true);
  });

  it('edits a thread root again when Mattermost failed the edit after the post was made, without posting twice', async () => {
    bridge = await startChannelBridge();
    const channel = await channelWithSubscription(bridge, 'root-edit');
    // Mattermost goes away between the close's post and its root edit, then limits the bridge's rate: a
    // root left as it was would say Open for good; a 429 retried as a fresh attempt would post twice.
    bridge.mattermost.inject('PatchPost', { status: 503, headers: { 'Retry-After': '1' } }, 1);
    bridge.mattermost.inject('PatchPost', { status: 429, headers: { 'Retry-After': '1' }, body: { message: 'limit exceeded' } }, 1);
    for (const name of ['issue.open.json', 'issue.close.json']) {
      const { event, body } = webhookFixture(name);
      expect((await bridge.send(event, body)).status).toBe(202);
    }
    await bridge.settle(60_000);

    const posts = bridge.postsIn(channel.id);
    expect(posts.map((post) => /^\S+ (opened|closed) issue/.exec(post.message.replace(/^\[[^\]]*\]\([^)]*\)/, 'X'))?.[1])).toEqual(['opened', 'closed']);
    expect(posts[1]!.root_id).toBe(posts[0]!.id);
    expect(posts[0]!.message).toMatch(/Status: \*\*Closed\*\*$/);
    expect(bridge.bridges[0]!.logs.filter((line) => line.msg === 'post made, thread root not updated yet; will retry')).toHaveLength(2);
    expect(bridge.mattermost.violations).toEqual([]);
  });

  it('loses and doubles nothing when the bridge is killed (SIGKILL) in the middle of a post', async () => {
    bridge = await startChannelBridge();
    const channel = await channelWithSubscription(bridge, 'crash');
    // Mattermost makes the first post but holds its answer; the bridge dies waiting for it.
    bridge.mattermost.inject('CreatePost', 'stall', 1);
    const issues = numberedIssues(5);
    for (const issue of issues) expect((await bridge.send(issue.event, issue.body)).status).toBe(202);
    await bridge.mattermost.waitForPosts(1);
    await bridge.bridges[0]!.stop('SIGKILL');
    expect(numbersIn(bridge.postsIn(channel.id))).toEqual([1]);

    await bridge.startReplica();
    await bridge.settle(60_000);
    expect(numbersIn(bridge.postsIn(channel.id))).toEqual([1, 2, 3, 4, 5]);
  });

  it('doubles nothing with two bridge processes on one database', async () => {
    bridge = await startChannelBridge();
    await bridge.startReplica();
    const channels = await Promise.all([channelWithSubscription(bridge, 'replicas-a'), channelWithSubscription(bridge, 'replicas-b')]);
    const issues = numberedIssues(20);
    // Each webhook reaches one replica or the other; one event even reaches both (two hooks).
    await Promise.all(issues.map((issue, index) => bridge!.send(issue.event, issue.body, { replica: index % 2 })));
    await bridge.send(issues[0]!.event, issues[0]!.body, { replica: 1 });
    await bridge.settle(60_000);
    for (const channel of channels) {
      const numbers = numbersIn(bridge.postsIn(channel.id));
      expect([...numbers].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, index) => index + 1));
    }
    expect(bridge.mattermost.posts).toHaveLength(40);
  });
});

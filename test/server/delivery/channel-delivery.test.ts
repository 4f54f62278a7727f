/**
 * Channel notifications as a team sees them: threads with a root that shows
 * the current state, the right channels and only those, nobody pinged by
 * GitLab text, each event once.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startChannelBridge, type ChannelBridge } from '../../helpers/channel-bridge.js';
import { webhookFixture } from '../../helpers/fixtures.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function fixture(name: string, edit: (payload: Json) => void = () => undefined): { event: string; payload: Json } {
  const { body, event } = webhookFixture(name);
  const payload = JSON.parse(body) as Json;
  edit(payload);
  return { event, payload };
}

/** The merge-request fixtures' project, so pipelines and MRs belong together. */
const MR_PROJECT = 'gitlabhq/gitlab-test';
function inMrProject(payload: Json): void {
  payload.project.path_with_namespace = MR_PROJECT;
  payload.project.web_url = `http://example.com/${MR_PROJECT}`;
}

// This bridge has no GitLab to read public projects' feature levels from, so their events count as
// members-only: subscriptions that are not about visibility say the subscriber has access
// (public features reaching other subscriptions: feature-visibility-delivery.test.ts).
describe('channel notifications', () => {
  let bridge: ChannelBridge;
  beforeAll(async () => {
    bridge = await startChannelBridge();
  });
  afterAll(() => bridge.close());

  it('threads an MR’s later events under its first post, edits the root to show the state, and joins the public channel', async () => {
    const channel = bridge.mattermost.addChannel('dev', { type: 'O' });
    await bridge.subscribe({ channelId: channel.id, targetKind: 'project', targetPath: MR_PROJECT, filters: { events: ['merge_request', 'pipeline'] }, privateAccess: true });

    const sequence = [
      fixture('merge_request.open.json'),
      fixture('merge_request.approval.json'),
      fixture('pipeline.failed.json', inMrProject),
      fixture('pipeline.success.json', (payload) => {
        inMrProject(payload);
        payload.object_attributes.id = 32;
      }),
      fixture('merge_request.merge.json'),
    ];
    for (const { event, payload } of sequence) expect((await bridge.send(event, payload)).status).toBe(202);
    await bridge.settle();

    expect(channel.members.has(bridge.bot.id)).toBe(true);
    const posts = bridge.postsIn(channel.id);
    expect(posts).toHaveLength(5);
    const [root, approval, failed, fixed, merged] = posts;
    expect(root!.root_id).toBe('');
    expect(root!.message).toContain('MS-Viewport');
    for (const reply of [approval, failed, fixed, merged]) expect(reply!.root_id).toBe(root!.id);
    // GitLab's order is kept inside the thread.
    expect(approval!.message).toMatch(/approv/i);
    expect(failed!.message).toMatch(/fail/i);
    expect(fixed!.message).toMatch(/fixed/i);
    expect(merged!.message).toMatch(/merged/i);
    // The root now says what state the MR is in, and its last pipeline.
    expect(root!.edits).toBeGreaterThan(0);
    expect(root!.message).toContain('MS-Viewport');
    expect(root!.message).toMatch(/Status: \*\*Merged\*\*/);
    expect(root!.message).toMatch(/pipeline .*fixed/);
  });

  it('posts everything top-level when the subscription turns threads off', async () => {
    const channel = bridge.mattermost.addChannel('flat', { type: 'O', members: [bridge.bot.id] });
    await bridge.subscribe({ channelId: channel.id, targetKind: 'project', targetPath: MR_PROJECT, threads: false, filters: { events: ['merge_request'] }, privateAccess: true });
    for (const name of ['merge_request.reopen.json', 'merge_request.close.json']) {
      const { event, payload } = fixture(name);
      await bridge.send(event, payload);
    }
    await bridge.settle();
    const posts = bridge.postsIn(channel.id);
    expect(posts).toHaveLength(2);
    expect(posts.every((post) => post.root_id === '')).toBe(true);
  });

  it('pings nobody with a title full of @channel, @all, @here and @someone', async () => {
    const channel = bridge.mattermost.addChannel('pings', { type: 'O', members: [bridge.bot.id] });
    await bridge.subscribe({ channelId: channel.id, targetKind: 'project', targetPath: MR_PROJECT, filters: { events: ['issue'] }, privateAccess: true });
    const { event, payload } = fixture('issue.open.json', (issue) => {
      issue.project.path_with_namespace = MR_PROJECT;
      issue.object_attributes.title = '@channel @all please look @here, cc @someone';
      issue.object_attributes.description = 'Hey @channel and @all: [click](http://evil.example/phish) ![x](http://evil.example/pixel.png)';
    });
    await bridge.send(event, payload);
    await bridge.settle();
    const [post] = bridge.postsIn(channel.id);
    expect(post).toBeDefined();
    expect(post!.message).toContain('please look');
    expect(post!.message).not.toMatch(/(^|[^\w])@(channel|all|here|someone)\b/);
    // The link and image syntax is escaped: no forged link text, no tracking pixel.
    expect(post!.message).not.toMatch(/(?<!\\)\]\(http:\/\/evil/);
    expect(post!.message).not.toMatch(/(?<!\\)!\[/);
  });

  it('sends a confidential note only to the opted-in private channel', async () => {
    const path = 'gitlab-org/gitlab-test';
    const optedIn = bridge.mattermost.addChannel('security', { type: 'P', members: [bridge.bot.id] });
    const notOptedIn = bridge.mattermost.addChannel('team-private', { type: 'P', members: [bridge.bot.id] });
    const publicChannel = bridge.mattermost.addChannel('town-square', { type: 'O', members: [bridge.bot.id] });
    const everything = { events: ['note', 'issue'] };
    const optedInId = await bridge.subscribe({ channelId: optedIn.id, targetKind: 'project', targetPath: path, filters: everything, confidential: true, privateAccess: true });
    await bridge.subscribe({ channelId: notOptedIn.id, targetKind: 'project', targetPath: path, filters: everything, privateAccess: true });
    // A public channel that opted in anyway (the slash command refuses this; delivery checks again).
    const publicId = await bridge.subscribe({ channelId: publicChannel.id, targetKind: 'project', targetPath: path, filters: everything, confidential: true, privateAccess: true });

    const { event, payload } = fixture('note.issue.confidential.json');
    await bridge.send(event, payload);
    await bridge.settle();

    expect(bridge.postsIn(optedIn.id)).toHaveLength(1);
    expect(bridge.postsIn(optedIn.id)[0]!.message).toContain(payload.object_attributes.url);
    expect(bridge.postsIn(notOptedIn.id)).toEqual([]);
    expect(bridge.postsIn(publicChannel.id)).toEqual([]);
    const { rows } = await bridge.pool.query('SELECT id, last_failure FROM subscriptions WHERE id = ANY($1::bigint[]) ORDER BY id', [[optedInId, publicId]]);
    expect(rows[0].last_failure).toBeNull();
    expect(rows[1].last_failure).toMatch(/public channel/);
  });

  it('keeps events of a non-public project from a subscription whose creator was not shown to have access', async () => {
    const channel = bridge.mattermost.addChannel('no-access', { type: 'P', members: [bridge.bot.id] });
    const granted = bridge.mattermost.addChannel('with-access', { type: 'P', members: [bridge.bot.id] });
    await bridge.subscribe({ channelId: channel.id, targetKind: 'project', targetPath: 'mike/diaspora', filters: { events: ['push'] } });
    await bridge.subscribe({ channelId: granted.id, targetKind: 'project', targetPath: 'mike/diaspora', filters: { events: ['push'] }, privateAccess: true });
    const { event, payload } = fixture('push.json'); // a private project (visibility_level 0)
    await bridge.send(event, payload);
    await bridge.settle();
    expect(bridge.postsIn(channel.id)).toEqual([]);
    expect(bridge.postsIn(granted.id)).toHaveLength(1);
  });

  it('gives a group subscription the events of a project in a sub-subgroup, except excluded paths', async () => {
    const channel = bridge.mattermost.addChannel('acme', { type: 'O', members: [bridge.bot.id] });
    await bridge.subscribe({ channelId: channel.id, targetKind: 'group', targetPath: 'Acme', filters: { events: ['issue'], exclude: ['acme/legacy/*'] }, privateAccess: true });
    const deep = fixture('issue.open.json', (issue) => {
      issue.project.path_with_namespace = 'acme/platform/backend/api';
      issue.project.web_url = 'http://example.com/acme/platform/backend/api';
      issue.object_attributes.title = 'Deep issue';
    });
    const excluded = fixture('issue.open.json', (issue) => {
      issue.project.path_with_namespace = 'acme/legacy/tools/old';
      issue.object_attributes.id = 999;
      issue.object_attributes.title = 'Legacy issue';
    });
    const elsewhere = fixture('issue.open.json', (issue) => {
      issue.project.path_with_namespace = 'acme-other/api';
      issue.object_attributes.id = 1000;
      issue.object_attributes.title = 'Other group issue';
    });
    for (const { event, payload } of [deep, excluded, elsewhere]) await bridge.send(event, payload);
    await bridge.settle();
    const posts = bridge.postsIn(channel.id);
    expect(posts.map((post) => /Deep issue|Legacy issue|Other group issue/.exec(post.message)?.[0])).toEqual(['Deep issue']);
  });

  it('posts the same event once per channel, whether redelivered or sent by a project hook and a group hook', async () => {
    const channel = bridge.mattermost.addChannel('dedupe', { type: 'O', members: [bridge.bot.id] });
    await bridge.subscribe({ channelId: channel.id, targetKind: 'project', targetPath: 'gitlabhq/gitlab-test', filters: { events: ['tag_push', 'issue'] }, privateAccess: true });
    await bridge.subscribe({ channelId: channel.id, targetKind: 'group', targetPath: 'gitlabhq', filters: { events: ['tag_push', 'issue'] }, privateAccess: true });
    const { event, payload } = fixture('issue.reopen.json');
    expect((await bridge.send(event, payload, { idempotencyKey: 'retry-1' })).status).toBe(202);
    expect((await bridge.send(event, payload, { idempotencyKey: 'retry-1' })).status).toBe(200);
    // A group hook delivering the same event has its own delivery id.
    expect((await bridge.send(event, payload, { idempotencyKey: 'group-hook-1' })).status).toBe(202);
    await bridge.settle();
    expect(bridge.postsIn(channel.id)).toHaveLength(1);
  });

  it('posts what teams act on by default, and not the rest', async () => {
    const channel = bridge.mattermost.addChannel('defaults', { type: 'O', members: [bridge.bot.id] });
    await bridge.subscribe({ channelId: channel.id, targetKind: 'group', targetPath: 'gitlab-org', privateAccess: true });
    const sent = [
      fixture('pipeline.success.json', (payload) => {
        payload.object_attributes.id = 500;
        payload.object_attributes.ref = 'feature/x';
        delete payload.merge_request;
      }), // success on a feature branch: not by default
      fixture('pipeline.failed.json', (payload) => {
        payload.object_attributes.id = 501;
        payload.object_attributes.ref = 'master';
        delete payload.merge_request;
      }), // failed on the default branch: yes
      fixture('note.issue.json'), // comments: not by default
    ];
    for (const { event, payload } of sent) await bridge.send(event, payload);
    await bridge.settle();
    const posts = bridge.postsIn(channel.id);
    expect(posts).toHaveLength(1);
    expect(posts[0]!.message).toMatch(/fail/i);
    expect(posts[0]!.message).toContain('master');
  });

  it('records a permanent failure on the subscription when the bot cannot post in a private channel', async () => {
    const channel = bridge.mattermost.addChannel('locked', { type: 'P' });
    const id = await bridge.subscribe({ channelId: channel.id, targetKind: 'project', targetPath: MR_PROJECT, filters: { events: ['merge_request'] }, privateAccess: true });
    const { event, payload } = fixture('merge_request.unapproved.json');
    await bridge.send(event, payload);
    await bridge.settle();
    expect(bridge.postsIn(channel.id)).toEqual([]);
    const { rows } = await bridge.pool.query('SELECT last_failure FROM subscriptions WHERE id = $1', [id]);
    expect(rows[0].last_failure).toMatch(/not a member/);
  });

  it('acknowledges an unknown event kind, logs it and posts nothing', async () => {
    const response = await bridge.send('Future Thing Hook', { object_kind: 'future_thing' });
    expect(response.status).toBe(202);
    await bridge.settle();
    await bridge.bridges[0]!.waitForLog((line) => line.msg === 'webhook of an unknown kind acknowledged and ignored' && line.event === 'Future Thing Hook');
  });

  it('made only requests the Mattermost API allows', () => {
    expect(bridge.mattermost.violations).toEqual([]);
  });
});

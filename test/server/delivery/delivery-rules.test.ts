import { describe, expect, it } from '@jest/globals';
import type { GitLabEvent } from '../../../server/src/gitlab/events/event.js';
import { advanceStatus, renderStatusLine } from '../../../server/src/delivery/object-status.js';
import { planPosts } from '../../../server/src/delivery/plan-posts.js';
import { backoffDelay, classifyFailure } from '../../../server/src/delivery/retry-policy.js';
import { MattermostHttpError } from '../../../server/src/mattermost/client.js';
import type { Subscription } from '../../../server/src/rules/subscription.js';

const mr = (action: string, actor = 'Alice', state: 'opened' | 'merged' = 'opened', draft = false): GitLabEvent =>
  ({
    kind: 'merge_request',
    action,
    key: `mr:${action}:${actor}`,
    project: { id: 1, path: 'a/b', name: 'b', url: 'https://g/a/b', visibility: 'public', defaultBranch: 'main' },
    group: null,
    actor: { username: actor.toLowerCase(), name: actor },
    target: { type: 'merge_request', iid: 1, title: 'T', url: 'https://g/a/b/-/merge_requests/1', reference: '!1', state, draft },
    ref: null,
    labels: [],
    confidential: false,
    internal: false,
    occurredAt: null,
    details: {},
  }) as unknown as GitLabEvent;

describe('a thread root’s status line', () => {
  it('follows the MR through approvals, a pipeline and the merge', () => {
    let status = advanceStatus(null, mr('opened', 'Alice', 'opened', true));
    expect(renderStatusLine(status!)).toBe('Status: **Draft**');
    status = advanceStatus(status, mr('approval', 'Bob'));
    status = advanceStatus(status, mr('approval', 'Carol'));
    status = advanceStatus(status, mr('unapproval', 'Bob'));
    status = advanceStatus(status, { ...mr('failed'), kind: 'pipeline', details: { kind: 'pipeline', url: 'https://g/a/b/-/pipelines/9' } } as unknown as GitLabEvent);
    status = advanceStatus(status, mr('merged', 'Alice', 'merged'));
    expect(renderStatusLine(status!)).toBe('Status: **Merged** · approved by Carol · pipeline [failed](https://g/a/b/-/pipelines/9)');
  });

  it('names approvers without letting their names ping anyone', () => {
    const status = advanceStatus(null, mr('approval', '@channel'));
    expect(renderStatusLine(status!)).not.toMatch(/(^|[^\w])@channel\b/);
  });
});

describe('planning posts', () => {
  const sub = (id: string, channelId: string, targetKind: 'project' | 'group', targetPath: string, style: Subscription['style'] = 'full', threads = true): Subscription => ({
    id, channelId, targetKind, targetPath, targetId: null, filters: {}, style, threads, buttons: true, syncReplies: false, confidential: false, confidentialBy: null, privateAccess: false, forced: false, creatorId: 'u',
  });

  it('posts once per channel, as its most specific subscription says', () => {
    const rendered: string[] = [];
    const posts = planPosts(
      mr('opened'),
      [sub('1', 'c1', 'group', 'a', 'title'), sub('2', 'c1', 'project', 'a/b', 'compact', false), sub('3', 'c2', 'group', 'a')],
      (_event, style) => {
        rendered.push(style);
        return { message: `as ${style}` };
      },
      { key: 'thread', status: 'Status: **Open**' },
      { openToAll: true },
    );
    expect(posts).toEqual([
      expect.objectContaining({ channelId: 'c1', subscriptionId: '2', message: 'as compact', threadKey: null }),
      expect.objectContaining({ channelId: 'c2', subscriptionId: '3', message: 'as full', threadKey: 'thread', threadStatus: 'Status: **Open**' }),
    ]);
    expect(rendered.sort()).toEqual(['compact', 'full']);
  });

  it('marks what must never reach a public channel: confidential content, and members-only events unless a system admin forced the subscription', () => {
    const render = () => ({ message: 'm' });
    const forced = { ...sub('2', 'c2', 'project', 'a/b'), forced: true };
    const plan = (event: GitLabEvent, openToAll: boolean) =>
      planPosts(event, [sub('1', 'c1', 'project', 'a/b'), forced], render, null, { openToAll }).map((post) => [post.channelId, post.needsPrivateChannel]);
    expect(plan(mr('opened'), true)).toEqual([['c1', false], ['c2', false]]);
    expect(plan(mr('opened'), false)).toEqual([['c1', true], ['c2', false]]);
    expect(plan({ ...mr('opened'), confidential: true } as GitLabEvent, true)).toEqual([['c1', true], ['c2', true]]);
    expect(plan({ ...mr('opened'), internal: true } as GitLabEvent, false)).toEqual([['c1', true], ['c2', true]]);
  });
  it('says replies go to GitLab as the chosen subscription says, and only for a threaded post', () => {
    const render = () => ({ message: 'm' });
    const thread = { key: 'thread', status: null };
    const syncing = (id: string, channelId: string, targetKind: 'project' | 'group', path: string, threads = true) => ({ ...sub(id, channelId, targetKind, path, 'full', threads), syncReplies: true });
    const plan = (subscriptions: Subscription[], on: typeof thread | null = thread) => planPosts(mr('opened'), subscriptions, render, on, { openToAll: true }).map((post) => [post.channelId, post.syncReplies]);
    // The project subscription is chosen over the group one in c1, and its choice is what counts.
    expect(plan([syncing('1', 'c1', 'group', 'a'), sub('2', 'c1', 'project', 'a/b'), syncing('3', 'c2', 'group', 'a')])).toEqual([['c1', false], ['c2', true]]);
    expect(plan([sub('1', 'c1', 'group', 'a'), syncing('2', 'c1', 'project', 'a/b')])).toEqual([['c1', true]]);
    // No thread, no replies to send.
    expect(plan([syncing('1', 'c1', 'project', 'a/b', false)])).toEqual([['c1', false]]);
    expect(plan([syncing('1', 'c1', 'project', 'a/b')], null)).toEqual([['c1', false]]);
  });
});

describe('after a failed Mattermost call', () => {
  it('obeys Retry-After on 429, and knows the post was not made', () => {
    expect(classifyFailure(new MattermostHttpError(429, undefined, 'slow down', 7000), 1)).toMatchObject({ kind: 'retry', delayMs: 7000, uncertain: false });
  });

  it('backs off on 5xx, timeouts and network errors, which may have made the post', () => {
    expect(classifyFailure(new MattermostHttpError(502, undefined, 'bad gateway', undefined), 3, () => 0.5)).toMatchObject({ kind: 'retry', delayMs: 4000, uncertain: true });
    const timeout = Object.assign(new Error('timed out'), { name: 'TimeoutError' });
    expect(classifyFailure(timeout, 1)).toMatchObject({ kind: 'retry', uncertain: true, reason: 'Mattermost: no answer in time' });
    expect(classifyFailure(new TypeError('fetch failed'), 1)).toMatchObject({ kind: 'retry', uncertain: true });
  });

  it('gives up on a request Mattermost will never accept', () => {
    expect(classifyFailure(new MattermostHttpError(400, 'api.post.create_post.x', 'bad', undefined), 1).kind).toBe('permanent');
  });

  it('caps the back-off at five minutes', () => {
    expect(backoffDelay(1, () => 0.5)).toBe(1000);
    expect(backoffDelay(40, () => 0.5)).toBe(300_000);
  });
});

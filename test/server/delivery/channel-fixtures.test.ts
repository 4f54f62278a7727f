/**
 * Every GitLab fixture, sent over HTTP to the running bridge, reaches a
 * subscribed channel in the fake Mattermost as a post carrying the facts a
 * reader needs (test/fixtures/gitlab/expected-posts.ts), or as nothing at all
 * when GitLab's payload is not worth a post.
 */
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { isIgnored } from '../../../server/src/gitlab/events/event.js';
import { parseEvent } from '../../../server/src/gitlab/events/parse-event.js';
import { EVENT_KINDS } from '../../../server/src/rules/subscription.js';
import { expectedPosts } from '../../fixtures/gitlab/expected-posts.js';
import { startChannelBridge, type ChannelBridge } from '../../helpers/channel-bridge.js';
import { webhookFixture } from '../../helpers/fixtures.js';

const FIXTURES = readdirSync(new URL('../../fixtures/gitlab/webhooks/', import.meta.url)).filter((name) => name.endsWith('.json')).sort();

describe('every GitLab fixture over HTTP', () => {
  let bridge: ChannelBridge;
  beforeAll(async () => {
    bridge = await startChannelBridge();
  });
  afterAll(() => bridge.close());

  it.each(FIXTURES)('%s', async (name) => {
    const expected = expectedPosts[name];
    if (!expected) throw new Error(`expected-posts.ts has no entry for ${name}`);
    const { body, event } = webhookFixture(name);
    // A channel of its own, subscribed with everything on to the fixture's top-level namespace.
    const channel = bridge.mattermost.addChannel(`fixture-${name}`, { type: 'P', members: [bridge.bot.id] });
    const parsed = parseEvent(event, JSON.parse(body));
    const path = isIgnored(parsed) ? 'unknown' : (parsed.project?.path ?? parsed.group?.path ?? 'unknown');
    await bridge.subscribe({
      channelId: channel.id,
      targetKind: 'group',
      targetPath: path.split('/')[0]!,
      filters: { events: [...EVENT_KINDS], pipelines: ['failed', 'fixed', 'success', 'running', 'canceled'], branches: ['**'] },
      confidential: true,
      privateAccess: true,
      threads: false,
    });

    const response = await bridge.send(event, body);
    expect(response.status).toBe(202);
    await bridge.settle();

    const posts = bridge.postsIn(channel.id);
    // Instance-wide system events (a user was created) belong to no project or group, so to no channel.
    if ('ignored' in expected || path === 'unknown') {
      expect(posts).toEqual([]);
      return;
    }
    expect(posts).toHaveLength(1);
    for (const fact of expected.facts) expect(posts[0]!.message).toContain(fact);
    for (const fact of expected.absent ?? []) expect(posts[0]!.message).not.toContain(fact);
    expect(posts[0]!.user_id).toBe(bridge.bot.id);
  });

  it('made only requests the Mattermost API allows', () => {
    expect(bridge.mattermost.violations).toEqual([]);
  });
});

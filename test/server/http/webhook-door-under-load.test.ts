/**
 * The webhook door never waits behind delivery: with Mattermost hanging while
 * many channels and users have posts and direct messages due, GitLab still gets
 * its 2xx at once (a slow answer counts towards GitLab disabling the hook).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { startChannelBridge, WEBHOOK_SECRET, type ChannelBridge } from '../../helpers/channel-bridge.js';
import { webhookFixture } from '../../helpers/fixtures.js';
import { waitFor } from '../../helpers/wait-for.js';

const CHANNELS = 20;
const USERS = 20;
const WEBHOOKS = 20;

let bridge: ChannelBridge;
beforeAll(async () => {
  // With an OAuth application configured the bridge sends direct messages too.
  bridge = await startChannelBridge({ GITLAB_OAUTH_CLIENT_ID: 'bridge-app', GITLAB_OAUTH_CLIENT_SECRET: 'bridge-app-secret' });
});
afterAll(async () => {
  // Cut the hanging requests first, so the bridge stops without waiting out their timeouts.
  await bridge.mattermost.close();
  await bridge.close();
});

it('answers every webhook with a 2xx within a second while Mattermost hangs on due posts and direct messages', async () => {
  bridge.mattermost.inject('CreatePost', 'hang', 10_000);
  const channels = Array.from({ length: CHANNELS }, (_, index) => bridge.mattermost.addChannel(`busy-${index}`, { type: 'O', members: [bridge.bot.id] }));
  const users = Array.from({ length: USERS }, (_, index) => bridge.mattermost.addUser(`busy-user-${index}`).user);
  await bridge.pool.query(
    `INSERT INTO channel_outbox (event_key, channel_id, message) SELECT 'busy:' || channel_id, channel_id, 'A post that waits' FROM unnest($1::text[]) AS channel_id`,
    [channels.map((channel) => channel.id)],
  );
  await bridge.pool.query(
    `INSERT INTO direct_outbox (mattermost_user_id, notification_key, kind, message) SELECT user_id, 'busy', 'review_requested', 'A DM that waits' FROM unnest($1::text[]) AS user_id`,
    [users.map((user) => user.id)],
  );
  // Delivery is stuck: as many posts as it sends at once are hanging in Mattermost.
  const hanging = () => bridge.mattermost.requests.filter((request) => request.operationId === 'CreatePost');
  await waitFor(() => hanging().length >= 8, 'posts hanging in Mattermost');

  const push = webhookFixture('push.json');
  const answers = await Promise.all(
    Array.from({ length: WEBHOOKS }, async () => {
      const started = performance.now();
      const response = await fetch(bridge.webhookUrl(), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Gitlab-Event': push.event, 'X-Gitlab-Token': WEBHOOK_SECRET, 'Idempotency-Key': randomUUID() },
        body: push.body,
        signal: AbortSignal.timeout(8000),
      }).catch(() => null); // no answer within 8 s (GitLab gives up after 10)
      return { status: response?.status ?? 'no answer', ms: Math.round(performance.now() - started) };
    }),
  );
  expect(answers.filter((answer) => answer.status !== 202)).toEqual([]);
  expect(answers.filter((answer) => answer.ms > 1000)).toEqual([]);
  const { rows } = await bridge.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM webhook_deliveries');
  expect(rows[0]!.n).toBe(WEBHOOKS);
});

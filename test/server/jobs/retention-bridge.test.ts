/**
 * Retention in a running bridge: pruning processed deliveries never lets a
 * resend within the dedupe window post twice, and the bridge prunes on its own
 * timer with the settings it was given, counting what it deleted on /metrics.
 */
import { afterEach, expect, it } from '@jest/globals';
import type { RetentionSettings } from '../../../server/src/config.js';
import { startPruning } from '../../../server/src/jobs/run-pruning.js';
import { createSessionLocks } from '../../../server/src/store/session-locks.js';
import { startChannelBridge, type ChannelBridge } from '../../helpers/channel-bridge.js';
import { webhookFixture } from '../../helpers/fixtures.js';
import { silentLog } from '../../helpers/silent-log.js';
import { waitFor } from '../../helpers/wait-for.js';

const DAY = 86_400;
const DEFAULTS: RetentionSettings = { webhookDedupeSeconds: 7 * DAY, deliverySeconds: 30 * DAY, idleThreadSeconds: 365 * DAY, auditSeconds: 365 * DAY, pruneIntervalSeconds: 3600 };
const PROJECT = 'gitlabhq/gitlab-test';

let bridge: ChannelBridge | undefined;
afterEach(async () => {
  await bridge?.close();
  bridge = undefined;
});

const count = async (table: string): Promise<number> => Number((await bridge!.pool.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);

it('still recognises a resend within the dedupe window after pruning, and never posts it twice after', async () => {
  bridge = await startChannelBridge();
  const channel = bridge.mattermost.addChannel('dev', { type: 'O' });
  await bridge.subscribe({ channelId: channel.id, targetKind: 'project', targetPath: PROJECT, filters: { events: ['issue'] }, privateAccess: true });
  const { event, body } = webhookFixture('issue.open.json');
  expect((await bridge.send(event, body, { idempotencyKey: 'delivery-1' })).status).toBe(202);
  await bridge.settle();
  expect(bridge.postsIn(channel.id)).toHaveLength(1);
  const receivedAt: Date = (await bridge.pool.query('SELECT received_at FROM webhook_deliveries')).rows[0].received_at;

  // The test's own pruner, run as if the clock were later (the bridge’s own first run is minutes away).
  const locks = createSessionLocks(bridge.database.url, silentLog);
  const pruneAt = (secondsAfterReceipt: number) =>
    startPruning({
      db: bridge!.pool,
      locks,
      retention: DEFAULTS,
      log: silentLog,
      count: () => undefined,
      options: { now: () => new Date(receivedAt.getTime() + secondsAfterReceipt * 1000), firstRunMs: 3_600_000 },
    }).runOnce();
  try {
    // A day before the window ends: the delivery is kept, and GitLab resending it changes nothing.
    await pruneAt(6 * DAY);
    expect(await count('webhook_deliveries')).toBe(1);
    expect((await bridge.send(event, body, { idempotencyKey: 'delivery-1' })).status).toBe(200);
    await bridge.settle();
    expect(await count('webhook_deliveries')).toBe(1);

    // Past the window: the delivery is forgotten. A resend now is stored again, but the post it would
    // make is still known (DELIVERY_RETENTION is longer): the channel sees it once.
    expect((await pruneAt(7 * DAY + 1)).pruned).toEqual({ webhook_deliveries: 1 });
    expect(await count('webhook_deliveries')).toBe(0);
    expect((await bridge.send(event, body, { idempotencyKey: 'delivery-1' })).status).toBe(202);
    await bridge.settle();
    expect(bridge.postsIn(channel.id)).toHaveLength(1);
  } finally {
    await locks.close();
  }
});

it('prunes on its own timer with the configured retention and counts it on /metrics', async () => {
  bridge = await startChannelBridge({ WEBHOOK_DEDUPE_WINDOW: '1s', DELIVERY_RETENTION: '1s', PRUNE_INTERVAL: '1s' });
  const channel = bridge.mattermost.addChannel('dev', { type: 'O' });
  await bridge.subscribe({ channelId: channel.id, targetKind: 'project', targetPath: PROJECT, filters: { events: ['issue'] }, privateAccess: true });
  const { event, body } = webhookFixture('issue.close.json');
  expect((await bridge.send(event, body)).status).toBe(202);
  await waitFor(() => bridge!.postsIn(channel.id).length === 1, 'the post');

  await waitFor(async () => (await count('webhook_deliveries')) + (await count('channel_outbox')) === 0, 'the delivery and its post pruned', 15_000);
  const { internalPort } = await bridge.bridges[0]!.ready();
  const metrics = await (await fetch(`http://127.0.0.1:${internalPort}/metrics`)).text();
  expect(metrics).toMatch(/^gitlab_bridge_pruned_rows_total\{table="webhook_deliveries"\} 1$/m);
  expect(metrics).toMatch(/^gitlab_bridge_pruned_rows_total\{table="channel_outbox"\} 1$/m);
  const line = await bridge.bridges[0]!.waitForLog((l) => l.msg === 'pruned old rows');
  expect(line).toMatchObject({ component: 'pruning', pruned: { webhook_deliveries: 1 } });
  // The closed issue, too, once DELIVERY_RETENTION has passed since its last event.
  await waitFor(async () => (await count('tracked_objects')) === 0, 'the closed issue forgotten', 15_000);
});

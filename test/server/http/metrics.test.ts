/** The queue gauges of /metrics: asked at each scrape, unknown (NaN) rather than a failed scrape while the database is away. */
import { describe, expect, it } from '@jest/globals';
import { createMetrics } from '../../../server/src/http/metrics.js';

describe('queue gauges', () => {
  it('shows the channel posts and DMs waiting, by queue, as of the scrape', async () => {
    let pending = { channel: 0, direct: 0 };
    const metrics = createMetrics('test', { outboxBacklog: async () => pending });
    expect(await metrics.registry.metrics()).toMatch(/^gitlab_bridge_outbox_pending\{queue="channel"\} 0$/m);
    pending = { channel: 412, direct: 37 };
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^gitlab_bridge_outbox_pending\{queue="channel"\} 412$/m);
    expect(text).toMatch(/^gitlab_bridge_outbox_pending\{queue="direct"\} 37$/m);
  });

  it('says NaN while the database does not answer, and the scrape still succeeds (prom-client writes it Nan; Prometheus reads any case)', async () => {
    const metrics = createMetrics('test', { outboxBacklog: () => Promise.reject(new Error('connect ECONNREFUSED')), webhookBacklog: () => Promise.reject(new Error('connect ECONNREFUSED')) });
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^gitlab_bridge_outbox_pending\{queue="channel"\} NaN$/im);
    expect(text).toMatch(/^gitlab_bridge_webhook_backlog NaN$/im);
    expect(text).toMatch(/^gitlab_bridge_build_info\{version="test"\} 1$/m);
  });
});

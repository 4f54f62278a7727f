// What the replicas say about themselves while faults come and go: every second, each running
// replica's GET /readyz (status and JSON) and GET /metrics (whether it answers, and the queue gauges),
// as a probe and Prometheus would ask. Kept as samples; verdict.mjs judges them against the faults.
import { setTimeout as sleep } from 'node:timers/promises';

const EVERY_MS = 1000;
const TIMEOUT_MS = 4000;

/** Sum of a metric's samples (over its labels) in Prometheus text; null when absent, NaN kept. */
export function metricValue(text, name, labels = '') {
  const matches = [...text.matchAll(new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`, 'gm'))].filter((match) => (match[1] ?? '').includes(labels));
  return matches.length === 0 ? null : matches.reduce((sum, match) => sum + Number(match[2]), 0);
}

async function ask(url) {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    return { status: response.status, text: await response.text() };
  } catch (error) {
    return { status: null, text: '', error: error.cause?.code ?? error.name };
  }
}

/** `running()`: the replicas up now (replicas.mjs). Stop with `stop()`; `samples` grows meanwhile. */
export function watchReplicas(running) {
  const samples = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const started = Date.now();
      await Promise.all(
        running().map(async (replica) => {
          const [ready, metrics] = await Promise.all([ask(`${replica.internalUrl}/readyz`), ask(`${replica.internalUrl}/metrics`)]);
          let readiness = null;
          try {
            readiness = JSON.parse(ready.text);
          } catch {
            // not JSON: kept as null
          }
          samples.push({
            at: started,
            replica: replica.index,
            pid: replica.running?.record.pid,
            readyStatus: ready.status,
            readiness,
            metricsStatus: metrics.status,
            backlog: metrics.status === 200 ? metricValue(metrics.text, 'gitlab_bridge_webhook_backlog') : null,
            channelPending: metrics.status === 200 ? metricValue(metrics.text, 'gitlab_bridge_outbox_pending', 'queue="channel"') : null,
            directPending: metrics.status === 200 ? metricValue(metrics.text, 'gitlab_bridge_outbox_pending', 'queue="direct"') : null,
          });
        }),
      );
      await sleep(Math.max(0, EVERY_MS - (Date.now() - started)));
    }
  })();
  return {
    samples,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

// Sends webhooks to the replicas as GitLab behind a load balancer would:
// - each delivery is one POST on a connection of its own (one webhook job, one request), with a
//   10 s time-out (GitLab's default webhook timeout) and an Idempotency-Key of its own;
// - the load balancer goes round the replicas; a replica that refuses the connection (dead, or not
//   listening yet) gets nothing, and the request goes to the next one, as nginx's
//   `proxy_next_upstream error` does with a request it could not send;
// - a delivery that was sent but not acknowledged with a 2xx (a 503, a connection cut by a dying
//   replica, a time-out) is a failure GitLab shows in the hook's "Recent events" and does not retry on
//   its own (GitLab's app/workers/web_hook_worker.rb; doc/user/project/integrations/webhooks.md); the operator resends it from
//   there, with the same Idempotency-Key: this sender does so after RESEND_AFTER_MS.
// Every attempt is counted, so that the report says what GitLab would have shown.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

const TIMEOUT_MS = 10_000;
const RESEND_AFTER_MS = 2000;

function post(url, headers, body) {
  return new Promise((resolve) => {
    const request = http.request(url, { method: 'POST', agent: false, headers: { ...headers, 'Content-Length': Buffer.byteLength(body) }, timeout: TIMEOUT_MS }, (response) => {
      response.resume();
      response.once('end', () => resolve({ status: response.statusCode }));
      response.once('error', (error) => resolve({ error: error.code ?? error.message }));
    });
    request.once('timeout', () => request.destroy(Object.assign(new Error('timed out'), { code: 'TIMEOUT' })));
    request.once('error', (error) => resolve({ error: error.code ?? error.message }));
    request.end(body);
  });
}

/**
 * `targets()`: the replicas' webhook URLs; `phase()`: the name the counts go under. `send` resolves once
 * the delivery was acknowledged (resending as said above), or rejects after `deadlineMs`.
 */
export function createWebhookSender({ targets, secret, phase, deadlineMs = 120_000 }) {
  let next = 0;
  const counts = new Map();
  /** Per hook (project): failures in a row now, and the most there were. GitLab pauses a hook after 4. */
  const streaks = new Map();
  const streak = (hook, failed) => {
    const entry = streaks.get(hook) ?? { now: 0, most: 0 };
    streaks.set(hook, entry);
    entry.now = failed ? entry.now + 1 : 0;
    entry.most = Math.max(entry.most, entry.now);
  };
  const count = (what) => {
    const name = phase();
    const entry = counts.get(name) ?? { deliveries: 0, redirected: 0, failed: 0, refused503: 0, cut: 0, timedOut: 0 };
    counts.set(name, entry);
    entry[what] += 1;
  };

  async function send({ event, body }, hook = 'default') {
    const key = randomUUID();
    const text = JSON.stringify(body);
    const headers = { 'Content-Type': 'application/json', 'X-Gitlab-Event': event, 'X-Gitlab-Token': secret, 'Idempotency-Key': key };
    const deadline = Date.now() + deadlineMs;
    count('deliveries');
    let refusedInARow = 0;
    for (;;) {
      if (Date.now() > deadline) throw new Error(`webhook ${key} not acknowledged within ${deadlineMs} ms`);
      const urls = targets();
      const url = urls[next++ % urls.length];
      const answer = await post(url, headers, text);
      if (answer.status >= 200 && answer.status < 300) {
        streak(hook, false);
        return { key, ackedAt: Date.now() };
      }
      if (answer.error === 'ECONNREFUSED') {
        // Never sent: the load balancer tries the next replica at once (after a full round, a moment later).
        count('redirected');
        refusedInARow += 1;
        if (refusedInARow % urls.length === 0) await sleep(250);
        continue;
      }
      refusedInARow = 0;
      count('failed');
      streak(hook, true);
      if (answer.status === 503) count('refused503');
      else if (answer.error === 'TIMEOUT') count('timedOut');
      else count('cut');
      if (answer.status !== undefined && answer.status !== 503) throw new Error(`webhook ${key} refused for good: ${answer.status}`);
      await sleep(RESEND_AFTER_MS);
    }
  }

  return { send, counts, mostFailuresInARow: () => Math.max(0, ...[...streaks.values()].map((entry) => entry.most)) };
}

// Webhook to post, for `npm run bench:ingest` and `npm run bench:ingest:sustained`: how long from a webhook's
// sending to its post in Mattermost, and what it cost. A bridge with its own embedded PostgreSQL posts to the
// fake Mattermost (test/fakes/fake-mattermost.ts, which validates every request against Mattermost's OpenAPI
// spec); `channels` private channels each follow one project; issue webhooks are sent at a fixed rate, evenly
// spaced (an open loop), rotating over the projects, and each post's creation time in the fake is compared with
// its webhook's send time. CPU is read from /proc: the bridge's Node process and its PostgreSQL processes, from
// the first webhook until the last post.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { Pool } from 'undici';
import { cpuBetween, cpuNow, freePort, waitUntilHealthy } from './child-processes.mjs';
import { startFakes } from './start-fakes.mjs';

/** How long after the last webhook the posts may take before the run counts what is missing as lost. */
const SETTLE_MS = 120_000;

/**
 * One run. `children` is child-processes.mjs's `childProcesses(work)`; `name` tells this run's files apart.
 * Resolves to counts (sent, accepted, posted, lost, doubled), latency percentiles in ms, and CPU.
 */
export async function measureWebhookToPost({ root, work, name, bin, children, seconds, rate, channels: channelCount, warmupSeconds = 3, logLevel = 'warn', nodeArgs = [], onProgress = () => {} }) {
  // The fakes are TypeScript importing each other: start-fakes.mjs compiles them together (the fake GitLab is not used here).
  const { gitlab, mattermost } = await startFakes(root);
  const { user: bot, token } = mattermost.addUser('gitlab', { bot: true });
  const dataDir = path.join(work, `data-${name}`);
  const [publicPort, internalPort] = [await freePort(), await freePort()];
  const bridge = children.start(name, [...nodeArgs, bin, 'start'], {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATA_DIR: dataDir,
    PORT: String(publicPort),
    INTERNAL_PORT: String(internalPort),
    GITLAB_WEBHOOK_SECRET: 'bench-webhook-secret',
    MATTERMOST_URL: mattermost.url,
    MATTERMOST_BOT_TOKEN: token,
    LOG_LEVEL: logLevel,
  });
  const sender = new Pool(`http://127.0.0.1:${publicPort}`, { connections: 50 });
  try {
    await waitUntilHealthy(bridge, internalPort);
    // The embedded server's port is in its postmaster.pid (4th line), its password beside it.
    const port = readFileSync(path.join(dataDir, 'postgres/postmaster.pid'), 'utf8').split('\n')[3];
    const password = readFileSync(path.join(dataDir, 'postgres.password'), 'utf8').trim();
    const db = new pg.Client({ host: '127.0.0.1', port: Number(port), user: 'postgres', password, database: 'gitlab_bridge' });
    await db.connect();
    const channelIds = [];
    for (let index = 0; index < channelCount; index += 1) {
      // Private: with no GitLab to ask, a public project's issues count as members-only (their feature level is unknown).
      channelIds.push(mattermost.addChannel(`bench-${index}`, { type: 'P', members: [bot.id] }).id);
    }
    await db.query(
      `INSERT INTO subscriptions (channel_id, target_kind, target_path, filters, private_access, creator_id)
       SELECT channel_id, 'project', 'bench/project-' || (position - 1), '{"events":["issue"]}', true, 'bench' FROM unnest($1::text[]) WITH ORDINALITY AS c (channel_id, position)`,
      [channelIds],
    );
    await db.end();

    const template = JSON.parse(readFileSync(path.join(root, 'test/fixtures/gitlab/webhooks/issue.open.json'), 'utf8'));
    const send = async (n) => {
      const payload = structuredClone(template);
      payload.project.path_with_namespace = `bench/project-${n % channelCount}`;
      payload.object_attributes.id = 1_000_000 + n;
      payload.object_attributes.iid = n;
      payload.object_attributes.title = `Bench issue ${n}.`;
      try {
        const response = await sender.request({
          path: '/webhook',
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'X-Gitlab-Event': 'Issue Hook', 'X-Gitlab-Token': 'bench-webhook-secret', 'Idempotency-Key': randomUUID() },
          body: JSON.stringify(payload),
        });
        await response.body.dump();
        return response.statusCode;
      } catch {
        return 'error';
      }
    };

    /** Sends webhooks `first`… evenly spaced at `rate` (an open loop); their send times go into `sentAt`. */
    const sendPaced = async (first, count, sentAt, progress = () => {}) => {
      const statuses = [];
      const started = performance.now();
      const startedWall = Date.now();
      for (let i = 0; i < count; i += 1) {
        const due = started + (i * 1000) / rate;
        const wait = due - performance.now();
        if (wait > 1) await sleep(wait);
        sentAt?.set(first + i, startedWall + (due - started));
        statuses.push(send(first + i));
        progress(i);
      }
      return statuses;
    };

    // Warm-up at the same rate (at least two webhooks per channel): the bridge checks each channel before its
    // first post and compiles its hot code, and the fake compiles each operation's validator on first use.
    const warm = Math.max(2 * channelCount, Math.round(warmupSeconds * rate));
    await Promise.all(await sendPaced(0, warm));
    await mattermost.waitForPosts(warm, 120_000);

    const total = Math.round(seconds * rate);
    const sentAt = new Map();
    const cpuBefore = cpuNow(bridge.child.pid);
    const started = performance.now();
    let nextReport = started + 30_000;
    const statuses = await sendPaced(warm, total, sentAt, (i) => {
      if (performance.now() < nextReport) return;
      onProgress(`${i} of ${total} webhooks sent, ${mattermost.posts.length - warm} posted`);
      nextReport += 30_000;
    });
    const codes = await Promise.all(statuses);
    // Every post, or as many as come within SETTLE_MS: what is still missing then counts as lost.
    await mattermost.waitForPosts(warm + total, SETTLE_MS).catch(() => undefined);
    const elapsed = (performance.now() - started) / 1000;
    const cpu = cpuBetween(cpuBefore, cpuNow(bridge.child.pid), elapsed);

    const latencies = [];
    const seen = new Map();
    for (const post of mattermost.posts) {
      const n = Number(/Bench issue (\d+)\./.exec(post.message)?.[1]);
      seen.set(n, (seen.get(n) ?? 0) + 1);
      if (sentAt.has(n) && seen.get(n) === 1) latencies.push(post.create_at - sentAt.get(n));
    }
    latencies.sort((a, b) => a - b);
    const at = (p) => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)] ?? NaN;
    const accepted = codes.filter((code) => code === 202).length;
    return {
      webhooks: total,
      rate,
      seconds,
      channels: channelCount,
      accepted,
      posted: latencies.length,
      lost: total - latencies.length,
      doubled: [...seen.values()].filter((count) => count > 1).length,
      unexpected: [...seen.keys()].filter((n) => !(n < warm) && !sentAt.has(n)).length,
      p50: at(50),
      p95: at(95),
      p99: at(99),
      max: latencies.at(-1) ?? NaN,
      violations: mattermost.violations.length,
      cpu: {
        ...cpu,
        // Core-seconds of the bridge and its PostgreSQL over the run, per webhook sent, in ms.
        msPerWebhook: ((cpu.bridge + cpu.postgres) * elapsed * 1000) / total,
        bridgeMsPerWebhook: (cpu.bridge * elapsed * 1000) / total,
        postgresMsPerWebhook: (cpu.postgres * elapsed * 1000) / total,
      },
    };
  } finally {
    await sender.close();
    await children.stop(bridge);
    await mattermost.close();
    await gitlab.close();
  }
}

// The end-to-end part of `npm run bench:ingest`: how long from a webhook's arrival to its post in
// Mattermost. A bridge with its own embedded PostgreSQL posts to the fake Mattermost
// (test/fakes/fake-mattermost.ts, which validates every request against Mattermost's OpenAPI
// spec, a few milliseconds each); webhooks are sent at a fixed rate, evenly spaced, and each
// post's creation time in the fake is compared with its webhook's send time.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { startFakes } from './start-fakes.mjs';

const CHANNELS = 5;

export async function measureWebhookToPost({ root, work, bin, secret, startChild, waitUntilHealthy, stopChild, freePort, seconds, rate }) {
  // The fakes are TypeScript importing each other: start-fakes.mjs compiles them together (the fake GitLab is not used here).
  const { gitlab, mattermost } = await startFakes(root);
  const { user: bot, token } = mattermost.addUser('gitlab', { bot: true });
  const dataDir = path.join(work, 'data-e2e');
  const [publicPort, internalPort] = [await freePort(), await freePort()];
  const bridge = startChild('bridge-e2e', [bin, 'start'], {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATA_DIR: dataDir,
    PORT: String(publicPort),
    INTERNAL_PORT: String(internalPort),
    GITLAB_WEBHOOK_SECRET: secret,
    MATTERMOST_URL: mattermost.url,
    MATTERMOST_BOT_TOKEN: token,
    LOG_LEVEL: 'warn',
  });
  try {
    await waitUntilHealthy(bridge, internalPort);
    // The embedded server's port is in its postmaster.pid (4th line), its password beside it.
    const port = readFileSync(path.join(dataDir, 'postgres/postmaster.pid'), 'utf8').split('\n')[3];
    const password = readFileSync(path.join(dataDir, 'postgres.password'), 'utf8').trim();
    const db = new pg.Client({ host: '127.0.0.1', port: Number(port), user: 'postgres', password, database: 'gitlab_bridge' });
    await db.connect();
    const channels = [];
    for (let index = 0; index < CHANNELS; index += 1) {
      // Private: with no GitLab to ask, a public project's issues count as members-only (their feature level is unknown).
      const channel = mattermost.addChannel(`bench-${index}`, { type: 'P', members: [bot.id] });
      channels.push(channel);
      await db.query(
        `INSERT INTO subscriptions (channel_id, target_kind, target_path, filters, private_access, creator_id) VALUES ($1, 'project', $2, '{"events":["issue"]}', true, 'bench')`,
        [channel.id, `bench/project-${index}`],
      );
    }
    await db.end();

    const template = JSON.parse(readFileSync(path.join(root, 'test/fixtures/gitlab/webhooks/issue.open.json'), 'utf8'));
    const send = (n) => {
      const payload = structuredClone(template);
      payload.project.path_with_namespace = `bench/project-${n % CHANNELS}`;
      payload.object_attributes.id = 1_000_000 + n;
      payload.object_attributes.iid = n;
      payload.object_attributes.title = `Bench issue ${n}.`;
      return fetch(`http://127.0.0.1:${publicPort}/webhook`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Gitlab-Event': 'Issue Hook', 'X-Gitlab-Token': secret, 'Idempotency-Key': randomUUID() },
        body: JSON.stringify(payload),
      }).then((response) => response.status);
    };

    // Warm-up: the fake compiles each operation's validator on first use.
    const warm = 2 * CHANNELS;
    await Promise.all(Array.from({ length: warm }, (_, n) => send(n)));
    await mattermost.waitForPosts(warm, 60_000);

    const total = Math.round(seconds * rate);
    const sentAt = new Map();
    const statuses = [];
    const started = performance.now();
    const startedWall = Date.now();
    for (let i = 0; i < total; i += 1) {
      const n = warm + i;
      const due = started + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      sentAt.set(n, startedWall + (due - started));
      statuses.push(send(n));
    }
    const codes = await Promise.all(statuses);
    await mattermost.waitForPosts(warm + total, 120_000);
    const latencies = [];
    const seen = new Map();
    for (const post of mattermost.posts) {
      const n = Number(/Bench issue (\d+)\./.exec(post.message)?.[1]);
      seen.set(n, (seen.get(n) ?? 0) + 1);
      if (sentAt.has(n)) latencies.push(post.create_at - sentAt.get(n));
    }
    latencies.sort((a, b) => a - b);
    const at = (p) => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)];
    return {
      webhooks: total,
      rate,
      channels: CHANNELS,
      accepted: codes.filter((code) => code === 202).length,
      posts: latencies.length,
      doubled: [...seen.values()].filter((count) => count > 1).length,
      p50: at(50),
      p99: at(99),
      max: latencies.at(-1),
      violations: mattermost.violations.length,
    };
  } finally {
    await stopChild(bridge);
    await mattermost.close();
    await gitlab.close();
  }
}

/**
 * A running bridge wired to a fake Mattermost and a test database of its own,
 * for channel-delivery tests: subscribe channels, send webhooks over HTTP, and
 * read what the fake Mattermost received.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { createSubscription, type NewSubscription } from '../../server/src/store/subscriptions.js';
import { startFakeMattermost, type FakeMattermost, type FakePost } from '../fakes/fake-mattermost.js';
import { runBridge, tempWorkDir, type BridgeProcess } from './bridge-process.js';
import { createTestDatabase, openPool, testServers, type TestDatabase } from './databases.js';

export const WEBHOOK_SECRET = 'channel-tests-secret';

export interface ChannelBridge {
  mattermost: FakeMattermost;
  bot: { id: string; token: string };
  database: TestDatabase;
  pool: pg.Pool;
  bridges: BridgeProcess[];
  /** Starts one more bridge process on the same database (replicas). */
  startReplica(): Promise<BridgeProcess>;
  webhookUrl(replica?: number): string;
  /**
   * Stores a subscription. With `confidential`, whoever vouches for it (`confidentialBy`, else the
   * creator) is recorded as a connected GitLab user, as the slash command would have required.
   */
  subscribe(input: Omit<NewSubscription, 'creatorId'> & { creatorId?: string }): Promise<string>;
  send(event: string, body: string | object, options?: { idempotencyKey?: string; replica?: number }): Promise<Response>;
  /** Waits until every stored delivery is processed and no queued post is pending. */
  settle(timeoutMs?: number): Promise<void>;
  postsIn(channelId: string): FakePost[];
  close(): Promise<void>;
}

export async function startChannelBridge(env: Record<string, string> = {}): Promise<ChannelBridge> {
  const mattermost = await startFakeMattermost();
  const { user, token } = mattermost.addUser('gitlab', { bot: true });
  const database = await createTestDatabase(testServers()[0]!);
  const pool = openPool(database.url);
  const bridges: BridgeProcess[] = [];
  const ports: number[] = [];
  const cwd = tempWorkDir();
  const bridgeEnv = {
    DATABASE_URL: database.url,
    MATTERMOST_URL: mattermost.url,
    MATTERMOST_BOT_TOKEN: token,
    GITLAB_WEBHOOK_SECRET: WEBHOOK_SECRET,
    GITLAB_URL: 'http://127.0.0.1:9',
    ENCRYPTION_KEY: 'ab'.repeat(32),
    LOG_LEVEL: 'debug',
    ...env,
  };
  const startReplica = async () => {
    const bridge = runBridge(['start'], bridgeEnv, cwd);
    const { publicPort } = await bridge.ready();
    bridges.push(bridge);
    ports.push(publicPort);
    return bridge;
  };
  await startReplica();

  return {
    mattermost,
    bot: { id: user.id, token },
    database,
    pool,
    bridges,
    startReplica,
    webhookUrl: (replica = 0) => `http://127.0.0.1:${ports[replica]}/webhook`,
    async subscribe(input) {
      const creatorId = input.creatorId ?? 'creator00000000000000000000';
      const confidentialBy = input.confidential ? (input.confidentialBy === undefined ? creatorId : input.confidentialBy) : null;
      if (confidentialBy) {
        await pool.query(
          `INSERT INTO gitlab_accounts (mattermost_user_id, gitlab_user_id, gitlab_username) VALUES ($1, (SELECT coalesce(max(gitlab_user_id), 0) + 1 FROM gitlab_accounts), $1)
           ON CONFLICT (mattermost_user_id, instance) DO NOTHING`,
          [confidentialBy],
        );
      }
      // Members-only content in a public channel: only a system admin's --force makes such a subscription.
      const forced = input.forced ?? (input.privateAccess === true && mattermost.channels.get(input.channelId)?.type === 'O');
      const subscription = await createSubscription(pool, { ...input, creatorId, confidentialBy, forced });
      return subscription.id;
    },
    send(event, body, options = {}) {
      return fetch(`http://127.0.0.1:${ports[options.replica ?? 0]}/webhook`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'X-Gitlab-Event': event,
          'X-Gitlab-Token': WEBHOOK_SECRET,
          'Idempotency-Key': options.idempotencyKey ?? randomUUID(),
        },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
    },
    async settle(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const { rows } = await pool.query<{ waiting: string }>(
          `SELECT (SELECT count(*) FROM webhook_deliveries WHERE processed_at IS NULL)
                + (SELECT count(*) FROM channel_outbox WHERE state = 'pending') AS waiting`,
        );
        if (rows[0]!.waiting === '0') return;
        if (Date.now() > deadline) throw new Error(`${rows[0]!.waiting} deliveries or posts still waiting`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    postsIn: (channelId) => mattermost.posts.filter((post) => post.channel_id === channelId),
    async close() {
      await Promise.all(bridges.map((bridge) => bridge.stop()));
      await pool.end();
      await database.drop();
      await mattermost.close();
    },
  };
}

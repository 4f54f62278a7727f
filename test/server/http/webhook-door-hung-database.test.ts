/**
 * The webhook door when PostgreSQL hangs instead of refusing: a statement that does not finish (here a
 * lock wait; a stalled disk looks the same) and a network that drops everything (a failover behind a
 * moved address). GitLab gives a webhook 10 seconds and does not send a failed one again by itself
 * (GitLab: `doc/user/gitlab_com/_index.md#webhooks`, `app/workers/web_hook_worker.rb`), so the door must
 * answer `503 not_stored` inside that time, stay up, and store a resend once the database answers.
 */
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import { runBridge, type BridgeProcess } from '../../helpers/bridge-process.js';
import { createTestDatabase, openPool, testServers, type TestDatabase } from '../../helpers/databases.js';
import { webhookFixture } from '../../helpers/fixtures.js';

/** GitLab's default webhook time-out. */
const GITLAB_TIMEOUT_MS = 10_000;

/**
 * A loopback proxy to PostgreSQL that can stop forwarding: while frozen, bytes already sent sit unread
 * and new connections are taken but never answered. Thawing cuts the frozen connections, as a network
 * that came back after a failover finds them gone.
 */
async function startFreezableProxy(target: URL): Promise<{ port: number; freeze(): void; thaw(): void; close(): Promise<void> }> {
  let frozen = false;
  const pairs = new Set<{ client: net.Socket; onward?: net.Socket }>();
  const hold = (pair: { client: net.Socket; onward?: net.Socket }) => {
    pair.client.unpipe();
    pair.onward?.unpipe();
    pair.client.pause();
    pair.onward?.pause();
  };
  const server = net.createServer((client) => {
    const pair: { client: net.Socket; onward?: net.Socket } = { client };
    pairs.add(pair);
    client.on('error', () => undefined);
    client.once('close', () => {
      pairs.delete(pair);
      pair.onward?.destroy();
    });
    if (frozen) return hold(pair);
    const onward = net.connect(Number(target.port), target.hostname);
    pair.onward = onward;
    onward.on('error', () => client.destroy());
    onward.once('close', () => client.destroy());
    client.pipe(onward);
    onward.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    freeze() {
      frozen = true;
      for (const pair of pairs) hold(pair);
    },
    thaw() {
      frozen = false;
      for (const pair of pairs) pair.client.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const pair of pairs) pair.client.destroy();
        server.close(() => resolve());
      }),
  };
}

const push = webhookFixture('push.json');

function deliver(url: string, key: string): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Gitlab-Event': push.event, 'X-Gitlab-Token': 'door-secret', 'Idempotency-Key': key },
    body: push.body,
    signal: AbortSignal.timeout(GITLAB_TIMEOUT_MS),
  });
}

describe('the webhook door while PostgreSQL hangs', () => {
  let database: TestDatabase;
  let proxy: Awaited<ReturnType<typeof startFreezableProxy>>;
  let bridge: BridgeProcess;
  let pool: pg.Pool;
  let url: string;

  beforeAll(async () => {
    database = await createTestDatabase(testServers()[0]!);
    proxy = await startFreezableProxy(new URL(database.url));
    const proxied = new URL(database.url);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    bridge = runBridge(['start'], { DATABASE_URL: proxied.toString(), GITLAB_WEBHOOK_SECRET: 'door-secret' });
    const { publicPort } = await bridge.ready();
    url = `http://127.0.0.1:${publicPort}/webhook`;
    pool = openPool(database.url);
    expect((await deliver(url, randomUUID())).status).toBe(202);
  });
  afterAll(async () => {
    proxy?.thaw();
    await bridge?.stop();
    await proxy?.close();
    await pool?.end();
    await database?.drop();
  });

  /** GitLab gets `503 not_stored` for the delivery before its own time-out. */
  const expectRefusedInTime = async (key: string) => {
    const started = Date.now();
    const refused = await deliver(url, key);
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ code: 'not_stored' });
    expect(Date.now() - started).toBeLessThan(GITLAB_TIMEOUT_MS);
  };
  const storedWith = async (key: string) => (await pool.query('SELECT id FROM webhook_deliveries WHERE idempotency_key = $1', [key])).rowCount;

  it('answers 503 within GitLab’s time-out when a write does not finish, and stores the resend once it can', async () => {
    const key = randomUUID();
    const locker = await pool.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE webhook_deliveries IN ACCESS EXCLUSIVE MODE');
      await expectRefusedInTime(key);
    } finally {
      await locker.query('ROLLBACK');
      locker.release();
    }
    // PostgreSQL cancelled the statement: nothing of it was stored, and the resend is new.
    expect(await storedWith(key)).toBe(0);
    expect((await deliver(url, key)).status).toBe(202);
    expect(await storedWith(key)).toBe(1);
  });

  it('answers 503 within GitLab’s time-out when the database stops answering at all, and stores the resend afterwards', async () => {
    const key = randomUUID();
    proxy.freeze();
    try {
      await expectRefusedInTime(key);
    } finally {
      proxy.thaw();
    }
    // The frozen write never reached PostgreSQL; the bridge is still up and takes the resend on a new connection.
    expect((await deliver(url, key)).status).toBe(202);
    expect(await storedWith(key)).toBe(1);
    expect(bridge.child.exitCode).toBeNull();
  });
});

/**
 * The webhook door of the running bridge, over real HTTP, with the deliveries
 * it stores read back from its PostgreSQL.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { signPayload } from '../../../server/src/gitlab/verify-webhook.js';
import { runBridge, type BridgeProcess } from '../../helpers/bridge-process.js';
import { createTestDatabase, openPool, testServers, type TestDatabase } from '../../helpers/databases.js';
import { webhookFixture } from '../../helpers/fixtures.js';

interface Running {
  bridge: BridgeProcess;
  database: TestDatabase;
  pool: pg.Pool;
  url: string;
  internalPort: number;
}

async function startWith(env: Record<string, string>): Promise<Running> {
  const database = await createTestDatabase(testServers()[0]!);
  const bridge = runBridge(['start'], { DATABASE_URL: database.url, ...env });
  const { publicPort, internalPort } = await bridge.ready();
  return { bridge, database, pool: openPool(database.url), url: `http://127.0.0.1:${publicPort}/webhook`, internalPort };
}
async function shutDown(running: Running | undefined): Promise<void> {
  if (!running) return;
  await running.bridge.stop();
  await running.pool.end();
  await running.database.drop();
}

const push = webhookFixture('push.json');

function deliver(url: string, options: { body?: string; event?: string; token?: string; headers?: Record<string, string>; method?: string } = {}) {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', ...options.headers };
  if (options.event !== '') headers['X-Gitlab-Event'] = options.event ?? push.event;
  if (options.token !== '') headers['X-Gitlab-Token'] = options.token ?? 'current-secret';
  return fetch(url, { method: options.method ?? 'POST', headers, body: options.method === 'GET' ? undefined : (options.body ?? push.body) });
}
async function rows(pool: pg.Pool) {
  return (await pool.query('SELECT * FROM webhook_deliveries ORDER BY id')).rows;
}

describe('POST /webhook/<instance>: one door per GitLab instance, each with its own secret', () => {
  let running: Running;
  let base: string;
  beforeAll(async () => {
    running = await startWith({
      GITLAB_WEBHOOK_SECRET: 'default-secret',
      GITLAB_INSTANCES: 'corp',
      GITLAB_CORP_URL: 'https://gitlab.corp.example',
      GITLAB_CORP_WEBHOOK_SECRET: 'corp-secret',
    });
    base = running.url;
  });
  afterAll(() => shutDown(running));

  it("stores a delivery through an instance's door as that instance's", async () => {
    const key = randomUUID();
    const response = await deliver(`${base}/corp`, { token: 'corp-secret', headers: { 'Idempotency-Key': key } });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    const [row] = (await running.pool.query('SELECT instance, dedupe_key FROM webhook_deliveries WHERE id = $1', [id])).rows;
    expect(row).toEqual({ instance: 'corp', dedupe_key: `corp~idempotency:${key}` });
  });

  it("refuses another instance's secret at each door, so a leaked secret of one GitLab cannot speak for another", async () => {
    expect((await deliver(`${base}/corp`, { token: 'default-secret', headers: { 'Idempotency-Key': randomUUID() } })).status).toBe(401);
    expect((await deliver(base, { token: 'corp-secret', headers: { 'Idempotency-Key': randomUUID() } })).status).toBe(401);
    // X-Gitlab-Instance is only kept: it never chooses the instance.
    const response = await deliver(base, { token: 'default-secret', headers: { 'Idempotency-Key': randomUUID(), 'X-Gitlab-Instance': 'https://gitlab.corp.example' } });
    const { id } = (await response.json()) as { id: string };
    expect((await running.pool.query('SELECT instance FROM webhook_deliveries WHERE id = $1', [id])).rows[0]).toEqual({ instance: 'default' });
  });

  it('answers 404 for a door of an instance the bridge does not have, storing nothing', async () => {
    const before = (await rows(running.pool)).length;
    const response = await deliver(`${base}/elsewhere`, { token: 'corp-secret' });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ code: 'unknown_instance' });
    expect((await rows(running.pool)).length).toBe(before);
  });

  it('keeps the same Idempotency-Key from two GitLabs apart', async () => {
    const key = randomUUID();
    expect((await deliver(base, { token: 'default-secret', headers: { 'Idempotency-Key': key } })).status).toBe(202);
    expect((await deliver(`${base}/corp`, { token: 'corp-secret', headers: { 'Idempotency-Key': key } })).status).toBe(202);
  });
});

describe('POST /webhook', () => {
  let running: Running;
  beforeAll(async () => {
    running = await startWith({ GITLAB_WEBHOOK_SECRET: 'previous-secret,current-secret' });
  });
  afterAll(() => shutDown(running));

  it('stores a valid delivery before acknowledging it, with its headers and payload', async () => {
    const key = randomUUID();
    const response = await deliver(running.url, { headers: { 'Idempotency-Key': key, 'X-Gitlab-Event-UUID': 'e-1', 'X-Gitlab-Webhook-UUID': 'hook-1', 'X-Gitlab-Instance': 'https://gitlab.example.com' } });
    expect(response.status).toBe(202);
    const answer = (await response.json()) as { status: string; id: string };
    expect(answer.status).toBe('accepted');
    const [row] = (await running.pool.query('SELECT * FROM webhook_deliveries WHERE id = $1', [answer.id])).rows;
    expect(row).toMatchObject({ event: 'Push Hook', idempotency_key: key, event_uuid: 'e-1', webhook_uuid: 'hook-1', instance_header: 'https://gitlab.example.com', instance: 'default', signed: false });
    expect(row.payload).toEqual(JSON.parse(push.body));
  });

  it('accepts both secrets while the secret is being rotated', async () => {
    expect((await deliver(running.url, { token: 'previous-secret', headers: { 'Idempotency-Key': randomUUID() } })).status).toBe(202);
  });

  it('acknowledges a redelivery with the same Idempotency-Key and drops it', async () => {
    const key = randomUUID();
    expect((await deliver(running.url, { headers: { 'Idempotency-Key': key } })).status).toBe(202);
    const again = await deliver(running.url, { headers: { 'Idempotency-Key': key } });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ status: 'duplicate' });
    expect((await rows(running.pool)).filter((r) => r.idempotency_key === key)).toHaveLength(1);
  });

  it('stores a delivery whose Idempotency-Key is too long for the index, and the next one, and drops its resend', async () => {
    // PostgreSQL's index takes about 2.7 KB a row: such a key once failed every delivery written in its statement.
    const key = randomBytes(4500).toString('base64');
    const first = await deliver(running.url, { headers: { 'Idempotency-Key': key } });
    expect(first.status).toBe(202);
    const { id } = (await first.json()) as { id: string };
    const again = await deliver(running.url, { headers: { 'Idempotency-Key': key } });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ status: 'duplicate', id });
    // Another long key with the same first thousands of characters is another delivery.
    expect((await deliver(running.url, { headers: { 'Idempotency-Key': `${key}-2` } })).status).toBe(202);
    expect((await rows(running.pool)).filter((r) => r.idempotency_key === key).map((r) => String(r.id))).toEqual([id]);
  });

  it('without an Idempotency-Key, recognises a duplicate by event header and body, never by X-Gitlab-Event-UUID alone', async () => {
    // One GitLab request fires every hook with the same Event-UUID: different events must all be kept.
    const uuid = randomUUID();
    const body = JSON.stringify({ ...JSON.parse(push.body), checkout_sha: randomBytes(20).toString('hex') });
    const note = webhookFixture('note.merge_request.json');
    expect((await deliver(running.url, { body, headers: { 'X-Gitlab-Event-UUID': uuid } })).status).toBe(202);
    expect((await deliver(running.url, { body: note.body, event: note.event, headers: { 'X-Gitlab-Event-UUID': uuid } })).status).toBe(202);
    // The same body under another event header is another delivery too.
    expect((await deliver(running.url, { body, event: 'Tag Push Hook', headers: { 'X-Gitlab-Event-UUID': uuid } })).status).toBe(202);
    // The same event header and body again (an older GitLab's retry, whatever its Event-UUID): a duplicate.
    const again = await deliver(running.url, { body, headers: { 'X-Gitlab-Event-UUID': randomUUID() } });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ status: 'duplicate' });
    expect((await rows(running.pool)).filter((r) => r.event_uuid === uuid)).toHaveLength(3);
  });

  it('keeps the same event sent by two hooks (project and group): each delivery has its own key', async () => {
    const uuid = randomUUID();
    expect((await deliver(running.url, { headers: { 'X-Gitlab-Event-UUID': uuid, 'Idempotency-Key': randomUUID() } })).status).toBe(202);
    expect((await deliver(running.url, { headers: { 'X-Gitlab-Event-UUID': uuid, 'Idempotency-Key': randomUUID() } })).status).toBe(202);
  });

  it('accepts event kinds it does not know yet, so GitLab never disables the hook over them', async () => {
    const response = await deliver(running.url, { event: 'Frobnicate Hook', body: '{"object_kind":"frobnicate"}' });
    expect(response.status).toBe(202);
  });

  it.each([
    ['a bad token (401)', { token: 'wrong-secret' }, 401, 'bad_token'],
    ['no token (401)', { token: '' }, 401, 'bad_token'],
    ['no X-Gitlab-Event (400)', { event: '' }, 400, 'missing_event'],
    ['a body that is not JSON (400)', { body: '{"object_kind": "push"' }, 400, 'bad_json'],
    ['a JSON array (400)', { body: '[1,2]' }, 400, 'bad_json'],
    ['an empty body (400)', { body: '' }, 400, 'bad_json'],
    ['an object followed by more text (400)', { body: '{"object_kind":"push"} {}' }, 400, 'bad_json'],
    ['an object nested past what PostgreSQL parses (400)', { body: `${'{"a":'.repeat(200_000)}1${'}'.repeat(200_000)}` }, 400, 'bad_json'],
    ['text/plain (415)', { headers: { 'Content-Type': 'text/plain' } }, 415, 'unsupported_media_type'],
    ['GET (405)', { method: 'GET' }, 405, 'method_not_allowed'],
  ] as const)('refuses %s and stores nothing', async (_name, options, status, code) => {
    const before = (await rows(running.pool)).length;
    const response = await deliver(running.url, { ...options, headers: { 'Idempotency-Key': randomUUID(), ...('headers' in options ? options.headers : {}) } });
    expect(response.status).toBe(status);
    expect(await response.json()).toMatchObject({ code });
    if (status === 405) expect(response.headers.get('allow')).toBe('POST');
    expect(await rows(running.pool)).toHaveLength(before);
  });

  it('refuses a body that is not JSON sent among good deliveries, storing each of those', async () => {
    const before = (await rows(running.pool)).length;
    const bodies = [push.body, push.body, '{"object_kind": "push", oops}', push.body, push.body];
    const responses = await Promise.all(bodies.map((body) => deliver(running.url, { body, headers: { 'Idempotency-Key': randomUUID() } })));
    expect(responses.map((response) => response.status)).toEqual([202, 202, 400, 202, 202]);
    expect(await responses[2]!.json()).toMatchObject({ code: 'bad_json', error: 'the body is not valid JSON' });
    expect(await rows(running.pool)).toHaveLength(before + 4);
  });

  it('refuses a body over 25 MB with 413 and stores nothing', async () => {
    const before = (await rows(running.pool)).length;
    const body = JSON.stringify({ object_kind: 'push', padding: 'x'.repeat(25 * 1024 * 1024) });
    const response = await deliver(running.url, { body });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ code: 'too_large' });
    expect(await rows(running.pool)).toHaveLength(before);
  });

  it('stores a payload whose text holds a NUL character, without it', async () => {
    const response = await deliver(running.url, { body: '{"object_kind":"note","object_attributes":{"note":"a\\u0000b"}}', event: 'Note Hook' });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    const [row] = (await running.pool.query('SELECT payload FROM webhook_deliveries WHERE id = $1', [id])).rows;
    expect(row.payload.object_attributes.note).toBe('ab');
  });

  it('echoes the request id and logs one line per delivery with it, without the token', async () => {
    const response = await deliver(running.url, { headers: { 'Idempotency-Key': randomUUID(), 'X-Request-Id': 'proxy-req-42' } });
    expect(response.status).toBe(202);
    expect(response.headers.get('x-request-id')).toBe('proxy-req-42');
    const { id } = (await response.json()) as { id: string };
    const line = await running.bridge.waitForLog((entry) => entry.msg === 'webhook stored' && entry.delivery === id);
    expect(line).toMatchObject({ req: { id: 'proxy-req-42', method: 'POST', path: '/webhook' }, event: 'Push Hook' });
    expect(JSON.stringify(running.bridge.logs)).not.toContain('current-secret');
    // Nor a wrong one that was tried and refused (the door's lines skip the root's redaction paths).
    const refused = await deliver(running.url, { token: 'guessed-secret-7431', headers: { 'X-Request-Id': 'proxy-req-43' } });
    expect(refused.status).toBe(401);
    await running.bridge.waitForLog((entry) => entry.msg === 'webhook refused' && (entry.req as { id?: string } | undefined)?.id === 'proxy-req-43');
    expect(JSON.stringify(running.bridge.logs)).not.toContain('guessed-secret-7431');
    // A generated id when the proxy gives none.
    const other = await deliver(running.url, { headers: { 'Idempotency-Key': randomUUID() } });
    expect(other.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('accepts a hook URL with a query string, which admins use to tell hooks apart', async () => {
    const response = await deliver(`${running.url}?hook=group-42`, { headers: { 'Idempotency-Key': randomUUID() } });
    expect(response.status).toBe(202);
  });

  it('answers 503 when PostgreSQL cannot take a delivery, without promising that GitLab retries, and stores a resend', async () => {
    const key = randomUUID();
    // A constraint that refuses this one delivery stands in for a database that fails the write.
    await running.pool.query(`ALTER TABLE webhook_deliveries ADD CONSTRAINT refuse_for_test CHECK (idempotency_key <> '${key}')`);
    try {
      const refused = await deliver(running.url, { headers: { 'Idempotency-Key': key } });
      expect(refused.status).toBe(503);
      const answer = (await refused.json()) as { code: string; error: string };
      expect(answer.code).toBe('not_stored');
      // GitLab does not redeliver a failed webhook by itself: whoever reads this must resend it.
      expect(answer.error).not.toMatch(/GitLab will retry|GitLab retries/i);
      expect(answer.error).toMatch(/resend/i);
    } finally {
      await running.pool.query('ALTER TABLE webhook_deliveries DROP CONSTRAINT refuse_for_test');
    }
    expect((await deliver(running.url, { headers: { 'Idempotency-Key': key } })).status).toBe(202);
    expect((await rows(running.pool)).filter((r) => r.idempotency_key === key)).toHaveLength(1);
  });

  it('refuses a compressed body with 415 and stores nothing', async () => {
    const before = (await rows(running.pool)).length;
    const response = await deliver(running.url, { headers: { 'Idempotency-Key': randomUUID(), 'Content-Encoding': 'gzip' } });
    expect(response.status).toBe(415);
    expect(await response.json()).toMatchObject({ code: 'unsupported_encoding' });
    expect(await rows(running.pool)).toHaveLength(before);
  });

  it('counts deliveries by outcome in /metrics, and shows the processing backlog draining to 0', async () => {
    const scrape = async () => (await fetch(`http://127.0.0.1:${running.internalPort}/metrics`)).text();
    const backlog = (text: string) => Number(/^gitlab_bridge_webhook_backlog (\S+)$/m.exec(text)?.[1]);
    const deadline = Date.now() + 20_000;
    while (backlog(await scrape()) !== 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    const metrics = await scrape();
    expect(backlog(metrics)).toBe(0);
    const processed = await running.pool.query('SELECT count(*)::int AS n FROM webhook_deliveries WHERE processed_at IS NOT NULL');
    expect(processed.rows[0].n).toBeGreaterThan(0);
    expect(metrics).toMatch(/^gitlab_bridge_webhooks_total\{outcome="accepted",event="Push Hook"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^gitlab_bridge_webhooks_total\{outcome="rejected_401",event=""\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^gitlab_bridge_http_request_duration_seconds_count\{listener="public",method="POST",route="\/webhook",status="202"\} [1-9]\d*$/m);
  });
});

describe('POST /webhook with a signing key', () => {
  const key = `whsec_${randomBytes(32).toString('base64')}`;
  let running: Running;
  beforeAll(async () => {
    running = await startWith({ GITLAB_WEBHOOK_SECRET: 'current-secret', GITLAB_WEBHOOK_SIGNING_KEY: key });
  });
  afterAll(() => shutDown(running));

  function signed(body: string, options: { timestamp?: number; tamper?: boolean } = {}) {
    const id = randomUUID();
    const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
    const signature = `v1,${signPayload(id, timestamp, Buffer.from(body), key).toString('base64')}`;
    return { 'Idempotency-Key': id, 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature };
  }

  it('accepts a correctly signed delivery and records that it was signed', async () => {
    const response = await deliver(running.url, { headers: signed(push.body) });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    expect((await running.pool.query('SELECT signed FROM webhook_deliveries WHERE id = $1', [id])).rows[0].signed).toBe(true);
  });

  it('refuses a tampered body, a stale timestamp and a missing signature with 401, storing nothing', async () => {
    const tampered = await deliver(running.url, { headers: signed(push.body), body: push.body.replace('"push"', '"tag_push"') });
    expect(tampered.status).toBe(401);
    expect(await tampered.json()).toMatchObject({ code: 'signature_invalid' });
    const stale = await deliver(running.url, { headers: signed(push.body, { timestamp: Math.floor(Date.now() / 1000) - 600 }) });
    expect(stale.status).toBe(401);
    expect(await stale.json()).toMatchObject({ code: 'signature_stale' });
    const unsigned = await deliver(running.url, { headers: { 'Idempotency-Key': randomUUID() } });
    expect(unsigned.status).toBe(401);
    expect(await unsigned.json()).toMatchObject({ code: 'signature_missing' });
    expect(await rows(running.pool)).toHaveLength(1);
  });
});

describe('POST /webhook before a secret is configured', () => {
  let running: Running;
  beforeAll(async () => {
    running = await startWith({});
  });
  afterAll(() => shutDown(running));

  it('answers 503 and says what is missing, storing nothing', async () => {
    const response = await deliver(running.url, { token: 'anything' });
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ code: 'not_configured', error: expect.stringContaining('GITLAB_WEBHOOK_SECRET') });
    expect(await rows(running.pool)).toHaveLength(0);
  });
});

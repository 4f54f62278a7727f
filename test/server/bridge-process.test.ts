/**
 * The bridge as an admin runs it: the real command, real listeners on loopback,
 * a real PostgreSQL (embedded, or an external one through DATABASE_URL).
 */
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { createTestDatabase, testServers } from '../helpers/databases.js';
import { runBridge, tempWorkDir, type BridgeProcess } from '../helpers/bridge-process.js';
import { startFakeGitLab, type FakeGitLab } from '../fakes/fake-gitlab.js';
import { startFakeMattermost, type FakeMattermost } from '../fakes/fake-mattermost.js';

const running: BridgeProcess[] = [];
function start(env: Record<string, string> = {}, cwd?: string): BridgeProcess {
  const bridge = runBridge(['start'], env, cwd);
  running.push(bridge);
  return bridge;
}
// SIGTERM, so that each bridge also stops its embedded database; SIGKILL only for one that hangs.
afterEach(async () => {
  await Promise.all(
    running.splice(0).map(async (bridge) => {
      const hung = setTimeout(() => bridge.child.kill('SIGKILL'), 15_000);
      await bridge.stop('SIGTERM');
      clearTimeout(hung);
    }),
  );
});

async function get(port: number, route: string, headers: Record<string, string> = {}) {
  const response = await fetch(`http://127.0.0.1:${port}${route}`, { headers });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** Connects to the embedded server of a running bridge, as an operator with the data directory could. */
async function embeddedClient(bridge: BridgeProcess): Promise<pg.Client> {
  const line = await bridge.waitForLog((l) => l.msg === 'embedded PostgreSQL running');
  const password = readFileSync(path.join(bridge.cwd, 'data', 'postgres.password'), 'utf8').trim();
  const client = new pg.Client({ host: '127.0.0.1', port: line.port as number, user: 'postgres', password, database: 'gitlab_bridge' });
  await client.connect();
  return client;
}

describe('gitlab-bridge start with no environment at all', () => {
  it('answers health, setup page and readiness, and says what is missing', async () => {
    const bridge = start();
    const { publicPort, internalPort } = await bridge.ready();

    const health = await get(internalPort, '/healthz');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.text)).toEqual({ status: 'ok' });

    const ready = await get(internalPort, '/readyz');
    expect(ready.status).toBe(503);
    const body = JSON.parse(ready.text) as { ready: boolean; missing: string[]; errors: string[] };
    expect(body.ready).toBe(false);
    expect(body.missing).toEqual(expect.arrayContaining(['MATTERMOST_URL', 'MATTERMOST_BOT_TOKEN', 'GITLAB_WEBHOOK_SECRET']));
    expect(body.errors).toEqual([]);

    const page = await get(publicPort, '/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.text).toContain('Not ready');
    expect(page.text).toMatch(/<code>MATTERMOST_BOT_TOKEN<\/code><\/td><td class="missing">missing/);
    expect(page.text).toContain('location ^~ /plugins/gitlab-bridge/webhook');
    expect(page.text).toContain(`proxy_pass http://127.0.0.1:${publicPort}/webhook;`);

    // One warning per missing setting, naming it.
    for (const name of body.missing) {
      expect(bridge.logs.filter((l) => l.level === 'warn' && l.setting === name)).toHaveLength(1);
    }
  });

  it('exposes Prometheus metrics with process metrics and a request histogram', async () => {
    const bridge = start();
    const { publicPort, internalPort } = await bridge.ready();
    await get(publicPort, '/');
    await get(publicPort, '/no-such-page');
    const metrics = await get(internalPort, '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/text\/plain/);
    expect(metrics.text).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(metrics.text).toMatch(/^gitlab_bridge_http_request_duration_seconds_count\{listener="public",method="GET",route="\/",status="200"\} 1$/m);
    expect(metrics.text).toMatch(/route="unmatched",status="404"\} 1$/m);
    expect(metrics.text).toMatch(/^gitlab_bridge_build_info\{version="\d+\.\d+\.\d+[^"]*"\} 1$/m);
  });

  it('logs each request as one JSON line with a request id it echoes back', async () => {
    const bridge = start();
    const { publicPort } = await bridge.ready();
    const page = await get(publicPort, '/?code=oauth-code-value', { 'X-Request-Id': 'trace-123' });
    expect(page.headers.get('x-request-id')).toBe('trace-123');
    const line = await bridge.waitForLog((l) => (l.req as { id?: string } | undefined)?.id === 'trace-123');
    expect(line).toMatchObject({ req: { method: 'GET', path: '/' }, res: { status: 200 }, listener: 'public' });
    expect(JSON.stringify(bridge.logs)).not.toContain('oauth-code-value');
  });

  it('stops cleanly on SIGTERM, stopping its database, and a second start reuses the data', async () => {
    const cwd = tempWorkDir();
    const first = start({}, cwd);
    await first.ready();
    expect(first.logs.some((l) => /initialising the embedded PostgreSQL/.test(l.msg))).toBe(true);
    const client = await embeddedClient(first);
    await client.query(`INSERT INTO settings (key, value) VALUES ('test_marker', '"kept"')`);
    await client.end();
    const key = readFileSync(path.join(cwd, 'data', 'encryption.key'), 'utf8');

    // An idle keep-alive connection must not hold the shutdown up.
    const agent = new http.Agent({ keepAlive: true });
    const { internalPort } = await first.ready();
    await new Promise((resolve) => http.get({ port: internalPort, path: '/healthz', agent }, (r) => r.resume().on('end', resolve)));

    expect(await first.stop('SIGTERM')).toBe(0);
    agent.destroy();
    expect(first.logs.at(-1)?.msg).toBe('gitlab-bridge stopped');
    expect(JSON.stringify(first.logs)).not.toMatch(/FATAL|connection lost/);
    expect(first.logs.some((l) => l.msg === 'embedded PostgreSQL stopped')).toBe(true);
    expect(existsSync(path.join(cwd, 'data', 'postgres', 'postmaster.pid'))).toBe(false);

    const second = start({}, cwd);
    await second.ready();
    expect(second.logs.some((l) => /initialising/.test(l.msg))).toBe(false);
    expect(readFileSync(path.join(cwd, 'data', 'encryption.key'), 'utf8')).toBe(key);
    const again = await embeddedClient(second);
    const { rows } = await again.query(`SELECT value FROM settings WHERE key = 'test_marker'`);
    await again.end();
    expect(rows[0]?.value).toBe('kept');
    expect(await second.stop('SIGINT')).toBe(0);
  });

  it('stops cleanly when the signal arrives during start-up, leaving no database running', async () => {
    const cwd = tempWorkDir();
    const bridge = start({}, cwd);
    await bridge.waitForLog((l) => l.msg === 'embedded PostgreSQL running');
    bridge.child.kill('SIGTERM');
    expect(await bridge.exited).toBe(0);
    expect(bridge.logs.at(-1)?.msg).toBe('gitlab-bridge stopped');
    expect(existsSync(path.join(cwd, 'data', 'postgres', 'postmaster.pid'))).toBe(false);
  });

  it('recovers after being killed: the orphaned database is stopped and started again', async () => {
    const cwd = tempWorkDir();
    const first = start({}, cwd);
    await first.ready();
    const pgPid = Number(readFileSync(path.join(cwd, 'data', 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
    await first.stop('SIGKILL');

    const second = start({}, cwd);
    const { internalPort } = await second.ready();
    expect(second.logs.some((l) => /left running by an earlier bridge/.test(l.msg) && l.pid === pgPid)).toBe(true);
    expect((await get(internalPort, '/readyz')).text).toContain('"errors":[]');
  });

  it('refuses to share its embedded database with a second bridge that is running', async () => {
    const cwd = tempWorkDir();
    const first = start({}, cwd);
    await first.ready();
    // A bridge is waited for before the refusal (a minute by default): a short wait here.
    const second = start({ GITLAB_BRIDGE_TEST_OWNER_WAIT: '1s' }, cwd);
    expect(await second.exited).toBe(1);
    expect(second.stderr()).toMatch(/in use by another process/);
    const { internalPort } = await first.ready();
    expect((await get(internalPort, '/healthz')).status).toBe(200);
  });

  it('refuses a different encryption key than the one the database was set up with', async () => {
    const cwd = tempWorkDir();
    const first = start({ ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64') }, cwd);
    await first.ready();
    expect(await first.stop()).toBe(0);
    const second = start({ ENCRYPTION_KEY: Buffer.alloc(32, 2).toString('base64') }, cwd);
    expect(await second.exited).toBe(1);
    expect(second.stderr()).toMatch(/encryption key \(id [0-9a-f]+\) is not the one this database was set up with/);
  });
});

describe('gitlab-bridge start fully configured', () => {
  let mattermost: FakeMattermost;
  let gitlab: FakeGitLab;
  beforeEach(async () => {
    mattermost = await startFakeMattermost();
    gitlab = await startFakeGitLab();
  });
  afterEach(async () => {
    expect(mattermost.violations).toEqual([]);
    await mattermost.close();
    await gitlab.close();
  });

  function settings(overrides: Record<string, string> = {}): Record<string, string> {
    return {
      MATTERMOST_URL: mattermost.url,
      MATTERMOST_BOT_TOKEN: mattermost.addUser('gitlab', { bot: true }).token,
      GITLAB_URL: gitlab.url,
      GITLAB_OAUTH_CLIENT_ID: 'client-id',
      GITLAB_OAUTH_CLIENT_SECRET: 'client-secret-must-not-leak',
      GITLAB_WEBHOOK_SECRET: 'webhook-secret-must-not-leak',
      ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('hex'),
      ...overrides,
    };
  }

  it('is ready once Mattermost accepts the bot token, and no secret appears on its pages or in its logs', async () => {
    const env = settings();
    const bridge = start(env);
    const { publicPort, internalPort } = await bridge.ready();
    const ready = await get(internalPort, '/readyz');
    expect(ready.status).toBe(200);
    // The Mattermost listener may still be connecting: a replica that just started is given time before it warns.
    expect(JSON.parse(ready.text)).toEqual({
      ready: true,
      missing: [],
      errors: [],
      warnings: [],
      mattermostStream: expect.objectContaining({ state: expect.stringMatching(/^(connected|connecting|no_listener)$/) }),
      gitlabInstances: [expect.objectContaining({ name: 'default', state: 'ok', webhookPath: '/webhook', oauth: true, webhookSecret: true })],
    });
    expect(mattermost.requests.some((r) => r.operationId === 'GetUser' && r.path === '/api/v4/users/me')).toBe(true);

    const pages = [await get(publicPort, '/'), ready, await get(internalPort, '/metrics')].map((p) => p.text).join('\n');
    expect(pages).toContain('Ready');
    const secrets = [env.MATTERMOST_BOT_TOKEN!, env.GITLAB_OAUTH_CLIENT_SECRET!, env.GITLAB_WEBHOOK_SECRET!, env.ENCRYPTION_KEY!];
    for (const value of secrets) {
      expect(pages).not.toContain(value);
      expect(JSON.stringify(bridge.logs)).not.toContain(value);
    }
  });

  it('is not ready, and says which setting is wrong, when Mattermost rejects the bot token', async () => {
    const bridge = start(settings({ MATTERMOST_BOT_TOKEN: 'revoked-token' }));
    const { internalPort } = await bridge.ready();
    const ready = await get(internalPort, '/readyz');
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.text).errors).toEqual([expect.stringMatching(/^Mattermost rejected MATTERMOST_BOT_TOKEN \(401/)]);
  });

  it('stays ready with a warning while Mattermost is down, so GitLab keeps delivering webhooks', async () => {
    const env = settings();
    await mattermost.close();
    const bridge = start(env);
    const { internalPort } = await bridge.ready();
    const ready = await get(internalPort, '/readyz');
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.text)).toMatchObject({ ready: true, errors: [], warnings: [expect.stringMatching(/^cannot reach Mattermost at .*ECONNREFUSED/)] });
  });

  it('is not ready when GITLAB_URL does not point at a GitLab', async () => {
    // A web server without GitLab's API under that path: a typo in the URL, say.
    const bridge = start(settings({ GITLAB_URL: `${gitlab.url}/not-gitlab` }));
    const { internalPort } = await bridge.ready();
    const ready = await get(internalPort, '/readyz');
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.text).errors).toEqual([expect.stringMatching(/GITLAB_URL .* does not serve GitLab's API \(GET \/api\/v4\/version answered 404\)/)]);
  });
});

describe.each(testServers())('gitlab-bridge start with DATABASE_URL on $label', (server) => {
  it('uses that server, creates its tables there and starts no embedded database', async () => {
    const database = await createTestDatabase(server);
    try {
      const bridge = start({ DATABASE_URL: database.url });
      const { internalPort } = await bridge.ready();
      expect(bridge.logs.find((l) => l.msg === 'gitlab-bridge listening')).toMatchObject({ database: 'external' });
      expect(existsSync(path.join(bridge.cwd, 'data', 'postgres'))).toBe(false);
      expect((await get(internalPort, '/readyz')).text).toContain('"errors":[]');

      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      const { rows } = await client.query("SELECT to_regclass('public.settings') AS settings, (SELECT count(*)::int FROM schema_migrations) AS migrations");
      await client.end();
      expect(rows[0]).toMatchObject({ settings: 'settings' });
      expect(rows[0].migrations).toBeGreaterThan(0);
      expect(await bridge.stop()).toBe(0);
    } finally {
      await database.drop();
    }
  });
});

describe('gitlab-bridge start with an unusable DATABASE_URL', () => {
  it('stops with a message naming the database and no password', async () => {
    const server = testServers()[0]!;
    const url = new URL(server.url);
    url.password = 'wrong-password-value';
    const bridge = start({ DATABASE_URL: url.toString() });
    expect(await bridge.exited).toBe(1);
    expect(bridge.stderr()).toMatch(/cannot use the database at 127\.0\.0\.1:\d+\/gitlab_bridge: password authentication failed/);
    expect(bridge.stderr() + JSON.stringify(bridge.logs)).not.toContain('wrong-password-value');
  });
});

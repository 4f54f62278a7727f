/**
 * The webapp API's door, through a running bridge: the Mattermost session
 * cookie (checked with the fake Mattermost, cached for a minute), the CSRF
 * double submit and same-origin rules for changes, no CORS, JSON errors, and
 * nothing of the session in the bridge's logs.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startCommandBridge, type CommandBridge } from '../../helpers/command-bridge.js';
import { CSRF_TOKEN, webappClient } from '../../helpers/webapp-client.js';

let bridge: CommandBridge;
let alice: ReturnType<typeof webappClient>;

beforeAll(async () => {
  // Two checks of new session tokens a second (bursts of 20), so a flood shows within a few hundred requests;
  // each client (address) gets all of that rate but bursts of 8 (four seconds' worth) of it.
  bridge = await startCommandBridge({ users: ['alice', 'bob', 'carol', 'dave'], oauth: true, env: () => ({ LOG_LEVEL: 'debug', SESSION_CHECKS_PER_SECOND: '2' }) });
  alice = webappClient(bridge, 'alice');
}, 120_000);

afterAll(async () => {
  await bridge?.close();
});

const corsHeaders = (headers: Headers) => {
  const names: string[] = [];
  headers.forEach((_value, name) => names.push(name));
  return names.filter((name) => name.toLowerCase().startsWith('access-control-'));
};
const markDoneRequests = () => bridge.gitlab.requests.filter((request) => request.path.includes('/mark_as_done'));
const sessionChecks = (userId: string) => bridge.mattermost.requests.filter((request) => request.operationId === 'GetUser' && request.path === '/api/v4/users/me' && request.userId === userId);

describe('who is calling', () => {
  it('answers 401 not_logged_in as JSON without a session cookie', async () => {
    const answer = await alice('GET', '/me', { session: null });
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({ error: expect.any(String), code: 'not_logged_in' });
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    expect(answer.headers.get('cache-control')).toBe('no-store');
  });

  it('answers 401 for a session Mattermost does not accept', async () => {
    const answer = await alice('GET', '/me', { session: 'not-a-session-mattermost-knows' });
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ code: 'not_logged_in' });
  });

  it('knows the user behind a good session, and answers unknown endpoints 404 as JSON', async () => {
    const me = await alice<{ user: { id: string; username: string } }>('GET', '/me');
    expect(me.status).toBe(200);
    expect(me.body.user).toEqual({ id: bridge.users.alice, username: 'alice' });
    expect(me.headers.get('cache-control')).toBe('no-store');
    const missing = await alice('GET', '/no/such/thing');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ code: 'not_found' });
  });

  it('asks Mattermost once a minute per session, not on every call', async () => {
    const carol = webappClient(bridge, 'carol');
    expect(sessionChecks(bridge.users.carol!)).toHaveLength(0);
    expect((await carol('GET', '/me')).status).toBe(200);
    expect((await carol('GET', '/me')).status).toBe(200);
    expect((await carol('GET', '/users/' + bridge.users.alice + '/gitlab')).status).toBe(404);
    expect(sessionChecks(bridge.users.carol!)).toHaveLength(1);
  });

  it('answers 502 mattermost_unavailable when Mattermost cannot confirm the session', async () => {
    const dave = webappClient(bridge, 'dave');
    bridge.mattermost.inject('GetUser', { status: 503, body: { id: 'api.unavailable', message: 'down for maintenance', status_code: 503 } });
    const answer = await dave('GET', '/me');
    expect(answer.status).toBe(502);
    expect(answer.body).toMatchObject({ code: 'mattermost_unavailable' });
    // Not cached as a refusal: the next call works.
    expect((await dave('GET', '/me')).status).toBe(200);
  });
});

describe('cross-origin and CSRF', () => {
  it('refuses a cross-origin GET and POST with 403 cross_origin and no CORS headers', async () => {
    const get = await alice('GET', '/me', { origin: 'https://evil.example' });
    expect(get.status).toBe(403);
    expect(get.body).toMatchObject({ code: 'cross_origin' });
    expect(corsHeaders(get.headers)).toEqual([]);
    const post = await alice('POST', '/todos/1/done', { origin: 'https://evil.example' });
    expect(post.status).toBe(403);
    expect(post.body).toMatchObject({ code: 'cross_origin' });
    expect(corsHeaders(post.headers)).toEqual([]);
    // A preflight gets nothing that would let the browser go on.
    const preflight = await fetch(`${bridge.publicUrl}/api/v1/todos/1/done`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-csrf-token' },
    });
    expect(preflight.status).toBe(403);
    expect(corsHeaders(preflight.headers)).toEqual([]);
  });

  it('refuses a GET a browser marks as cross-site even without an Origin header', async () => {
    const answer = await alice('GET', '/me', { headers: { 'sec-fetch-site': 'cross-site' } });
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ code: 'cross_origin' });
  });

  it('takes the origin the browser addressed through the reverse proxy as the page\'s own', async () => {
    const headers = { 'x-forwarded-host': 'chat.example.com', 'x-forwarded-proto': 'https' };
    expect((await alice('GET', '/me', { origin: 'https://chat.example.com', headers })).status).toBe(200);
    expect((await alice('GET', '/me', { origin: 'http://chat.example.com', headers })).status).toBe(403);
  });

  it('refuses a change without the CSRF token, with a wrong one, without X-Requested-With, or without Origin, before doing anything', async () => {
    const refusals = [
      [{ csrf: null }, 'csrf'],
      [{ csrf: 'some-other-token' }, 'csrf'],
      [{ csrf: CSRF_TOKEN.slice(0, -1) }, 'csrf'],
      [{ requestedWith: null }, 'csrf'],
      [{ requestedWith: 'fetch' }, 'csrf'],
      [{ origin: null }, 'cross_origin'],
    ] as const;
    for (const [options, code] of refusals) {
      const answer = await alice('POST', '/todos/1/done', options);
      expect([JSON.stringify(options), answer.status, (answer.body as { code: string }).code]).toEqual([JSON.stringify(options), 403, code]);
    }
    expect(markDoneRequests()).toHaveLength(0);
    // With everything a Mattermost page sends, the call gets through to the endpoint (which wants a GitLab account).
    const accepted = await alice('POST', '/todos/1/done');
    expect(accepted.status).toBe(403);
    expect(accepted.body).toMatchObject({ code: 'not_connected' });
  });

  it('answers malformed JSON bodies 400 bad_request as JSON', async () => {
    const response = await fetch(`${bridge.publicUrl}/api/v1/todos/1/done`, {
      method: 'POST',
      headers: {
        cookie: `MMAUTHTOKEN=${bridge.sessions.alice}; MMCSRF=${CSRF_TOKEN}`,
        origin: bridge.publicUrl,
        'x-csrf-token': CSRF_TOKEN,
        'x-requested-with': 'XMLHttpRequest',
        'content-type': 'application/json',
      },
      body: '{"not json',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'bad_request' });
  });
});

describe('a browser carrying two Mattermost sessions', () => {
  // As a neighbouring host under the same parent domain can plant one: `MMAUTHTOKEN=<its own session>;
  // Domain=<parent>; Path=/plugins/…` comes first, and Mattermost's own cookie after it.
  const withCookies = (cookie: string, init: { method?: string; headers?: Record<string, string> } = {}) =>
    fetch(`${bridge.publicUrl}/api/v1/me`, { method: init.method ?? 'GET', headers: { cookie, ...init.headers } }).then(async (response) => ({ status: response.status, body: (await response.json()) as { code: string; error: string } }));

  it('refuses two MMAUTHTOKEN cookies with 400 ambiguous_session, whichever comes first, without asking Mattermost', async () => {
    const before = bridge.mattermost.requests.length;
    for (const cookie of [
      `MMAUTHTOKEN=${bridge.sessions.bob}; MMAUTHTOKEN=${bridge.sessions.alice}; MMUSERID=${bridge.users.alice}`,
      `MMAUTHTOKEN=${bridge.sessions.alice}; MMUSERID=${bridge.users.alice}; MMAUTHTOKEN=${bridge.sessions.bob}`,
      `MMAUTHTOKEN=${bridge.sessions.alice}; MMAUTHTOKEN=${bridge.sessions.alice}`,
    ]) {
      const answer = await withCookies(cookie);
      expect(answer).toEqual({ status: 400, body: { code: 'ambiguous_session', error: expect.stringContaining('Sign out of Mattermost and sign in again') } });
    }
    expect(bridge.mattermost.requests.length).toBe(before);
  });

  it('refuses a session whose MMUSERID cookie names another user', async () => {
    const answer = await withCookies(`MMAUTHTOKEN=${bridge.sessions.bob}; MMUSERID=${bridge.users.alice}`);
    expect(answer).toMatchObject({ status: 400, body: { code: 'ambiguous_session' } });
    // Bob's own browser, and one without MMUSERID (Mattermost sets it, but it is only a second signal), go on.
    expect((await withCookies(`MMAUTHTOKEN=${bridge.sessions.bob}; MMUSERID=${bridge.users.bob}`)).status).toBe(200);
    expect((await withCookies(`MMAUTHTOKEN=${bridge.sessions.bob}`)).status).toBe(200);
  });

  it('refuses a change with two MMCSRF cookies, doing nothing', async () => {
    const answer = await alice('POST', '/todos/1/done', { headers: { cookie: `MMAUTHTOKEN=${bridge.sessions.alice}; MMCSRF=planted; MMCSRF=${CSRF_TOKEN}; MMUSERID=${bridge.users.alice}`, 'x-csrf-token': 'planted' } });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ code: 'ambiguous_session' });
    expect(markDoneRequests()).toHaveLength(0);
    // Which cookie came twice, never its values (the last test checks no session or CSRF token is logged).
    await bridge.bridge.waitForLog((line) => line.msg === 'refused a webapp call whose browser sends two Mattermost sessions' && line.reason === '2 MMCSRF cookies');
  });
});

describe('one client flooding bogus session cookies', () => {
  it("gets 429 too_many_session_checks beyond its own allowance, while another client's new session still gets through", async () => {
    const flooder = { 'x-forwarded-for': '203.0.113.7' };
    const answers = await Promise.all(Array.from({ length: 60 }, () => alice('GET', '/me', { session: `bogus-${randomUUID()}`, headers: flooder })));
    expect(answers.filter((answer) => answer.status === 429).length).toBeGreaterThan(40);
    // Behind our proxy: what the client claimed comes first, the address the proxy saw last.
    const spoofing = await alice('GET', '/me', { session: `bogus-${randomUUID()}`, headers: { 'x-forwarded-for': '198.51.100.9, 203.0.113.7' } });
    expect(spoofing.status).toBe(429);
    // Someone else, signing in just now (a session the bridge has never seen).
    const fresh = bridge.mattermost.addSession(bridge.users.alice!);
    const other = await alice<{ user: { id: string } }>('GET', '/me', { session: fresh, headers: { 'x-forwarded-for': '198.51.100.9' } });
    expect(other.status).toBe(200);
    expect(other.body.user.id).toBe(bridge.users.alice);
  });
});

describe('a flood of bogus session cookies', () => {
  const refusedChecks = () => bridge.mattermost.requests.filter((request) => request.path === '/api/v4/users/me' && request.userId === undefined);

  it('asks Mattermost once about a bogus cookie sent again and again', async () => {
    const bogus = `bogus-${randomUUID()}`;
    const before = refusedChecks().length;
    for (let i = 0; i < 20; i += 1) {
      const answer = await alice('GET', '/me', { session: bogus });
      expect(answer.status).toBe(401);
      expect(answer.body).toMatchObject({ code: 'not_logged_in' });
    }
    expect(refusedChecks().length - before).toBe(1);
  });

  it('checks distinct bogus cookies at a bounded rate, refusing the rest with 429 too_many_session_checks, while known sessions go on', async () => {
    const before = refusedChecks().length;
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: 100 }, () => alice('GET', '/me', { session: `bogus-${randomUUID()}` })));
    const seconds = (Date.now() - started) / 1000;
    const asked = refusedChecks().length - before;
    // At most this client's burst (8) and two a second since.
    expect(asked).toBeLessThanOrEqual(8 + Math.ceil(seconds * 2));
    expect(answers.filter((answer) => answer.status === 401)).toHaveLength(asked);
    const throttled = answers.filter((answer) => answer.status === 429);
    expect(throttled).toHaveLength(100 - asked);
    expect(throttled[0]!.body).toMatchObject({ code: 'too_many_session_checks' });
    expect(throttled[0]!.headers.get('retry-after')).toBe('1');
    // Alice's session was accepted a moment ago: the flood does not lock her out.
    expect((await alice('GET', '/me')).status).toBe(200);
  });
});

describe('secrets', () => {
  it('never writes a session token or CSRF token to the bridge log', async () => {
    expect(bridge.bridge.logs.some((line) => line.msg === 'request completed' || line.msg === 'request errored')).toBe(true);
    const written = JSON.stringify(bridge.bridge.logs) + bridge.bridge.stderr();
    for (const token of [...Object.values(bridge.sessions), CSRF_TOKEN, 'not-a-session-mattermost-knows']) expect(written).not.toContain(token);
  });
});

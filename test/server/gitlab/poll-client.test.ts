/**
 * The polling client against a GitLab stand-in on loopback and the real shared
 * budget in PostgreSQL: what each kind of answer turns into, and how GitLab's
 * rate limits stop one user's token, or everyone, on every replica.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import {
  ANONYMOUS_CALLER,
  BudgetExhaustedError,
  callerKey,
  createPollClient,
  GitLabHttpError,
  GitLabRateLimitedError,
  GitLabUnauthorizedError,
  GitLabUnreachableError,
  type PollClient,
  type RequestOutcome,
} from '../../../server/src/gitlab/poll-client.js';
import { createLogger } from '../../../server/src/log.js';
import { createRequestBudget, type RequestBudget } from '../../../server/src/polling/request-budget.js';
import { migrate } from '../../../server/src/store/migrate.js';
import { createTestDatabase, openPool, testServers, type TestDatabase } from '../../helpers/databases.js';
import { silentLog } from '../../helpers/silent-log.js';
import { waitFor } from '../../helpers/wait-for.js';

const TOKEN = 'glpat-secret-token-0123456789';
const OTHER_TOKEN = 'glpat-another-users-token-9876';

interface SeenRequest {
  method: string;
  url: string;
  authorization: string | undefined;
  body: string;
}

/** GitLab as far as these tests need it; every answer that can carries the token back, to prove it goes nowhere. */
function answer(req: http.IncomingMessage, body: string, res: http.ServerResponse): void {
  const url = new URL(req.url!, 'http://gitlab.test');
  const json = (status: number, value: unknown, headers: Record<string, string> = {}) =>
    void res.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(JSON.stringify(value));
  const token = req.headers.authorization?.replace(/^Bearer /, '') ?? '';
  switch (url.pathname) {
    case '/api/graphql': {
      const { query, variables } = JSON.parse(body) as { query: string; variables: { username?: string } };
      if (query.includes('nope')) return json(200, { data: null, errors: [{ message: "Field 'nope' doesn't exist on type 'User'" }, { message: 'second' }] });
      if (query.includes('leak')) return json(200, { data: null, errors: [{ message: `token ${token} is revoked` }] });
      if (query.includes('throttled')) return json(429, { message: 'Retry later' }, { 'Retry-After': '30', 'RateLimit-Name': 'throttle_unauthenticated_api' });
      return json(200, { data: { user: { username: variables.username } } });
    }
    case '/api/v4/projects/7/events':
      return json(200, [{ id: 1, action_name: 'pushed to' }], { 'X-Next-Page': '2' });
    case '/api/v4/limited':
      return json(429, { message: `Retry later, ${token}` }, { 'Retry-After': '30' });
    case '/api/v4/limited-ip':
      return json(429, { message: 'Retry later' }, { 'Retry-After': '30', 'RateLimit-Name': 'throttle_unauthenticated_api' });
    case '/api/v4/maintenance':
      return void res.writeHead(503, { 'Content-Type': 'text/html', 'Retry-After': '20' }).end('<html><body>down</body></html>');
    case '/api/v4/quota': {
      const reset = Math.floor(Date.now() / 1000) + 40;
      return json(200, { ok: true }, { 'RateLimit-Limit': '2000', 'RateLimit-Remaining': url.searchParams.get('remaining')!, 'RateLimit-Reset': String(reset) });
    }
    case '/api/v4/unauthorized':
      return json(401, { message: '401 Unauthorized', token });
    case '/api/v4/broken':
      return json(500, { message: '500 Internal Server Error' });
    case '/api/v4/invalid':
      return json(400, { message: { title: ["can't be blank"] } });
    case '/api/v4/forbidden':
      return json(403, { error: 'insufficient_scope', error_description: `The token ${token} lacks the read_api scope` });
    case '/api/v4/proxy-error':
      return void res.writeHead(502, 'Bad Gateway', { 'Content-Type': 'text/html' }).end('<html><body>nginx</body></html>');
    case '/api/v4/slow':
      return void setTimeout(() => json(200, {}), 2000).unref();
    default:
      return json(404, { message: '404 Not Found' });
  }
}

describe('polling client', () => {
  let gitlab: http.Server;
  let gitlabUrl: string;
  const seen: SeenRequest[] = [];
  let database: TestDatabase;
  let pool: pg.Pool;
  let otherPool: pg.Pool;
  let budget: RequestBudget;
  /** The same budget as another replica sees it. */
  let otherReplica: RequestBudget;
  let outcomes: RequestOutcome[];
  let logLines: string[];
  let client: PollClient;

  const clientWith = (options: { maxWaitMs?: number; timeoutMs?: number; gitlabUrl?: string; signal?: AbortSignal } = {}) =>
    createPollClient({
      gitlabUrl: `${gitlabUrl}/`,
      budget,
      log: createLogger('debug', { write: (line: string) => void logLines.push(line) }),
      onRequest: (outcome) => outcomes.push(outcome),
      ...options,
    });

  beforeAll(async () => {
    gitlab = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization, body });
        answer(req, body, res);
      });
    });
    await new Promise<void>((resolve) => gitlab.listen(0, '127.0.0.1', resolve));
    gitlabUrl = `http://127.0.0.1:${(gitlab.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    gitlab.closeAllConnections();
    await new Promise((resolve) => gitlab.close(resolve));
  });

  beforeEach(async () => {
    database = await createTestDatabase(testServers()[0]!);
    pool = openPool(database.url);
    otherPool = openPool(database.url);
    await migrate(pool, silentLog);
    budget = createRequestBudget(pool, { perMinute: 1000 });
    otherReplica = createRequestBudget(otherPool, { perMinute: 1000 });
    seen.length = 0;
    outcomes = [];
    logLines = [];
    client = clientWith();
  });
  afterEach(async () => {
    await Promise.all([pool.end(), otherPool.end()]);
    await database.drop();
  });

  it("sends GraphQL with the user's token and returns the data", async () => {
    const data = await client.graphql<{ user: { username: string } }>(TOKEN, 'query($username: String!) { user(username: $username) { username } }', {
      username: 'alice',
    });
    expect(data).toEqual({ user: { username: 'alice' } });
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/api/graphql', authorization: `Bearer ${TOKEN}` });
    expect(JSON.parse(seen[0]!.body)).toMatchObject({ variables: { username: 'alice' } });
    expect(outcomes).toEqual(['ok']);
  });

  it('sends anonymous GraphQL without any token, counted in the shared budget and stopped by a pause of everyone', async () => {
    expect(await client.anonymousGraphql('query($username: String!) { user(username: $username) { username } }', { username: 'bob' })).toEqual({ user: { username: 'bob' } });
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/api/graphql', authorization: undefined });
    expect(outcomes).toEqual(['ok']);

    // One request of two is already taken, by the call above.
    const small = createRequestBudget(pool, { perMinute: 2 });
    const limited = createPollClient({ gitlabUrl, budget: small, log: silentLog, maxWaitMs: 1000 });
    await limited.anonymousGraphql('query { user { username } }');
    await expect(limited.anonymousGraphql('query { user { username } }')).rejects.toBeInstanceOf(BudgetExhaustedError);

    await otherReplica.pause(new Date(Date.now() + 30_000), 'GitLab answered 429');
    await expect(clientWith({ maxWaitMs: 1000 }).anonymousGraphql('query { user { username } }')).rejects.toBeInstanceOf(BudgetExhaustedError);
    expect(seen).toHaveLength(2);
  });

  it("on GitLab's throttle of unauthenticated requests pauses only the requests without a token", async () => {
    const error = await client.anonymousGraphql('query { throttled }').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitLabRateLimitedError);
    expect((error as GitLabRateLimitedError).scope).toBe('caller');
    expect(await otherReplica.callerPausedUntil(ANONYMOUS_CALLER)).toEqual((error as GitLabRateLimitedError).retryAt);
    expect(await otherReplica.pausedUntil()).toBeNull();
    // The next anonymous request waits out the pause without reaching GitLab; a user's goes on.
    await expect(client.anonymousGraphql('query { user { username } }')).rejects.toBeInstanceOf(GitLabRateLimitedError);
    expect(await client.graphql(TOKEN, 'query($username: String!) { user(username: $username) { username } }', { username: 'alice' })).toEqual({ user: { username: 'alice' } });
    expect(seen.map((request) => request.authorization)).toEqual([undefined, `Bearer ${TOKEN}`]);
  });

  it('GETs REST paths with their query and hands back the headers', async () => {
    const answer = await client.get<{ id: number }[]>(TOKEN, '/projects/7/events', { after: '2030-01-01', per_page: 100, scope: ['a', 'b'], skipped: undefined });
    expect(answer.body).toEqual([{ id: 1, action_name: 'pushed to' }]);
    expect(answer.headers.get('x-next-page')).toBe('2');
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/api/v4/projects/7/events?after=2030-01-01&per_page=100&scope=a&scope=b', authorization: `Bearer ${TOKEN}` });
  });

  it('counts every request against the shared budget', async () => {
    const small = createRequestBudget(pool, { perMinute: 2 });
    const limited = createPollClient({ gitlabUrl, budget: small, log: silentLog, maxWaitMs: 1000, onRequest: (outcome) => outcomes.push(outcome) });
    await limited.get(TOKEN, '/projects/7/events');
    await limited.graphql(TOKEN, 'query { user { username } }');

    const error = await limited.get(TOKEN, '/projects/7/events').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BudgetExhaustedError);
    expect((error as BudgetExhaustedError).retryInMs).toBeGreaterThan(1000);
    expect(seen).toHaveLength(2);
  });

  it("on a 429 pauses that token on every replica until Retry-After and throws; other tokens go on", async () => {
    const before = Date.now();
    const error = await client.get(TOKEN, '/limited').catch((e: unknown) => e);
    const after = Date.now();

    expect(error).toBeInstanceOf(GitLabRateLimitedError);
    const { retryAt, scope } = error as GitLabRateLimitedError;
    expect(scope).toBe('caller');
    expect(retryAt.getTime()).toBeGreaterThanOrEqual(before + 30_000);
    expect(retryAt.getTime()).toBeLessThanOrEqual(after + 30_000);
    expect(await otherReplica.callerPausedUntil(callerKey(TOKEN))).toEqual(retryAt);
    expect(await otherReplica.pausedUntil()).toBeNull();
    expect(outcomes).toEqual(['rate_limited']);
    // Only a hash of the token is stored.
    const { rows } = await pool.query<{ caller: string }>('SELECT caller FROM gitlab_caller_rate_pause');
    expect(rows).toEqual([{ caller: callerKey(TOKEN) }]);
    expect(JSON.stringify(rows)).not.toContain(TOKEN);

    // That token's next request does not reach GitLab, and fails at once rather than holding up a poller...
    const started = Date.now();
    const next = await clientWith({ maxWaitMs: 60_000 }).get(TOKEN, '/projects/7/events').catch((e: unknown) => e);
    expect(next).toBeInstanceOf(GitLabRateLimitedError);
    expect((next as GitLabRateLimitedError).retryAt).toEqual(retryAt);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(seen).toHaveLength(1);
    // ...while another user's token is served.
    expect((await clientWith().get(OTHER_TOKEN, '/projects/7/events')).body).toHaveLength(1);
    expect(seen).toHaveLength(2);
  });

  it('pauses everyone on a throttle of the bridge\'s IP, and on a 503 with Retry-After', async () => {
    const error = await client.get(TOKEN, '/limited-ip').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitLabRateLimitedError);
    expect((error as GitLabRateLimitedError).scope).toBe('everyone');
    expect(await otherReplica.pausedUntil()).toEqual((error as GitLabRateLimitedError).retryAt);
    const next = await clientWith({ maxWaitMs: 5000 }).get(OTHER_TOKEN, '/projects/7/events').catch((e: unknown) => e);
    expect(next).toBeInstanceOf(BudgetExhaustedError);

    await pool.query('DELETE FROM gitlab_rate_pause');
    const unavailable = await client.get(OTHER_TOKEN, '/maintenance').catch((e: unknown) => e);
    expect((unavailable as GitLabRateLimitedError).scope).toBe('everyone');
    expect(await otherReplica.pausedUntil()).toEqual((unavailable as GitLabRateLimitedError).retryAt);
    expect(await otherReplica.callerPausedUntil(callerKey(OTHER_TOKEN))).toBeNull();
  });

  it('pauses everyone when three tokens are refused within a minute', async () => {
    for (const token of ['token-a', 'token-b']) expect(((await client.get(token, '/limited').catch((e: unknown) => e)) as GitLabRateLimitedError).scope).toBe('caller');
    expect(await otherReplica.pausedUntil()).toBeNull();
    const third = (await client.get('token-c', '/limited').catch((e: unknown) => e)) as GitLabRateLimitedError;
    expect(third.scope).toBe('everyone');
    expect(await otherReplica.pausedUntil()).toEqual(third.retryAt);
    expect(logLines.some((line) => line.includes('pausing GitLab polling on every replica'))).toBe(true);
  });

  it("pauses the token until the reset when GitLab is about to refuse it, but still returns the answer", async () => {
    expect((await client.get(TOKEN, '/quota', { remaining: 101 })).body).toEqual({ ok: true });
    expect(await otherReplica.callerPausedUntil(callerKey(TOKEN))).toBeNull();

    const answer = await client.get(TOKEN, '/quota', { remaining: 100 });
    expect(answer.body).toEqual({ ok: true });
    const reset = new Date(Number(answer.headers.get('ratelimit-reset')) * 1000);
    expect(await otherReplica.callerPausedUntil(callerKey(TOKEN))).toEqual(reset);
    expect(await otherReplica.pausedUntil()).toBeNull();
    expect(outcomes).toEqual(['ok', 'ok']);
  });

  it('waits for a short pause, then sends', async () => {
    await otherReplica.pause(new Date(Date.now() + 300), 'GitLab answered 429');
    await client.get(TOKEN, '/projects/7/events');
    expect(outcomes).toEqual(['budget_wait', 'ok']);
    expect(seen).toHaveLength(1);
  });

  it('turns a 401 into GitLabUnauthorizedError, for the caller to refresh the token', async () => {
    await expect(client.get(TOKEN, '/unauthorized')).rejects.toBeInstanceOf(GitLabUnauthorizedError);
    expect(outcomes).toEqual(['error']);
  });

  it("turns other refusals into GitLabHttpError with GitLab's own words", async () => {
    const refusal = async (path: string) => {
      const error = await client.get(TOKEN, path).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GitLabHttpError);
      return { status: (error as GitLabHttpError).status, message: (error as GitLabHttpError).gitlabMessage };
    };
    expect(await refusal('/broken')).toEqual({ status: 500, message: '500 Internal Server Error' });
    expect(await refusal('/invalid')).toEqual({ status: 400, message: '{"title":["can\'t be blank"]}' });
    expect(await refusal('/proxy-error')).toEqual({ status: 502, message: 'Bad Gateway' });
    expect(await refusal('/nothing-here')).toEqual({ status: 404, message: '404 Not Found' });
    expect(outcomes).toEqual(['error', 'error', 'error', 'error']);
  });

  it('turns GraphQL errors in a 200 answer into GitLabHttpError with the first message', async () => {
    const error = await client.graphql(TOKEN, 'query { currentUser { nope } }').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitLabHttpError);
    expect((error as GitLabHttpError).gitlabMessage).toBe("Field 'nope' doesn't exist on type 'User'");
    expect(outcomes).toEqual(['error']);
  });

  it('never puts the token into errors or logs, even when GitLab repeats it', async () => {
    const errors = [
      await client.get(TOKEN, '/forbidden').catch((e: unknown) => e),
      await client.get(TOKEN, '/unauthorized').catch((e: unknown) => e),
      await client.graphql(TOKEN, 'query { leak }').catch((e: unknown) => e),
      // Last: it pauses the budget.
      await client.get(TOKEN, '/limited').catch((e: unknown) => e),
    ];
    expect(seen.every((request) => request.authorization === `Bearer ${TOKEN}`)).toBe(true);
    expect((errors[0] as GitLabHttpError).gitlabMessage).toBe('The token [redacted] lacks the read_api scope');
    for (const error of errors) {
      expect(error).toBeInstanceOf(Error);
      expect(`${(error as Error).message} ${JSON.stringify(error)}`).not.toContain(TOKEN);
    }
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.join('\n')).not.toContain(TOKEN);
  });

  it('gives up on a GitLab that does not answer in time, and on one that cannot be reached', async () => {
    const slow = await clientWith({ timeoutMs: 100 }).get(TOKEN, '/slow').catch((e: unknown) => e);
    expect(slow).toBeInstanceOf(GitLabUnreachableError);
    expect((slow as Error).message).toMatch(/did not answer GET \/api\/v4\/slow within 100 ms/);

    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((resolve) => closed.close(resolve));
    const unreachable = await clientWith({ gitlabUrl: closedUrl }).get(TOKEN, '/projects/7/events').catch((e: unknown) => e);
    expect(unreachable).toBeInstanceOf(GitLabUnreachableError);
    expect((unreachable as Error).message).toMatch(/ECONNREFUSED/);
    expect(outcomes).toEqual(['error', 'error']);
  });

  it('stops a request under way when the bridge shuts down, which is not taken for GitLab being unreachable', async () => {
    const shutdown = new AbortController();
    const started = Date.now();
    const pending = clientWith({ signal: shutdown.signal }).get(TOKEN, '/slow').catch((e: unknown) => e);
    await waitFor(() => seen.some((request) => request.url === '/api/v4/slow'), 'the request at GitLab');
    shutdown.abort();
    const stopped = await pending;
    expect(stopped).not.toBeInstanceOf(GitLabUnreachableError);
    expect((stopped as Error).name).toBe('AbortError');
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

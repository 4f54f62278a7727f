/**
 * The HTTP client the pollers call GitLab with, as one user (their OAuth
 * token), or, for the one read that needs nobody, without a token. Every
 * request is first taken from the request budget all replicas share. GitLab's
 * own rate limits pause the token they were given to (its limits are per
 * user), or everyone when they concern the whole instance or several tokens
 * at once. It never retries: a failed poll simply runs again
 * next cycle.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log.js';
import { networkReason } from '../net/network-reason.js';
import type { PauseScope, RequestBudget } from '../polling/request-budget.js';
import { VERSION } from '../version.js';
import { readRateLimit, throttleScope } from './rate-limit-headers.js';

export type RequestOutcome = 'ok' | 'rate_limited' | 'error' | 'budget_wait';

export type QueryValue = string | number | boolean | readonly (string | number)[] | undefined;

export interface PollClient {
  /** POST /api/graphql; resolves to the answer's `data`. */
  graphql<T>(token: string, query: string, variables?: Record<string, unknown>): Promise<T>;
  /**
   * POST /api/graphql without a token: what GitLab shows anyone on the network, for when no connected
   * user can ask. GitLab counts such requests per IP, apart from every user's: their own rate-limit
   * pause (ANONYMOUS_CALLER) stops only them, while a pause of everyone stops them too.
   */
  anonymousGraphql<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
  /** GET /api/v4<path>; the headers carry pagination (`X-Next-Page`) and the like. */
  get<T>(token: string, path: string, query?: Record<string, QueryValue>): Promise<{ body: T; headers: Headers }>;
  /** POST /api/v4<path> with a JSON body (none when omitted): the few writes made as a user, e.g. marking a to-do done. */
  post<T>(token: string, path: string, body?: unknown): Promise<{ body: T; headers: Headers }>;
}

export interface PollClientOptions {
  gitlabUrl: string;
  budget: RequestBudget;
  log: Logger;
  /** Per request, from sending to the whole body read. */
  timeoutMs?: number;
  /** Longest a request waits for the budget before giving up with BudgetExhaustedError. */
  maxWaitMs?: number;
  /** For metrics: called once per answer, and once per wait for the budget. */
  onRequest?: (outcome: RequestOutcome) => void;
  fetch?: typeof fetch;
  /** Aborts waits and requests in flight (shutdown). */
  signal?: AbortSignal;
}

/** The budget would not have a request free within maxWaitMs: the cycle should stretch rather than queue up. */
export class BudgetExhaustedError extends Error {
  constructor(readonly retryInMs: number) {
    super(`the GitLab request budget has no request free for ${Math.ceil(retryInMs / 1000)} s`);
    this.name = 'BudgetExhaustedError';
  }
}

/**
 * GitLab refused because of its rate limits (or the token is paused since it
 * did): on every replica, the token (`caller`) or everyone waits until retryAt.
 */
export class GitLabRateLimitedError extends Error {
  constructor(
    readonly retryAt: Date,
    readonly scope: PauseScope = 'everyone',
  ) {
    super(`GitLab is rate limiting ${scope === 'caller' ? "this user's requests" : 'the bridge'} until ${retryAt.toISOString()}`);
    this.name = 'GitLabRateLimitedError';
  }
}

/** The token was not accepted (expired or revoked): refresh it, or ask the user to reconnect. */
export class GitLabUnauthorizedError extends Error {
  constructor(readonly request: string) {
    super(`GitLab did not accept the token for ${request}`);
    this.name = 'GitLabUnauthorizedError';
  }
}

/** Any other refusal, with GitLab's own words; status 200 for a GraphQL answer that carries errors. */
export class GitLabHttpError extends Error {
  constructor(
    readonly status: number,
    readonly gitlabMessage: string,
    request: string,
  ) {
    super(`GitLab answered ${status} to ${request}: ${gitlabMessage}`);
    this.name = 'GitLabHttpError';
  }
}

/** What the budget knows requests without a token by: GitLab throttles them per IP, all of ours together. */
export const ANONYMOUS_CALLER = 'anonymous';

/** No answer at all: network error or timeout. */
export class GitLabUnreachableError extends Error {
  constructor(message: string, cause: unknown) {
    super(message, { cause });
    this.name = 'GitLabUnreachableError';
  }
}

const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_MAX_WAIT_MS = 60_000;
/** At or below this share of RateLimit-Limit left, GitLab is about to refuse: stop until its window restarts. */
const LOW_REMAINING_SHARE = 0.05;
/** A 429 that says nothing about when to come back. */
const DEFAULT_RETRY_MS = 60_000;
/** A Retry-After (from GitLab or a proxy) longer than this is capped, so a bad header cannot stop polling for days. */
const MAX_PAUSE_MS = 15 * 60_000;
/** GitLab's own words are kept short in errors and logs. */
const MAX_MESSAGE_LENGTH = 300;

/**
 * A request's signal: aborted after `timeoutMs`, or with `shutdown`. Cleared as soon as the answer is
 * read: AbortSignal.timeout (and AbortSignal.any) would keep each request's signal, timer and
 * listeners alive for the whole time-out, thousands of them at a few hundred polls a second.
 */
function requestDeadline(timeoutMs: number, shutdown: AbortSignal | undefined): { signal: AbortSignal; passed(): boolean; clear(): void } {
  const controller = new AbortController();
  let passed = false;
  const timer = setTimeout(() => {
    passed = true;
    controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
  }, timeoutMs);
  const stop = () => controller.abort(shutdown!.reason);
  if (shutdown?.aborted) stop();
  else shutdown?.addEventListener('abort', stop, { once: true });
  return {
    signal: controller.signal,
    passed: () => passed,
    clear() {
      clearTimeout(timer);
      shutdown?.removeEventListener('abort', stop);
    },
  };
}

export function createPollClient(options: PollClientOptions): PollClient {
  const base = options.gitlabUrl.replace(/\/+$/, '');
  const { budget, log, signal } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
  const doFetch = options.fetch ?? fetch;
  const report = (outcome: RequestOutcome): void => options.onRequest?.(outcome);

  async function waitForBudget(caller: string): Promise<void> {
    const started = Date.now();
    for (;;) {
      const answer = await budget.take(1, caller);
      if (answer.granted) return;
      // Only this token is paused: its poll moves to the pause's end, and nobody else's work waits behind it.
      if (answer.callerPausedUntil) throw new GitLabRateLimitedError(answer.callerPausedUntil, 'caller');
      if (Date.now() - started + answer.retryInMs > maxWaitMs) throw new BudgetExhaustedError(answer.retryInMs);
      report('budget_wait');
      await sleep(Math.max(answer.retryInMs, 1), undefined, signal ? { signal } : undefined);
    }
  }

  /** Sends one request (null: without a token) and returns its parsed JSON body, or throws what GitLab's answer means. */
  async function send(token: string | null, request: string, url: string, init: RequestInit): Promise<{ body: unknown; headers: Headers }> {
    const caller = token === null ? ANONYMOUS_CALLER : callerKey(token);
    await waitForBudget(caller);
    const deadline = requestDeadline(timeoutMs, signal);
    const headers: Record<string, string> = { ...(init.headers as Record<string, string>), Accept: 'application/json', 'User-Agent': `gitlab-bridge/${VERSION}` };
    if (token !== null) headers.Authorization = `Bearer ${token}`;
    let response: Response;
    let text: string;
    try {
      response = await doFetch(url, { ...init, headers, signal: deadline.signal, redirect: 'manual' });
      text = await response.text();
    } catch (error) {
      report('error');
      if (signal?.aborted) throw error;
      if (deadline.passed()) throw new GitLabUnreachableError(`GitLab did not answer ${request} within ${timeoutMs} ms`, error);
      throw new GitLabUnreachableError(`GitLab could not be reached for ${request}: ${networkReason(error)}`, error);
    } finally {
      deadline.clear();
    }
    await obeyRateLimits(request, response, caller, token === null);
    if (response.status === 401) {
      report('error');
      throw new GitLabUnauthorizedError(request);
    }
    const body = parseJson(text);
    if (response.status < 200 || response.status >= 300) {
      report('error');
      throw new GitLabHttpError(response.status, redact(refusalMessage(body, response), token ?? ''), request);
    }
    if (body === undefined) {
      report('error');
      throw new GitLabHttpError(response.status, 'the answer is not JSON', request);
    }
    return { body, headers: response.headers };
  }

  /**
   * Pauses the token, or every request, on every replica when GitLab refused
   * for its limits (then throws), or is about to.
   */
  async function obeyRateLimits(request: string, response: Response, caller: string, anonymous: boolean): Promise<void> {
    const now = new Date();
    const rate = readRateLimit(response.status, response.headers, now);
    // GitLab's throttle of unauthenticated requests counts them apart from every user's: it stops only them.
    const scope = anonymous && response.status !== 503 ? 'caller' : throttleScope(response.status, response.headers);
    if (response.status === 429 || (response.status === 503 && rate.retryAt)) {
      const retryAt = capPause(rate.retryAt ?? new Date(now.getTime() + DEFAULT_RETRY_MS), now);
      const paused = await pauseBudget(scope, caller, retryAt, `GitLab answered ${response.status} to ${request}`);
      report('rate_limited');
      throw new GitLabRateLimitedError(retryAt, paused);
    }
    const { remaining, limit, resetAt } = rate;
    if (remaining !== null && limit && remaining <= limit * LOW_REMAINING_SHARE && resetAt && resetAt > now) {
      await pauseBudget(scope, caller, capPause(resetAt, now), `GitLab has ${remaining} of ${limit} requests left`);
    }
  }

  /** Records the pause for every replica; says whom it ended up pausing. */
  async function pauseBudget(scope: PauseScope, caller: string, until: Date, reason: string): Promise<PauseScope> {
    try {
      const paused = scope === 'caller' ? await budget.pauseCaller(caller, until, reason) : (await budget.pause(until, reason), scope);
      // The key's first characters tell one token's pauses apart in the log; the token itself is never logged.
      if (paused === 'caller') log.warn({ until: until.toISOString(), reason, caller: caller.slice(0, 15) }, "pausing one GitLab user's requests on every replica");
      else log.warn({ until: until.toISOString(), reason }, 'pausing GitLab polling on every replica');
      return paused;
    } catch (error) {
      // This replica still stops this request (the caller sees the refusal); the others learn it from GitLab themselves.
      log.error({ err: error }, 'could not record the GitLab rate-limit pause');
      return scope;
    }
  }

  async function graphql<T>(token: string | null, query: string, variables: Record<string, unknown>): Promise<T> {
    const request = 'POST /api/graphql';
    const { body } = await send(token, request, `${base}/api/graphql`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    const answer = body as { data?: T; errors?: { message?: unknown }[] };
    const firstError = Array.isArray(answer.errors) ? answer.errors[0] : undefined;
    if (firstError) {
      report('error');
      throw new GitLabHttpError(200, redact(clip(String(firstError.message ?? 'GraphQL error')), token ?? ''), request);
    }
    report('ok');
    return answer.data as T;
  }

  return {
    graphql: <T>(token: string, query: string, variables: Record<string, unknown> = {}) => graphql<T>(token, query, variables),

    anonymousGraphql: <T>(query: string, variables: Record<string, unknown> = {}) => graphql<T>(null, query, variables),

    async get<T>(token: string, path: string, query: Record<string, QueryValue> = {}): Promise<{ body: T; headers: Headers }> {
      if (!path.startsWith('/')) throw new Error(`GitLab API path must start with "/": ${path}`);
      const request = `GET /api/v4${path}`;
      const answer = await send(token, request, `${base}/api/v4${path}${queryString(query)}`, { method: 'GET' });
      report('ok');
      return { body: answer.body as T, headers: answer.headers };
    },

    async post<T>(token: string, path: string, body?: unknown): Promise<{ body: T; headers: Headers }> {
      if (!path.startsWith('/')) throw new Error(`GitLab API path must start with "/": ${path}`);
      const request = `POST /api/v4${path}`;
      const init: RequestInit = body === undefined ? { method: 'POST' } : { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
      const answer = await send(token, request, `${base}/api/v4${path}`, init);
      report('ok');
      return { body: answer.body as T, headers: answer.headers };
    },
  };
}

/** What the budget knows a token by: its SHA-256, so the token itself is never stored. */
export function callerKey(token: string): string {
  return `sha256:${createHash('sha256').update(token).digest('hex')}`;
}

function queryString(query: Record<string, QueryValue>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) params.append(key, String(item));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

function capPause(until: Date, now: Date): Date {
  return new Date(Math.min(until.getTime(), now.getTime() + MAX_PAUSE_MS));
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** GitLab's own explanation: `message` (a string, or field errors), `error`/`error_description`, or GraphQL `errors`. */
function refusalMessage(body: unknown, response: Response): string {
  if (body && typeof body === 'object') {
    const fields = body as { message?: unknown; error?: unknown; error_description?: unknown; errors?: { message?: unknown }[] };
    const said = fields.message ?? fields.error_description ?? fields.error ?? (Array.isArray(fields.errors) ? fields.errors[0]?.message : undefined);
    if (typeof said === 'string') return clip(said);
    if (said !== undefined && said !== null) return clip(JSON.stringify(said));
  }
  // An HTML error page (a proxy's) says nothing useful.
  return response.statusText || 'no explanation';
}

function clip(text: string): string {
  return text.length > MAX_MESSAGE_LENGTH ? `${text.slice(0, MAX_MESSAGE_LENGTH - 1)}…` : text;
}

/** GitLab should never echo the token, but whatever it said goes into errors and logs. */
function redact(text: string, token: string): string {
  return token ? text.replaceAll(token, '[redacted]') : text;
}

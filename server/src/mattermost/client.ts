/**
 * The Mattermost REST client (@mattermost/client), set up to act as the bot.
 * Two things the stock client lacks for a server: a timeout on every call, and
 * errors that carry the HTTP status and `Retry-After` (its own errors report the
 * status from the JSON body, which a 429 from the rate limiter does not have).
 *
 * Calls go out with undici's `request` rather than `fetch`: every post the bridge
 * makes is one or two calls, and `fetch` (its Request, Response and web streams)
 * cost the bridge four times the CPU for the same call. Through the same global
 * dispatcher (so HTTP_PROXY/NO_PROXY apply alike: net/proxy.ts); failures look
 * like fetch's (TypeError "fetch failed" with the cause; the signal's reason on
 * a timeout). An upload (a FormData body) and an answer that redirects are left
 * to `fetch`, which handles both.
 */
import { STATUS_CODES } from 'node:http';
import mattermostClient from '@mattermost/client';
import { request } from 'undici';

// The package is CommonJS; its named exports are reached through the default import.
const { Client4 } = mattermostClient;

/** A Mattermost answer outside 2xx. */
export class MattermostHttpError extends Error {
  constructor(
    readonly status: number,
    readonly serverErrorId: string | undefined,
    message: string,
    /** From `Retry-After` (seconds or a date), in milliseconds. */
    readonly retryAfterMs: number | undefined,
  ) {
    super(message);
    this.name = 'MattermostHttpError';
  }
  /** Kept for callers written against the stock client's errors. */
  get status_code(): number {
    return this.status;
  }
}

export const DEFAULT_TIMEOUT_MS = 10_000;

type FetchOptions = Parameters<InstanceType<typeof Client4>['getOptions']>[0];

class BridgeClient extends Client4 {
  constructor(timeoutMs: number) {
    super();
    this.doFetch = async <T>(url: string, options: FetchOptions): Promise<T> => {
      const signal = (options as { signal?: AbortSignal }).signal ?? AbortSignal.timeout(timeoutMs);
      const init = { ...this.getOptions(options), signal } as RequestInit;
      const answer = (typeof init.body === 'string' || init.body == null ? await send(url, init, signal) : null) ?? (await viaFetch(url, init));
      const data = parseJson(answer.text, answer.header('content-type'));
      if (answer.status >= 200 && answer.status < 300) return data as T;
      const body = (typeof data === 'object' && data !== null ? data : {}) as { id?: string; message?: string };
      throw new MattermostHttpError(
        answer.status,
        body.id,
        body.message || answer.text.slice(0, 200) || answer.statusText,
        parseRetryAfter(answer.header('retry-after')),
      );
    };
  }
}

export type MattermostClient = InstanceType<typeof Client4>;

export function createMattermostClient(url: string, botToken: string, timeoutMs = DEFAULT_TIMEOUT_MS): MattermostClient {
  const client = new BridgeClient(timeoutMs);
  client.setUrl(url);
  client.setToken(botToken);
  return client;
}

/** An answer, read whole. */
interface Answer {
  status: number;
  statusText: string;
  text: string;
  header(name: string): string | null;
}

/** The call with undici's `request`; null when the answer redirects (fetch follows it). */
async function send(url: string, init: RequestInit, signal: AbortSignal): Promise<Answer | null> {
  try {
    const response = await request(url, {
      // fetch's normalisation: the client names methods in lower case.
      method: (init.method ?? 'GET').toUpperCase() as 'GET',
      headers: init.headers as Record<string, string>,
      body: (init.body as string | null | undefined) ?? null,
      signal,
    });
    if (response.statusCode >= 300 && response.statusCode < 400 && response.headers.location) {
      await response.body.dump();
      return null;
    }
    const text = await response.body.text();
    const header = (name: string) => {
      const value = response.headers[name];
      return (Array.isArray(value) ? value.join(', ') : value) ?? null;
    };
    return { status: response.statusCode, statusText: STATUS_CODES[response.statusCode] ?? '', text, header };
  } catch (error) {
    // As fetch fails: the signal's reason when it ended the call, else a TypeError carrying the cause.
    if (signal.aborted) throw signal.reason;
    throw new TypeError('fetch failed', { cause: error });
  }
}

async function viaFetch(url: string, init: RequestInit): Promise<Answer> {
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, statusText: response.statusText, text, header: (name) => response.headers.get(name) };
}

function parseJson(text: string, contentType: string | null): unknown {
  if (!contentType?.includes('json') || text === '') return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

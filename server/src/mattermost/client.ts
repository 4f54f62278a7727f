/**
 * The Mattermost REST client (@mattermost/client), set up to act as the bot.
 * Two things the stock client lacks for a server: a timeout on every call, and
 * errors that carry the HTTP status and `Retry-After` (its own errors report the
 * status from the JSON body, which a 429 from the rate limiter does not have).
 */
import mattermostClient from '@mattermost/client';

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
      const response = await fetch(url, { ...this.getOptions(options), signal } as RequestInit);
      const text = await response.text();
      const data = parseJson(text, response.headers.get('content-type'));
      if (response.ok) return data as T;
      const body = (typeof data === 'object' && data !== null ? data : {}) as { id?: string; message?: string };
      throw new MattermostHttpError(
        response.status,
        body.id,
        body.message || text.slice(0, 200) || response.statusText,
        parseRetryAfter(response.headers.get('retry-after')),
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

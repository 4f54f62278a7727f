/**
 * Calls the bridge's webapp API (/api/v1) the way the plugin in a Mattermost
 * page does: the session cookie, and for changes the CSRF cookie and headers
 * and a same-origin Origin. Options take each of those away for refusal tests.
 */
import type { CommandBridge } from './command-bridge.js';

export interface ApiCallOptions {
  body?: unknown;
  /** Leave out the session cookie (or send this one instead). */
  session?: string | null;
  /** Origin header: the bridge's own by default for changes; null sends none. */
  origin?: string | null;
  /** X-CSRF-Token; the MMCSRF cookie always holds the right one. */
  csrf?: string | null;
  requestedWith?: string | null;
  /** More headers, as a proxy or browser adds them (X-Forwarded-Host, Sec-Fetch-Site…). */
  headers?: Record<string, string>;
}

export interface ApiAnswer<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

export const CSRF_TOKEN = 'csrf-token-of-this-session';

/** A caller acting as one Mattermost user of the bridge's fake Mattermost. */
export function webappClient(bridge: Pick<CommandBridge, 'publicUrl' | 'sessions'> & Partial<Pick<CommandBridge, 'users'>>, username: string) {
  const session = bridge.sessions[username];
  // Mattermost sets MMUSERID to the session's user beside MMAUTHTOKEN; the bridge refuses one naming someone else.
  const userId = bridge.users?.[username];
  if (!session) throw new Error(`no session for ${username}`);
  return async function call<T = Record<string, unknown>>(method: string, path: string, options: ApiCallOptions = {}): Promise<ApiAnswer<T>> {
    const writes = method !== 'GET' && method !== 'HEAD';
    const token = options.session === undefined ? session : options.session;
    const headers: Record<string, string> = {};
    const cookies = [token === null ? undefined : `MMAUTHTOKEN=${token}`, `MMCSRF=${CSRF_TOKEN}`, userId && `MMUSERID=${userId}`].filter(Boolean);
    headers.cookie = cookies.join('; ');
    const origin = options.origin === undefined ? (writes ? new URL(bridge.publicUrl).origin : null) : options.origin;
    if (origin !== null) headers.origin = origin;
    const csrf = options.csrf === undefined ? (writes ? CSRF_TOKEN : null) : options.csrf;
    if (csrf !== null) headers['x-csrf-token'] = csrf;
    const requestedWith = options.requestedWith === undefined ? (writes ? 'XMLHttpRequest' : null) : options.requestedWith;
    if (requestedWith !== null) headers['x-requested-with'] = requestedWith;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    Object.assign(headers, options.headers);
    const response = await fetch(`${bridge.publicUrl}/api/v1${path}`, {
      method,
      headers,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON (an SSE stream or an empty answer): the text is the body.
    }
    return { status: response.status, body: body as T, headers: response.headers };
  };
}

/** One server-sent event as EventSource would see it; comments (heartbeats) are kept apart. */
export interface StreamEvent {
  event: string;
  id: string | undefined;
  data: unknown;
}

export interface EventStream {
  status: number;
  headers: Headers;
  /** Every dispatched event so far, in order. */
  events: StreamEvent[];
  /** The stream's Last-Event-ID as EventSource tracks it (blocks with an id but no data move it too). */
  lastEventId(): string;
  retryMs(): number | undefined;
  comments: string[];
  /** Resolves with the first event (from the start of the stream) that `matches`, or rejects after `timeoutMs`. */
  next(matches: (event: StreamEvent) => boolean, timeoutMs?: number): Promise<StreamEvent>;
  /** Resolves once the stream is over: `clean` when the server ended it properly, `cut` when the connection broke (or close()). */
  ended: Promise<'clean' | 'cut'>;
  close(): void;
}

/** GET /api/v1/events as the browser's EventSource does: the session cookie, and Last-Event-ID when resuming. */
export async function openEventStream(bridge: Pick<CommandBridge, 'publicUrl' | 'sessions'>, username: string, options: { lastEventId?: string } = {}): Promise<EventStream> {
  const controller = new AbortController();
  const headers: Record<string, string> = { accept: 'text/event-stream', cookie: `MMAUTHTOKEN=${bridge.sessions[username]}; MMCSRF=${CSRF_TOKEN}` };
  if (options.lastEventId !== undefined) headers['last-event-id'] = options.lastEventId;
  const response = await fetch(`${bridge.publicUrl}/api/v1/events`, { headers, signal: controller.signal });
  const events: StreamEvent[] = [];
  const comments: string[] = [];
  let lastId = options.lastEventId ?? '';
  let retry: number | undefined;
  const wakers = new Set<() => void>();
  let done = false;
  const parseBlock = (block: string): void => {
    let event = 'message';
    let id: string | undefined;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) comments.push(line.slice(1).trim());
      const [field, ...rest] = line.split(':');
      const value = rest.join(':').replace(/^ /, '');
      if (field === 'event') event = value;
      if (field === 'id') id = value;
      if (field === 'data') data.push(value);
      if (field === 'retry') retry = Number(value);
    }
    if (id !== undefined) lastId = id;
    if (data.length === 0) return;
    const text = data.join('\n');
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: kept as text
    }
    events.push({ event, id, data: parsed });
  };
  const ended = (async (): Promise<'clean' | 'cut'> => {
    if (!response.body) return 'clean';
    const decoder = new TextDecoder();
    let buffered = '';
    const reader = response.body.getReader();
    try {
      for (let read = await reader.read(); !read.done; read = await reader.read()) {
        buffered += decoder.decode(read.value, { stream: true });
        let end: number;
        while ((end = buffered.indexOf('\n\n')) >= 0) {
          parseBlock(buffered.slice(0, end));
          buffered = buffered.slice(end + 2);
        }
        for (const wake of wakers) wake();
      }
    } catch {
      // Aborted by close(), or the connection was cut.
      return 'cut';
    } finally {
      done = true;
      for (const wake of wakers) wake();
    }
    return 'clean';
  })();
  return {
    status: response.status,
    headers: response.headers,
    events,
    comments,
    lastEventId: () => lastId,
    retryMs: () => retry,
    ended,
    next(matches, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const found = events.find(matches);
          if (found) {
            finish();
            resolve(found);
            return true;
          }
          if (done) {
            finish();
            reject(new Error(`the stream ended without the expected event; got ${JSON.stringify(events)}`));
            return true;
          }
          return false;
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`no such event within ${timeoutMs} ms; got ${JSON.stringify(events)}`));
        }, timeoutMs);
        const wake = (): void => void check();
        const finish = (): void => {
          clearTimeout(timer);
          wakers.delete(wake);
        };
        if (!check()) wakers.add(wake);
      });
    },
    close() {
      controller.abort();
    },
  };
}

/**
 * The bridge's server-sent-events stream. The browser's EventSource resumes on its own (with
 * Last-Event-ID) after short network drops; when it gives up (the proxy answered 502 while the bridge
 * restarted, say) we open a new stream with growing delays and ask for a full refresh, because a new
 * stream cannot resume what was missed.
 */

export type LiveEventName = 'work' | 'subscriptions' | 'connection' | 'resync';
export const LIVE_EVENTS: readonly LiveEventName[] = ['work', 'subscriptions', 'connection', 'resync'];

/** The parts of EventSource we use, so tests can pass their own. */
export interface EventSourceLike {
  readonly readyState: number;
  onopen: ((event: Event) => void) | null;
  onerror: ((event: Event) => void) | null;
  addEventListener(type: string, listener: (event: MessageEvent) => void): void;
  close(): void;
}
export type EventSourceFactory = (url: string) => EventSourceLike;

const CLOSED = 2;

export interface LiveClientOptions {
  url: string;
  open?: EventSourceFactory;
  onEvent(name: LiveEventName, data: unknown): void;
  onState(state: 'open' | 'reconnecting'): void;
  /** Delay before the n-th (0-based) new stream; 1 s doubling up to 30 s by default. */
  backoff?: (attempt: number) => number;
  setTimer?: (run: () => void, ms: number) => unknown;
  clearTimer?: (timer: unknown) => void;
}

export function defaultBackoff(attempt: number): number {
  return Math.min(30_000, 1000 * 2 ** attempt);
}

function parse(data: unknown): unknown {
  if (typeof data !== 'string' || data === '') return {};
  try {
    return JSON.parse(data);
  } catch {
    return {};
  }
}

export function createLiveClient(options: LiveClientOptions) {
  const open: EventSourceFactory = options.open ?? ((url) => new EventSource(url, { withCredentials: true }));
  const backoff = options.backoff ?? defaultBackoff;
  const setTimer = options.setTimer ?? ((run, ms) => setTimeout(run, ms));
  const clearTimer = options.clearTimer ?? ((timer) => clearTimeout(timer as ReturnType<typeof setTimeout>));
  let source: EventSourceLike | null = null;
  let timer: unknown = null;
  let attempt = 0;
  let stopped = true;

  function connect(fresh: boolean): void {
    const current = open(options.url);
    source = current;
    current.onopen = () => {
      attempt = 0;
      options.onState('open');
      if (fresh) options.onEvent('resync', {});
      fresh = false;
    };
    current.onerror = () => {
      if (source !== current) return;
      options.onState('reconnecting');
      if (current.readyState !== CLOSED) return; // the browser retries and resumes on its own
      current.close();
      source = null;
      if (stopped) return;
      timer = setTimer(() => {
        timer = null;
        if (!stopped) connect(true);
      }, backoff(attempt++));
    };
    for (const name of LIVE_EVENTS) {
      current.addEventListener(name, (event) => options.onEvent(name, parse(event.data)));
    }
  }

  return {
    start(): void {
      if (!stopped) return;
      stopped = false;
      connect(false);
    },
    stop(): void {
      stopped = true;
      if (timer !== null) clearTimer(timer);
      timer = null;
      source?.close();
      source = null;
    },
  };
}

export type LiveClient = ReturnType<typeof createLiveClient>;

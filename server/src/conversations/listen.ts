/**
 * What the listening replica runs: the socket, the catch-up after each gap,
 * the handlers (one at a time, in the order Mattermost sent the events, after
 * the catch-up a connection started with), and the senders that carry replies
 * and reactions to GitLab. Nothing here throws to the caller: a handler that
 * fails is logged, and the event is read again with the next catch-up only if
 * the cursor did not pass it.
 */
import type { Logger } from '../log.js';
import { openMattermostStream, type StreamState } from '../mattermost/websocket-stream.js';
import type { Queryable } from '../store/queryable.js';
import { moveCursor } from '../store/stream-cursors.js';
import { catchUp } from './catch-up.js';
import type { ChatEvent, ChatEventHandler, ChatPost } from './chat-events.js';

/** Due retries are looked for this often even when nothing new arrives. */
const RETRY_SCAN_MS = 2000;

export interface ListenDeps {
  pool: Queryable;
  url: string;
  token: string;
  retryMs: number;
  handlers: readonly ChatEventHandler[];
  reconcile(post: ChatPost): Promise<void>;
  postsSince(channelId: string, since: number): Promise<ChatPost[]>;
  threadPosts(rootId: string): Promise<ChatPost[]>;
  /** Each does one due piece of work; false when it has none. */
  senders: readonly (() => Promise<boolean>)[];
  log: Logger;
  countEvent(kind: ChatEvent['kind'] | 'catch_up'): void;
}

export interface Listening {
  state(): StreamState;
  /** Wakes the senders (something was recorded). */
  wake(): void;
  stop(): Promise<void>;
}

export function startListening(deps: ListenDeps): Listening {
  let queue: Promise<void> = Promise.resolve();
  let stopped = false;
  const enqueue = (task: () => Promise<void>) => {
    queue = queue.then(() => (stopped ? undefined : task())).catch((error: unknown) => deps.log.error({ err: error }, 'could not handle what Mattermost sent'));
  };

  /** Every handler gets the event, whatever the others do; false when one failed. */
  async function handle(event: ChatEvent): Promise<boolean> {
    let ok = true;
    for (const handler of deps.handlers) {
      try {
        await handler.handle(event, 'socket');
      } catch (error) {
        ok = false;
        deps.log.error({ err: error, event: event.kind }, 'a handler failed on a Mattermost event');
      }
    }
    return ok;
  }

  const stream = openMattermostStream({
    url: deps.url,
    token: deps.token,
    retryMs: deps.retryMs,
    log: deps.log,
    onConnected: () =>
      enqueue(async () => {
        const done = await catchUp({ pool: deps.pool, postsSince: deps.postsSince, threadPosts: deps.threadPosts, handle, reconcile: deps.reconcile, log: deps.log });
        deps.countEvent('catch_up');
        if (done.posts > 0) deps.log.info(done, 'caught up on Mattermost');
        wake();
      }),
    onEvent: (event) => {
      deps.countEvent(event.kind);
      enqueue(async () => {
        // A failed event leaves the cursor where it was: the next catch-up reads it again.
        if (!(await handle(event))) return;
        const channelId = 'post' in event ? event.post.channel_id : event.channelId;
        const at = 'post' in event ? event.post.update_at : event.reaction.create_at;
        // Never past our own clock: a Mattermost clock set back later (or ahead of ours) costs a re-read, never a gap.
        if (at > 0) await moveCursor(deps.pool, channelId, Math.min(at, Date.now()));
      });
    },
  });

  // The senders run one piece at a time; a wake while they run makes them look again.
  let sending: Promise<void> | null = null;
  let again = false;
  function wake(): void {
    if (stopped) return;
    if (sending) {
      again = true;
      return;
    }
    sending = (async () => {
      do {
        again = false;
        for (let busy = true; busy && !stopped; ) {
          busy = false;
          for (const send of deps.senders) {
            try {
              if (await send()) busy = true;
            } catch (error) {
              deps.log.error({ err: error }, 'could not send to GitLab');
            }
          }
        }
      } while (again && !stopped);
    })().finally(() => {
      sending = null;
    });
  }
  const scan = setInterval(wake, RETRY_SCAN_MS);
  scan.unref();

  return {
    state: () => stream.state(),
    wake,
    async stop() {
      stopped = true;
      clearInterval(scan);
      stream.stop();
      await queue;
      await sending;
    },
  };
}

/**
 * GET /events: the user's live updates as server-sent events. A stream gets
 * `work` and `connection` events of its own user, and `subscriptions` events
 * of channels the user belongs to (asked of Mattermost with their session).
 * It resumes after Last-Event-ID from the rows the database keeps, or tells
 * the client to refetch (`resync`) when those no longer reach back that far.
 */
import express, { type Request, type Response } from 'express';
import type { Logger } from '../log.js';
import { liveEventRange, readLiveEventsAfter, type StoredLiveEvent } from '../store/live-events.js';
import { sessionOf } from './context.js';
import type { WebappDeps } from './deps.js';
import { eventData, resumeFrom, sseBlock } from './event-stream.js';

export const HEARTBEAT_MS = 25_000;
export const RETRY_MS = 3000;

export function eventRoutes(deps: WebappDeps): express.Router {
  const router = express.Router();
  router.get('/events', (request, response) => openStream(deps, request, response));
  return router;
}

async function openStream(deps: WebappDeps, request: Request, response: Response): Promise<void> {
  const { user, sessionToken } = sessionOf(response);
  const log = (request as { log?: Logger }).log ?? deps.log;
  let open = true;
  /** The newest id this stream has dealt with (sent or passed over): heartbeats move the client's resume point to it. */
  let cursor = '0';
  // Events that arrive while the missed ones are read wait here, then go in order.
  let waiting: StoredLiveEvent[] | null = [];
  let chain = Promise.resolve();

  const write = (text: string): void => {
    if (open) response.write(text);
  };
  const finish = (): void => {
    if (!open) return;
    open = false;
    clearInterval(heartbeat);
    unsubscribe();
    response.end();
  };

  const concerns = async (event: StoredLiveEvent): Promise<boolean> => {
    if (event.kind === 'work' || event.kind === 'connection') return event.userId === user.id;
    if (!event.channelId) return false;
    try {
      const membership = await deps.membership.check(sessionToken, user.id, event.channelId);
      if (membership === 'session_expired') finish();
      return membership === 'member';
    } catch (error) {
      // Unsure means no: a channel's changes only reach people Mattermost vouches for.
      log.warn({ reason: (error as Error).message }, 'could not ask Mattermost about channel membership for a live update');
      return false;
    }
  };
  const deliver = (event: StoredLiveEvent): void => {
    chain = chain.then(async () => {
      if (open && (await concerns(event))) write(sseBlock({ event: event.kind, id: event.id, data: eventData(event) }));
      if (BigInt(event.id) > BigInt(cursor)) cursor = event.id;
    });
  };

  const unsubscribe = deps.live.subscribe({
    event: (event) => (waiting ? waiting.push(event) : deliver(event)),
    end: finish,
  });
  cursor = deps.live.latestId();
  const heartbeat = setInterval(() => {
    chain = chain.then(() => write(sseBlock({ comment: 'heartbeat', id: cursor })));
  }, HEARTBEAT_MS);
  response.on('close', finish);

  response.status(200).set({
    'Content-Type': 'text/event-stream; charset=utf-8',
    // no-transform: proxies must not compress or rewrite the stream; X-Accel-Buffering: nginx must not hold it back.
    'Cache-Control': 'no-store, no-transform',
    'X-Accel-Buffering': 'no',
    Connection: 'keep-alive',
  });
  response.flushHeaders();
  request.socket.setNoDelay(true);
  request.socket.setKeepAlive(true);
  write(sseBlock({ retryMs: RETRY_MS }));

  try {
    const resume = resumeFrom(request.get('last-event-id'), await liveEventRange(deps.pool));
    if (resume.kind === 'resync') {
      write(sseBlock({ event: 'resync', id: cursor, data: {} }));
    } else if (resume.kind === 'replay') {
      const missed = await readLiveEventsAfter(deps.pool, resume.afterId, user.id);
      for (const event of missed) deliver(event);
      const replayed = new Set(missed.map((event) => event.id));
      const arrived = (waiting ?? []).filter((event) => !replayed.has(event.id));
      waiting = null;
      for (const event of arrived) deliver(event);
    } else {
      // A fresh stream learns where it stands, so its first reconnect can resume.
      write(sseBlock({ id: cursor }));
    }
  } catch (error) {
    log.warn({ err: error }, 'could not read missed live updates; asking the client to refetch');
    write(sseBlock({ event: 'resync', id: cursor, data: {} }));
  }
  if (waiting) {
    const arrived = waiting;
    waiting = null;
    for (const event of arrived) deliver(event);
  }
}

/**
 * GET /events: the user's live updates as server-sent events. A stream gets
 * `work` and `connection` events of its own user, and `subscriptions` events
 * of channels the user belongs to (asked of Mattermost with their session).
 * It resumes after Last-Event-ID from the rows the database keeps, or tells
 * the client to refetch (`resync`) when those no longer reach back that far.
 * Streams are capped per user and in all (429 `too_many_streams` beyond), and
 * written at the pace the client reads (paced-writer.ts).
 */
import express, { type Request, type Response } from 'express';
import type { Logger } from '../log.js';
import { liveEventRange, readLiveEventsAfter, type StoredLiveEvent } from '../store/live-events.js';
import { sessionOf } from './context.js';
import type { WebappDeps } from './deps.js';
import { sendError } from './errors.js';
import { eventData, resumeFrom, sseBlock } from './event-stream.js';
import { createPacedWriter, type PacedWriter } from './paced-writer.js';

export const HEARTBEAT_MS = 25_000;
export const RETRY_MS = 3000;
/** A client that has not read a full socket buffer for this long is gone or stuck: its stream is closed. */
export const STALL_MS = 30_000;
/** A refused stream's EventSource gives up; the webapp may try again after this. */
const REFUSED_RETRY_SECONDS = 30;

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
  let unsubscribe = (): void => undefined;

  const paced: PacedWriter = createPacedWriter(response, {
    stallMs: STALL_MS,
    resyncBlock: () => sseBlock({ event: 'resync', id: cursor, data: {} }),
    onStall: () => {
      log.info({ user: user.id }, 'closed a live update stream whose client stopped reading');
      finish(true);
    },
    onBehind: () => log.info({ user: user.id }, 'a live update stream fell behind its client; it gets a resync when the client catches up'),
  });
  const heartbeat = setInterval(() => {
    chain = chain.then(() => write(sseBlock({ comment: 'heartbeat', id: cursor })));
  }, HEARTBEAT_MS);
  const write = (text: string): void => {
    if (open) paced.write(text);
  };
  /** Ends the stream; `stalled`: the client does not read, so nothing more is flushed to it. */
  const finish = (stalled = false): void => {
    if (!open) return;
    open = false;
    clearInterval(heartbeat);
    unsubscribe();
    paced.stop();
    if (stalled) response.destroy();
    else response.end();
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

  const subscription = deps.live.subscribe(user.id, {
    event: (event) => (waiting ? waiting.push(event) : deliver(event)),
    end: () => finish(),
  });
  if ('refused' in subscription) {
    open = false;
    clearInterval(heartbeat);
    const message =
      subscription.refused === 'user'
        ? `You already have ${subscription.limit} live-update streams open (one per open Mattermost tab); close some, or reload.`
        : `The bridge already serves ${subscription.limit} live-update streams; try again later.`;
    log.warn({ user: user.id, refused: subscription.refused, limit: subscription.limit }, 'refused a live update stream: too many open');
    response.set('Retry-After', String(REFUSED_RETRY_SECONDS));
    return sendError(response, 429, 'too_many_streams', message);
  }
  unsubscribe = subscription.unsubscribe;
  // The bridge is stopping: the stream was ended as it was opened.
  if (!open) return;
  cursor = deps.live.latestId();
  response.on('close', () => finish());

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

/**
 * Live updates for the webapp (GET /api/v1/events): listens on a dedicated
 * connection for `live_events` rows (store/live-events.ts) and hands them to
 * the SSE streams of this replica. A lost connection is opened again, and
 * what was announced meanwhile is read from the table, so streams miss
 * nothing. Now and then old rows are pruned. Streams are capped per user and
 * in all (LIVE_STREAMS_PER_USER, LIVE_STREAMS_MAX): each holds a socket and
 * a little memory on this replica, and a user's tabs share one session.
 */
import pg from 'pg';
import type { Logger } from '../log.js';
import { LIVE_CHANNEL, pruneLiveEvents, readLiveEvent, readLiveEventsAfter, liveEventRange, type StoredLiveEvent } from '../store/live-events.js';

export interface LiveSubscriber {
  /** Every new event, in the order this replica heard of them. */
  event(event: StoredLiveEvent): void;
  /** The bridge is stopping: end the stream. */
  end(): void;
}

/** Refused: the user, or this replica, already has as many streams open as allowed (`limit`). */
export interface StreamRefusal {
  refused: 'user' | 'total';
  limit: number;
}

export interface LiveEvents {
  /** Calls the subscriber, a stream of `userId`'s, until `unsubscribe` is called; or refuses it beyond the caps. */
  subscribe(userId: string, subscriber: LiveSubscriber): { unsubscribe: () => void } | StreamRefusal;
  /** The newest id this replica has handed out (or knew of at start); streams resume from it. */
  latestId(): string;
  /** Ends every subscriber's stream and stops listening. */
  close(): Promise<void>;
}

export interface LiveEventsOptions {
  pool: pg.Pool;
  log: Logger;
  /** First wait before listening again after the connection is lost; doubles up to 30 s. */
  retryMs?: number;
  pruneEveryMs?: number;
  /** Streams one user may have open on this replica (LIVE_STREAMS_PER_USER). */
  streamsPerUser?: number;
  /** Streams this replica holds open in all (LIVE_STREAMS_MAX). */
  streamsMax?: number;
}

const MAX_RETRY_MS = 30_000;
const PRUNE_EVERY_MS = 60_000;
/** Ids already handed out, so an event read again after a reconnect is not handed out twice. */
const REMEMBERED_IDS = 2000;
const STREAMS_PER_USER = 8;
const STREAMS_MAX = 1000;

export async function startLiveEvents(options: LiveEventsOptions): Promise<LiveEvents> {
  const { pool, log } = options;
  const subscribers = new Set<LiveSubscriber>();
  const streamsOf = new Map<string, number>();
  const perUser = options.streamsPerUser ?? STREAMS_PER_USER;
  const max = options.streamsMax ?? STREAMS_MAX;
  const seen = new Set<string>();
  let latest = (await liveEventRange(pool).catch(() => ({ newest: null }))).newest ?? '0';
  let client: pg.Client | undefined;
  let stopped = false;
  let retryMs = options.retryMs ?? 1000;
  let retryTimer: NodeJS.Timeout | undefined;

  const handOut = (event: StoredLiveEvent): void => {
    if (seen.has(event.id)) return;
    seen.add(event.id);
    if (seen.size > REMEMBERED_IDS) seen.delete(seen.values().next().value!);
    if (BigInt(event.id) > BigInt(latest)) latest = event.id;
    for (const subscriber of subscribers) {
      try {
        subscriber.event(event);
      } catch (error) {
        log.warn({ err: error }, 'a live update stream failed to take an event');
      }
    }
  };

  const onNotification = (message: pg.Notification): void => {
    if (message.channel !== LIVE_CHANNEL || !message.payload) return;
    let parsed: { id?: unknown; kind?: StoredLiveEvent['kind']; userId?: string | null; channelId?: string | null; data?: Record<string, unknown> };
    try {
      parsed = JSON.parse(message.payload) as typeof parsed;
    } catch {
      return;
    }
    const { id, kind, userId, channelId, data } = parsed;
    if (typeof id !== 'string' || !/^\d+$/.test(id)) return;
    if (kind) {
      handOut({ id, kind, ...(userId ? { userId } : {}), ...(channelId ? { channelId } : {}), data: data ?? {} });
      return;
    }
    // Announced by id only (too long for NOTIFY): read it.
    void readLiveEvent(pool, id).then(
      (event) => event && handOut(event),
      (error: unknown) => log.warn({ err: error }, 'could not read a live update'),
    );
  };

  const listen = async (): Promise<void> => {
    const connection = new pg.Client({ ...(pool.options as pg.ClientConfig), application_name: 'gitlab-bridge-live' });
    const lost = (error?: Error): void => {
      if (client !== connection) return;
      client = undefined;
      connection.removeAllListeners('notification');
      void connection.end().catch(() => undefined);
      if (stopped) return;
      log.warn({ err: error ? { message: error.message } : undefined, retryInMs: retryMs }, 'live update connection lost; listening again shortly');
      scheduleRetry();
    };
    connection.on('error', lost);
    connection.on('end', () => lost());
    connection.on('notification', onNotification);
    await connection.connect();
    client = connection;
    await connection.query(`LISTEN ${LIVE_CHANNEL}`);
    if (stopped) return void (await connection.end().catch(() => undefined));
    retryMs = options.retryMs ?? 1000;
    // What was announced while nobody listened.
    for (const event of await readLiveEventsAfter(pool, latest)) handOut(event);
  };

  const scheduleRetry = (): void => {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(() => {
      void listen().catch((error: unknown) => {
        if (stopped) return;
        log.warn({ err: { message: (error as Error).message }, retryInMs: retryMs }, 'could not listen for live updates; trying again shortly');
        client = undefined;
        scheduleRetry();
      });
    }, retryMs);
    retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
  };

  try {
    await listen();
  } catch (error) {
    // The bridge starts anyway: live updates follow once the database lets us listen.
    log.warn({ err: { message: (error as Error).message } }, 'could not listen for live updates; trying again shortly');
    client = undefined;
    scheduleRetry();
  }

  const pruner = setInterval(() => {
    void pruneLiveEvents(pool).catch((error: unknown) => log.warn({ err: error }, 'could not prune old live updates'));
  }, options.pruneEveryMs ?? PRUNE_EVERY_MS);
  pruner.unref();

  return {
    subscribe(userId, subscriber) {
      // A stream opened while the bridge stops ends at once, or it would hold the listener open.
      if (stopped) {
        subscriber.end();
        return { unsubscribe: () => undefined };
      }
      const own = streamsOf.get(userId) ?? 0;
      if (own >= perUser) return { refused: 'user', limit: perUser };
      if (subscribers.size >= max) return { refused: 'total', limit: max };
      subscribers.add(subscriber);
      streamsOf.set(userId, own + 1);
      let subscribed = true;
      return {
        unsubscribe: () => {
          if (!subscribed) return;
          subscribed = false;
          subscribers.delete(subscriber);
          const left = (streamsOf.get(userId) ?? 1) - 1;
          if (left > 0) streamsOf.set(userId, left);
          else streamsOf.delete(userId);
        },
      };
    },
    latestId: () => latest,
    async close() {
      stopped = true;
      clearTimeout(retryTimer);
      clearInterval(pruner);
      for (const subscriber of [...subscribers]) subscriber.end();
      subscribers.clear();
      streamsOf.clear();
      const connection = client;
      client = undefined;
      await connection?.end().catch(() => undefined);
    },
  };
}

/**
 * Announces a change the webapp should show (migration 0012). Inside a
 * transaction the NOTIFY goes out at commit, so listeners never see a change
 * that was rolled back. The payload is the row as JSON, so listeners need no
 * read; a row too big for NOTIFY (8000 bytes) is announced by its id alone.
 */
import type { Queryable } from './queryable.js';

export const LIVE_CHANNEL = 'gitlab_bridge_live';

export type LiveEventKind = 'work' | 'subscriptions' | 'connection';

export interface LiveEvent {
  kind: LiveEventKind;
  /** For `work` and `connection`: the Mattermost user it concerns. */
  userId?: string;
  /** For `subscriptions`: the channel whose subscriptions changed. */
  channelId?: string;
  data?: Record<string, unknown>;
}

/** A stored event with its id (a bigint, as text: it is the SSE `id:`). */
export interface StoredLiveEvent extends LiveEvent {
  id: string;
}

/** Rows are hints for a reconnecting stream; older ones are pruned. */
export const KEEP_MINUTES = 10;

const MAX_NOTIFY_BYTES = 7900;

export async function publishLiveEvent(db: Queryable, event: LiveEvent): Promise<void> {
  await db.query(
    `WITH added AS (
       INSERT INTO live_events (kind, user_id, channel_id, data) VALUES ($1, $2, $3, $4)
       RETURNING json_build_object('id', id::text, 'kind', kind, 'userId', user_id, 'channelId', channel_id, 'data', data)::text AS row, id
     )
     SELECT pg_notify('${LIVE_CHANNEL}', CASE WHEN octet_length(row) <= ${MAX_NOTIFY_BYTES} THEN row ELSE json_build_object('id', id::text)::text END) FROM added`,
    [event.kind, event.userId ?? null, event.channelId ?? null, JSON.stringify(event.data ?? {})],
  );
}

interface Row {
  id: string;
  kind: LiveEventKind;
  user_id: string | null;
  channel_id: string | null;
  data: Record<string, unknown>;
}

const toEvent = (row: Row): StoredLiveEvent => ({
  id: row.id,
  kind: row.kind,
  ...(row.user_id === null ? {} : { userId: row.user_id }),
  ...(row.channel_id === null ? {} : { channelId: row.channel_id }),
  data: row.data,
});

/** Events after `afterId`, oldest first; `userId` narrows to what could concern that user (subscription changes are checked by the caller). */
export async function readLiveEventsAfter(db: Queryable, afterId: string, userId?: string): Promise<StoredLiveEvent[]> {
  const { rows } = await db.query<Row>(
    `SELECT id::text AS id, kind, user_id, channel_id, data FROM live_events
     WHERE id > $1::bigint AND ($2::text IS NULL OR user_id = $2 OR kind = 'subscriptions')
     ORDER BY id`,
    [afterId, userId ?? null],
  );
  return rows.map(toEvent);
}

export async function readLiveEvent(db: Queryable, id: string): Promise<StoredLiveEvent | null> {
  const { rows } = await db.query<Row>('SELECT id::text AS id, kind, user_id, channel_id, data FROM live_events WHERE id = $1::bigint', [id]);
  return rows[0] ? toEvent(rows[0]) : null;
}

/** The ids kept now: the oldest and the newest (null when there are none). */
export async function liveEventRange(db: Queryable): Promise<{ oldest: string | null; newest: string | null }> {
  const { rows } = await db.query<{ oldest: string | null; newest: string | null }>('SELECT min(id)::text AS oldest, max(id)::text AS newest FROM live_events');
  return { oldest: rows[0]?.oldest ?? null, newest: rows[0]?.newest ?? null };
}

/**
 * Forgets events older than KEEP_MINUTES, except the newest one: it tells a
 * reconnecting stream whether its Last-Event-ID is one this database issued.
 */
export async function pruneLiveEvents(db: Queryable): Promise<number> {
  const result = await db.query(
    `DELETE FROM live_events WHERE created_at < now() - interval '${KEEP_MINUTES} minutes' AND id < (SELECT max(id) FROM live_events)`,
  );
  return result.rowCount ?? 0;
}

/**
 * What processing decided for each delivery (migration 0028), and what the
 * explanation of a subscription reads besides: the outbox rows of what was
 * planned, and the deliveries not processed yet. Pruned with the outbox
 * (store/prune.ts), keeping the newest of every path.
 */
import type { DeliveryRecord, DeliverySource, StoredVerdict } from '../explain/delivery-record.js';
import type { Queryable } from './queryable.js';

/** A batch's records in one statement; its time of arrival is the delivery's own. */
export async function recordDeliveries(db: Queryable, instance: string, records: readonly DeliveryRecord[]): Promise<void> {
  if (records.length === 0) return;
  await db.query(
    `INSERT INTO delivery_explanations (delivery_id, instance, path, received_at, source, kind, action, event_key, summary, url, open_to_all, confidential, verdicts)
     SELECT r.delivery_id, $1, r.path, coalesce((SELECT w.received_at FROM webhook_deliveries w WHERE w.id = r.delivery_id), now()),
            r.source, r.kind, r.action, r.event_key, r.summary, r.url, r.open_to_all, r.confidential, r.verdicts::jsonb
     FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::boolean[], $11::boolean[], $12::text[])
          AS r (delivery_id, path, source, kind, action, event_key, summary, url, open_to_all, confidential, verdicts)
     ON CONFLICT (delivery_id) DO NOTHING`,
    [
      instance,
      records.map((record) => record.deliveryId),
      records.map((record) => record.path),
      records.map((record) => record.source),
      records.map((record) => record.kind),
      records.map((record) => record.action),
      records.map((record) => record.eventKey),
      records.map((record) => record.summary),
      records.map((record) => record.url),
      records.map((record) => record.openToAll),
      records.map((record) => record.confidential),
      records.map((record) => JSON.stringify(record.verdicts)),
    ],
  );
}

/** A recorded delivery, read back with when it arrived. */
export interface StoredExplanation extends DeliveryRecord {
  receivedAt: Date;
}

/** `%`, `_` and `\` are wildcards in LIKE: a path that holds them must match only itself. */
const likePrefix = (path: string): string => `${path.replace(/[\\%_]/g, '\\$&')}/%`;

/** How many of a target's newest explanations a request looks through for one subscription's. */
const SCANNED = 2000;

/**
 * The newest records about `path` (and, with `below`, the projects and groups under it), newest first;
 * with `subscriptionId`, only those that subscription was a candidate for.
 */
export async function readExplanations(
  db: Queryable,
  query: { instance: string; path: string; below: boolean; subscriptionId?: string; limit: number },
): Promise<StoredExplanation[]> {
  const { rows } = await db.query<{
    delivery_id: string;
    received_at: Date;
    source: DeliverySource;
    path: string;
    kind: string;
    action: string;
    event_key: string | null;
    summary: string | null;
    url: string | null;
    open_to_all: boolean;
    confidential: boolean;
    verdicts: StoredVerdict[];
  }>(
    // Among the newest SCANNED of the target only: a subscription that few of them name (a new one, or one
    // whose events mostly go elsewhere) must not make a request read the whole retention's rows.
    `SELECT delivery_id, received_at, source, path, kind, action, event_key, summary, url, open_to_all, confidential, verdicts
       FROM (SELECT * FROM delivery_explanations
              WHERE instance = $1 AND (path = $2 OR ($3 AND path LIKE $4))
              ORDER BY delivery_id DESC LIMIT $7) newest
      WHERE ($5::text IS NULL OR verdicts @> jsonb_build_array(jsonb_build_object('s', $5::text)))
      ORDER BY delivery_id DESC LIMIT $6`,
    [query.instance, query.path.toLowerCase(), query.below, likePrefix(query.path.toLowerCase()), query.subscriptionId ?? null, query.limit, SCANNED],
  );
  return rows.map((row) => ({
    deliveryId: row.delivery_id,
    receivedAt: row.received_at,
    source: row.source,
    path: row.path,
    kind: row.kind,
    action: row.action,
    eventKey: row.event_key,
    summary: row.summary,
    url: row.url,
    openToAll: row.open_to_all,
    confidential: row.confidential,
    verdicts: row.verdicts,
  }));
}

/** What became of a planned post: the channel outbox row of its (event, channel). */
export interface PostState {
  state: 'pending' | 'sent' | 'failed';
  postId: string | null;
  lastError: string | null;
  attempts: number;
  /** The delivery that queued it: another one when the same event came through two hooks. */
  deliveryId: string | null;
}

export const postStateKey = (eventKey: string, channelId: string): string => `${eventKey}\n${channelId}`;

/** By postStateKey; a pair without a row (pruned, or never queued) is missing. */
export async function readPostStates(db: Queryable, pairs: readonly { eventKey: string; channelId: string }[]): Promise<Map<string, PostState>> {
  const states = new Map<string, PostState>();
  if (pairs.length === 0) return states;
  const { rows } = await db.query<{ event_key: string; channel_id: string; state: PostState['state']; post_id: string | null; last_error: string | null; attempts: number; delivery_id: string | null }>(
    `SELECT o.event_key, o.channel_id, o.state, o.post_id, o.last_error, o.attempts, o.delivery_id
       FROM unnest($1::text[], $2::text[]) AS wanted (event_key, channel_id)
       JOIN channel_outbox o ON o.event_key = wanted.event_key AND o.channel_id = wanted.channel_id`,
    [pairs.map((pair) => pair.eventKey), pairs.map((pair) => pair.channelId)],
  );
  for (const row of rows) {
    states.set(postStateKey(row.event_key, row.channel_id), { state: row.state, postId: row.post_id, lastError: row.last_error, attempts: row.attempts, deliveryId: row.delivery_id });
  }
  return states;
}

export interface WaitingDelivery {
  id: string;
  event: string;
  payload: unknown;
  receivedAt: Date;
  idempotencyKey: string | null;
  attempts: number;
  lastError: string | null;
}

/**
 * The newest deliveries of an instance not processed yet, at most `lookBack` of them (the pending index
 * finds them without reading the rest of the table), of which only those whose project or group path
 * `wanted` accepts (or that name none GitLab's usual way) are read whole, at most `keep`: a backlog is
 * when people ask, and its payloads may be large.
 */
export async function readWaitingDeliveries(db: Queryable, instance: string, lookBack: number, keep: number, wanted: (path: string) => boolean): Promise<WaitingDelivery[]> {
  const { rows: heads } = await db.query<{ id: string; path: string | null }>(
    `SELECT id, lower(coalesce(payload->'project'->>'path_with_namespace', payload->>'path_with_namespace', payload->'group'->>'full_path', payload->>'full_path')) AS path
       FROM webhook_deliveries WHERE processed_at IS NULL AND instance = $1 ORDER BY id DESC LIMIT $2`,
    [instance, lookBack],
  );
  const ids = heads.filter((head) => head.path === null || wanted(head.path)).slice(0, keep).map((head) => head.id);
  if (ids.length === 0) return [];
  const { rows } = await db.query<{ id: string; event: string; payload: unknown; received_at: Date; idempotency_key: string | null; attempts: number; last_error: string | null }>(
    `SELECT id, event, payload, received_at, idempotency_key, attempts, last_error FROM webhook_deliveries
      WHERE id = ANY($1::bigint[]) AND processed_at IS NULL ORDER BY id DESC`,
    [ids],
  );
  return rows.map((row) => ({
    id: row.id,
    event: row.event,
    payload: row.payload,
    receivedAt: row.received_at,
    idempotencyKey: row.idempotency_key,
    attempts: row.attempts,
    lastError: row.last_error,
  }));
}

import type { Queryable } from './queryable.js';

/** A webhook delivery as the door hands it to the durable inbox (migration 0002; written by delivery-batcher.ts). */
export interface IncomingDelivery {
  dedupeKey: string;
  event: string;
  idempotencyKey: string | undefined;
  eventUuid: string | undefined;
  webhookUuid: string | undefined;
  /** X-Gitlab-Instance as sent: what the sender says it is, kept for support only. */
  instanceHeader: string | undefined;
  /** The instance whose door (path and secret) took it (config.gitlabInstances[].name). */
  instance: string;
  signed: boolean;
  /** The raw JSON text, stored as received (PostgreSQL checks it, see migration 0005). */
  payload: string;
}

export type StoreOutcome = { stored: true; id: string } | { stored: false; duplicateOf: string };

/** Stored deliveries not processed yet (counted on the partial index of pending ones). */
export async function countPendingDeliveries(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ pending: string }>('SELECT count(*) AS pending FROM webhook_deliveries WHERE processed_at IS NULL');
  return Number(rows[0]!.pending);
}

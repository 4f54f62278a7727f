/** The durable inbox of webhook deliveries (see migration 0002). */
import type { Queryable } from './queryable.js';

export interface IncomingDelivery {
  dedupeKey: string;
  event: string;
  idempotencyKey: string | undefined;
  eventUuid: string | undefined;
  webhookUuid: string | undefined;
  instance: string | undefined;
  signed: boolean;
  /** The raw JSON text, stored as received (PostgreSQL parses it into jsonb). */
  payload: string;
}

export type StoreOutcome = { stored: true; id: string } | { stored: false; duplicateOf: string };

export async function storeDelivery(db: Queryable, delivery: IncomingDelivery): Promise<StoreOutcome> {
  const inserted = await db.query<{ id: string }>(
    `INSERT INTO webhook_deliveries (dedupe_key, event, idempotency_key, event_uuid, webhook_uuid, instance, signed, payload)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)
     ON CONFLICT (dedupe_key) DO NOTHING
     RETURNING id`,
    [
      delivery.dedupeKey,
      delivery.event,
      delivery.idempotencyKey ?? null,
      delivery.eventUuid ?? null,
      delivery.webhookUuid ?? null,
      delivery.instance ?? null,
      delivery.signed,
      delivery.payload,
    ],
  );
  if (inserted.rows[0]) return { stored: true, id: inserted.rows[0].id };
  const existing = await db.query<{ id: string }>('SELECT id FROM webhook_deliveries WHERE dedupe_key = $1', [delivery.dedupeKey]);
  return { stored: false, duplicateOf: existing.rows[0]?.id ?? 'unknown' };
}

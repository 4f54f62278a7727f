/** A webhook delivery as the door hands it to the durable inbox (migration 0002; written by delivery-batcher.ts). */
export interface IncomingDelivery {
  dedupeKey: string;
  event: string;
  idempotencyKey: string | undefined;
  eventUuid: string | undefined;
  webhookUuid: string | undefined;
  instance: string | undefined;
  signed: boolean;
  /** The raw JSON text, stored as received (PostgreSQL checks it, see migration 0005). */
  payload: string;
}

export type StoreOutcome = { stored: true; id: string } | { stored: false; duplicateOf: string };

/**
 * Group commit for the webhook inbox: concurrent `store` calls are written in
 * one multi-row INSERT (one round trip, one transaction, one WAL flush) instead
 * of one each. A delivery is written at once unless two others came within
 * half of `gatherMs` before it: then deliveries are streaming in (bunched, or
 * over 200 a second with the default), and the oldest waits at most `gatherMs` for more
 * to share its statement. A commit costs PostgreSQL and the bridge far more than a row
 * does, so a stream of webhooks costs a fraction of the CPU for a few
 * milliseconds more before its answer. While a write is in flight the next calls accumulate and
 * go out together as soon as it finishes (or their gathering time is up), or as
 * soon as a quarter of `maxBatch` of them are waiting (up to `maxConcurrent`
 * writes at a time). A caller's promise settles only after its batch has
 * committed, and rejects when it failed: nothing is acknowledged without being
 * stored.
 *
 * Duplicates get the id of the row that holds their dedupe key, whether that row
 * is older or was written by an earlier call in the same batch (the first call
 * with a key wins; later ones are duplicates of it).
 *
 * The bridge gives it a pool of its own with `maxConcurrent` connections
 * (store/database.ts `inbox`), so that storing a webhook never waits for a
 * connection behind delivery, polling or the webapp API.
 *
 * What it holds in memory is bounded, so that a database that hangs (rather than
 * refusing connections) costs refused deliveries, not the process: a delivery is
 * refused at once when `maxHeldChars` of payload are already waiting or being
 * written, and one that waited `maxWaitMs` without its write starting is refused
 * then. The inbox pool's time-outs (store/database.ts) end a write that hangs.
 */
import type { Queryable } from './queryable.js';
import type { IncomingDelivery, StoreOutcome } from './webhook-inbox.js';

export interface DeliveryBatcherOptions {
  /** Most deliveries in one statement. */
  maxBatch?: number;
  /** Most payload text in one statement, in characters (a single larger payload still goes alone). */
  maxBatchChars?: number;
  /** Most statements in flight at once (each holds one pool connection). */
  maxConcurrent?: number;
  /** How long a delivery that came within half of it after two others may wait for more to share its statement; 0 writes every one at once. */
  gatherMs?: number;
  /** Most payload text held at once, waiting or being written, in characters; a delivery beyond it is refused (one alone is always taken). */
  maxHeldChars?: number;
  /** How long a delivery may wait for its write to start before it is refused. */
  maxWaitMs?: number;
}

/** Why a delivery was refused without being written: the database is not keeping up, or not answering. */
export class InboxOverloadedError extends Error {
  override readonly name = 'InboxOverloadedError';
}

export interface DeliveryBatcher {
  store(delivery: IncomingDelivery): Promise<StoreOutcome>;
  /**
   * True while deliveries arrive faster than one write at a time takes them (a
   * write overlapped another within the last second): a burst is on.
   */
  busy(): boolean;
  /** Waits for everything already handed over to be written; later `store` calls reject. */
  close(): Promise<void>;
}

export const DEFAULT_MAX_BATCH = 64;
export const DEFAULT_MAX_BATCH_CHARS = 16 * 1024 * 1024;
export const DEFAULT_MAX_CONCURRENT = 2;
/**
 * About 10 deliveries a statement at 500 a second, while single hooks and up to 200 a second evenly spaced
 * are written at once (arrivals that bunch up wait, at most this): well inside GitLab's patience and the
 * acknowledgement target (bench:ingest).
 */
export const DEFAULT_GATHER_MS = 20;
/**
 * Room for two of GitLab's largest payloads (25 MB) besides a stream of ordinary ones, far above what a
 * stream holds while the database keeps up (at a thousand webhooks a second, a few hundred kilobytes).
 * Characters, as JavaScript strings count them: as many bytes for ASCII text.
 */
export const DEFAULT_MAX_HELD_CHARS = 64 * 1024 * 1024;
/**
 * Together with the inbox pool's statement time-out (store/database.ts), a delivery is answered within
 * GitLab's 10 seconds even when the database hangs: better a 503 that GitLab shows than a time-out.
 */
export const DEFAULT_MAX_WAIT_MS = 2000;
/** How long after the last overlapping write the batcher still counts as busy. */
const BUSY_FOR_MS = 1000;
/** Rounds of insert-then-look-up before giving up on a key whose row vanished in between. */
const MAX_ROUNDS = 3;

interface Waiting {
  delivery: IncomingDelivery;
  /** When it was handed over (performance.now()), and whether two others came within half of gatherMs before it. */
  at: number;
  gathers: boolean;
  resolve(outcome: StoreOutcome): void;
  reject(error: unknown): void;
}

/**
 * One row per distinct dedupe key, in arrival order (so within a statement ids follow it too). The short
 * columns travel as arrays; each payload is a parameter of its own, sent as it is (an array literal
 * would have to escape every quote of every payload, and PostgreSQL to unescape them again). The
 * payload list is padded with NULLs to a power of two so that a connection prepares only a handful
 * of statements; the join on position drops the padding.
 */
function insertStatement(slots: number): string {
  const payloads = Array.from({ length: slots }, (_, index) => `(${index + 1}, $${index + 9}::json)`).join(', ');
  return `INSERT INTO webhook_deliveries (dedupe_key, event, idempotency_key, event_uuid, webhook_uuid, instance_header, signed, instance, payload)
SELECT input.dedupe_key, input.event, input.idempotency_key, input.event_uuid, input.webhook_uuid, input.instance_header, input.signed, input.instance, payloads.payload
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::boolean[], $8::text[])
  WITH ORDINALITY AS input (dedupe_key, event, idempotency_key, event_uuid, webhook_uuid, instance_header, signed, instance, position)
JOIN (VALUES ${payloads}) AS payloads (position, payload) ON payloads.position = input.position
ORDER BY input.position
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING id, dedupe_key`;
}

const statements = new Map<number, string>();
function insertQuery(deliveries: IncomingDelivery[]): { name: string; text: string; values: unknown[] } {
  let slots = 1;
  while (slots < deliveries.length) slots *= 2;
  let text = statements.get(slots);
  if (!text) statements.set(slots, (text = insertStatement(slots)));
  const values: unknown[] = [
    deliveries.map((d) => d.dedupeKey),
    deliveries.map((d) => d.event),
    deliveries.map((d) => d.idempotencyKey ?? null),
    deliveries.map((d) => d.eventUuid ?? null),
    deliveries.map((d) => d.webhookUuid ?? null),
    deliveries.map((d) => d.instanceHeader ?? null),
    deliveries.map((d) => d.signed),
    deliveries.map((d) => d.instance),
  ];
  for (let index = 0; index < slots; index += 1) values.push(deliveries[index]?.payload ?? null);
  return { name: `webhook-inbox-insert-${slots}`, text, values };
}

// A separate statement, so it sees rows that other sessions committed while the INSERT ran.
const FIND_EXISTING = 'SELECT id, dedupe_key FROM webhook_deliveries WHERE dedupe_key = ANY($1::text[])';

export function createDeliveryBatcher(db: Queryable, options: DeliveryBatcherOptions = {}): DeliveryBatcher {
  // Capped so that a statement stays far below PostgreSQL's 65,535 parameters.
  const maxBatch = Math.min(Math.max(1, options.maxBatch ?? DEFAULT_MAX_BATCH), 4096);
  const maxBatchChars = Math.max(1, options.maxBatchChars ?? DEFAULT_MAX_BATCH_CHARS);
  const maxConcurrent = Math.max(1, options.maxConcurrent ?? DEFAULT_MAX_CONCURRENT);
  const gatherMs = Math.max(0, options.gatherMs ?? DEFAULT_GATHER_MS);
  const maxHeldChars = Math.max(1, options.maxHeldChars ?? DEFAULT_MAX_HELD_CHARS);
  const maxWaitMs = Math.max(1, options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS);
  const overlapAt = Math.ceil(maxBatch / 4);
  const queue: Waiting[] = [];
  /** The two latest arrivals before now, the latest first. */
  const arrivals = [-Infinity, -Infinity];
  let gatherTimer: NodeJS.Timeout | undefined;
  let expiryTimer: NodeJS.Timeout | undefined;
  let queuedChars = 0;
  let writingChars = 0;
  let inFlight = 0;
  let lastOverlap = -Infinity;
  let closed = false;
  let drained: (() => void) | undefined;

  /** The oldest waiting calls, as many as fit in one statement (at least one), and their payload text. */
  const take = (): { batch: Waiting[]; chars: number } => {
    let count = 0;
    let chars = 0;
    while (count < queue.length && count < maxBatch) {
      const size = queue[count]!.delivery.payload.length;
      if (count > 0 && chars + size > maxBatchChars) break;
      chars += size;
      count += 1;
    }
    queuedChars -= chars;
    writingChars += chars;
    return { batch: queue.splice(0, count), chars };
  };

  /** With nothing in flight: whether the oldest waiting delivery has gathered long enough (or enough company). */
  const ready = (now: number): boolean => {
    const oldest = queue[0]!;
    return closed || !oldest.gathers || now - oldest.at >= gatherMs || queue.length >= overlapAt || queuedChars >= maxBatchChars;
  };

  /** A quarter batch (or a statement's worth of text) is waiting. */
  const crowded = (): boolean => queue.length >= overlapAt || queuedChars >= maxBatchChars;

  const pump = (): void => {
    // Idle: write now, or once the oldest has gathered. Busy: another write goes out beside the running one(s)
    // once a quarter batch waits, so that the next batch's round trip overlaps this one's instead of queueing
    // behind it, or once the oldest has waited gatherMs, so that a slow write holds back no one while a
    // connection is free.
    const now = performance.now();
    while (queue.length > 0 && inFlight < maxConcurrent && (inFlight === 0 ? ready(now) : crowded() || now - queue[0]!.at >= gatherMs)) {
      // Only writes that overlap because deliveries pile up make a burst (not one slow write).
      if (inFlight > 0 && crowded()) lastOverlap = now;
      const { batch, chars } = take();
      inFlight += 1;
      void write(db, batch).finally(() => {
        inFlight -= 1;
        writingChars -= chars;
        pump();
        if (inFlight === 0 && queue.length === 0) drained?.();
      });
    }
    // Deliveries still waiting once every write slot is taken wait at most maxWaitMs for theirs.
    if (queue.length > 0 && !expiryTimer) {
      expiryTimer = setTimeout(expire, Math.max(0, queue[0]!.at + maxWaitMs - now)).unref();
    }
    if (inFlight < maxConcurrent && queue.length > 0 && !gatherTimer) {
      gatherTimer = setTimeout(() => {
        gatherTimer = undefined;
        pump();
      }, Math.max(0, queue[0]!.at + gatherMs - now));
    }
  };

  /** Refuses the deliveries (the oldest, at the front) that waited maxWaitMs without their write starting. */
  const expire = (): void => {
    expiryTimer = undefined;
    const now = performance.now();
    let count = 0;
    while (count < queue.length && now - queue[count]!.at >= maxWaitMs) count += 1;
    const expired = queue.splice(0, count);
    queuedChars -= charsOf(expired);
    const error = new InboxOverloadedError(`the database did not take this delivery within ${maxWaitMs} ms: every write to it is still running`);
    for (const waiting of expired) waiting.reject(error);
    pump();
    if (inFlight === 0 && queue.length === 0) drained?.();
  };

  return {
    store(delivery) {
      if (closed) return Promise.reject(new Error('the webhook inbox is closed: the bridge is stopping'));
      const held = queuedChars + writingChars;
      if (held > 0 && held + delivery.payload.length > maxHeldChars) {
        return Promise.reject(new InboxOverloadedError(`${held} characters of webhook payloads are already waiting for the database (most ${maxHeldChars})`));
      }
      const at = performance.now();
      const gathers = at - arrivals[1]! < gatherMs / 2;
      arrivals[1] = arrivals[0]!;
      arrivals[0] = at;
      return new Promise<StoreOutcome>((resolve, reject) => {
        queue.push({ delivery, at, gathers, resolve, reject });
        queuedChars += delivery.payload.length;
        pump();
      });
    },
    busy: () => performance.now() - lastOverlap < BUSY_FOR_MS,
    close() {
      closed = true;
      clearTimeout(gatherTimer);
      gatherTimer = undefined;
      // What is still gathering goes out now.
      pump();
      if (inFlight === 0 && queue.length === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const previous = drained;
        drained = () => {
          previous?.();
          resolve();
        };
      });
    },
  };
}

function charsOf(batch: Waiting[]): number {
  let chars = 0;
  for (const waiting of batch) chars += waiting.delivery.payload.length;
  return chars;
}

/**
 * Writes one batch and settles every caller in it; never rejects itself. Resolves to the error that failed
 * the batch, unless it was one of its values that PostgreSQL refused.
 */
async function write(db: Queryable, batch: Waiting[]): Promise<unknown> {
  let outcomes: Map<string, StoreOutcome>;
  try {
    outcomes = await writeDistinct(db, distinct(batch.map((waiting) => waiting.delivery)));
  } catch (error) {
    // A value PostgreSQL refuses (class 22, e.g. a body that is not JSON after all, or 54, a limit) fails the
    // whole statement: write each delivery alone, so one bad delivery fails only its own request. Any other
    // failure on the way (the database hangs or goes away) fails the rest at once, not one time-out each.
    if (batch.length > 1 && isDataException(error)) {
      for (const [index, waiting] of batch.entries()) {
        const failure = await write(db, [waiting]);
        if (failure === undefined) continue;
        for (const rest of batch.slice(index + 1)) rest.reject(failure);
        return failure;
      }
      return undefined;
    }
    for (const waiting of batch) waiting.reject(error);
    return isDataException(error) ? undefined : error;
  }
  const claimed = new Set<string>();
  for (const waiting of batch) {
    const key = waiting.delivery.dedupeKey;
    const outcome = outcomes.get(key);
    if (!outcome) {
      waiting.reject(new Error(`no row found or written for dedupe key ${key}`));
    } else if (outcome.stored && claimed.has(key)) {
      waiting.resolve({ stored: false, duplicateOf: outcome.id });
    } else {
      claimed.add(key);
      waiting.resolve(outcome);
    }
  }
  return undefined;
}

/** The first delivery of each dedupe key, in order. */
function distinct(deliveries: IncomingDelivery[]): IncomingDelivery[] {
  const seen = new Set<string>();
  return deliveries.filter((delivery) => !seen.has(delivery.dedupeKey) && seen.add(delivery.dedupeKey));
}

async function writeDistinct(db: Queryable, deliveries: IncomingDelivery[]): Promise<Map<string, StoreOutcome>> {
  const outcomes = new Map<string, StoreOutcome>();
  let pending = deliveries;
  for (let round = 0; round < MAX_ROUNDS && pending.length > 0; round += 1) {
    const inserted = await db.query<{ id: string; dedupe_key: string }>(insertQuery(pending));
    for (const row of inserted.rows) outcomes.set(row.dedupe_key, { stored: true, id: String(row.id) });
    const conflicting = pending.filter((d) => !outcomes.has(d.dedupeKey));
    if (conflicting.length === 0) break;
    const existing = await db.query<{ id: string; dedupe_key: string }>({
      name: 'webhook-inbox-find-batch',
      text: FIND_EXISTING,
      values: [conflicting.map((d) => d.dedupeKey)],
    });
    for (const row of existing.rows) outcomes.set(row.dedupe_key, { stored: false, duplicateOf: String(row.id) });
    // A row that conflicted but is gone by now (deleted in between): try to write it again.
    pending = conflicting.filter((d) => !outcomes.has(d.dedupeKey));
  }
  return outcomes;
}

function isDataException(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  // Class 22 (data exception) or 54 (program limit exceeded: a value too large for an index, too deeply nested).
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('54'));
}

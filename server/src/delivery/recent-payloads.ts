/**
 * The payloads of webhooks this process has just stored, by delivery id, as
 * the JSON text the door received: processing usually starts within
 * milliseconds, in the same process, and then need not read each payload back
 * from PostgreSQL. Only a shortcut: a payload that is not here (stored by
 * another replica or by polling, dropped to stay within bounds, or taken by a
 * pass that failed) is read from the database as before.
 *
 * The text rather than the door's parsed object: one flat string costs the
 * garbage collector next to nothing to keep for the milliseconds until it is
 * processed, a tree of objects a copy of each at every collection it lives
 * through.
 *
 * Bounded by the text it keeps and by age, so that a burst that processing
 * works off later, or deliveries another replica processed, cannot make it
 * grow: once full, newer payloads are simply not kept (processing takes the
 * oldest first, so those kept are the ones used next).
 */

export interface RecentPayloads {
  /** Keeps a stored delivery's payload, exactly as stored. */
  remember(deliveryId: string, json: string): void;
  /** The payload's text, if kept; it is forgotten at once (a delivery is processed once). */
  take(deliveryId: string): string | undefined;
}

export interface RecentPayloadsOptions {
  maxChars?: number;
  maxAgeMs?: number;
  now?: () => number;
}

/** About 600 payloads of a typical merge request hook. */
export const DEFAULT_MAX_CHARS = 4 * 1024 * 1024;
export const DEFAULT_MAX_AGE_MS = 60_000;

export function createRecentPayloads(options: RecentPayloadsOptions = {}): RecentPayloads {
  const maxChars = options.maxChars ?? DEFAULT_MAX_CHARS;
  const maxAgeMs = options.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
  const now = options.now ?? (() => performance.now());
  // Insertion order is storing order, so the oldest are first.
  const kept = new Map<string, { json: string; at: number }>();
  let chars = 0;

  const forget = (id: string): string | undefined => {
    const entry = kept.get(id);
    if (!entry) return undefined;
    kept.delete(id);
    chars -= entry.json.length;
    return entry.json;
  };

  return {
    remember(deliveryId, json) {
      const at = now();
      for (const [id, entry] of kept) {
        if (at - entry.at < maxAgeMs) break;
        forget(id);
      }
      if (chars + json.length > maxChars || kept.has(deliveryId)) return;
      kept.set(deliveryId, { json, at });
      chars += json.length;
    },
    take: forget,
  };
}

/**
 * Live updates for the webapp (GET /api/v1/events): listens on a dedicated
 * connection for `live_events` rows (store/live-events.ts) and hands them to
 * the SSE streams of this replica.
 */
import type { LiveEvent } from '../store/live-events.js';

export interface LiveEvents {
  /** Called with every new event (with its id) until the returned function is called. */
  subscribe(listener: (id: string, event: LiveEvent) => void): () => void;
  close(): Promise<void>;
}

/** Starts listening for changes on a dedicated connection. */
export async function startLiveEvents(): Promise<LiveEvents> {
  // Filled in with the SSE endpoint.
  return { subscribe: () => () => undefined, close: async () => undefined };
}

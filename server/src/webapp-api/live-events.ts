/**
 * Live updates for the webapp (GET /api/v1/events). Changes are rows in
 * `live_events` announced with NOTIFY, so every replica's SSE clients hear of
 * a change made on any replica, and a reconnecting client resumes from its
 * Last-Event-ID.
 */
import type { Queryable } from '../store/queryable.js';

export type LiveEventKind = 'work' | 'subscriptions' | 'connection';

export interface LiveEvent {
  kind: LiveEventKind;
  /** For `work` and `connection`: the Mattermost user it concerns. */
  userId?: string;
  /** For `subscriptions`: the channel whose subscriptions changed. */
  channelId?: string;
  data?: Record<string, unknown>;
}

export interface LiveEvents {
  publish(db: Queryable, event: LiveEvent): Promise<void>;
  close(): Promise<void>;
}

/** Starts listening for changes on a dedicated connection. */
export async function startLiveEvents(): Promise<LiveEvents> {
  // Filled in with the SSE endpoint.
  return { publish: async () => undefined, close: async () => undefined };
}

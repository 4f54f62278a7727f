/**
 * Announces a change the webapp should show (migration 0012). Inside a
 * transaction the NOTIFY goes out at commit, so listeners never see a change
 * that was rolled back.
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

export async function publishLiveEvent(db: Queryable, event: LiveEvent): Promise<void> {
  await db.query(
    `WITH added AS (
       INSERT INTO live_events (kind, user_id, channel_id, data) VALUES ($1, $2, $3, $4) RETURNING id
     )
     SELECT pg_notify('${LIVE_CHANNEL}', id::text) FROM added`,
    [event.kind, event.userId ?? null, event.channelId ?? null, JSON.stringify(event.data ?? {})],
  );
}

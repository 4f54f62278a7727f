/**
 * How far the Mattermost listener has read each channel (migration 0021), in
 * Mattermost's milliseconds: after a gap it asks for the posts changed since.
 */
import type { Queryable } from './queryable.js';

/** The channels whose replies, reactions or code links the bridge acts on, with where reading them starts. */
export async function channelsToCatchUp(db: Queryable): Promise<{ channelId: string; since: number | null; repliesSince: number | null }[]> {
  const { rows } = await db.query<{ channel_id: string; seen_until: string | null; replies_since: Date | null }>(
    `WITH watched AS (
       SELECT channel_id, min(replies_since) AS replies_since FROM channel_threads WHERE replies_since IS NOT NULL GROUP BY channel_id
       UNION ALL
       SELECT channel_id, NULL FROM channel_settings WHERE code_previews
     )
     SELECT w.channel_id, c.seen_until, min(w.replies_since) AS replies_since
       FROM watched w LEFT JOIN stream_cursors c ON c.channel_id = w.channel_id
      GROUP BY w.channel_id, c.seen_until ORDER BY w.channel_id`,
  );
  return rows.map((row) => ({ channelId: row.channel_id, since: row.seen_until === null ? null : Number(row.seen_until), repliesSince: row.replies_since?.getTime() ?? null }));
}

/** Never moves back: events handled out of order leave the cursor at the newest. */
export async function advanceCursor(db: Queryable, channelId: string, seenUntil: number): Promise<void> {
  await db.query(
    `INSERT INTO stream_cursors (channel_id, seen_until) VALUES ($1, $2)
     ON CONFLICT (channel_id) DO UPDATE SET seen_until = greatest(stream_cursors.seen_until, EXCLUDED.seen_until), updated_at = now()`,
    [channelId, seenUntil],
  );
}

/** For live events: only channels already read by a catch-up have a cursor to move (not every DM the bot is in). */
export async function moveCursor(db: Queryable, channelId: string, seenUntil: number): Promise<void> {
  await db.query('UPDATE stream_cursors SET seen_until = greatest(seen_until, $2), updated_at = now() WHERE channel_id = $1', [channelId, seenUntil]);
}

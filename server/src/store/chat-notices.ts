/** Things the bot tells a person once (migration 0021): true the first time, false after. */
import type { Queryable } from './queryable.js';

export async function claimNotice(db: Queryable, userId: string, kind: string): Promise<boolean> {
  const result = await db.query('INSERT INTO chat_notices (mattermost_user_id, kind) VALUES ($1, $2) ON CONFLICT DO NOTHING', [userId, kind]);
  return (result.rowCount ?? 0) > 0;
}

/** Told, then something changed (they connected): the next time is a first time again. */
export async function forgetNotice(db: Queryable, userId: string, kind: string): Promise<void> {
  await db.query('DELETE FROM chat_notices WHERE mattermost_user_id = $1 AND kind = $2', [userId, kind]);
}

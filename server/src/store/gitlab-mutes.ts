/** GitLab users a Mattermost user muted (migration 0008): their actions never DM that user. */
import type { Queryable } from './queryable.js';

export interface Mute {
  gitlabUserId: number;
  gitlabUsername: string;
  createdAt: Date;
}

/** A user mutes at most this many: enough for any team, small enough to show in one answer. */
export const MAX_MUTES = 100;

/** False when it was muted already. */
export async function addMute(db: Queryable, userId: string, muted: { gitlabUserId: number; gitlabUsername: string; instance?: string }): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO gitlab_mutes (mattermost_user_id, gitlab_user_id, gitlab_username, instance) VALUES ($1, $2, $3, $4)
     ON CONFLICT (mattermost_user_id, instance, gitlab_user_id) DO NOTHING`,
    [userId, muted.gitlabUserId, muted.gitlabUsername, muted.instance ?? 'default'],
  );
  return rowCount === 1;
}

/** The mute removed, by GitLab user id or (case-insensitively) username; null when there was none. */
export async function deleteMute(db: Queryable, userId: string, which: { gitlabUserId?: number; gitlabUsername: string }): Promise<Mute | null> {
  const { rows } = await db.query<{ gitlab_user_id: string; gitlab_username: string; created_at: Date }>(
    `DELETE FROM gitlab_mutes WHERE mattermost_user_id = $1 AND (gitlab_user_id = $2 OR lower(gitlab_username) = lower($3))
     RETURNING gitlab_user_id, gitlab_username, created_at`,
    [userId, which.gitlabUserId ?? -1, which.gitlabUsername],
  );
  const row = rows[0];
  return row ? { gitlabUserId: Number(row.gitlab_user_id), gitlabUsername: row.gitlab_username, createdAt: row.created_at } : null;
}

export async function listMutes(db: Queryable, userId: string): Promise<Mute[]> {
  const { rows } = await db.query<{ gitlab_user_id: string; gitlab_username: string; created_at: Date }>(
    'SELECT gitlab_user_id, gitlab_username, created_at FROM gitlab_mutes WHERE mattermost_user_id = $1 ORDER BY lower(gitlab_username)',
    [userId],
  );
  return rows.map((row) => ({ gitlabUserId: Number(row.gitlab_user_id), gitlabUsername: row.gitlab_username, createdAt: row.created_at }));
}

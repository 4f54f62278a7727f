/**
 * GitLab users a Mattermost user muted (migration 0008): their actions never DM that user. A mute is
 * of one GitLab instance's user (migration 0022): ids and usernames are that instance's.
 */
import type { Queryable } from './queryable.js';

export interface Mute {
  gitlabUserId: number;
  gitlabUsername: string;
  /** The GitLab instance the muted user is on. */
  instance: string;
  createdAt: Date;
}

/** A user mutes at most this many: enough for any team, small enough to show in one answer. */
export const MAX_MUTES = 100;

interface MuteRow {
  gitlab_user_id: string;
  gitlab_username: string;
  instance: string;
  created_at: Date;
}

const toMute = (row: MuteRow): Mute => ({ gitlabUserId: Number(row.gitlab_user_id), gitlabUsername: row.gitlab_username, instance: row.instance, createdAt: row.created_at });

/** False when it was muted already. */
export async function addMute(db: Queryable, userId: string, muted: { gitlabUserId: number; gitlabUsername: string; instance?: string }): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO gitlab_mutes (mattermost_user_id, gitlab_user_id, gitlab_username, instance) VALUES ($1, $2, $3, $4)
     ON CONFLICT (mattermost_user_id, instance, gitlab_user_id) DO NOTHING`,
    [userId, muted.gitlabUserId, muted.gitlabUsername, muted.instance ?? 'default'],
  );
  return rowCount === 1;
}

/**
 * The mutes removed, by GitLab user id or (case-insensitively) username, on `instance` or, without
 * one, on every instance; empty when there was none.
 */
export async function deleteMutes(db: Queryable, userId: string, which: { gitlabUserId?: number; gitlabUsername: string; instance?: string }): Promise<Mute[]> {
  const { rows } = await db.query<MuteRow>(
    `DELETE FROM gitlab_mutes WHERE mattermost_user_id = $1 AND (gitlab_user_id = $2 OR lower(gitlab_username) = lower($3)) AND ($4::text IS NULL OR instance = $4)
     RETURNING gitlab_user_id, gitlab_username, instance, created_at`,
    [userId, which.gitlabUserId ?? -1, which.gitlabUsername, which.instance ?? null],
  );
  return rows.map(toMute);
}

/** The user's mutes on `instance`, or on every instance without one. */
export async function listMutes(db: Queryable, userId: string, instance?: string): Promise<Mute[]> {
  const { rows } = await db.query<MuteRow>(
    `SELECT gitlab_user_id, gitlab_username, instance, created_at FROM gitlab_mutes
     WHERE mattermost_user_id = $1 AND ($2::text IS NULL OR instance = $2) ORDER BY lower(gitlab_username), instance`,
    [userId, instance ?? null],
  );
  return rows.map(toMute);
}

/** Who a Mattermost user is in GitLab, without their tokens: for showing, never for calling GitLab. */
import type { Queryable } from './queryable.js';

export interface ConnectedIdentity {
  gitlabUserId: number;
  gitlabUsername: string;
}

/** The live connection of the user to one instance (null when none, or GitLab ended it). */
export async function readConnectedIdentity(db: Queryable, mattermostUserId: string, instance = 'default'): Promise<ConnectedIdentity | null> {
  const { rows } = await db.query<{ gitlab_user_id: string; gitlab_username: string }>(
    'SELECT gitlab_user_id, gitlab_username FROM gitlab_accounts WHERE mattermost_user_id = $1 AND disconnected_at IS NULL AND instance = $2',
    [mattermostUserId, instance],
  );
  const row = rows[0];
  return row ? { gitlabUserId: Number(row.gitlab_user_id), gitlabUsername: row.gitlab_username } : null;
}

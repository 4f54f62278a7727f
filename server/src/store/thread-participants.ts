/** Who took part in each MR or issue (migration 0011): commenters, and MR authors for pipeline hooks. */
import type { Queryable } from './queryable.js';

export interface Participation {
  threadKey: string;
  gitlabUserId: number;
  role: 'author' | 'commenter';
}

export async function recordParticipants(db: Queryable, participations: readonly Participation[]): Promise<void> {
  if (participations.length === 0) return;
  await db.query(
    `INSERT INTO thread_participants (thread_key, gitlab_user_id, role)
     SELECT DISTINCT * FROM unnest($1::text[], $2::bigint[], $3::text[])
     ON CONFLICT (thread_key, gitlab_user_id, role) DO UPDATE SET seen_at = now()`,
    [participations.map((p) => p.threadKey), participations.map((p) => p.gitlabUserId), participations.map((p) => p.role)],
  );
}

export async function readParticipants(db: Queryable, threadKey: string): Promise<{ commenters: number[]; authorId: number | null }> {
  const { rows } = await db.query<{ gitlab_user_id: string; role: string }>('SELECT gitlab_user_id, role FROM thread_participants WHERE thread_key = $1', [threadKey]);
  return {
    commenters: rows.filter((row) => row.role === 'commenter').map((row) => Number(row.gitlab_user_id)),
    authorId: rows.filter((row) => row.role === 'author').map((row) => Number(row.gitlab_user_id))[0] ?? null,
  };
}

/** Who took part in each MR or issue (migration 0011): commenters, and MR authors for pipeline hooks. */
import type { Queryable } from './queryable.js';

export interface Participation {
  threadKey: string;
  gitlabUserId: number;
  role: 'author' | 'commenter';
}

export async function recordParticipants(db: Queryable, participations: readonly Participation[]): Promise<void> {
  if (participations.length === 0) return;
  await db.query({
    name: 'thread-participants-record',
    text: `INSERT INTO thread_participants (thread_key, gitlab_user_id, role)
           SELECT DISTINCT * FROM unnest($1::text[], $2::bigint[], $3::text[])
           ON CONFLICT (thread_key, gitlab_user_id, role) DO UPDATE SET seen_at = now()`,
    values: [participations.map((p) => p.threadKey), participations.map((p) => p.gitlabUserId), participations.map((p) => p.role)],
  });
}

export async function readParticipants(db: Queryable, threadKey: string): Promise<{ commenters: number[]; authorId: number | null }> {
  return (await readParticipantsOf(db, [threadKey])).get(threadKey) ?? { commenters: [], authorId: null };
}

/** readParticipants for several threads in one statement; a thread nobody took part in is left out. */
export async function readParticipantsOf(db: Queryable, threadKeys: readonly string[]): Promise<Map<string, { commenters: number[]; authorId: number | null }>> {
  const found = new Map<string, { commenters: number[]; authorId: number | null }>();
  if (threadKeys.length === 0) return found;
  const { rows } = await db.query<{ thread_key: string; gitlab_user_id: string; role: string }>({
    name: 'thread-participants-read',
    text: 'SELECT thread_key, gitlab_user_id, role FROM thread_participants WHERE thread_key = ANY($1::text[])',
    values: [threadKeys],
  });
  for (const row of rows) {
    const thread = found.get(row.thread_key) ?? { commenters: [], authorId: null };
    if (row.role === 'commenter') thread.commenters.push(Number(row.gitlab_user_id));
    else if (row.role === 'author' && thread.authorId === null) thread.authorId = Number(row.gitlab_user_id);
    found.set(row.thread_key, thread);
  }
  return found;
}

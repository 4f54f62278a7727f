/**
 * Replies seen in bridge threads and the GitLab comments they became (migration
 * 0021). One row per Mattermost post: the socket and the catch-up may both see
 * a reply, and it is sent once. `attempt_started_at` is committed before each
 * create, so an answer lost to a crash is looked for in GitLab, not repeated.
 */
import { unscopeKey } from '../gitlab/instances.js';
import type { Queryable } from './queryable.js';

export type ReplyState = 'pending' | 'sent' | 'skipped' | 'failed' | 'deleted';
export type ReplyChange = 'edit' | 'delete';

/** A reply as first seen in Mattermost. */
export interface NewReply {
  postId: string;
  channelId: string;
  rootPostId: string;
  threadKey: string;
  userId: string;
  message: string;
  fileNames: string[];
  postedAt: Date;
}

/** A reply with what became of it in GitLab. */
export interface ChatReply extends NewReply {
  state: ReplyState;
  change: ReplyChange | null;
  gitlabUserId: number | null;
  noteId: number | null;
  attemptStartedAt: Date | null;
  attempts: number;
}

interface ReplyRow {
  post_id: string;
  channel_id: string;
  root_post_id: string;
  thread_key: string;
  mattermost_user_id: string;
  message: string;
  file_names: string[];
  posted_at: Date;
  state: ReplyState;
  change: ReplyChange | null;
  gitlab_user_id: string | null;
  note_id: string | null;
  attempt_started_at: Date | null;
  attempts: number;
}

const COLUMNS = 'post_id, channel_id, root_post_id, thread_key, mattermost_user_id, message, file_names, posted_at, state, change, gitlab_user_id, note_id, attempt_started_at, attempts';

function toReply(row: ReplyRow): ChatReply {
  return {
    postId: row.post_id,
    channelId: row.channel_id,
    rootPostId: row.root_post_id,
    threadKey: row.thread_key,
    userId: row.mattermost_user_id,
    message: row.message,
    fileNames: row.file_names,
    postedAt: row.posted_at,
    state: row.state,
    change: row.change,
    gitlabUserId: row.gitlab_user_id === null ? null : Number(row.gitlab_user_id),
    noteId: row.note_id === null ? null : Number(row.note_id),
    attemptStartedAt: row.attempt_started_at,
    attempts: row.attempts,
  };
}

/**
 * True when the reply is new here (a repeat sighting changes nothing). It belongs to the instance its
 * thread's key names (migration 0027): the comment's id is only unique on that instance.
 */
export async function recordReply(db: Queryable, reply: NewReply): Promise<boolean> {
  const result = await db.query(
    `INSERT INTO chat_replies (post_id, channel_id, root_post_id, thread_key, mattermost_user_id, message, file_names, posted_at, instance)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (post_id) DO NOTHING`,
    [reply.postId, reply.channelId, reply.rootPostId, reply.threadKey, reply.userId, reply.message, JSON.stringify(reply.fileNames), reply.postedAt, unscopeKey(reply.threadKey).instance],
  );
  return (result.rowCount ?? 0) > 0;
}

export async function readReply(db: Queryable, postId: string): Promise<ChatReply | null> {
  const { rows } = await db.query<ReplyRow>(`SELECT ${COLUMNS} FROM chat_replies WHERE post_id = $1`, [postId]);
  return rows[0] ? toReply(rows[0]) : null;
}

/** How long a claimed reply is left to its sender before another may take it (GitLab calls time out sooner). */
const CLAIM_SECONDS = 120;

/**
 * Claims the oldest reply with something to do now (a comment to create, or a change to a comment made):
 * it is not due again for a while, so that a second sender (a replica that has not noticed yet that it
 * lost the listener's lock) does not make the same comment. Each outcome sets when it is due next.
 */
export async function nextDueReply(db: Queryable): Promise<ChatReply | null> {
  const { rows } = await db.query<ReplyRow>(
    `UPDATE chat_replies SET next_attempt_at = now() + ${CLAIM_SECONDS} * interval '1 second'
      WHERE post_id = (SELECT post_id FROM chat_replies
                        WHERE (state = 'pending' OR change IS NOT NULL) AND next_attempt_at <= now()
                        ORDER BY posted_at, post_id LIMIT 1 FOR UPDATE SKIP LOCKED)
      RETURNING ${COLUMNS}`,
  );
  return rows[0] ? toReply(rows[0]) : null;
}

/**
 * The reply's text changed before its comment was made, or while it may still be edited. A pending
 * reply's comment may be being made right now from the text read before (the create reads, then
 * posts), so once it exists the new text is put too (markReplySent keeps the edit).
 */
export async function changeReplyText(db: Queryable, postId: string, message: string, fileNames: string[]): Promise<'pending' | 'edit' | null> {
  const { rows } = await db.query<{ state: ReplyState }>(
    `UPDATE chat_replies SET message = $2, file_names = $3, updated_at = now(), change = 'edit',
            next_attempt_at = CASE WHEN state = 'sent' THEN now() ELSE next_attempt_at END
      WHERE post_id = $1 AND state IN ('pending', 'sent') AND change IS DISTINCT FROM 'delete' AND message IS DISTINCT FROM $2
      RETURNING state`,
    [postId, message, JSON.stringify(fileNames)],
  );
  const state = rows[0]?.state;
  return state === 'sent' ? 'edit' : state === 'pending' ? 'pending' : null;
}

/**
 * The reply was deleted: a comment not made yet never will be (unless an attempt's answer was lost:
 * then the comment may exist and is looked for and deleted); a comment made is deleted.
 */
export async function markReplyDeleted(db: Queryable, postId: string): Promise<void> {
  await db.query(
    `UPDATE chat_replies SET updated_at = now(), next_attempt_at = now(),
            state = CASE WHEN state = 'pending' AND attempt_started_at IS NULL THEN 'deleted' ELSE state END,
            change = CASE WHEN state = 'sent' OR attempt_started_at IS NOT NULL THEN 'delete' ELSE NULL END
      WHERE post_id = $1 AND state IN ('pending', 'sent')`,
    [postId],
  );
}

export async function markReplyAttemptStarted(db: Queryable, postId: string, gitlabUserId: number): Promise<void> {
  await db.query('UPDATE chat_replies SET attempt_started_at = now(), gitlab_user_id = $2, updated_at = now() WHERE post_id = $1', [postId, gitlabUserId]);
}

/**
 * The comment exists: a change seen while it was being made stays to be done (an edit: it may have
 * been made with the older text; a deletion, also one that came before the attempt was recorded).
 */
export async function markReplySent(db: Queryable, postId: string, noteId: number, gitlabUserId: number): Promise<void> {
  await db.query(
    `UPDATE chat_replies SET state = 'sent', note_id = $2, gitlab_user_id = $3, attempt_started_at = NULL, reason = NULL, updated_at = now(), next_attempt_at = now(),
            change = CASE WHEN change = 'delete' OR state = 'deleted' THEN 'delete' ELSE change END
      WHERE post_id = $1`,
    [postId, noteId, gitlabUserId],
  );
}

/**
 * A change to the comment was made (or needs no doing: the comment is gone). Given the text an edit
 * put, an edit made meanwhile (another text now) stays to be done.
 */
export async function finishReplyChange(db: Queryable, postId: string, change: ReplyChange, appliedMessage?: string): Promise<void> {
  await db.query(
    `UPDATE chat_replies SET change = NULL, reason = NULL, updated_at = now(), next_attempt_at = now(), state = CASE WHEN $2 = 'delete' THEN 'deleted' ELSE state END
      WHERE post_id = $1 AND change = $2 AND ($3::text IS NULL OR $2 = 'delete' OR message = $3)`,
    [postId, change, appliedMessage ?? null],
  );
}

/** Not sent, for a reason a person chose or must fix (not connected, turned off, GitLab refused). */
export async function settleReply(db: Queryable, postId: string, state: 'skipped' | 'failed' | 'deleted', reason: string): Promise<void> {
  // What was not sent (the person is not connected, or keeps replies in chat) is not kept either.
  await db.query(
    `UPDATE chat_replies SET state = $2, change = NULL, reason = $3, attempt_started_at = NULL, updated_at = now(),
            message = CASE WHEN $2 = 'skipped' THEN '' ELSE message END, file_names = CASE WHEN $2 = 'skipped' THEN '[]'::jsonb ELSE file_names END
      WHERE post_id = $1`,
    [postId, state, reason],
  );
}

/** A change that could not be made, given up (the comment is left as it is). */
export async function dropReplyChange(db: Queryable, postId: string, reason: string): Promise<void> {
  await db.query('UPDATE chat_replies SET change = NULL, reason = $2, updated_at = now(), next_attempt_at = now() WHERE post_id = $1', [postId, reason]);
}

export async function retryReplyLater(db: Queryable, postId: string, delayMs: number, reason: string): Promise<void> {
  await db.query(`UPDATE chat_replies SET attempts = attempts + 1, next_attempt_at = now() + $2::double precision * interval '1 millisecond', reason = $3, updated_at = now() WHERE post_id = $1`, [postId, delayMs, reason]);
}

/**
 * The Mattermost channel a comment the bridge made came from (its Note Hook is not posted back there).
 * Only on the instance the hook came from: another instance's note of the same id is someone else's.
 */
export async function replyOriginOfNote(db: Queryable, instance: string, noteId: number): Promise<string | null> {
  const { rows } = await db.query<{ channel_id: string }>('SELECT channel_id FROM chat_replies WHERE instance = $1 AND note_id = $2', [instance, noteId]);
  return rows[0]?.channel_id ?? null;
}

/**
 * The same, for a Note Hook that arrives before the comment's id was recorded: the footer names the
 * Mattermost post, and the note's author must be the person whose reply it was.
 */
export async function replyOriginOfPost(db: Queryable, instance: string, postId: string, gitlabUserId: number): Promise<string | null> {
  // GitLab user ids, too, are per instance.
  const { rows } = await db.query<{ channel_id: string }>(
    "SELECT channel_id FROM chat_replies WHERE instance = $1 AND post_id = $2 AND gitlab_user_id = $3 AND state IN ('pending', 'sent')",
    [instance, postId, gitlabUserId],
  );
  return rows[0]?.channel_id ?? null;
}

/**
 * Whether a reply may go to GitLab now: its channel's subscription still sends replies, and the
 * person has not turned theirs off (`/gitlab settings replies off`; no row means on).
 */
export async function replySwitches(db: Queryable, subscriptionId: string | null, userId: string): Promise<{ channel: boolean; person: boolean }> {
  const { rows } = await db.query<{ channel: boolean | null; person: boolean | null }>(
    `SELECT (SELECT sync_replies FROM subscriptions WHERE id = $1) AS channel,
            (SELECT sync_replies FROM notification_settings WHERE mattermost_user_id = $2) AS person`,
    [subscriptionId, userId],
  );
  return { channel: rows[0]?.channel === true, person: rows[0]?.person !== false };
}

/** GitLab usernames of connected people on one instance (the thread's), by Mattermost user id. */
export async function gitlabUsernamesOf(db: Queryable, mattermostUserIds: string[], instance = 'default'): Promise<Map<string, string>> {
  if (mattermostUserIds.length === 0) return new Map();
  const { rows } = await db.query<{ mattermost_user_id: string; gitlab_username: string }>(
    'SELECT mattermost_user_id, gitlab_username FROM gitlab_accounts WHERE mattermost_user_id = ANY($1) AND disconnected_at IS NULL AND instance = $2',
    [mattermostUserIds, instance],
  );
  return new Map(rows.map((row) => [row.mattermost_user_id, row.gitlab_username]));
}

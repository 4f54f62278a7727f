/**
 * Reactions on thread roots and the award emoji they became (migration 0021).
 * One row per (post, person, emoji): adding, removing and adding again moves
 * the row between states, so a reaction seen twice awards once.
 */
import { unscopeKey } from '../gitlab/instances.js';
import type { Queryable } from './queryable.js';

export type ReactionState = 'pending' | 'awarded' | 'removing' | 'removed' | 'skipped' | 'failed';

/** A reaction as seen in Mattermost, with the award name it maps to. */
/** A reaction with what became of it in GitLab. */
export interface ChatReactionRow extends NewReaction {
  state: ReactionState;
  awardId: number | null;
  attempts: number;
}

interface Row {
  post_id: string;
  mattermost_user_id: string;
  emoji_name: string;
  channel_id: string;
  thread_key: string;
  award_name: string;
  state: ReactionState;
  award_id: string | null;
  attempts: number;
}

const COLUMNS = 'post_id, mattermost_user_id, emoji_name, channel_id, thread_key, award_name, state, award_id, attempts';
const toReaction = (row: Row): ChatReactionRow => ({
  postId: row.post_id,
  userId: row.mattermost_user_id,
  emojiName: row.emoji_name,
  channelId: row.channel_id,
  threadKey: row.thread_key,
  awardName: row.award_name,
  state: row.state,
  awardId: row.award_id === null ? null : Number(row.award_id),
  attempts: row.attempts,
});

export interface NewReaction {
  postId: string;
  userId: string;
  emojiName: string;
  channelId: string;
  threadKey: string;
  awardName: string;
}

/**
 * A reaction is there: award it, or keep the award a removal was about to take back. It belongs to the
 * instance its thread's key names (migration 0027): the award's id is only unique on that instance.
 */
export async function recordReaction(db: Queryable, reaction: NewReaction): Promise<void> {
  await db.query(
    `INSERT INTO chat_reactions (post_id, mattermost_user_id, emoji_name, channel_id, thread_key, award_name, instance)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (post_id, mattermost_user_id, emoji_name) DO UPDATE SET
       state = CASE WHEN chat_reactions.state = 'removing' THEN 'awarded'
                    WHEN chat_reactions.state IN ('removed', 'skipped', 'failed') THEN 'pending' ELSE chat_reactions.state END,
       attempts = CASE WHEN chat_reactions.state IN ('removed', 'skipped', 'failed') THEN 0 ELSE chat_reactions.attempts END,
       next_attempt_at = now(), updated_at = now()`,
    [reaction.postId, reaction.userId, reaction.emojiName, reaction.channelId, reaction.threadKey, reaction.awardName, unscopeKey(reaction.threadKey).instance],
  );
}

/** The reaction is gone: its award is taken back (one not made yet never is). */
export async function recordReactionRemoved(db: Queryable, postId: string, userId: string, emojiName: string): Promise<void> {
  await db.query(
    `UPDATE chat_reactions SET next_attempt_at = now(), updated_at = now(),
            state = CASE WHEN state = 'awarded' THEN 'removing' WHEN state = 'pending' THEN 'removed' ELSE state END
      WHERE post_id = $1 AND mattermost_user_id = $2 AND emoji_name = $3`,
    [postId, userId, emojiName],
  );
}

/** The reactions on a root the bridge counts as present (awarded, or about to be). */
export async function presentReactions(db: Queryable, postId: string): Promise<{ userId: string; emojiName: string }[]> {
  const { rows } = await db.query<{ mattermost_user_id: string; emoji_name: string }>(
    "SELECT mattermost_user_id, emoji_name FROM chat_reactions WHERE post_id = $1 AND state IN ('pending', 'awarded')",
    [postId],
  );
  return rows.map((row) => ({ userId: row.mattermost_user_id, emojiName: row.emoji_name }));
}

/** Claims the reaction due longest, as nextDueReply does (chat-replies.ts): a second sender leaves it alone for a while. */
export async function nextDueReaction(db: Queryable): Promise<ChatReactionRow | null> {
  const { rows } = await db.query<Row>(
    `UPDATE chat_reactions SET next_attempt_at = now() + interval '120 seconds'
      WHERE (post_id, mattermost_user_id, emoji_name) = (
        SELECT post_id, mattermost_user_id, emoji_name FROM chat_reactions
         WHERE state IN ('pending', 'removing') AND next_attempt_at <= now() ORDER BY updated_at LIMIT 1 FOR UPDATE SKIP LOCKED)
      RETURNING ${COLUMNS}`,
  );
  return rows[0] ? toReaction(rows[0]) : null;
}

/** Claimed before the award is asked for, so its Emoji Hook is known for the bridge's own even before the answer. */
export async function markAwardStarted(db: Queryable, reaction: ChatReactionRow, gitlabUserId: number): Promise<void> {
  await db.query(
    'UPDATE chat_reactions SET gitlab_user_id = $4, updated_at = now() WHERE post_id = $1 AND mattermost_user_id = $2 AND emoji_name = $3',
    [reaction.postId, reaction.userId, reaction.emojiName, gitlabUserId],
  );
}

/** Awarded; if the reaction went meanwhile, the award is now to be taken back. */
export async function markAwarded(db: Queryable, reaction: ChatReactionRow, awardId: number): Promise<void> {
  await db.query(
    `UPDATE chat_reactions SET award_id = $4, reason = NULL, updated_at = now(), next_attempt_at = now(),
            state = CASE WHEN state = 'removed' THEN 'removing' ELSE 'awarded' END
      WHERE post_id = $1 AND mattermost_user_id = $2 AND emoji_name = $3`,
    [reaction.postId, reaction.userId, reaction.emojiName, awardId],
  );
}

/** The award was taken back; if the reaction came back meanwhile, it is awarded again. */
export async function markAwardRemoved(db: Queryable, reaction: ChatReactionRow): Promise<void> {
  await db.query(
    `UPDATE chat_reactions SET award_id = NULL, reason = NULL, updated_at = now(), next_attempt_at = now(),
            state = CASE WHEN state = 'awarded' THEN 'pending' ELSE 'removed' END
      WHERE post_id = $1 AND mattermost_user_id = $2 AND emoji_name = $3`,
    [reaction.postId, reaction.userId, reaction.emojiName],
  );
}

export async function settleReaction(db: Queryable, reaction: ChatReactionRow, state: 'skipped' | 'failed', reason: string): Promise<void> {
  await db.query(
    'UPDATE chat_reactions SET state = $4, reason = $5, updated_at = now() WHERE post_id = $1 AND mattermost_user_id = $2 AND emoji_name = $3',
    [reaction.postId, reaction.userId, reaction.emojiName, state, reason],
  );
}

export async function retryReactionLater(db: Queryable, reaction: ChatReactionRow, delayMs: number, reason: string): Promise<void> {
  await db.query(
    `UPDATE chat_reactions SET attempts = attempts + 1, next_attempt_at = now() + $4::double precision * interval '1 millisecond', reason = $5, updated_at = now()
      WHERE post_id = $1 AND mattermost_user_id = $2 AND emoji_name = $3`,
    [reaction.postId, reaction.userId, reaction.emojiName, delayMs, reason],
  );
}

/**
 * The Mattermost channel an award the bridge made (or took back) came from: by the award's id, or,
 * for an Emoji Hook that arrives before the id was recorded, by who awarded what on which object lately.
 * Only on the instance the hook came from: another instance's award of the same id is someone else's.
 */
export async function reactionOriginOfAward(
  db: Queryable,
  award: { instance: string; id: number | null; threadKey: string; gitlabUserId: number | null; name: string },
): Promise<string | null> {
  const { rows } = await db.query<{ channel_id: string }>(
    `SELECT channel_id FROM chat_reactions
      WHERE instance = $5
        AND (award_id = $1
             OR (thread_key = $2 AND gitlab_user_id = $3 AND award_name = $4 AND updated_at > now() - interval '10 minutes'))
      ORDER BY (award_id = $1) DESC NULLS LAST LIMIT 1`,
    [award.id, award.threadKey, award.gitlabUserId, award.name, award.instance],
  );
  return rows[0]?.channel_id ?? null;
}

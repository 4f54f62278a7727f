/** The channel outbox and its thread roots (migrations 0004, 0019, 0020, 0021). */
import type { PlannedPost } from '../delivery/plan-posts.js';
import type { ButtonSpec } from '../actions/button-spec.js';
import type { Queryable } from './queryable.js';

export interface OutboxRow {
  id: string;
  channel_id: string;
  subscription_id: string | null;
  message: string;
  thread_key: string | null;
  thread_status: string | null;
  confidential: boolean;
  /** Never posted while the channel is public (PlannedPost.needsPrivateChannel; migration 0019). */
  needs_private_channel: boolean;
  /** The post's own buttons and its thread's (migration 0020): unsigned, signed when posted. */
  buttons: ButtonSpec | null;
  thread_buttons: ButtonSpec | null;
  /** Replies in the thread go to GitLab, so its root says so (PlannedPost.syncReplies; migration 0021). */
  sync_replies: boolean;
  attempts: number;
  attempt_started_at: Date | null;
  created_at: Date;
}

/** Queues posts in the given order; a post already queued for the same (event, channel) is left as it is. */
export async function enqueuePosts(db: Queryable, queued: readonly { deliveryId: string; post: PlannedPost }[]): Promise<number> {
  if (queued.length === 0) return 0;
  const posts = queued.map(({ post }) => post);
  const result = await db.query({
    name: 'channel-outbox-enqueue',
    text: `INSERT INTO channel_outbox (event_key, channel_id, subscription_id, delivery_id, message, thread_key, thread_status, confidential, needs_private_channel,
                                 buttons, thread_buttons, sync_replies)
     SELECT event_key, channel_id, subscription_id, delivery_id, message, thread_key, thread_status, confidential, needs_private_channel,
            buttons::jsonb, thread_buttons::jsonb, sync_replies
     FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::boolean[], $9::boolean[], $10::text[], $11::text[], $12::boolean[])
          WITH ORDINALITY AS queued (event_key, channel_id, subscription_id, delivery_id, message, thread_key, thread_status, confidential, needs_private_channel,
                                     buttons, thread_buttons, sync_replies, position)
     ORDER BY position
     ON CONFLICT (event_key, channel_id) DO NOTHING`,
    values: [
      posts.map((post) => post.eventKey),
      posts.map((post) => post.channelId),
      posts.map((post) => post.subscriptionId),
      queued.map(({ deliveryId }) => deliveryId),
      posts.map((post) => post.message),
      posts.map((post) => post.threadKey),
      posts.map((post) => post.threadStatus),
      posts.map((post) => post.confidential),
      posts.map((post) => post.needsPrivateChannel),
      posts.map((post) => (post.buttons ? JSON.stringify(post.buttons) : null)),
      posts.map((post) => (post.threadButtons ? JSON.stringify(post.threadButtons) : null)),
      posts.map((post) => post.syncReplies),
    ],
  });
  return result.rowCount ?? 0;
}

/** Channels whose oldest pending post is due, most overdue first; and when the next one will be. */
export async function dueChannels(db: Queryable, limit: number): Promise<{ due: string[]; nextAt: Date | null }> {
  const result = await db.query<{ channel_id: string; next_attempt_at: Date; due: boolean }>({
    name: 'channel-outbox-due',
    text: `SELECT channel_id, next_attempt_at, next_attempt_at <= now() AS due FROM (
             SELECT DISTINCT ON (channel_id) channel_id, next_attempt_at FROM channel_outbox
             WHERE state = 'pending' ORDER BY channel_id, id
           ) heads ORDER BY next_attempt_at LIMIT $1`,
    values: [limit],
  });
  const due = result.rows.filter((row) => row.due).map((row) => row.channel_id);
  const waiting = result.rows.find((row) => !row.due);
  return { due, nextAt: waiting?.next_attempt_at ?? null };
}

/** A channel's next post, with its thread's root as it is now (findThreadRoot, read in the same statement). */
export interface PendingPost extends OutboxRow {
  due: boolean;
  /** Whether another post of the channel is pending behind this one. */
  more: boolean;
  root_post_id: string | null;
  root_message: string | null;
}

export async function oldestPending(db: Queryable, channelId: string): Promise<PendingPost | null> {
  const result = await db.query<PendingPost>({
    name: 'channel-outbox-oldest',
    text: `SELECT o.id, o.channel_id, o.subscription_id, o.message, o.thread_key, o.thread_status, o.confidential, o.needs_private_channel, o.buttons,
                  o.thread_buttons, o.sync_replies, o.attempts, o.attempt_started_at, o.created_at, o.next_attempt_at <= now() AS due,
                  EXISTS (SELECT 1 FROM channel_outbox n WHERE n.channel_id = o.channel_id AND n.state = 'pending' AND n.id > o.id) AS more,
                  t.root_post_id, t.root_message
             FROM (SELECT * FROM channel_outbox WHERE channel_id = $1 AND state = 'pending' ORDER BY id LIMIT 1) o
             LEFT JOIN channel_threads t ON t.channel_id = o.channel_id AND t.thread_key = o.thread_key`,
    values: [channelId],
  });
  return result.rows[0] ?? null;
}

/** Recorded (and committed) before the call, so a crash leaves "outcome unknown" behind. */
export async function markAttemptStarted(db: Queryable, id: string): Promise<void> {
  await db.query({ name: 'channel-outbox-attempt', text: 'UPDATE channel_outbox SET attempt_started_at = now(), attempts = attempts + 1 WHERE id = $1', values: [id] });
}

export async function markSent(db: Queryable, id: string, postId: string): Promise<void> {
  await db.query({ name: 'channel-outbox-sent', text: "UPDATE channel_outbox SET state = 'sent', post_id = $2, sent_at = now(), last_error = NULL WHERE id = $1", values: [id, postId] });
}

/** Saves a thread's root (saveThreadRoot, markSentAsThreadRoot), from the placeholders of the values given. */
function upsertThreadRoot(channelId: string, threadKey: string, postId: string, message: string, repliesShown: string, subscriptionId: string): string {
  return `INSERT INTO channel_threads (channel_id, thread_key, root_post_id, root_message, replies_since, subscription_id)
          VALUES (${channelId}, ${threadKey}, ${postId}, ${message}, CASE WHEN ${repliesShown} THEN now() END, ${subscriptionId})
          ON CONFLICT (channel_id, thread_key) DO UPDATE SET root_post_id = ${postId}, root_message = ${message},
            replies_since = CASE WHEN ${repliesShown} THEN now() END, subscription_id = ${subscriptionId}, updated_at = now()`;
}

/** markSent for a thread's first post, which saveThreadRoot makes its root, both at once. */
export async function markSentAsThreadRoot(
  db: Queryable,
  id: string,
  postId: string,
  root: { channelId: string; threadKey: string; message: string; notice: RootNotice },
): Promise<void> {
  await db.query({
    name: 'channel-outbox-sent-as-root',
    text: `WITH root AS (${upsertThreadRoot('$3', '$4', '$2', '$5', '$6', '$7')})
           UPDATE channel_outbox SET state = 'sent', post_id = $2, sent_at = now(), last_error = NULL WHERE id = $1`,
    values: [id, postId, root.channelId, root.threadKey, root.message, root.notice.repliesShown, root.notice.subscriptionId],
  });
}

export async function markRetry(db: Queryable, id: string, delayMs: number, uncertain: boolean, error: string): Promise<void> {
  await db.query(
    `UPDATE channel_outbox SET next_attempt_at = now() + $2 * interval '1 millisecond', last_error = $3,
            attempt_started_at = CASE WHEN $4 THEN attempt_started_at ELSE NULL END
     WHERE id = $1`,
    [id, delayMs, error, uncertain],
  );
}

export async function markFailed(db: Queryable, id: string, error: string): Promise<void> {
  await db.query("UPDATE channel_outbox SET state = 'failed', last_error = $2 WHERE id = $1", [id, error]);
}

export async function findThreadRoot(db: Queryable, channelId: string, threadKey: string): Promise<{ postId: string; message: string } | null> {
  const result = await db.query<{ root_post_id: string; root_message: string }>({
    name: 'channel-threads-root',
    text: 'SELECT root_post_id, root_message FROM channel_threads WHERE channel_id = $1 AND thread_key = $2',
    values: [channelId, threadKey],
  });
  const row = result.rows[0];
  return row ? { postId: row.root_post_id, message: row.root_message } : null;
}

/** How a thread's root was drawn: whether it said that replies go to GitLab, and for which subscription. */
export interface RootNotice {
  repliesShown: boolean;
  subscriptionId: string | null;
}

/**
 * `message` is the root's own text, without the replies line (render/replies-notice.ts adds it when
 * drawing); `replies_since` is when the root started saying that replies go to GitLab.
 */
export async function saveThreadRoot(
  db: Queryable,
  channelId: string,
  threadKey: string,
  postId: string,
  message: string,
  notice: RootNotice = { repliesShown: false, subscriptionId: null },
): Promise<void> {
  await db.query({
    name: 'channel-threads-save-root',
    text: upsertThreadRoot('$1', '$2', '$3', '$4', '$5', '$6'),
    values: [channelId, threadKey, postId, message, notice.repliesShown, notice.subscriptionId],
  });
}

/**
 * After the root was redrawn: it says that replies go to GitLab since it first did (kept across
 * redraws), or no longer says it (null). Only while `rootPostId` is still the thread's root.
 */
export async function recordRootNotice(db: Queryable, channelId: string, threadKey: string, rootPostId: string, notice: RootNotice): Promise<void> {
  await db.query(
    `UPDATE channel_threads SET replies_since = CASE WHEN $4 THEN coalesce(replies_since, now()) END, subscription_id = coalesce($5, subscription_id), updated_at = now()
     WHERE channel_id = $1 AND thread_key = $2 AND root_post_id = $3`,
    [channelId, threadKey, rootPostId, notice.repliesShown, notice.subscriptionId],
  );
}

/** A bridge thread, by the Mattermost post at its root: for replies and reactions seen in Mattermost. */
export interface BridgeThread {
  channelId: string;
  threadKey: string;
  rootPostId: string;
  /** Since when the root has said that replies go to GitLab; null: it does not say so, and no reply is sent. */
  repliesSince: Date | null;
  /** The subscription that drew the root last (null: deleted since, or a root made before migration 0021). */
  subscriptionId: string | null;
}

export async function findThreadByRoot(db: Queryable, rootPostId: string): Promise<BridgeThread | null> {
  const { rows } = await db.query<{ channel_id: string; thread_key: string; root_post_id: string; replies_since: Date | null; subscription_id: string | null }>(
    'SELECT channel_id, thread_key, root_post_id, replies_since, subscription_id FROM channel_threads WHERE root_post_id = $1 LIMIT 1',
    [rootPostId],
  );
  const row = rows[0];
  return row ? { channelId: row.channel_id, threadKey: row.thread_key, rootPostId: row.root_post_id, repliesSince: row.replies_since, subscriptionId: row.subscription_id } : null;
}

export async function forgetThreadRoot(db: Queryable, channelId: string, threadKey: string): Promise<void> {
  await db.query('DELETE FROM channel_threads WHERE channel_id = $1 AND thread_key = $2', [channelId, threadKey]);
}

/**
 * Queues a post of the bridge's own (not about a GitLab event) for a channel, delivered like
 * any other; `key` makes it once-only (a second call with the same key queues nothing).
 */
export async function enqueueNotice(db: Queryable, notice: { key: string; channelId: string; subscriptionId: string | null; message: string }): Promise<boolean> {
  const result = await db.query(
    'INSERT INTO channel_outbox (event_key, channel_id, subscription_id, message) VALUES ($1, $2, $3, $4) ON CONFLICT (event_key, channel_id) DO NOTHING',
    [notice.key, notice.channelId, notice.subscriptionId, notice.message],
  );
  return result.rowCount === 1;
}

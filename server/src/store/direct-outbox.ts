/** Personal direct messages waiting for delivery, their threads, and what decides them (migration 0011). */
import type { ButtonSpec } from '../actions/button-spec.js';
import type { Queryable } from './queryable.js';

export interface QueuedDirectMessage {
  mattermostUserId: string;
  key: string;
  family: string | null;
  kind: string;
  threadKey: string | null;
  accessProbe: string | null;
  message: string;
  /** What the message's buttons act on (unsigned; signed when sent); null for none. */
  buttons?: ButtonSpec | null;
  /** The channel where what it tells of was written (a reply made the comment): not sent to its members. */
  seenInChannel?: string | null;
}

export interface DirectOutboxRow {
  id: string;
  mattermost_user_id: string;
  kind: string;
  thread_key: string | null;
  access_probe: string | null;
  message: string;
  buttons: ButtonSpec | null;
  seen_in_channel: string | null;
  attempts: number;
  attempt_started_at: Date | null;
  created_at: Date;
}

/** A family member sent this recently makes another unnecessary (GitLab's to-do follows its webhook within minutes). */
const FAMILY_WINDOW = '6 hours';

/**
 * Queues messages; one already queued for the same (user, notification) — or
 * a recent one of the same family — wins. Returns how many were new.
 */
export async function enqueueDirectMessages(db: Queryable, messages: readonly QueuedDirectMessage[]): Promise<number> {
  if (messages.length === 0) return 0;
  const result = await db.query({
    name: 'direct-outbox-enqueue',
    text: `INSERT INTO direct_outbox (mattermost_user_id, notification_key, family, kind, thread_key, access_probe, message, buttons, seen_in_channel)
     SELECT q.user_id, q.key, q.family, q.kind, q.thread_key, q.probe, q.message, q.buttons::jsonb, q.seen_in_channel
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
          WITH ORDINALITY AS q (user_id, key, family, kind, thread_key, probe, message, buttons, seen_in_channel, position)
     WHERE q.family IS NULL OR NOT EXISTS (
       SELECT 1 FROM direct_outbox o WHERE o.mattermost_user_id = q.user_id AND o.family = q.family AND o.created_at > now() - interval '${FAMILY_WINDOW}')
     ORDER BY q.position
     ON CONFLICT (mattermost_user_id, notification_key) DO NOTHING`,
    values: [
      messages.map((message) => message.mattermostUserId),
      messages.map((message) => message.key),
      messages.map((message) => message.family),
      messages.map((message) => message.kind),
      messages.map((message) => message.threadKey),
      messages.map((message) => message.accessProbe),
      messages.map((message) => message.message),
      messages.map((message) => (message.buttons ? JSON.stringify(message.buttons) : null)),
      messages.map((message) => message.seenInChannel ?? null),
    ],
  });
  return result.rowCount ?? 0;
}

/** Whether any of these notifications was already queued for the user (by any path). */
export async function knownNotificationKeys(db: Queryable, userId: string, keys: string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const { rows } = await db.query<{ notification_key: string }>(
    'SELECT notification_key FROM direct_outbox WHERE mattermost_user_id = $1 AND notification_key = ANY($2::text[])',
    [userId, keys],
  );
  return new Set(rows.map((row) => row.notification_key));
}

/** Users whose oldest pending message is due, most overdue first; and when the next one will be. */
export async function dueRecipients(db: Queryable, limit: number): Promise<{ due: string[]; nextAt: Date | null }> {
  const { rows } = await db.query<{ mattermost_user_id: string; next_attempt_at: Date; due: boolean }>(
    `SELECT mattermost_user_id, next_attempt_at, next_attempt_at <= now() AS due FROM (
       SELECT DISTINCT ON (mattermost_user_id) mattermost_user_id, next_attempt_at FROM direct_outbox
       WHERE state = 'pending' ORDER BY mattermost_user_id, id
     ) heads ORDER BY next_attempt_at LIMIT $1`,
    [limit],
  );
  return { due: rows.filter((row) => row.due).map((row) => row.mattermost_user_id), nextAt: rows.find((row) => !row.due)?.next_attempt_at ?? null };
}

export async function oldestPendingDirect(db: Queryable, userId: string): Promise<(DirectOutboxRow & { due: boolean }) | null> {
  const { rows } = await db.query<DirectOutboxRow & { due: boolean }>(
    `SELECT id, mattermost_user_id, kind, thread_key, access_probe, message, buttons, seen_in_channel, attempts, attempt_started_at, created_at, next_attempt_at <= now() AS due
     FROM direct_outbox WHERE mattermost_user_id = $1 AND state = 'pending' ORDER BY id LIMIT 1`,
    [userId],
  );
  return rows[0] ?? null;
}

export async function markDirectAttemptStarted(db: Queryable, id: string): Promise<void> {
  await db.query('UPDATE direct_outbox SET attempt_started_at = now(), attempts = attempts + 1 WHERE id = $1', [id]);
}

export async function markDirectSent(db: Queryable, id: string, postId: string): Promise<void> {
  await db.query(`UPDATE direct_outbox SET state = 'sent', post_id = $2, sent_at = now(), last_error = NULL WHERE id = $1`, [id, postId]);
}

export async function markDirectRetry(db: Queryable, id: string, delayMs: number, uncertain: boolean, error: string): Promise<void> {
  await db.query(
    `UPDATE direct_outbox SET next_attempt_at = now() + $2 * interval '1 millisecond', last_error = $3,
       attempt_started_at = CASE WHEN $4 THEN attempt_started_at END WHERE id = $1`,
    [id, delayMs, error.slice(0, 1000), uncertain],
  );
}

/** Not sent, for good: `skipped` (the recipient may not see it) or `failed`. */
export async function markDirectDone(db: Queryable, id: string, state: 'skipped' | 'failed', reason: string): Promise<void> {
  await db.query('UPDATE direct_outbox SET state = $2, last_error = $3 WHERE id = $1', [id, state, reason.slice(0, 1000)]);
}

export async function findDirectThreadRoot(db: Queryable, userId: string, threadKey: string): Promise<string | null> {
  const { rows } = await db.query<{ root_post_id: string }>('SELECT root_post_id FROM direct_threads WHERE mattermost_user_id = $1 AND thread_key = $2', [userId, threadKey]);
  return rows[0]?.root_post_id ?? null;
}

export async function saveDirectThreadRoot(db: Queryable, userId: string, threadKey: string, postId: string): Promise<void> {
  await db.query(
    `INSERT INTO direct_threads (mattermost_user_id, thread_key, root_post_id) VALUES ($1, $2, $3)
     ON CONFLICT (mattermost_user_id, thread_key) DO UPDATE SET root_post_id = $3, created_at = now()`,
    [userId, threadKey, postId],
  );
}

export async function forgetDirectThreadRoot(db: Queryable, userId: string, threadKey: string): Promise<void> {
  await db.query('DELETE FROM direct_threads WHERE mattermost_user_id = $1 AND thread_key = $2', [userId, threadKey]);
}

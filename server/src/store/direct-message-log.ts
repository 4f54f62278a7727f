/** The last direct message sent to, or failed for, each user (migration 0008). */
import type { Queryable } from './queryable.js';

export interface DirectMessageRecord {
  lastSentAt: Date | null;
  lastSentSummary: string | null;
  lastFailedAt: Date | null;
  lastFailure: string | null;
}

export async function recordDirectMessage(db: Queryable, userId: string, outcome: { sent: string } | { failed: string }): Promise<void> {
  const [at, text] = 'sent' in outcome ? ['last_sent_at', 'last_sent_summary'] : ['last_failed_at', 'last_failure'];
  await db.query(
    `INSERT INTO direct_message_log (mattermost_user_id, ${at}, ${text}) VALUES ($1, now(), $2)
     ON CONFLICT (mattermost_user_id) DO UPDATE SET ${at} = now(), ${text} = $2`,
    [userId, 'sent' in outcome ? outcome.sent : outcome.failed],
  );
}

export async function readDirectMessageRecord(db: Queryable, userId: string): Promise<DirectMessageRecord | null> {
  const { rows } = await db.query<{ last_sent_at: Date | null; last_sent_summary: string | null; last_failed_at: Date | null; last_failure: string | null }>(
    'SELECT last_sent_at, last_sent_summary, last_failed_at, last_failure FROM direct_message_log WHERE mattermost_user_id = $1',
    [userId],
  );
  const row = rows[0];
  return row ? { lastSentAt: row.last_sent_at, lastSentSummary: row.last_sent_summary, lastFailedAt: row.last_failed_at, lastFailure: row.last_failure } : null;
}

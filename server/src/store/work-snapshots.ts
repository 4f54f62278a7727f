/** Each user's work as of their last poll, and the last reminder sent (migrations 0011 and 0029). */
import type pg from 'pg';
import { DEFAULT_INSTANCE } from '../config.js';
import type { WorkSnapshot } from '../gitlab/work-query.js';
import type { Queryable } from './queryable.js';

/**
 * Saves the user's work unless the saved snapshot has this digest already (workDigest): a poll that
 * found the same work writes nothing. True when it was written, i.e. the work changed.
 */
export async function saveWorkSnapshot(db: Queryable, userId: string, snapshot: WorkSnapshot, digest: string, instance: string = DEFAULT_INSTANCE): Promise<boolean> {
  const result = await db.query(
    `INSERT INTO work_snapshots (mattermost_user_id, snapshot, digest, instance) VALUES ($1, $2, $3, $4)
     ON CONFLICT (mattermost_user_id, instance) DO UPDATE SET snapshot = EXCLUDED.snapshot, digest = EXCLUDED.digest, polled_at = now()
     WHERE work_snapshots.digest IS DISTINCT FROM EXCLUDED.digest`,
    [userId, JSON.stringify(snapshot), digest, instance],
  );
  return result.rowCount === 1;
}

/**
 * When the work was last read from GitLab: written then, or found unchanged by the user's last
 * successful poll since (which writes nothing when the work is the same).
 */
const READ_AT = `GREATEST(w.polled_at, (SELECT j.last_success_at FROM poll_jobs j WHERE j.kind = 'user' AND j.instance = w.instance AND j.subject = w.mattermost_user_id))`;

export async function readWorkSnapshot(
  db: Queryable,
  userId: string,
  instance: string = DEFAULT_INSTANCE,
): Promise<{ snapshot: WorkSnapshot; polledAt: Date; reminderDigest: string | null } | null> {
  const { rows } = await db.query<{ snapshot: WorkSnapshot; polled_at: Date; reminder_digest: string | null }>(
    `SELECT w.snapshot, ${READ_AT} AS polled_at, w.reminder_digest FROM work_snapshots w WHERE w.mattermost_user_id = $1 AND w.instance = $2`,
    [userId, instance],
  );
  const row = rows[0];
  return row ? { snapshot: row.snapshot, polledAt: row.polled_at, reminderDigest: row.reminder_digest } : null;
}

/** One instance's saved work of a person, with who they are there. */
export interface InstanceWork {
  instance: string;
  snapshot: WorkSnapshot;
  polledAt: Date;
  reminderDigest: string | null;
  gitlabUsername: string;
}

/**
 * Every instance's saved work of a person, for the instances they are connected to now (a snapshot
 * left from a connection that ended is not theirs to see any more). No particular order.
 */
export async function readWorkSnapshots(db: Queryable, userId: string): Promise<InstanceWork[]> {
  const { rows } = await db.query<{ instance: string; snapshot: WorkSnapshot; polled_at: Date; reminder_digest: string | null; gitlab_username: string }>(
    `SELECT w.instance, w.snapshot, ${READ_AT} AS polled_at, w.reminder_digest, a.gitlab_username
     FROM work_snapshots w JOIN gitlab_accounts a ON a.mattermost_user_id = w.mattermost_user_id AND a.instance = w.instance AND a.disconnected_at IS NULL
     WHERE w.mattermost_user_id = $1`,
    [userId],
  );
  return rows.map((row) => ({ instance: row.instance, snapshot: row.snapshot, polledAt: row.polled_at, reminderDigest: row.reminder_digest, gitlabUsername: row.gitlab_username }));
}

export async function recordReminder(db: Queryable, userId: string, digest: string, instance: string = DEFAULT_INSTANCE): Promise<void> {
  await db.query('UPDATE work_snapshots SET reminder_digest = $2, reminded_at = now() WHERE mattermost_user_id = $1 AND instance = $3', [userId, digest, instance]);
}

/**
 * Changes the saved snapshot under a row lock (a poll saving at the same time
 * waits, or wins and is changed after): `change` answers the new snapshot, or
 * null to leave it as it is. `announce` runs in the same transaction, so what
 * it publishes goes out only with the change. The snapshot as saved afterwards,
 * or null when the user has none.
 */
export async function changeWorkSnapshot(
  pool: pg.Pool,
  userId: string,
  change: (snapshot: WorkSnapshot) => WorkSnapshot | null,
  announce: (db: Queryable, snapshot: WorkSnapshot) => Promise<void>,
  instance: string = DEFAULT_INSTANCE,
): Promise<WorkSnapshot | null> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<{ snapshot: WorkSnapshot }>('SELECT snapshot FROM work_snapshots WHERE mattermost_user_id = $1 AND instance = $2 FOR UPDATE', [userId, instance]);
    const current = rows[0]?.snapshot ?? null;
    const changed = current ? change(current) : null;
    if (changed) {
      // No digest: the next poll writes what GitLab says, whatever it is (this one was not read from GitLab).
      await client.query('UPDATE work_snapshots SET snapshot = $2, digest = NULL WHERE mattermost_user_id = $1 AND instance = $3', [userId, JSON.stringify(changed), instance]);
      await announce(client, changed);
    }
    await client.query('COMMIT');
    return changed ?? current;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

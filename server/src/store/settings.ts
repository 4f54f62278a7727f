/** Key/value settings shared by every replica. */
import type { Queryable } from './queryable.js';

export async function readSetting<T>(db: Queryable, key: string): Promise<T | undefined> {
  const result = await db.query<{ value: T }>('SELECT value FROM settings WHERE key = $1', [key]);
  return result.rows[0]?.value;
}

/**
 * Stores `value` unless the key already has one, and returns whichever is
 * stored: the first replica to get there wins, the others learn its value.
 */
export async function claimSetting<T>(db: Queryable, key: string, value: T): Promise<T> {
  const result = await db.query<{ value: T }>(
    `WITH inserted AS (
       INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING RETURNING value
     )
     SELECT value FROM inserted UNION ALL SELECT value FROM settings WHERE key = $1 LIMIT 1`,
    [key, JSON.stringify(value)],
  );
  // A replica that raced us committed after our snapshot: its row is visible to a new statement.
  return result.rows[0]?.value ?? ((await readSetting<T>(db, key)) as T);
}

/** Stores `value`, replacing what was there. */
export async function writeSetting<T>(db: Queryable, key: string, value: T): Promise<void> {
  await db.query(
    'INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = $2, updated_at = now()',
    [key, JSON.stringify(value)],
  );
}

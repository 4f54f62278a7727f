/**
 * Recent presses of buttons and submissions of dialogs (migration 0020), so
 * pressing twice does one thing: the first press claims its key for a while (two
 * minutes; a dialog's, as long as the dialog lives); a second one meanwhile gets
 * the first one's answer (or learns that it is still at work) instead of acting
 * again. A press that died leaves its claim to expire. Rows older than a day are
 * pruned (prune.ts).
 */
import type { Queryable } from './queryable.js';

/** Longer than the slowest action takes (a merge: a few GitLab calls of at most 15 s each). */
export const PRESS_WINDOW_SECONDS = 120;

/** For a repeated press: the first one's answer (null while it is still at work) and whose it was. */
export type PressClaim = { first: true; at: string } | { first: false; answer: string | null; by: string | null };

export async function claimPress(db: Queryable, key: string, windowSeconds = PRESS_WINDOW_SECONDS): Promise<PressClaim> {
  // The claim's time as text: to the microsecond, which a JavaScript Date would round away.
  const claimed = await db.query<{ at: string }>(
    `INSERT INTO action_presses (press_key) VALUES ($1)
     ON CONFLICT (press_key) DO UPDATE SET answer = NULL, pressed_at = now()
       WHERE action_presses.pressed_at < now() - $2::int * interval '1 second'
     RETURNING pressed_at::text AS at`,
    [key, windowSeconds],
  );
  if (claimed.rows[0]) return { first: true, at: claimed.rows[0].at };
  const { rows } = await db.query<{ answer: { by?: string; text?: string } | null }>('SELECT answer::jsonb AS answer FROM action_presses WHERE press_key = $1', [key]);
  const answer = rows[0]?.answer ?? null;
  return { first: false, answer: answer?.text ?? null, by: answer?.by ?? null };
}

export async function recordPressAnswer(db: Queryable, key: string, userId: string, text: string): Promise<void> {
  await db.query('UPDATE action_presses SET answer = $2 WHERE press_key = $1', [key, JSON.stringify({ by: userId, text })]);
}

/** A press that changed nothing (refused, or already done) may be tried again at once; only its own claim is released. */
export async function releasePress(db: Queryable, key: string, at: string): Promise<void> {
  await db.query('DELETE FROM action_presses WHERE press_key = $1 AND pressed_at = $2::timestamptz', [key, at]);
}

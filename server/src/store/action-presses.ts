/**
 * Recent presses of buttons and submissions of dialogs (migration 0020), so
 * pressing twice does one thing. The first press claims its key; while it is at
 * work (at most CLAIM_SECONDS: a press that died lets go then), another press is
 * told so. Once it is answered, a repeat is told that answer for a short while
 * (a double click, a second tap) or, for a dialog, for as long as the dialog
 * lives; after that a new press claims the key again and acts on what GitLab
 * says then. Taking a key over is one statement, so of two presses at the same
 * moment one wins. Rows older than a day are pruned (prune.ts).
 */
import type { Queryable } from './queryable.js';

/** Longer than the slowest action takes (a few GitLab calls of at most 15 s each). */
export const CLAIM_SECONDS = 120;
/** How long a button's answer stands for a repeated press: double clicks, a second tap on a phone. */
export const REPLAY_SECONDS = 15;

/** For a repeated press: the first one's answer (null while it is still at work) and whose it was. */
export type PressClaim = { first: true; at: string } | { first: false; answer: string | null; by: string | null };

export async function claimPress(db: Queryable, key: string, replaySeconds = REPLAY_SECONDS): Promise<PressClaim> {
  // The claim's time as text: to the microsecond, which a JavaScript Date would round away.
  const claimed = await db.query<{ at: string }>(
    `INSERT INTO action_presses (press_key) VALUES ($1)
     ON CONFLICT (press_key) DO UPDATE SET answer = NULL, answered_at = NULL, pressed_at = now()
       WHERE (action_presses.answered_at IS NULL AND action_presses.pressed_at < now() - $2::int * interval '1 second')
          OR action_presses.answered_at < now() - $3::int * interval '1 second'
     RETURNING pressed_at::text AS at`,
    [key, CLAIM_SECONDS, replaySeconds],
  );
  if (claimed.rows[0]) return { first: true, at: claimed.rows[0].at };
  const { rows } = await db.query<{ answer: { by?: string; text?: string } | null }>('SELECT answer::jsonb AS answer FROM action_presses WHERE press_key = $1', [key]);
  const answer = rows[0]?.answer ?? null;
  return { first: false, answer: answer?.text ?? null, by: answer?.by ?? null };
}

/** The claim's answer; a claim taken over meanwhile by a later press keeps that press's. */
export async function recordPressAnswer(db: Queryable, key: string, at: string, userId: string, text: string): Promise<void> {
  await db.query('UPDATE action_presses SET answer = $3, answered_at = now() WHERE press_key = $1 AND pressed_at = $2::timestamptz', [key, at, JSON.stringify({ by: userId, text })]);
}

/** A press that changed nothing (refused, or already done) may be tried again at once; only its own claim is released. */
export async function releasePress(db: Queryable, key: string, at: string): Promise<void> {
  await db.query('DELETE FROM action_presses WHERE press_key = $1 AND pressed_at = $2::timestamptz', [key, at]);
}

/** Whatever was claimed or answered under this key is no longer true (the opposite action was done). */
export async function forgetPress(db: Queryable, key: string): Promise<void> {
  await db.query('DELETE FROM action_presses WHERE press_key = $1 AND answered_at IS NOT NULL', [key]);
}

/**
 * The listening replica's word on the Mattermost socket, renewed every few
 * seconds in `settings`, so that any replica can say (in /readyz and
 * `/gitlab status`) whether someone listens and how it goes.
 */
import type { Queryable } from './queryable.js';

const KEY = 'mattermost_stream';

export interface StreamHeartbeat {
  /** Which replica: host name and process id. */
  listener: string;
  phase: string;
  connectedAt: number | null;
  lastEventAt: number | null;
  reconnects: number;
}

export async function writeStreamHeartbeat(db: Queryable, beat: StreamHeartbeat): Promise<void> {
  await db.query('INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = $2, updated_at = now()', [KEY, JSON.stringify(beat)]);
}

/** The last heartbeat and how many milliseconds old it is (by the database's clock). */
export async function readStreamHeartbeat(db: Queryable): Promise<{ beat: StreamHeartbeat; ageMs: number } | null> {
  const { rows } = await db.query<{ value: StreamHeartbeat; age_ms: number }>(
    'SELECT value, (extract(epoch FROM now() - updated_at) * 1000)::float8 AS age_ms FROM settings WHERE key = $1',
    [KEY],
  );
  return rows[0] ? { beat: rows[0].value, ageMs: rows[0].age_ms } : null;
}

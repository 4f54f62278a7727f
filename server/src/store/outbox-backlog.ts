/** Channel posts and DMs waiting to be sent (or retried), for /metrics: each count reads a partial index. */
import type { Queryable } from './queryable.js';

export interface OutboxBacklog {
  channel: number;
  direct: number;
}

export async function countPendingOutbox(db: Queryable): Promise<OutboxBacklog> {
  const { rows } = await db.query<{ channel: string; direct: string }>(
    `SELECT (SELECT count(*) FROM channel_outbox WHERE state = 'pending') AS channel,
            (SELECT count(*) FROM direct_outbox WHERE state = 'pending') AS direct`,
  );
  return { channel: Number(rows[0]!.channel), direct: Number(rows[0]!.direct) };
}

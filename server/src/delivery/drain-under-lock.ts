/**
 * Works off one queue (a channel's posts, a user's direct messages) in order
 * while holding its advisory lock. The lock is session-scoped, so a replica
 * that dies releases it with its connection; another replica holding it makes
 * this a no-op. A `retry` outcome ends the turn: the rest waits its turn.
 */
import type pg from 'pg';

export async function drainUnderLock<Row extends { due: boolean }>(
  pool: pg.Pool,
  lock: { kind: number; key: string; perTurn: number },
  oldest: (db: pg.PoolClient) => Promise<Row | null>,
  deliver: (db: pg.PoolClient, row: Row) => Promise<string>,
): Promise<number> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    const taken = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked', [lock.kind, lock.key]);
    if (!taken.rows[0]?.locked) return 0;
    let attempted = 0;
    try {
      while (attempted < lock.perTurn) {
        const row = await oldest(client);
        if (!row?.due) break;
        attempted++;
        if ((await deliver(client, row)) === 'retry') break;
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [lock.kind, lock.key]);
    }
    return attempted;
  } catch (error) {
    broken = error as Error;
    throw error;
  } finally {
    client.release(broken);
  }
}

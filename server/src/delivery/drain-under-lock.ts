/**
 * Works off one queue (a channel's posts, a user's direct messages) in order
 * while holding its advisory lock, so one replica at a time sends them.
 *
 * The lock lives on the lock session (store/session-locks.ts), not on a pooled
 * connection: each step reads and writes through the pool one short statement
 * at a time, and no connection is held while Mattermost or GitLab is called.
 * A replica that dies releases the lock with its session; another replica
 * holding it makes this a no-op. A `retry` outcome ends the turn (the rest waits
 * its turn), and so does losing the lock: the step in flight finishes (its
 * attempt was recorded first, so whoever takes over looks for its post before
 * posting again), and no further step starts. A row that says no other is
 * pending behind it (`more: false`) ends the turn once delivered, without
 * asking again: whatever is queued meanwhile wakes the workers anew.
 */
import type { Queryable } from '../store/queryable.js';
import type { SessionLocks } from '../store/session-locks.js';

export async function drainUnderLock<Row extends { due: boolean; more?: boolean }>(
  db: Queryable,
  locks: SessionLocks,
  lock: { kind: number; key: string; perTurn: number },
  oldest: (db: Queryable) => Promise<Row | null>,
  deliver: (db: Queryable, row: Row) => Promise<string>,
): Promise<number> {
  const held = await locks.tryLock(lock.kind, lock.key);
  if (!held) return 0;
  let attempted = 0;
  try {
    while (attempted < lock.perTurn && held.held()) {
      const row = await oldest(db);
      if (!row?.due || !held.held()) break;
      attempted++;
      if ((await deliver(db, row)) === 'retry' || row.more === false) break;
    }
  } finally {
    await held.release();
  }
  return attempted;
}

/** The audit table (migration 0006): security-relevant changes, append-only. */
import type { Queryable } from './queryable.js';

export interface AuditEntry {
  actor: string;
  action: string;
  target: string;
  details?: Record<string, unknown>;
}

export async function audit(db: Queryable, entry: AuditEntry): Promise<void> {
  await db.query('INSERT INTO audit_log (actor, action, target, details) VALUES ($1, $2, $3, $4)', [
    entry.actor,
    entry.action,
    entry.target,
    JSON.stringify(entry.details ?? {}),
  ]);
}

/** Channel subscriptions in PostgreSQL (migration 0003). */
import type { RenderStyle, Subscription, SubscriptionFilters } from '../rules/subscription.js';
import type { Queryable } from './queryable.js';

export interface NewSubscription {
  channelId: string;
  teamId?: string | null;
  targetKind: 'project' | 'group';
  targetPath: string;
  targetId?: number | null;
  filters?: SubscriptionFilters;
  style?: RenderStyle;
  threads?: boolean;
  confidential?: boolean;
  privateAccess?: boolean;
  creatorId: string;
}

interface Row {
  id: string;
  channel_id: string;
  target_kind: 'project' | 'group';
  target_path: string;
  target_id: string | null;
  filters: SubscriptionFilters;
  style: RenderStyle;
  threads: boolean;
  confidential: boolean;
  private_access: boolean;
  creator_id: string;
}

const COLUMNS = 'id, channel_id, target_kind, target_path, target_id, filters, style, threads, confidential, private_access, creator_id';

export async function createSubscription(db: Queryable, input: NewSubscription): Promise<Subscription> {
  const result = await db.query<Row>(
    `INSERT INTO subscriptions (channel_id, team_id, target_kind, target_path, target_id, filters, style, threads, confidential, private_access, creator_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     RETURNING ${COLUMNS}`,
    [
      input.channelId,
      input.teamId ?? null,
      input.targetKind,
      normalisePath(input.targetPath),
      input.targetId ?? null,
      JSON.stringify(input.filters ?? {}),
      input.style ?? 'full',
      input.threads ?? true,
      input.confidential ?? false,
      input.privateAccess ?? false,
      input.creatorId,
    ],
  );
  return toSubscription(result.rows[0]!);
}

/**
 * Subscriptions that may cover an event at `paths` (the project's or group's
 * path and each ancestor namespace, see coveringPaths) or, for renamed
 * projects, its id. Index lookups only; the rules decide the rest.
 */
export async function findCandidates(db: Queryable, paths: readonly string[], projectId: number | null): Promise<Subscription[]> {
  const result = await db.query<Row>(
    `SELECT ${COLUMNS} FROM subscriptions WHERE target_path = ANY($1::text[])
     UNION
     SELECT ${COLUMNS} FROM subscriptions WHERE target_kind = 'project' AND target_id = $2
     ORDER BY id`,
    [paths.map(normalisePath), projectId],
  );
  return result.rows.map(toSubscription);
}

export async function recordSubscriptionFailure(db: Queryable, id: string, reason: string): Promise<void> {
  await db.query('UPDATE subscriptions SET last_failure = $2, last_failure_at = now() WHERE id = $1', [id, reason]);
}

function normalisePath(path: string): string {
  return path.trim().replace(/^\/+|\/+$/g, '').toLowerCase();
}

function toSubscription(row: Row): Subscription {
  return {
    id: row.id,
    channelId: row.channel_id,
    targetKind: row.target_kind,
    targetPath: row.target_path,
    targetId: row.target_id === null ? null : Number(row.target_id),
    filters: row.filters,
    style: row.style,
    threads: row.threads,
    confidential: row.confidential,
    privateAccess: row.private_access,
    creatorId: row.creator_id,
  };
}

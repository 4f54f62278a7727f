/** A channel's own subscriptions, for the commands that list and remove them. */
import type { Subscription } from '../rules/subscription.js';
import type { Queryable } from './queryable.js';

export interface ListedSubscription extends Subscription {
  lastFailure: string | null;
  createdAt: Date;
}

export async function listChannelSubscriptions(db: Queryable, channelId: string): Promise<ListedSubscription[]> {
  const { rows } = await db.query<{
    id: string;
    target_kind: 'project' | 'group';
    target_path: string;
    target_id: string | null;
    filters: Subscription['filters'];
    style: Subscription['style'];
    threads: boolean;
    confidential: boolean;
    private_access: boolean;
    creator_id: string;
    last_failure: string | null;
    created_at: Date;
  }>(
    `SELECT id, target_kind, target_path, target_id, filters, style, threads, confidential, private_access, creator_id, last_failure, created_at
     FROM subscriptions WHERE channel_id = $1 ORDER BY target_path, id`,
    [channelId],
  );
  return rows.map((row) => ({
    id: String(row.id),
    channelId,
    targetKind: row.target_kind,
    targetPath: row.target_path,
    targetId: row.target_id === null ? null : Number(row.target_id),
    filters: row.filters,
    style: row.style,
    threads: row.threads,
    confidential: row.confidential,
    privateAccess: row.private_access,
    creatorId: row.creator_id,
    lastFailure: row.last_failure,
    createdAt: row.created_at,
  }));
}

export async function updateSubscriptionSettings(
  db: Queryable,
  id: string,
  settings: Pick<Subscription, 'filters' | 'style' | 'threads' | 'confidential'>,
): Promise<void> {
  await db.query('UPDATE subscriptions SET filters = $2, style = $3, threads = $4, confidential = $5, updated_at = now() WHERE id = $1', [
    id,
    JSON.stringify(settings.filters),
    settings.style,
    settings.threads,
    settings.confidential,
  ]);
}

export async function deleteSubscription(db: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await db.query('DELETE FROM subscriptions WHERE id = $1', [id]);
  return (rowCount ?? 0) > 0;
}

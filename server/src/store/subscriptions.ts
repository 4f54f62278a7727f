/**
 * Channel subscriptions in PostgreSQL (migration 0003). Every change is
 * announced to the webapp (a `subscriptions` live event for the channel) here,
 * where the slash command's and the webapp's changes meet.
 */
import type { RenderStyle, Subscription, SubscriptionFilters } from '../rules/subscription.js';
import { publishLiveEvent } from './live-events.js';
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
  /** Poll the project even when a webhook reaches the bridge. */
  poll?: boolean;
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
    `INSERT INTO subscriptions (channel_id, team_id, target_kind, target_path, target_id, filters, style, threads, confidential, private_access, creator_id, poll)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
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
      input.poll ?? false,
    ],
  );
  await publishLiveEvent(db, { kind: 'subscriptions', channelId: input.channelId });
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

export interface ListedSubscription extends Subscription {
  lastFailure: string | null;
  createdAt: Date;
  /** When a webhook about its project or group last arrived; null before the first. */
  lastEventAt: Date | null;
  /** Added with `--poll`. */
  poll: boolean;
}

/** A channel's own subscriptions, for the commands that list, edit and remove them. */
export async function listChannelSubscriptions(db: Queryable, channelId: string): Promise<ListedSubscription[]> {
  const result = await db.query<Row & { last_failure: string | null; created_at: Date; last_event_at: Date | null; poll: boolean }>(
    `SELECT ${COLUMNS}, last_failure, created_at, last_event_at, poll FROM subscriptions WHERE channel_id = $1 ORDER BY target_path, id`,
    [channelId],
  );
  return result.rows.map((row) => ({ ...toSubscription(row), lastFailure: row.last_failure, createdAt: row.created_at, lastEventAt: row.last_event_at, poll: row.poll }));
}

/** Notes that webhooks reach these subscriptions; at most once a minute each, to keep processing's writes few. */
export async function markEventsArrived(db: Queryable, ids: string[]): Promise<void> {
  await db.query(
    `UPDATE subscriptions SET last_event_at = now()
      WHERE id = ANY($1::bigint[]) AND (last_event_at IS NULL OR last_event_at < now() - interval '1 minute')`,
    [ids],
  );
}

export async function updateSubscriptionSettings(
  db: Queryable,
  id: string,
  settings: Pick<Subscription, 'filters' | 'style' | 'threads' | 'confidential'> & { poll: boolean },
): Promise<void> {
  const { rows } = await db.query<{ channel_id: string }>(
    'UPDATE subscriptions SET filters = $2, style = $3, threads = $4, confidential = $5, poll = $6, updated_at = now() WHERE id = $1 RETURNING channel_id',
    [id, JSON.stringify(settings.filters), settings.style, settings.threads, settings.confidential, settings.poll],
  );
  if (rows[0]) await publishLiveEvent(db, { kind: 'subscriptions', channelId: rows[0].channel_id });
}

export async function deleteSubscription(db: Queryable, id: string): Promise<boolean> {
  const { rows } = await db.query<{ channel_id: string }>('DELETE FROM subscriptions WHERE id = $1 RETURNING channel_id', [id]);
  if (rows[0]) await publishLiveEvent(db, { kind: 'subscriptions', channelId: rows[0].channel_id });
  return rows.length > 0;
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

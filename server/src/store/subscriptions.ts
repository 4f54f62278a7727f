/**
 * Channel subscriptions in PostgreSQL (migration 0003). Every change is
 * announced to the webapp (a `subscriptions` live event for the channel) here,
 * where the slash command's and the webapp's changes meet.
 */
import { DEFAULT_INSTANCE } from '../config.js';
import type { RenderStyle, Subscription, SubscriptionFilters } from '../rules/subscription.js';
import { publishLiveEvent } from './live-events.js';
import type { Queryable } from './queryable.js';

export interface NewSubscription {
  channelId: string;
  /** The GitLab instance the target is on (migration 0022); the default one unless said. */
  instance?: string;
  teamId?: string | null;
  targetKind: 'project' | 'group';
  targetPath: string;
  targetId?: number | null;
  filters?: SubscriptionFilters;
  style?: RenderStyle;
  threads?: boolean;
  buttons?: boolean;
  /** Replies in its threads go to GitLab (migration 0021); off unless said (the add path decides by channel type). */
  syncReplies?: boolean;
  confidential?: boolean;
  /** Who vouches for `confidential` (a connected user with Reporter access); required with it. */
  confidentialBy?: string | null;
  privateAccess?: boolean;
  /** A system admin put a private or internal target into a public channel (`--force`, rules/subscription-rules.ts isForced). */
  forced?: boolean;
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
  buttons: boolean;
  sync_replies: boolean;
  confidential: boolean;
  confidential_by: string | null;
  private_access: boolean;
  forced: boolean;
  creator_id: string;
}

const COLUMNS = 'id, channel_id, target_kind, target_path, target_id, filters, style, threads, buttons, sync_replies, confidential, confidential_by, private_access, forced, creator_id';
/**
 * For delivery: the opt-in counts only while its user is connected (a disconnect
 * also turns it off, see stopConfidential; this holds even if that step was missed).
 */
const LIVE_COLUMNS = COLUMNS.replace(
  'confidential_by',
  // Connected on the subscription's own instance: an account on another GitLab vouches for nothing here.
  `CASE WHEN EXISTS (SELECT 1 FROM gitlab_accounts a WHERE a.mattermost_user_id = confidential_by AND a.instance = subscriptions.instance AND a.disconnected_at IS NULL) THEN confidential_by END AS confidential_by`,
);

export async function createSubscription(db: Queryable, input: NewSubscription): Promise<Subscription> {
  const result = await db.query<Row>(
    `INSERT INTO subscriptions (channel_id, team_id, target_kind, target_path, target_id, filters, style, threads, confidential, private_access, creator_id, poll,
                                confidential_by, confidential_checked_at, forced, buttons, sync_replies, instance)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, CASE WHEN $13::text IS NULL THEN NULL ELSE now() END, $14, $15, $16, $17)
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
      input.confidential ? (input.confidentialBy ?? null) : null,
      input.forced ?? false,
      input.buttons ?? true,
      input.syncReplies ?? false,
      input.instance ?? DEFAULT_INSTANCE,
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
/** Subscriptions of one instance that may want an event of the project at `paths` (its path and namespaces). */
export async function findCandidates(db: Queryable, paths: readonly string[], projectId: number | null, instance: string = DEFAULT_INSTANCE): Promise<Subscription[]> {
  const result = await db.query<Row>({
    // Named: asked for every batch of webhooks, so PostgreSQL plans it once per connection.
    name: 'subscriptions-candidates',
    text: `SELECT ${LIVE_COLUMNS} FROM subscriptions WHERE target_path = ANY($1::text[]) AND instance = $3
           UNION
           SELECT ${LIVE_COLUMNS} FROM subscriptions WHERE target_kind = 'project' AND target_id = $2 AND instance = $3
           ORDER BY id`,
    values: [paths.map(normalisePath), projectId, instance],
  });
  return result.rows.map(toSubscription);
}

export interface ListedSubscription extends Subscription {
  /** The GitLab instance its target is on. */
  instance: string;
  lastFailure: string | null;
  createdAt: Date;
  /** When a webhook about its project or group last arrived; null before the first. */
  lastEventAt: Date | null;
  /** Added with `--poll`. */
  poll: boolean;
  /** Why the bridge last turned `confidential` off by itself (the opt-in's access ended), and when. */
  confidentialStopped: { at: Date; reason: string } | null;
}

type ListedRow = Row & { instance: string; last_failure: string | null; created_at: Date; last_event_at: Date | null; poll: boolean; confidential_stopped_at: Date | null; confidential_stopped_reason: string | null };
const LISTED_EXTRA = 'instance, last_failure, created_at, last_event_at, poll, confidential_stopped_at, confidential_stopped_reason';

function toListed(row: ListedRow): ListedSubscription {
  return {
    ...toSubscription(row),
    instance: row.instance,
    lastFailure: row.last_failure,
    createdAt: row.created_at,
    lastEventAt: row.last_event_at,
    poll: row.poll,
    confidentialStopped: row.confidential_stopped_at && row.confidential_stopped_reason ? { at: row.confidential_stopped_at, reason: row.confidential_stopped_reason } : null,
  };
}

/** A channel's own subscriptions, for the commands that list, edit and remove them. */
export async function listChannelSubscriptions(db: Queryable, channelId: string): Promise<ListedSubscription[]> {
  const result = await db.query<ListedRow>(
    `SELECT ${COLUMNS}, ${LISTED_EXTRA}
       FROM subscriptions WHERE channel_id = $1 ORDER BY target_path, instance = 'default' DESC, instance, id`,
    [channelId],
  );
  return result.rows.map(toListed);
}

/**
 * Every channel's subscriptions on `instance` to `path`, to a group above it, or to anything below it,
 * with the confidential opt-in's voucher as delivery sees it (null once they disconnected): what
 * `subscriptions explain` needs to say who gets what, and who may see what.
 */
export async function listSubscriptionsAround(db: Queryable, path: string, instance: string): Promise<ListedSubscription[]> {
  const lower = normalisePath(path);
  const segments = lower.split('/');
  const above = segments.map((_, index) => segments.slice(0, index + 1).join('/'));
  const result = await db.query<ListedRow>(
    `SELECT ${LIVE_COLUMNS}, ${LISTED_EXTRA} FROM subscriptions
      WHERE instance = $3 AND (target_path = ANY($1::text[]) OR starts_with(target_path, $2))
      ORDER BY channel_id, target_path, id`,
    [above, `${lower}/`, instance],
  );
  return result.rows.map(toListed);
}

/** Notes that webhooks reach these subscriptions; at most once a minute each, to keep processing's writes few. */
/** Whether some subscription of the channel still wants buttons (`--buttons off` on all of them: no). */
export async function channelWantsButtons(db: Queryable, channelId: string): Promise<boolean> {
  const { rows } = await db.query<{ wanted: boolean }>('SELECT EXISTS (SELECT 1 FROM subscriptions WHERE channel_id = $1 AND buttons) AS wanted', [channelId]);
  return rows[0]?.wanted ?? false;
}

export async function markEventsArrived(db: Queryable, ids: string[]): Promise<void> {
  await db.query({
    name: 'subscriptions-events-arrived',
    text: `UPDATE subscriptions SET last_event_at = now()
            WHERE id = ANY($1::bigint[]) AND (last_event_at IS NULL OR last_event_at < now() - interval '1 minute')`,
    values: [ids],
  });
}

/**
 * `optIn`: the user who just turned `confidential` on (checked by the caller). Without one,
 * `confidential: true` only keeps it on if it still is (the re-check may have stopped it
 * since the subscription was read); `false` turns it off and forgets who vouched.
 */
export async function updateSubscriptionSettings(
  db: Queryable,
  id: string,
  settings: Pick<Subscription, 'filters' | 'style' | 'threads' | 'buttons' | 'syncReplies' | 'confidential'> & { poll: boolean },
  optIn: string | null = null,
): Promise<void> {
  const { rows } = await db.query<{ channel_id: string }>(
    `UPDATE subscriptions SET filters = $2, style = $3, threads = $4, poll = $6, buttons = $8, sync_replies = $9, updated_at = now(),
       confidential = CASE WHEN $7::text IS NOT NULL THEN true WHEN $5 THEN confidential ELSE false END,
       confidential_by = CASE WHEN $7::text IS NOT NULL THEN $7 WHEN $5 THEN confidential_by END,
       confidential_checked_at = CASE WHEN $7::text IS NOT NULL THEN now() WHEN $5 THEN confidential_checked_at END,
       confidential_stopped_at = CASE WHEN $7::text IS NOT NULL THEN NULL ELSE confidential_stopped_at END,
       confidential_stopped_reason = CASE WHEN $7::text IS NOT NULL THEN NULL ELSE confidential_stopped_reason END
     WHERE id = $1 RETURNING channel_id`,
    [id, JSON.stringify(settings.filters), settings.style, settings.threads, settings.confidential, settings.poll, settings.confidential ? optIn : null, settings.buttons, settings.syncReplies],
  );
  if (rows[0]) await publishLiveEvent(db, { kind: 'subscriptions', channelId: rows[0].channel_id });
}

/** A subscription that gets confidential content, with who vouches for it; for the daily re-check. */
export interface ConfidentialOptIn {
  id: string;
  channelId: string;
  targetKind: 'project' | 'group';
  targetPath: string;
  targetId: number | null;
  confidentialBy: string | null;
}

/** Only a subscription on `instance`: its opt-in is checked with that GitLab and the person's account there. */
export async function readConfidentialOptIn(db: Queryable, id: string, instance: string = DEFAULT_INSTANCE): Promise<ConfidentialOptIn | null> {
  const { rows } = await db.query<{ id: string; channel_id: string; target_kind: 'project' | 'group'; target_path: string; target_id: string | null; confidential_by: string | null }>(
    'SELECT id, channel_id, target_kind, target_path, target_id, confidential_by FROM subscriptions WHERE id = $1 AND confidential AND instance = $2',
    [id, instance],
  );
  const row = rows[0];
  return row
    ? { id: row.id, channelId: row.channel_id, targetKind: row.target_kind, targetPath: row.target_path, targetId: row.target_id === null ? null : Number(row.target_id), confidentialBy: row.confidential_by }
    : null;
}

/** GitLab confirmed the opt-in's access; false when it changed meanwhile (turned off, or someone else opted in). */
export async function markConfidentialChecked(db: Queryable, id: string, confidentialBy: string): Promise<boolean> {
  const { rowCount } = await db.query('UPDATE subscriptions SET confidential_checked_at = now() WHERE id = $1 AND confidential AND confidential_by = $2', [id, confidentialBy]);
  return (rowCount ?? 0) > 0;
}

/**
 * Turns `confidential` off, keeping why: for one subscription (as long as `confidentialBy` still
 * vouches for it; null matches a subscription nobody vouches for), or every one a user vouches
 * for. Only the rows this call changed come back, so whoever changes a row tells its channel, once.
 */
export async function stopConfidential(
  db: Queryable,
  which: { subscriptionId: string; confidentialBy: string | null } | { confidentialBy: string; instance: string },
  reason: string,
): Promise<{ id: string; channelId: string; targetKind: 'project' | 'group'; targetPath: string }[]> {
  const [where, params] =
    'subscriptionId' in which
      ? ['id = $2 AND confidential_by IS NOT DISTINCT FROM $3', [which.subscriptionId, which.confidentialBy]]
      : ['confidential_by = $2 AND instance = $3', [which.confidentialBy, which.instance]];
  const { rows } = await db.query<{ id: string; channel_id: string; target_kind: 'project' | 'group'; target_path: string }>(
    `UPDATE subscriptions SET confidential = false, confidential_by = NULL, confidential_checked_at = NULL,
       confidential_stopped_at = now(), confidential_stopped_reason = $1, updated_at = now()
     WHERE confidential AND ${where}
     RETURNING id, channel_id, target_kind, target_path`,
    [reason, ...params],
  );
  for (const channelId of new Set(rows.map((row) => row.channel_id))) await publishLiveEvent(db, { kind: 'subscriptions', channelId });
  return rows.map((row) => ({ id: row.id, channelId: row.channel_id, targetKind: row.target_kind, targetPath: row.target_path }));
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
    buttons: row.buttons,
    syncReplies: row.sync_replies,
    confidential: row.confidential,
    confidentialBy: row.confidential_by,
    privateAccess: row.private_access,
    forced: row.forced,
    creatorId: row.creator_id,
  };
}

/** What a subscription follows: its kind, path and (when known) GitLab id; null when it is gone. */
export async function subscriptionTarget(db: Queryable, id: string): Promise<{ instance: string; kind: 'project' | 'group'; path: string; id: number | null } | null> {
  const { rows } = await db.query<{ instance: string; target_kind: 'project' | 'group'; target_path: string; target_id: string | null }>(
    'SELECT instance, target_kind, target_path, target_id FROM subscriptions WHERE id = $1',
    [id],
  );
  const row = rows[0];
  return row ? { instance: row.instance, kind: row.target_kind, path: row.target_path, id: row.target_id === null ? null : Number(row.target_id) } : null;
}

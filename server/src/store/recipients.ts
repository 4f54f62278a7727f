/** Connected users a personal notification may be for, with their settings and mutes, in one query. */
import { DEFAULT_INSTANCE } from '../config.js';
import type { PersonalKind } from '../rules/personal-kinds.js';
import type { Recipient } from '../rules/personal-notifications.js';
import { DEFAULT_SETTINGS } from './notification-settings.js';
import type { Queryable } from './queryable.js';

interface Row {
  mattermost_user_id: string;
  gitlab_user_id: string;
  gitlab_username: string;
  enabled: boolean | null;
  disabled_kinds: string[] | null;
  reminder_enabled: boolean | null;
  reminder_time: string | null;
  reminder_only_when_changed: boolean | null;
  buttons: boolean | null;
  sync_replies: boolean | null;
  muted: string[];
}

const COLUMNS = `a.mattermost_user_id, a.gitlab_user_id, a.gitlab_username, s.enabled, s.disabled_kinds, s.reminder_enabled,
       s.reminder_time::text AS reminder_time, s.reminder_only_when_changed, s.buttons, s.sync_replies,
       COALESCE((SELECT array_agg(m.gitlab_user_id::text) FROM gitlab_mutes m WHERE m.mattermost_user_id = a.mattermost_user_id AND m.instance = a.instance), '{}') AS muted`;
const FROM = 'gitlab_accounts a LEFT JOIN notification_settings s ON s.mattermost_user_id = a.mattermost_user_id';
const SELECT = `SELECT ${COLUMNS} FROM ${FROM} WHERE a.disconnected_at IS NULL`;

/** Live connections whose GitLab id is in `ids` or whose username (case-insensitive) is in `usernames`. */
export async function findRecipients(db: Queryable, people: { ids: number[]; usernames: string[] }, instance: string = DEFAULT_INSTANCE): Promise<Recipient[]> {
  if (people.ids.length === 0 && people.usernames.length === 0) return [];
  const { rows } = await db.query<Row>({
    // Named: asked for most webhooks that name people.
    name: 'recipients-find',
    text: `${SELECT} AND a.instance = $3 AND (a.gitlab_user_id = ANY($1::bigint[]) OR lower(a.gitlab_username) = ANY($2::text[]))`,
    values: [people.ids, people.usernames.map((name) => name.toLowerCase()), instance],
  });
  return rows.map(toRecipient);
}

export async function findRecipient(db: Queryable, mattermostUserId: string, instance: string = DEFAULT_INSTANCE): Promise<Recipient | null> {
  const { rows } = await db.query<Row>(`${SELECT} AND a.mattermost_user_id = $1 AND a.instance = $2`, [mattermostUserId, instance]);
  return rows[0] ? toRecipient(rows[0]) : null;
}

/** A connected user as their poll sees them: the recipient, and what else the poll needs, read in one go. */
export interface PolledRecipient {
  recipient: Recipient;
  /** When they were last seen in Mattermost (or connected): active users are polled more often. */
  seenAt: Date;
  /** The digest of their saved work on the instance (null: none saved, or changed in place since). */
  workDigest: string | null;
}

/** These users as their polls see them, by user; one query for a batch of polls (users not connected are absent). */
export async function findPolledRecipients(db: Queryable, mattermostUserIds: readonly string[], instance: string = DEFAULT_INSTANCE): Promise<Map<string, PolledRecipient>> {
  const { rows } = await db.query<Row & { seen_at: Date; work_digest: string | null }>(
    `SELECT ${COLUMNS}, COALESCE(a.last_active_at, a.connected_at) AS seen_at, w.digest AS work_digest
       FROM ${FROM} LEFT JOIN work_snapshots w ON w.mattermost_user_id = a.mattermost_user_id AND w.instance = a.instance
      WHERE a.disconnected_at IS NULL AND a.mattermost_user_id = ANY($1::text[]) AND a.instance = $2`,
    [mattermostUserIds, instance],
  );
  return new Map(rows.map((row) => [row.mattermost_user_id, { recipient: toRecipient(row), seenAt: row.seen_at, workDigest: row.work_digest }]));
}

function toRecipient(row: Row): Recipient {
  const defaults = DEFAULT_SETTINGS;
  return {
    mattermostUserId: row.mattermost_user_id,
    gitlabUserId: Number(row.gitlab_user_id),
    gitlabUsername: row.gitlab_username.toLowerCase(),
    settings: {
      enabled: row.enabled ?? defaults.enabled,
      disabledKinds: (row.disabled_kinds ?? defaults.disabledKinds) as PersonalKind[],
      reminder: {
        enabled: row.reminder_enabled ?? defaults.reminder.enabled,
        time: row.reminder_time?.slice(0, 5) ?? defaults.reminder.time,
        onlyWhenChanged: row.reminder_only_when_changed ?? defaults.reminder.onlyWhenChanged,
      },
      buttons: row.buttons ?? defaults.buttons,
      syncReplies: row.sync_replies ?? defaults.syncReplies,
    },
    mutedGitLabUserIds: row.muted.map(Number),
  };
}

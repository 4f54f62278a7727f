/** Personal notification settings (migration 0008); a user without a row has the defaults. */
import type { PersonalKind } from '../rules/personal-kinds.js';
import type { Queryable } from './queryable.js';

export interface NotificationSettings {
  /** Master switch for personal direct messages. */
  enabled: boolean;
  disabledKinds: PersonalKind[];
  reminder: { enabled: boolean; /** HH:MM, the user's Mattermost timezone. */ time: string; onlyWhenChanged: boolean };
  /** Buttons (approve, merge, retry…) on their direct messages (migration 0020). */
  buttons: boolean;
  /**
   * Their replies in threads of channels that send replies to GitLab become GitLab comments
   * (migration 0021); off keeps what they write in Mattermost.
   */
  syncReplies: boolean;
}

export const DEFAULT_SETTINGS: NotificationSettings = {
  enabled: true,
  disabledKinds: [],
  reminder: { enabled: true, time: '09:00', onlyWhenChanged: false },
  buttons: true,
  syncReplies: true,
};

interface Row {
  enabled: boolean;
  disabled_kinds: string[];
  reminder_enabled: boolean;
  reminder_time: string;
  reminder_only_when_changed: boolean;
  buttons: boolean;
  sync_replies: boolean;
}

export async function readNotificationSettings(db: Queryable, userId: string): Promise<NotificationSettings> {
  const { rows } = await db.query<Row>('SELECT * FROM notification_settings WHERE mattermost_user_id = $1', [userId]);
  const row = rows[0];
  if (!row) return DEFAULT_SETTINGS;
  return {
    enabled: row.enabled,
    disabledKinds: row.disabled_kinds as PersonalKind[],
    reminder: { enabled: row.reminder_enabled, time: row.reminder_time.slice(0, 5), onlyWhenChanged: row.reminder_only_when_changed },
    buttons: row.buttons,
    syncReplies: row.sync_replies,
  };
}

export async function saveNotificationSettings(db: Queryable, userId: string, settings: NotificationSettings): Promise<void> {
  await db.query(
    `INSERT INTO notification_settings (mattermost_user_id, enabled, disabled_kinds, reminder_enabled, reminder_time, reminder_only_when_changed, buttons, sync_replies)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (mattermost_user_id) DO UPDATE SET enabled = $2, disabled_kinds = $3, reminder_enabled = $4, reminder_time = $5,
       reminder_only_when_changed = $6, buttons = $7, sync_replies = $8, updated_at = now()`,
    [userId, settings.enabled, [...new Set(settings.disabledKinds)].sort(), settings.reminder.enabled, settings.reminder.time, settings.reminder.onlyWhenChanged, settings.buttons, settings.syncReplies],
  );
}

/**
 * A channel's own choices, apart from any one subscription (`channel_settings`, migration 0021).
 * A channel without a row has the defaults; every change is audited here, where all paths meet.
 */
import { audit } from './audit-log.js';
import type { Queryable } from './queryable.js';

export interface ChannelSettings {
  /**
   * The bot replies in the thread with the code of GitLab code links posted in the channel (for
   * mobile: the webapp shows them itself), when everyone in the channel may read that code.
   */
  codePreviews: boolean;
}

export const DEFAULT_CHANNEL_SETTINGS: ChannelSettings = { codePreviews: false };

export async function readChannelSettings(db: Queryable, channelId: string): Promise<ChannelSettings> {
  const { rows } = await db.query<{ code_previews: boolean }>('SELECT code_previews FROM channel_settings WHERE channel_id = $1', [channelId]);
  const row = rows[0];
  return row ? { codePreviews: row.code_previews } : { ...DEFAULT_CHANNEL_SETTINGS };
}

/**
 * Applies `changes` (what they leave out is kept) for `userId`, who must already have been found
 * allowed (commands/settings.ts asks who manages the channel), and audits it.
 */
export async function changeChannelSettings(db: Queryable, channelId: string, changes: Partial<ChannelSettings>, userId: string): Promise<ChannelSettings> {
  const { rows } = await db.query<{ code_previews: boolean }>(
    `INSERT INTO channel_settings AS s (channel_id, code_previews, updated_by) VALUES ($1, coalesce($2, false), $3)
     ON CONFLICT (channel_id) DO UPDATE SET code_previews = coalesce($2, s.code_previews), updated_by = $3, updated_at = now()
     RETURNING code_previews`,
    [channelId, changes.codePreviews ?? null, userId],
  );
  const settings: ChannelSettings = { codePreviews: rows[0]!.code_previews };
  await audit(db, { actor: userId, action: 'channel.settings_changed', target: `channel:${channelId}`, details: { changes, settings } });
  return settings;
}

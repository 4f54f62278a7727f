/** What `import official-plugin` did before (migration 0026): which channels' paths it handled, whom it asked to connect. */
import type { Queryable } from './queryable.js';

export interface ImportRecord {
  instance: string;
  channelId: string;
  targetKind: 'project' | 'group';
  targetPath: string;
}

/** The channel-and-path pairs handled before, as `kind:path@channel` keys (importKey). */
export async function readImported(db: Queryable, instance: string): Promise<Set<string>> {
  const { rows } = await db.query<{ channel_id: string; target_kind: 'project' | 'group'; target_path: string }>(
    'SELECT channel_id, target_kind, target_path FROM official_plugin_imports WHERE instance = $1',
    [instance],
  );
  return new Set(rows.map((row) => importKey(row.channel_id, row.target_kind, row.target_path)));
}

export const importKey = (channelId: string, kind: 'project' | 'group', path: string): string => `${kind}:${path}@${channelId}`;

/** False when another run recorded it first (then that run made or told it). */
export async function recordImport(db: Queryable, record: ImportRecord & { outcome: 'created' | 'pending'; subscriptionId: string | null; importedBy: string }): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO official_plugin_imports (instance, channel_id, target_kind, target_path, outcome, subscription_id, imported_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
    [record.instance, record.channelId, record.targetKind, record.targetPath, record.outcome, record.subscriptionId, record.importedBy],
  );
  return (rowCount ?? 0) > 0;
}

/** Those of `userIds` asked before. */
export async function readAsked(db: Queryable, instance: string, userIds: readonly string[]): Promise<Set<string>> {
  const { rows } = await db.query<{ id: string }>(
    'SELECT mattermost_user_id AS id FROM official_plugin_connect_asks WHERE instance = $1 AND mattermost_user_id = ANY($2::text[])',
    [instance, userIds],
  );
  return new Set(rows.map((row) => row.id));
}

/** Claims the one ask: true for the run that may send it. */
export async function claimAsk(db: Queryable, instance: string, userId: string): Promise<boolean> {
  const { rowCount } = await db.query('INSERT INTO official_plugin_connect_asks (instance, mattermost_user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [instance, userId]);
  return (rowCount ?? 0) > 0;
}

/** The message did not go out: the next run may ask again. */
export async function releaseAsk(db: Queryable, instance: string, userId: string): Promise<void> {
  await db.query('DELETE FROM official_plugin_connect_asks WHERE instance = $1 AND mattermost_user_id = $2', [instance, userId]);
}

/** Everything provisioning needs from the configuration and the database, for `setup` and the periodic check. */
import { readFile } from 'node:fs/promises';
import type { Config } from '../config.js';
import type { Queryable } from '../store/queryable.js';
import { listSlashCommands, saveSlashCommand } from '../store/slash-commands.js';
import { createMattermostClient } from './client.js';
import { DEFAULT_TRIGGER, type ProvisionOptions } from './provision.js';
import { uploadBotIcon } from './upload-bot-icon.js';

const ICON = new URL('../../../assets/icon.svg', import.meta.url);

export async function provisionOptions(
  config: Config,
  db: Queryable,
  choice: { trigger?: string; teams?: string[] | null } = {},
): Promise<ProvisionOptions> {
  const url = config.mattermost.url!;
  const adminToken = config.mattermost.adminToken!;
  return {
    trigger: choice.trigger ?? (await storedTrigger(db)),
    teams: choice.teams ?? null,
    commandUrl: `${config.internalUrl.replace(/\/$/, '')}/mattermost/command`,
    internalUrl: config.internalUrl,
    botToken: config.mattermost.botToken,
    icon: { bytes: await readFile(ICON), contentType: 'image/svg+xml' },
    clientFor: (token) => createMattermostClient(url, token),
    uploadIcon: (botUserId, icon) => uploadBotIcon(url, adminToken, botUserId, icon),
    saveCommand: (team, command) =>
      saveSlashCommand(db, { teamId: team.id, teamName: team.name, commandId: command.id, trigger: command.trigger, url: command.url }, command.token),
  };
}

/** The word setup last registered (an admin may have chosen --trigger gl), else /gitlab. */
async function storedTrigger(db: Queryable): Promise<string> {
  const counts = new Map<string, number>();
  for (const command of await listSlashCommands(db)) counts.set(command.trigger, (counts.get(command.trigger) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? DEFAULT_TRIGGER;
}

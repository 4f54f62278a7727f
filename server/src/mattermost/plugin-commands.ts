/**
 * Is the bridge's command word taken by a plugin? Mattermost runs a plugin's slash command before any
 * custom one with the same trigger (App.ExecuteCommand tries tryExecutePluginCommand first: "Plugins can
 * override built in and custom commands", server/channels/app/command.go), so a /gitlab registered beside
 * the official GitLab plugin's would never be called. Plugin commands live in the server's memory
 * (App.RegisterPluginCommand, server/channels/app/plugin_commands.go), not in the Commands table, so
 * `GET /api/v4/commands?custom_only=true` never shows them. The list without custom_only does, for
 * someone who may manage the team's commands (App.ListAllCommandsByUser: built-in commands, then
 * CommandsForTeam, the plugins' commands for that team or every team, then custom commands, one entry
 * per trigger): a plugin's entry is a copy with only trigger, team, autocomplete and display fields, so
 * its id is empty, where a custom command always has one. `GET /api/v4/plugins` (system console read
 * access) lists the active plugins, which names the likely owner; it answers 501 when plugins are off.
 */
import type { Command } from '@mattermost/types/integrations';
import { MattermostHttpError, type MattermostClient } from './client.js';
import { DISABLE_OFFICIAL_PLUGIN, OFFICIAL_GITLAB_PLUGIN_ID } from './official-gitlab-plugin.js';

export interface PluginHold {
  trigger: string;
  /** The teams (by name) where a plugin's command has the trigger. */
  teams: string[];
  /** The official GitLab plugin is active: the owner, most likely. */
  official: boolean;
  /** The active plugins' ids; null when Mattermost would not say. */
  activePlugins: string[] | null;
}

/** A plugin's (or a built-in) command in the full list: only custom commands have ids. */
export function isPluginCommand(command: Pick<Command, 'id' | 'trigger'>, trigger: string): boolean {
  return command.id === '' && command.trigger.toLowerCase() === trigger.toLowerCase();
}

/** Null when no plugin holds the trigger on any of these teams (or plugins are off altogether). */
export async function findPluginHold(admin: MattermostClient, teams: readonly { id: string; name: string }[], trigger: string): Promise<PluginHold | null> {
  const active = await activePlugins(admin);
  // With plugins off (or none active) no plugin command can exist: one request instead of one per team.
  if (active === 'plugins off' || (Array.isArray(active) && active.length === 0)) return null;
  const held: string[] = [];
  for (const team of teams) {
    const commands = (await admin.getCommandsList(team.id)) as Command[];
    if (commands.some((command) => isPluginCommand(command, trigger))) held.push(team.name);
  }
  if (held.length === 0) return null;
  const known = Array.isArray(active) ? active : null;
  return { trigger, teams: held, official: known?.includes(OFFICIAL_GITLAB_PLUGIN_ID) ?? false, activePlugins: known };
}

async function activePlugins(admin: MattermostClient): Promise<string[] | 'plugins off' | 'unknown'> {
  try {
    const { active } = (await admin.getPlugins()) as { active?: { id: string }[] };
    return (active ?? []).map((plugin) => plugin.id);
  } catch (error) {
    if (error instanceof MattermostHttpError && error.status === 501) return 'plugins off';
    if (error instanceof MattermostHttpError && error.status === 403) return 'unknown';
    throw error;
  }
}

/** The problem and the admin's two ways out, worded once for setup and doctor. */
export function describeHold(hold: PluginHold): { problem: string; fix: string } {
  const where = hold.teams.length <= 5 ? `team ${hold.teams.join(', ')}` : `${hold.teams.length} teams (${hold.teams.slice(0, 5).join(', ')}, …)`;
  const owner = hold.official
    ? `the official GitLab plugin's command (${OFFICIAL_GITLAB_PLUGIN_ID})`
    : `a plugin's command${hold.activePlugins?.length ? ` (active plugins: ${hold.activePlugins.join(', ')})` : ''}`;
  const disable = hold.official
    ? `disable the official plugin first (${DISABLE_OFFICIAL_PLUGIN}; \`gitlab-bridge import official-plugin\` brings its channel subscriptions over)`
    : 'disable that plugin first (System Console › Plugins, or `mmctl plugin disable <plugin id>`)';
  const another = hold.trigger === 'gl' ? 'gitlab-bridge setup --trigger <another word>' : 'gitlab-bridge setup --trigger gl';
  return {
    problem: `/${hold.trigger} is ${owner} on ${where}: Mattermost runs a plugin's command before any other, so the bridge's /${hold.trigger} would never be called`,
    fix: `choose one, then run setup again: ${disable}, or give the bridge another word: ${another}`,
  };
}

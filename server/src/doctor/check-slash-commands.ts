/**
 * The slash command setup registered on each team (the slash_commands table):
 * does it call INTERNAL_URL/mattermost/command, does Mattermost still have
 * it, and does no plugin's command of the same word take its calls? The last
 * two need MATTERMOST_ADMIN_TOKEN: only the custom-command list shows URLs, and
 * only someone who manages commands sees the plugins' ones.
 */
import type { Command } from '@mattermost/types/integrations';
import type { Team } from '@mattermost/types/teams';
import type { MattermostClient } from '../mattermost/client.js';
import { describeHold, findPluginHold } from '../mattermost/plugin-commands.js';
import { DEFAULT_TRIGGER } from '../mattermost/provision.js';
import type { RegisteredCommand } from '../store/slash-commands.js';
import { fail, ok, warn, type Check } from './check.js';
import { mattermostReason } from './mattermost-reason.js';

const CHECK = 'slash command';
const SETUP = 'run gitlab-bridge setup (with MATTERMOST_ADMIN_TOKEN): it registers the command again';

/** Each team's custom commands, or why they could not be listed. */
export type LiveCommands = Map<string, Command[] | { error: string }>;

export async function listLiveCommands(admin: MattermostClient, registered: readonly RegisteredCommand[]): Promise<LiveCommands> {
  const teamIds = [...new Set(registered.map((command) => command.teamId))];
  const lists = await Promise.all(
    teamIds.map((teamId) => admin.getCustomTeamCommands(teamId).then((commands): Command[] | { error: string } => commands, (error: unknown) => ({ error: mattermostReason(error) }))),
  );
  return new Map(teamIds.map((teamId, index) => [teamId, lists[index]!]));
}

/** `live` is null without an admin token: then only the bridge's own records are checked. */
export function judgeCommands(registered: readonly RegisteredCommand[], live: LiveCommands | null, expectedUrl: string): Check[] {
  if (registered.length === 0) return [fail(CHECK, 'setup has registered no /gitlab command on any team yet', SETUP)];
  const problems: Check[] = [];
  const good: RegisteredCommand[] = [];
  for (const command of registered) {
    const problem = judgeOne(command, live?.get(command.teamId) ?? null, expectedUrl);
    if (problem) problems.push(problem);
    else good.push(command);
  }
  const checks: Check[] = [];
  if (good.length > 0) {
    const triggers = [...new Set(good.map((command) => `/${command.trigger}`))].join(', ');
    const teams = `${good.length} ${good.length === 1 ? 'team' : 'teams'} (${good.map((command) => command.teamName).join(', ')})`;
    checks.push(
      live
        ? ok(CHECK, `${triggers} on ${teams}, calling ${expectedUrl}`)
        : warn(CHECK, `setup registered ${triggers} on ${teams}, calling ${expectedUrl}; partial check: not confirmed with Mattermost`, 'set MATTERMOST_ADMIN_TOKEN (a system admin\'s token) to also check that Mattermost still has it'),
    );
  }
  return [...checks, ...problems];
}

function judgeOne(command: RegisteredCommand, live: Command[] | { error: string } | null, expectedUrl: string): Check | null {
  const name = `team ${command.teamName}: /${command.trigger}`;
  if (command.url !== expectedUrl) {
    return fail(CHECK, `${name} was registered calling ${command.url}, not INTERNAL_URL/mattermost/command (${expectedUrl})`, 'run gitlab-bridge setup: it points the command at INTERNAL_URL');
  }
  if (live === null) return null;
  if ('error' in live) return warn(CHECK, `${name}: could not list the team's commands (${live.error})`, 'MATTERMOST_ADMIN_TOKEN must be a system admin\'s token, and custom slash commands enabled');
  const found = live.find((candidate) => candidate.id === command.commandId && candidate.delete_at === 0);
  if (!found) return fail(CHECK, `${name} no longer exists in Mattermost (deleted since setup registered it)`, SETUP);
  if (found.url !== expectedUrl) return fail(CHECK, `${name} calls ${found.url} in Mattermost, not ${expectedUrl}`, 'run gitlab-bridge setup: it points the command at INTERNAL_URL');
  if (found.trigger !== command.trigger) return fail(CHECK, `${name} was renamed to /${found.trigger} in Mattermost`, SETUP);
  return null;
}

/**
 * A plugin's command with the bridge's word (the official GitLab plugin's /gitlab) wins every call: the
 * same verdict setup stops with. Before setup registered anything, the default word on every team.
 */
export async function checkPluginHold(admin: MattermostClient, registered: readonly RegisteredCommand[]): Promise<Check | null> {
  try {
    const teams = new Map(registered.map((command) => [command.teamId, { id: command.teamId, name: command.teamName, trigger: command.trigger }]));
    if (teams.size === 0) {
      for (const team of (await admin.getTeams(0, 200)) as Team[]) if (team.delete_at === 0) teams.set(team.id, { id: team.id, name: team.name, trigger: DEFAULT_TRIGGER });
    }
    for (const trigger of new Set([...teams.values()].map((team) => team.trigger))) {
      const hold = await findPluginHold(admin, [...teams.values()].filter((team) => team.trigger === trigger), trigger);
      if (hold) {
        const { problem, fix } = describeHold(hold);
        return fail(CHECK, problem, fix);
      }
    }
    return null;
  } catch (error) {
    return warn(CHECK, `could not look for a plugin's command of the same word (${mattermostReason(error)})`, "MATTERMOST_ADMIN_TOKEN must be a system admin's token");
  }
}

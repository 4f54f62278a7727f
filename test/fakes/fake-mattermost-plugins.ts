/**
 * Server plugins for the fake Mattermost: which are installed and active, and the slash commands the
 * active ones registered. Like Mattermost, the fake keeps plugin commands apart from custom ones
 * (App.RegisterPluginCommand keeps them in memory, server/channels/app/plugin_commands.go): they are
 * never in `GET /api/v4/commands?custom_only=true`, and appear in the full list as a copy with only
 * the trigger, team, autocomplete and display fields (so an empty id), between the built-in commands
 * and the custom ones, one entry per trigger (App.ListAllCommandsByUser, server/channels/app/command.go).
 * `GET /api/v4/plugins` answers `{active, inactive}` manifests to system admins (App.GetPlugins).
 * Disabling a plugin unregisters its commands (Channels.disablePlugin): a test sets `active` false.
 */

/** What a plugin's server passes to p.API.RegisterCommand, as Mattermost keeps it. */
export interface FakePluginCommand {
  trigger: string;
  /** '' registers it on every team (what the official GitLab plugin does). */
  team_id: string;
  auto_complete: boolean;
  auto_complete_desc: string;
  auto_complete_hint: string;
  display_name: string;
}

export interface FakePlugin {
  id: string;
  name: string;
  version: string;
  description: string;
  /** Enabled and running; an inactive plugin's commands are unregistered. */
  active: boolean;
  commands: FakePluginCommand[];
  /** The bot the plugin makes for itself (pluginapi's EnsureBot): owned by the plugin's id. */
  bot?: { username: string; display_name: string; description: string };
}

/**
 * The official GitLab plugin (mattermost/mattermost-plugin-gitlab) as an admin has it enabled: id and
 * name from its plugin.json, the `/gitlab` command of getCommand in server/command.go (no team: every
 * team), and the bot OnActivate ensures in server/plugin.go.
 */
export function officialGitLabPlugin(): FakePlugin {
  return {
    id: 'com.github.manland.mattermost-plugin-gitlab',
    name: 'GitLab',
    version: '1.10.0',
    description: 'GitLab plugin for Mattermost.',
    active: true,
    commands: [
      {
        trigger: 'gitlab',
        team_id: '',
        auto_complete: true,
        auto_complete_desc: 'Available commands: connect, disconnect, todo, subscriptions, me, pipelines, settings, webhook, setup, help, about',
        auto_complete_hint: '[command]',
        display_name: '',
      },
    ],
    bot: { username: 'gitlab', display_name: 'GitLab Plugin', description: 'A bot account created by the plugin GitLab.' },
  };
}

/** The active plugins' commands on a team, as Command JSON (what ListAllCommandsByUser lists of them). */
export function pluginCommandsForTeam(plugins: Iterable<FakePlugin>, teamId: string): Record<string, unknown>[] {
  const commands: Record<string, unknown>[] = [];
  for (const plugin of plugins) {
    if (!plugin.active) continue;
    for (const command of plugin.commands) {
      if (command.team_id !== '' && command.team_id !== teamId) continue;
      commands.push({
        ...command,
        id: '',
        token: '',
        create_at: 0,
        update_at: 0,
        delete_at: 0,
        creator_id: '',
        method: '',
        username: '',
        icon_url: '',
        description: '',
        url: '',
        // The copy RegisterPluginCommand keeps does not carry the plugin's id.
        plugin_id: '',
      });
    }
  }
  return commands;
}

const manifest = (plugin: FakePlugin) => ({
  id: plugin.id,
  name: plugin.name,
  description: plugin.description,
  version: plugin.version,
  min_server_version: '6.5.0',
  server: { executables: { 'linux-amd64': 'server/dist/plugin-linux-amd64' } },
  webapp: { bundle_path: 'webapp/dist/main.js' },
});

/** GetPlugins' answer (model.PluginsResponse). */
export function pluginsResponse(plugins: Iterable<FakePlugin>): { active: object[]; inactive: object[] } {
  const all = [...plugins];
  return { active: all.filter((plugin) => plugin.active).map(manifest), inactive: all.filter((plugin) => !plugin.active).map(manifest) };
}


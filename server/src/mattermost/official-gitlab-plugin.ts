/**
 * The official GitLab plugin for Mattermost (github.com/mattermost/mattermost-plugin-gitlab), which
 * many servers run before they move to the bridge. Its id is the one in its plugin.json, kept from the
 * repository it started in (manland/mattermost-plugin-gitlab); its server registers `/gitlab` with
 * p.API.RegisterCommand in OnActivate (server/plugin.go), and keeps its state in Mattermost's plugin
 * key-value store (import/official-plugin/).
 */
export const OFFICIAL_GITLAB_PLUGIN_ID = 'com.github.manland.mattermost-plugin-gitlab';

/** What an admin does to switch the plugin off: the System Console, or mmctl (both unregister its commands). */
export const DISABLE_OFFICIAL_PLUGIN = `System Console › Plugins › GitLab › Disable, or \`mmctl plugin disable ${OFFICIAL_GITLAB_PLUGIN_ID}\``;

import manifest from '../../plugin.json' with { type: 'json' };

export const PLUGIN_ID: string = manifest.id;

/** Files in the plugin's public/ folder, which Mattermost serves itself. */
export function publicFileUrl(siteUrl: string, file: string): string {
  return `${siteUrl.replace(/\/+$/, '')}/plugins/${PLUGIN_ID}/public/${file}`;
}

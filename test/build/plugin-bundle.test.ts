/**
 * The plugin tarball an admin uploads in System Console. `npm test` builds it
 * first (`npm run build`); these tests read what the build produced.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { list } from 'tar';

const root = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { version: string };
const manifest = JSON.parse(readFileSync(`${root}plugin.json`, 'utf8')) as Record<string, unknown> & {
  id: string;
  version: string;
  webapp: { bundle_path: string };
  icon_path: string;
};
const tarball = `${root}dist/gitlab-bridge-${pkg.version}.tar.gz`;

async function entries(): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  await list({
    file: tarball,
    onReadEntry: (entry) => {
      const chunks: Buffer[] = [];
      entry.on('data', (chunk: Buffer) => chunks.push(chunk));
      entry.on('end', () => files.set(entry.path, Buffer.concat(chunks)));
    },
  });
  return files;
}

describe('plugin.json', () => {
  it('is a webapp-only Mattermost manifest for gitlab-bridge', () => {
    expect(manifest.id).toBe('gitlab-bridge');
    // Mattermost's own rules for plugin ids.
    expect(manifest.id).toMatch(/^[a-zA-Z0-9-_.]{3,190}$/);
    expect(manifest.name).toEqual(expect.any(String));
    expect(manifest.description).toEqual(expect.any(String));
    expect(manifest.min_server_version).toBe('10.11.0');
    expect(manifest.webapp.bundle_path).toBe('webapp/dist/main.js');
    expect(manifest.icon_path).toMatch(/^assets\/.+\.svg$/);
    expect(manifest).not.toHaveProperty('server');
  });

  it('has the same version as package.json, in semver form', () => {
    expect(manifest.version).toBe(pkg.version);
    expect(manifest.version).toMatch(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/);
  });
});

describe('the plugin tarball', () => {
  it('is laid out the way Mattermost unpacks plugins', async () => {
    const files = await entries();
    const names = [...files.keys()];
    expect(names.every((name) => name.startsWith('gitlab-bridge/'))).toBe(true);
    expect(names).toEqual(
      expect.arrayContaining([
        'gitlab-bridge/plugin.json',
        'gitlab-bridge/webapp/dist/main.js',
        `gitlab-bridge/${manifest.icon_path}`,
        'gitlab-bridge/public/icon.svg',
      ]),
    );
  });

  it('carries the manifest as it is in the repository and an icon that is an SVG', async () => {
    const files = await entries();
    expect(JSON.parse(files.get('gitlab-bridge/plugin.json')!.toString('utf8'))).toEqual(manifest);
    expect(files.get(`gitlab-bridge/${manifest.icon_path}`)!.toString('utf8')).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
  });

  it('ships a bundle that registers the plugin and takes React and Redux from the host', async () => {
    const bundle = (await entries()).get('gitlab-bridge/webapp/dist/main.js')!.toString('utf8');
    expect(bundle).toContain('registerPlugin');
    // Webpack's externals read the host's global `React` (window.React on Mattermost's page).
    expect(bundle).toMatch(/(^|[^\w.$])React([^\w$]|$)/m);
    // A bundled React copy would carry its internals; the host's must be used instead.
    expect(bundle).not.toContain('__SECRET_INTERNALS_DO_NOT_USE_OR_YOU_WILL_BE_FIRED');
  });
});

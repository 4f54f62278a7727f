// Packs dist/gitlab-bridge-<version>.tar.gz in the layout Mattermost's plugin upload expects:
//   gitlab-bridge/plugin.json, gitlab-bridge/webapp/dist/main.js, gitlab-bridge/assets/…, gitlab-bridge/public/…
// Run after the webapp build (`npm run build` does both).
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { create } from 'tar';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const manifest = JSON.parse(readFileSync(path.join(root, 'plugin.json'), 'utf8'));
const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));

function fail(message) {
  console.error(`pack: ${message}`);
  process.exit(1);
}

if (manifest.version !== version) fail(`plugin.json version ${manifest.version} differs from package.json ${version} (run: npm run sync-version)`);
const bundle = path.join(root, manifest.webapp.bundle_path);
if (!existsSync(bundle)) fail(`${manifest.webapp.bundle_path} is missing: run npm run build:webapp first`);

const staging = mkdtempSync(path.join(os.tmpdir(), 'gitlab-bridge-pack-'));
try {
  const top = path.join(staging, manifest.id);
  mkdirSync(path.join(top, path.dirname(manifest.webapp.bundle_path)), { recursive: true });
  cpSync(path.join(root, 'plugin.json'), path.join(top, 'plugin.json'));
  cpSync(bundle, path.join(top, manifest.webapp.bundle_path));
  cpSync(path.join(root, 'assets'), path.join(top, 'assets'), { recursive: true });
  // Mattermost serves <plugin>/public/ at /plugins/<id>/public/: the webapp loads its images from there.
  cpSync(path.join(root, 'assets'), path.join(top, 'public'), { recursive: true });

  const out = path.join(root, 'dist', `${manifest.id}-${version}.tar.gz`);
  mkdirSync(path.dirname(out), { recursive: true });
  await create({ gzip: true, file: out, cwd: staging, portable: true, noMtime: false }, [manifest.id]);

  const raw = statSync(bundle).size;
  const gzipped = gzipSync(readFileSync(bundle), { level: 9 }).length;
  console.log(`packed ${path.relative(root, out)} (${statSync(out).size} bytes)`);
  console.log(`main.js: ${raw} bytes raw, ${gzipped} bytes gzipped`);
} finally {
  rmSync(staging, { recursive: true, force: true });
}

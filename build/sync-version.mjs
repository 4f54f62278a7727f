// Copies package.json's version into plugin.json; run by `npm version` so the two never drift.
import { readFileSync, writeFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const manifest = JSON.parse(readFileSync('plugin.json', 'utf8'));
manifest.version = pkg.version;
writeFileSync('plugin.json', `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`plugin.json version is now ${pkg.version}`);

// The webapp bundle's size beside the official GitLab plugin's. Run by `npm run bench:bundle`
// (after a production build of webapp/dist/main.js). Writes its section of docs/benchmarks.md and
// exits non-zero when the gzipped bundle is not under 150 KB.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { writeSection } from './benchmarks-file.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TARGET_GZIPPED = 150 * 1000;
// mattermost-plugin-gitlab's webapp/dist/main.js, built from its 2026-06 source (the figures).
const OFFICIAL = { raw: 1_634_386, gzipped: 930 * 1000 };

const bundle = readFileSync(path.join(root, 'webapp/dist/main.js'));
const raw = bundle.length;
const gzipped = gzipSync(bundle, { level: 9 }).length;
const brotli = brotliCompressSync(bundle).length;
const kb = (bytes) => `${(bytes / 1000).toFixed(1)} KB`;
const n = (bytes) => bytes.toLocaleString('en-US');
const met = gzipped < TARGET_GZIPPED;

const section = `<!-- bench:bundle:start -->
## Webapp bundle size

Command: \`npm run bench:bundle\` (a production build of \`webapp/dist/main.js\`; \`npm run build\` prints the same
two numbers when it packs the plugin). Measured on ${new Date().toISOString().slice(0, 10)}. React, ReactDOM, Redux,
ReactRedux and PropTypes come from Mattermost's page and are not in gitlab-bridge's figure.

| bundle | raw | gzipped (level 9) |
|---|---|---|
| gitlab-bridge \`main.js\` | ${n(raw)} bytes (${kb(raw)}) | **${n(gzipped)} bytes (${kb(gzipped)})** |
| official GitLab plugin \`main.js\` (2026-06 source) | ${n(OFFICIAL.raw)} bytes | ${kb(OFFICIAL.gzipped)} |
| ratio | ${(raw / OFFICIAL.raw * 100).toFixed(1)} % | ${(gzipped / OFFICIAL.gzipped * 100).toFixed(1)} % |

Brotli (what many proxies serve): ${n(brotli)} bytes.

| target | result | |
|---|---|---|
| gzipped under 150 KB | ${kb(gzipped)} | ${met ? 'met' : 'MISSED'} |
<!-- bench:bundle:end -->`;

writeSection(root, 'bundle', section);
console.log(section);
if (!met) process.exitCode = 1;

// Runs on `npm ci` / `npm install`: compiles the server so the first `npm start` only checks that
// server/dist is up to date. An install without dev dependencies (no TypeScript) skips it quietly;
// a compile error fails the install, as it should.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let tsc;
try {
  tsc = require.resolve('typescript/bin/tsc');
} catch {
  console.log('prepare: TypeScript is not installed (production install); not compiling the server');
  process.exit(0);
}
const result = spawnSync(process.execPath, [tsc, '-b', 'server'], { stdio: 'inherit' });
process.exit(result.status ?? 1);

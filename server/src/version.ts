/** The package version, read once from package.json (which plugin.json is kept in step with). */
import { readFileSync } from 'node:fs';

const manifest = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
) as { version: string };

export const VERSION: string = manifest.version;

/**
 * Every doctor check after the configuration, in report order. The database is
 * read first (it says which slash commands setup made); the network checks then
 * run side by side, each bounded by its own timeout.
 */
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Check } from './check.js';
import { checkClock } from './check-clock.js';
import { checkDatabase } from './check-database.js';
import { checkGitLab } from './check-gitlab.js';
import { checkMattermost } from './check-mattermost.js';
import { checkPublicUrl } from './check-public-url.js';
import { judgeScopes } from './check-scopes.js';

export async function diagnose(config: Config, log: Logger, options: { proxied: boolean }): Promise<Check[]> {
  const database = checkDatabase(config, log);
  const [{ checks: databaseChecks, connectedScopes }, mattermost, gitlab, publicUrl] = await Promise.all([
    database,
    database.then(({ commands }) => checkMattermost(config, commands)),
    checkGitLab(config, options),
    checkPublicUrl(config),
  ]);
  const scopes = judgeScopes(config.gitlabInstances, connectedScopes);
  return [...databaseChecks, ...mattermost.checks, ...gitlab.checks, ...scopes, publicUrl, checkClock([...mattermost.clock, ...gitlab.clock])];
}

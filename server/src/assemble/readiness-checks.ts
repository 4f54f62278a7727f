/**
 * What /readyz and the status page check: the database on every call, GitLab
 * and (with a bot) Mattermost at most every REMOTE_CHECK_TTL_MS.
 */
import type { Config } from '../config.js';
import { checkGitLabUrl } from '../gitlab/check-gitlab-url.js';
import { checkBotToken } from '../mattermost/check-bot-token.js';
import type { MattermostClient } from '../mattermost/client.js';
import { cached, checkReadiness, databaseCheck, type Readiness } from '../readiness.js';
import type { Database } from '../store/database.js';
import { HEARTBEAT_STALE_MS, type StreamReport } from '../conversations/stream-report.js';

/** How long a Mattermost or GitLab check result is reused by /readyz. */
const REMOTE_CHECK_TTL_MS = 30_000;

export function assembleReadiness(
  config: Config,
  database: Pick<Database, 'ping'>,
  bot: MattermostClient | null,
  streamReport: () => Promise<StreamReport | null> = async () => null,
): () => Promise<Readiness> {
  const checks = [databaseCheck(() => database.ping()), cached(checkGitLabUrl(config.gitlab.url), REMOTE_CHECK_TTL_MS)];
  if (bot && config.mattermost.url) checks.push(cached(checkBotToken(bot, config.mattermost.url), REMOTE_CHECK_TTL_MS));
  const startedAt = Date.now();
  return async () => {
    const [readiness, stream] = await Promise.all([checkReadiness(config.missing, checks), streamReport().catch(() => null)]);
    if (!stream) return readiness;
    // Webhooks still flow while nobody listens: a warning, never unready; and none while a replica that
    // just started is still taking over or connecting.
    const healthy = stream.state === 'connected' || stream.state === 'off' || Date.now() - startedAt < HEARTBEAT_STALE_MS;
    return { ...readiness, warnings: healthy ? readiness.warnings : [...readiness.warnings, stream.detail], mattermostStream: stream };
  };
}

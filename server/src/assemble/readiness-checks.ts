/**
 * What /readyz and the status page check: the database on every call, each
 * GitLab instance and (with a bot) Mattermost at most every REMOTE_CHECK_TTL_MS.
 */
import type { Config, GitLabInstanceConfig } from '../config.js';
import { checkGitLabUrl } from '../gitlab/check-gitlab-url.js';
import { DEFAULT_INSTANCE, gitlabInstances } from '../gitlab/instances.js';
import { webhookPathOf } from '../http/webhook-door.js';
import { checkBotToken } from '../mattermost/check-bot-token.js';
import type { MattermostClient } from '../mattermost/client.js';
import { cached, checkReadiness, databaseCheck, type Check, type CheckResult, type GitLabInstanceReport, type Readiness } from '../readiness.js';
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
  const instances = gitlabInstances(config.gitlabInstances);
  const gitlabChecks = config.gitlabInstances.map((instance) => ({ instance, check: cached(instanceCheck(instance), REMOTE_CHECK_TTL_MS) }));
  const checks: Check[] = [databaseCheck(() => database.ping()), ...gitlabChecks.map(({ check }) => check)];
  if (bot && config.mattermost.url) checks.push(cached(checkBotToken(bot, config.mattermost.url), REMOTE_CHECK_TTL_MS));
  const startedAt = Date.now();
  return async () => {
    const [checked, stream, results] = await Promise.all([
      checkReadiness(config.missing, checks),
      streamReport().catch(() => null),
      // Cached: the same answers checkReadiness just waited for.
      Promise.all(gitlabChecks.map(({ check }) => check().catch((error: unknown): CheckResult => ({ error: (error as Error).message })))),
    ]);
    const reports = gitlabChecks.map(({ instance }, index) => report(instance, instances.label(instance.name), results[index]!));
    // Another instance set up halfway: its people cannot connect or its webhooks are refused. A warning,
    // so the default GitLab's work is never taken out of the load balancer for it.
    const incomplete = reports.slice(1).flatMap((instance) => {
      const lacking = [!instance.oauth && 'OAUTH_CLIENT_ID and OAUTH_CLIENT_SECRET', !instance.webhookSecret && 'WEBHOOK_SECRET'].filter(Boolean);
      return lacking.length > 0 ? [`GitLab ${instance.label}: GITLAB_${instance.name.toUpperCase()}_${lacking.join(' and ')} not set`] : [];
    });
    const readiness: Readiness = { ...checked, warnings: [...checked.warnings, ...incomplete], gitlabInstances: reports };
    if (!stream) return readiness;
    // Webhooks still flow while nobody listens: a warning, never unready; and none while a replica that
    // just started is still taking over or connecting.
    const healthy = stream.state === 'connected' || stream.state === 'off' || Date.now() - startedAt < HEARTBEAT_STALE_MS;
    return { ...readiness, warnings: healthy ? readiness.warnings : [...readiness.warnings, stream.detail], mattermostStream: stream };
  };
}

/** The default instance's messages stay as they were; another's name it and its own variable. */
function instanceCheck(instance: GitLabInstanceConfig): Check {
  if (instance.name === DEFAULT_INSTANCE) return checkGitLabUrl(instance.url);
  const check = checkGitLabUrl(instance.url, undefined, `GITLAB_${instance.name.toUpperCase()}_URL`);
  return async () => {
    const result = await check();
    if ('error' in result) return { error: `GitLab ${instance.name}: ${result.error}` };
    if ('unreachable' in result) return { unreachable: `GitLab ${instance.name}: ${result.unreachable}` };
    return result;
  };
}

function report(instance: GitLabInstanceConfig, label: string, result: CheckResult): GitLabInstanceReport {
  const [state, detail] = 'ok' in result ? (['ok', result.ok] as const) : 'error' in result ? (['error', result.error] as const) : (['unreachable', result.unreachable] as const);
  return {
    name: instance.name,
    label,
    url: instance.url,
    webhookPath: webhookPathOf(instance.name),
    oauth: Boolean(instance.oauthClientId && instance.oauthClientSecret),
    webhookSecret: instance.webhookSecrets.length > 0,
    scopes: instance.oauthScopes,
    state,
    detail,
  };
}

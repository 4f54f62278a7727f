/** `/gitlab status` (system admins): is the bridge healthy, and is work piling up? */
import type pg from 'pg';
import type { Readiness } from '../readiness.js';
import type { MattermostClient } from '../mattermost/client.js';
import { countPendingDeliveries } from '../store/webhook-inbox.js';
import type { Subcommand } from './command-router.js';

export interface StatusDeps {
  pool: pg.Pool;
  bot: MattermostClient | null;
  version: string;
  database: string;
  readiness(): Promise<Readiness>;
}

export const statusCommand: Subcommand<StatusDeps> = {
  name: 'status',
  summary: 'the bridge version, database, queues and reachability (system admins)',
  usage: 'status',
  async run(call, _args, deps) {
    if (!deps.bot) return 'The bridge has no MATTERMOST_BOT_TOKEN yet, so it cannot tell who you are: ask an admin to run `gitlab-bridge setup`.';
    const user = await deps.bot.getUser(call.userId);
    if (!user.roles.split(' ').includes('system_admin')) return '`status` is for system admins.';

    const [backlog, posts, last, readiness] = await Promise.all([
      countPendingDeliveries(deps.pool),
      deps.pool.query<{ pending: string; failed: string }>(
        "SELECT count(*) FILTER (WHERE state = 'pending') AS pending, count(*) FILTER (WHERE state = 'failed') AS failed FROM channel_outbox",
      ),
      deps.pool.query<{ at: Date | null }>('SELECT max(received_at) AS at FROM webhook_deliveries'),
      deps.readiness(),
    ]);
    const lastAt = last.rows[0]?.at;
    return [
      '#### GitLab bridge status',
      `- Version: ${deps.version}`,
      `- Database: ${deps.database}`,
      `- Webhooks waiting to be processed: ${backlog}`,
      `- Channel posts waiting: ${posts.rows[0]?.pending ?? 0} (given up: ${posts.rows[0]?.failed ?? 0})`,
      `- Last webhook received: ${lastAt ? lastAt.toISOString() : 'never'}`,
      ...(readiness.gitlabInstances ?? []).map(
        (instance) =>
          `- GitLab ${instance.label} (${instance.url}): ${instance.state === 'ok' ? 'answers' : instance.detail}; webhooks to \`${instance.webhookPath}\`${instance.webhookSecret ? '' : ' (no secret set: refused)'}; ` +
          `${instance.oauth ? 'people can connect' : 'no OAuth application: nobody can connect'}${instance.scopes === 'read_api' ? '; read-only (read_api)' : ''}`,
      ),
      ...(readiness.mattermostStream ? [`- ${readiness.mattermostStream.detail}${readiness.mattermostStream.lastEventAt ? ` (last event ${readiness.mattermostStream.lastEventAt})` : ''}`] : []),
      `- Ready: ${readiness.ready ? 'yes' : 'no'}${[...readiness.missing.map((name) => `missing ${name}`), ...readiness.errors, ...readiness.warnings].map((item) => `\n  - ${item}`).join('')}`,
    ].join('\n');
  },
};

/**
 * The internal listener, reached only by Mattermost and operators: probes,
 * metrics and the /gitlab slash command with its subcommands.
 */
import { connectCommand, disconnectCommand, meCommand, type AccountDeps } from '../commands/account.js';
import { runCommandLine, type Subcommand } from '../commands/command-router.js';
import { deploymentCommand } from '../commands/deployment.js';
import { issueCommand } from '../commands/issue.js';
import { jobCommand } from '../commands/job.js';
import { mrCommand } from '../commands/mr.js';
import { muteCommand } from '../commands/mute.js';
import { pipelineCommand } from '../commands/pipeline.js';
import { settingsCommand } from '../commands/settings.js';
import { statusCommand, type StatusDeps } from '../commands/status.js';
import { subscriptionsCommand, type SubscriptionDeps } from '../commands/subscriptions.js';
import { todoCommand } from '../commands/todo.js';
import { webhookCommand, type WebhookDeps } from '../commands/webhook.js';
import type { Config } from '../config.js';
import type { EncryptionKey } from '../crypto/secret-box.js';
import type { GitLabConnections } from '../accounts/gitlab-connections.js';
import type { GitLabSides } from './gitlab.js';
import { createInternalApp } from '../http/internal-app.js';
import { listen, type Listener } from '../http/listener.js';
import type { Metrics } from '../http/metrics.js';
import type { Logger } from '../log.js';
import { markActive } from '../polling/poll-users.js';
import type { Readiness } from '../readiness.js';
import type { Database } from '../store/database.js';
import { verifyCommandToken } from '../store/slash-commands.js';
import { VERSION } from '../version.js';
import { countActions, type ActionSide } from './actions.js';
import type { MattermostSide } from './mattermost.js';

// Every subcommand's deps are a slice of the command deps below.
const SUBCOMMANDS: Subcommand<StatusDeps & SubscriptionDeps & AccountDeps & WebhookDeps>[] = [
  connectCommand,
  disconnectCommand,
  meCommand,
  subscriptionsCommand,
  webhookCommand,
  todoCommand,
  issueCommand,
  mrCommand,
  pipelineCommand,
  jobCommand,
  deploymentCommand,
  settingsCommand,
  muteCommand,
  statusCommand,
];

export interface InternalListenerDeps {
  config: Config;
  log: Logger;
  metrics: Metrics;
  database: Pick<Database, 'pool' | 'kind' | 'label'>;
  keys: readonly EncryptionKey[];
  mattermost: Pick<MattermostSide, 'bot' | 'gateway'>;
  connections: GitLabConnections | null;
  /** Every configured GitLab (accounts and targets per instance). */
  gitlabs: GitLabSides;
  readiness(): Promise<Readiness>;
  actions: ActionSide;
}

export async function startInternalListener({ config, log, metrics, database, keys, mattermost, connections, gitlabs, readiness, actions }: InternalListenerDeps): Promise<Listener> {
  const commandDeps = {
    pool: database.pool,
    bot: mattermost.bot,
    gateway: mattermost.gateway,
    connections,
    instances: gitlabs.instances,
    accountInstance: (name: string) => {
      const side = gitlabs.byName(name);
      return side && { name: side.instance.name, url: side.instance.url, connections: side.connections, scopeSetting: side.instance };
    },
    keys,
    publicUrl: config.publicUrl,
    siteUrl: config.mattermost.siteUrl,
    gitlabUrl: config.gitlab.url,
    scopeSetting: config.gitlab,
    webhookSecret: config.gitlab.webhookSecrets[0],
    canSendDirectMessages: mattermost.bot !== null,
    version: VERSION,
    database: `${database.kind} (${database.label})`,
    readiness,
    count: countActions(metrics),
  };
  const app = createInternalApp({
    log,
    metrics,
    readiness,
    command: {
      verifyToken: (teamId, token) => verifyCommandToken(database.pool, teamId, token),
      handle: (call, text) => {
        void markActive(database.pool, call.userId, config.polling.activeIntervalSeconds).catch((error: unknown) => log.warn({ err: error }, 'could not record that a user is active'));
        return runCommandLine(SUBCOMMANDS, call, text, commandDeps);
      },
      mattermostOrigins: [config.mattermost.url, config.mattermost.siteUrl].flatMap((url) => (url ? [new URL(url).origin] : [])),
    },
    actions: actions.routes,
  });
  return listen('internal', app, config.internalPort, config.internalHost);
}

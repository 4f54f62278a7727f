/**
 * Assembles the running bridge from a validated config: database (migrated),
 * encryption key, both listeners. `stop` drains and releases everything in the
 * reverse order.
 */
import { describeSettings, type Config } from './config.js';
import { startWorkers } from './delivery/run-workers.js';
import { startPruning } from './jobs/run-pruning.js';
import { checkKeyMatchesDatabase, resolveEncryptionKey } from './crypto/encryption-key.js';
import { toEncryptionKey } from './crypto/secret-box.js';
import { createInternalApp } from './http/internal-app.js';
import { listen, type Listener } from './http/listener.js';
import { createMetrics } from './http/metrics.js';
import { createPublicApp } from './http/public-app.js';
import { renderSetupPage } from './http/setup-page.js';
import type { Logger } from './log.js';
import { checkGitLabUrl } from './gitlab/check-gitlab-url.js';
import { checkBotToken } from './mattermost/check-bot-token.js';
import { createChannelGateway, type ChannelGateway } from './mattermost/channel-gateway.js';
import { createMattermostClient, MattermostHttpError, type MattermostClient } from './mattermost/client.js';
import { webappApi } from './webapp-api/router.js';
import { startLiveEvents, type LiveEvents } from './webapp-api/live-events.js';
import { createChannelMembership } from './webapp-api/channel-membership.js';
import { ApiError } from './webapp-api/errors.js';
import type { SessionUser } from './webapp-api/context.js';
import { cacheSessions } from './webapp-api/session-cache.js';
import { runCommandLine, type Subcommand } from './commands/command-router.js';
import { connectCommand, disconnectCommand, meCommand, type AccountDeps } from './commands/account.js';
import { createGitLabConnections } from './accounts/gitlab-connections.js';
import { createDirectMessenger } from './mattermost/direct-message.js';
import { createDirectChannels } from './mattermost/direct-channels.js';
import { createDirectDelivery } from './delivery/deliver-direct-messages.js';
import { createAccessChecker } from './accounts/gitlab-access.js';
import { createPollClient } from './gitlab/poll-client.js';
import { createFeatureLevelSource } from './gitlab/project-features.js';
import { createRequestBudget } from './polling/request-budget.js';
import { startPollers } from './polling/run-pollers.js';
import { markActive } from './polling/poll-users.js';
import { pollerKinds } from './polling/poller-kinds.js';
import { reminderTimeZone } from './rules/reminder-schedule.js';
import { subscriptionsCommand, type SubscriptionDeps } from './commands/subscriptions.js';
import { provisionOptions } from './mattermost/provision-options.js';
import { startTeamReconciler } from './mattermost/reconcile-teams.js';
import { statusCommand, type StatusDeps } from './commands/status.js';
import { webhookCommand, type WebhookDeps } from './commands/webhook.js';
import { settingsCommand } from './commands/settings.js';
import { muteCommand } from './commands/mute.js';
import { todoCommand } from './commands/todo.js';
import { pipelineCommand } from './commands/pipeline.js';
import { issueCommand } from './commands/issue.js';
import { recordDirectMessage } from './store/direct-message-log.js';
import { verifyCommandToken } from './store/slash-commands.js';
import { cached, checkReadiness, databaseCheck } from './readiness.js';
import { openDatabase } from './store/database.js';
import { migrate } from './store/migrate.js';
import { createDeliveryBatcher } from './store/delivery-batcher.js';
import { countPendingDeliveries } from './store/webhook-inbox.js';
import { VERSION } from './version.js';

/** How long a Mattermost or GitLab check result is reused by /readyz. */
const REMOTE_CHECK_TTL_MS = 30_000;

export interface Bridge {
  publicPort: number;
  internalPort: number;
  /** Idempotent. In-flight requests get until `deadlineMs` to finish. */
  stop(deadlineMs?: number): Promise<void>;
}

export async function startBridge(config: Config, log: Logger): Promise<Bridge> {
  const settings = describeSettings(config);
  for (const name of config.missing) {
    const purpose = settings.find((setting) => setting.name === name)?.purpose ?? '';
    log.warn({ setting: name }, `${name} is not set: ${purpose}`);
  }

  const database = await openDatabase(config, log);
  let listeners: Listener[] = [];
  let liveEvents: LiveEvents | undefined;
  try {
    const migration = await migrate(database.pool, log);
    const encryptionKey = await resolveEncryptionKey(config.encryptionKey, config.dataDir, log);
    // The old keys stay readable while `rotate-key` moves tokens to the new one.
    const keys = [encryptionKey, ...config.previousEncryptionKeys.map(toEncryptionKey)];
    await checkKeyMatchesDatabase(database.pool, encryptionKey, keys);

    const metrics = createMetrics(VERSION, { webhookBacklog: () => countPendingDeliveries(database.pool) });
    const checks = [databaseCheck(() => database.ping()), cached(checkGitLabUrl(config.gitlab.url), REMOTE_CHECK_TTL_MS)];
    let gateway: ChannelGateway | null = null;
    let bot: MattermostClient | null = null;
    if (config.mattermost.url && config.mattermost.botToken) {
      const mattermost = createMattermostClient(config.mattermost.url, config.mattermost.botToken);
      bot = mattermost;
      checks.push(cached(checkBotToken(mattermost, config.mattermost.url), REMOTE_CHECK_TTL_MS));
      gateway = createChannelGateway(mattermost);
    }
    const readiness = () => checkReadiness(config.missing, checks);
    const { oauthClientId, oauthClientSecret } = config.gitlab;
    const oauthApp =
      oauthClientId && oauthClientSecret && config.publicUrl
        ? { gitlabUrl: config.gitlab.url, clientId: oauthClientId, clientSecret: oauthClientSecret, redirectUri: `${config.publicUrl.replace(/\/+$/, '')}/oauth/complete` }
        : null;
    const notify = bot ? createDirectMessenger(bot, (userId, outcome) => recordDirectMessage(database.pool, userId, outcome)) : () => Promise.reject(new Error('no MATTERMOST_BOT_TOKEN to send direct messages with'));
    const connections = oauthApp ? createGitLabConnections({ pool: database.pool, locks: database.locks, key: encryptionKey, keys, app: oauthApp, notify, log }) : null;
    const mattermostUrl = config.mattermost.url;
    // Storing webhooks has connections of its own: the door never waits behind delivery or polling.
    const deliveries = createDeliveryBatcher(database.inbox);
    const live = (liveEvents = await startLiveEvents({
      pool: database.pool,
      log: log.child({ component: 'live-events' }),
      streamsPerUser: config.webapp.liveStreamsPerUser,
      streamsMax: config.webapp.liveStreamsMax,
    }));
    // The webapp's session: who the MMAUTHTOKEN cookie belongs to, asked of Mattermost with that token;
    // answers are remembered, and new tokens checked at a bounded rate, for the webapp API and /oauth alike.
    const resolveSession = cacheSessions(async (token: string): Promise<SessionUser | null> => {
      if (!mattermostUrl) throw new ApiError(503, 'not_configured', 'The bridge cannot check Mattermost sessions: MATTERMOST_URL is not set.');
      try {
        const me = await createMattermostClient(mattermostUrl, token).getMe();
        return { id: me.id, username: me.username, roles: me.roles };
      } catch (error) {
        if (error instanceof MattermostHttpError && error.status === 401) return null;
        throw error;
      }
    }, { newTokensPerSecond: config.webapp.sessionChecksPerSecond });
    // Polling, access checks and the webapp API share one client, so all count against GITLAB_MAX_REQUESTS_PER_MINUTE.
    const gitlabClient = createPollClient({
      gitlabUrl: config.gitlab.url,
      budget: createRequestBudget(database.pool, { perMinute: config.polling.maxRequestsPerMinute }),
      log: log.child({ component: 'gitlab' }),
      onRequest: (outcome) => metrics.gitlabRequests.inc({ outcome }),
    });
    const publicApp = createPublicApp({
      log,
      metrics,
      oauth: {
        db: database.pool,
        key: encryptionKey,
        keys,
        app: oauthApp,
        connections,
        sessionUser: async (token) => (await resolveSession(token))?.id ?? null,
        siteUrl: config.mattermost.siteUrl,
        publicUrl: config.publicUrl,
      },
      api: webappApi(
        {
          pool: database.pool,
          log: log.child({ component: 'webapp-api' }),
          connections,
          gitlab: gitlabClient,
          gitlabUrl: config.gitlab.url,
          publicUrl: config.publicUrl,
          mattermostUrl,
          siteUrl: config.mattermost.siteUrl,
          bot,
          gateway,
          webhookSecret: config.gitlab.webhookSecrets[0],
          activeIntervalSeconds: config.polling.activeIntervalSeconds,
          live,
          membership: createChannelMembership({ mattermostUrl }),
        },
        {
          resolveSession,
          trustedOrigins: [config.mattermost.siteUrl, config.publicUrl].flatMap((url) => (url ? [new URL(url).origin] : [])),
        },
      ),
      webhook: {
        secrets: config.gitlab.webhookSecrets,
        signingKey: config.gitlab.webhookSigningKey,
        store: (delivery) => deliveries.store(delivery),
      },
      setupPage: async () =>
        renderSetupPage({
          version: VERSION,
          readiness: await readiness(),
          settings,
          publicUrl: config.publicUrl,
          publicPort: publicListener.port,
          database: database.kind,
        }),
    });
    const publicListener = await listen('public', publicApp, config.port, '0.0.0.0');
    listeners.push(publicListener);
    // Every subcommand's deps are a slice of commandDeps below.
    const subcommands: Subcommand<StatusDeps & SubscriptionDeps & AccountDeps & WebhookDeps>[] = [
      connectCommand,
      disconnectCommand,
      meCommand,
      subscriptionsCommand,
      webhookCommand,
      todoCommand,
      issueCommand,
      pipelineCommand,
      settingsCommand,
      muteCommand,
      statusCommand,
    ];
    const commandDeps = {
      pool: database.pool,
      bot,
      gateway,
      connections,
      keys,
      publicUrl: config.publicUrl,
      gitlabUrl: config.gitlab.url,
      webhookSecret: config.gitlab.webhookSecrets[0],
      canSendDirectMessages: bot !== null,
      version: VERSION,
      database: `${database.kind} (${database.label})`,
      readiness,
    };
    const internalApp = createInternalApp({
      log,
      metrics,
      readiness,
      command: {
        verifyToken: (teamId, token) => verifyCommandToken(database.pool, teamId, token),
        handle: (call, text) => {
          void markActive(database.pool, call.userId, config.polling.activeIntervalSeconds).catch((error: unknown) => log.warn({ err: error }, 'could not record that a user is active'));
          return runCommandLine(subcommands, call, text, commandDeps);
        },
        mattermostOrigins: [config.mattermost.url, config.mattermost.siteUrl].flatMap((url) => (url ? [new URL(url).origin] : [])),
      },
    });
    const internalListener = await listen('internal', internalApp, config.internalPort, config.internalHost);
    listeners.push(internalListener);
    // With the admin token, teams created since setup get /gitlab too (a minute after start, then every 10).
    const reconciler =
      config.mattermost.url && config.mattermost.adminToken
        ? startTeamReconciler(database.locks, createMattermostClient(config.mattermost.url, config.mattermost.adminToken), await provisionOptions(config, database.pool), log)
        : null;
    const canSee = connections ? createAccessChecker({ db: database.pool, client: gitlabClient, callerFor: (userId) => connections.callerFor(userId) }) : null;
    const direct =
      gateway && bot && canSee
        ? createDirectDelivery({
            pool: database.pool,
            locks: database.locks,
            gateway,
            directChannel: createDirectChannels(bot),
            canSee,
            log: log.child({ component: 'direct-messages' }),
            count: (outcome) => metrics.directMessages.inc({ outcome }),
          })
        : null;
    const pollers =
      connections && bot
        ? startPollers({
            pool: database.pool,
            log: log.child({ component: 'polling' }),
            observe: (kind, lagSeconds, outcome) => metrics.pollLag.observe({ kind, outcome }, lagSeconds),
            kinds: pollerKinds({
              pool: database.pool,
              client: gitlabClient,
              callerFor: (userId) => connections.callerFor(userId),
              timeZoneOf: async (userId) => reminderTimeZone((await bot.getUser(userId)).timezone),
              gitlabUrl: config.gitlab.url,
              polling: config.polling,
              store: (delivery) => deliveries.store(delivery),
              publicUrl: config.publicUrl,
              log: log.child({ component: 'polling' }),
            }),
          })
        : null;
    // Retention: finished work is forgotten in small batches, one replica at a time.
    const pruning = startPruning({ db: database.pool, locks: database.locks, retention: config.retention, log: log.child({ component: 'pruning' }), count: (table, rows) => metrics.prunedRows.inc({ table }, rows) });
    const workers = startWorkers({
      pool: database.pool,
      locks: database.locks,
      gateway,
      log,
      gitlabUrl: config.gitlab.url,
      countPost: (outcome) => metrics.channelPosts.inc({ outcome }),
      doorBusy: () => deliveries.busy(),
      direct,
      // Without OAuth nobody is connected: GitLab is then asked without a token.
      featureLevels: createFeatureLevelSource({ pool: database.pool, client: gitlabClient, callerFor: async (userId) => (connections ? connections.callerFor(userId) : null), log: log.child({ component: 'gitlab' }) }),
    });

    log.info(
      {
        version: VERSION,
        publicPort: publicListener.port,
        internalPort: internalListener.port,
        internalHost: config.internalHost,
        database: database.kind,
        schemaVersion: migration.version,
      },
      'gitlab-bridge listening',
    );

    let stopping: Promise<void> | undefined;
    return {
      publicPort: publicListener.port,
      internalPort: internalListener.port,
      stop: (deadlineMs = 7000) =>
        (stopping ??= (async () => {
          // Live update streams never finish on their own: end them first, so the listeners drain at once.
          await live.close();
          await Promise.all(listeners.map((listener) => listener.close(deadlineMs)));
          await reconciler?.stop();
          await pruning.stop();
          await pollers?.stop();
          await workers.stop();
          await deliveries.close();
          await database.close();
        })()),
    };
  } catch (error) {
    await liveEvents?.close();
    await Promise.all(listeners.map((listener) => listener.close(0)));
    listeners = [];
    await database.close();
    throw error;
  }
}

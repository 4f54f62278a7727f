/**
 * Assembles the running bridge from a validated config: database (migrated),
 * encryption key, then the parts in server/src/assemble/ in order. `stop`
 * closes the doors first, then drains the work behind them and releases the
 * database.
 */
import { assembleActions } from './assemble/actions.js';
import { assembleGitLabs } from './assemble/gitlab.js';
import { startBackgroundWork } from './assemble/background-work.js';
import { startConversations, type Conversations } from './assemble/conversations.js';
import { startInternalListener } from './assemble/internal-listener.js';
import { assembleMattermost } from './assemble/mattermost.js';
import { startPublicListener } from './assemble/public-listener.js';
import { assembleReadiness } from './assemble/readiness-checks.js';
import { assembleSessionResolver } from './assemble/sessions.js';
import { describeSettings, type Config } from './config.js';
import { checkKeyMatchesDatabase, resolveEncryptionKey } from './crypto/encryption-key.js';
import { toEncryptionKey } from './crypto/secret-box.js';
import type { Listener } from './http/listener.js';
import { createMetrics } from './http/metrics.js';
import type { Logger } from './log.js';
import { openDatabase } from './store/database.js';
import { createDeliveryBatcher } from './store/delivery-batcher.js';
import { createRecentPayloads } from './delivery/recent-payloads.js';
import { migrate } from './store/migrate.js';
import { countPendingOutbox } from './store/outbox-backlog.js';
import { countPendingDeliveries } from './store/webhook-inbox.js';
import { VERSION } from './version.js';
import { startLiveEvents, type LiveEvents } from './webapp-api/live-events.js';

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
  const listeners: Listener[] = [];
  let liveEvents: LiveEvents | undefined;
  try {
    const migration = await migrate(database.pool, log);
    const key = await resolveEncryptionKey(config.encryptionKey, config.dataDir, log);
    // The old keys stay readable while `rotate-key` moves tokens to the new one.
    const keys = [key, ...config.previousEncryptionKeys.map(toEncryptionKey)];
    await checkKeyMatchesDatabase(database.pool, key, keys);

    // Conversations start last (they need the GitLab side); what reports on them asks once they exist.
    let conversations: Conversations | undefined;
    const metrics = createMetrics(VERSION, {
      webhookBacklog: () => countPendingDeliveries(database.pool),
      outboxBacklog: () => countPendingOutbox(database.pool),
      mattermostStreamUp: () => (conversations?.state().stream?.phase === 'connected' ? 1 : 0),
    });
    const mattermost = assembleMattermost(config, database.pool);
    const readiness = assembleReadiness(config, database, mattermost.bot, async () => (await conversations?.report()) ?? null);
    const gitlabs = assembleGitLabs({ config, database, key, keys, notify: mattermost.notify, metrics, log });
    const gitlab = gitlabs.default;
    // Storing webhooks has connections of its own: the door never waits behind delivery or polling.
    const deliveries = createDeliveryBatcher(database.inbox);
    // What the door stored, processing here takes from memory rather than reading it back.
    const recentPayloads = createRecentPayloads();
    const live = (liveEvents = await startLiveEvents({
      pool: database.pool,
      log: log.child({ component: 'live-events' }),
      streamsPerUser: config.webapp.liveStreamsPerUser,
      streamsMax: config.webapp.liveStreamsMax,
    }));
    const resolveSession = assembleSessionResolver(config);
    const publicListener = await startPublicListener({ config, log, metrics, database, key, keys, mattermost, gitlab, gitlabs, live, resolveSession, deliveries, recentPayloads, readiness, settings });
    listeners.push(publicListener);
    const actions = assembleActions(config, database.pool, keys, mattermost, gitlab.connections, metrics, gitlabs);
    const internalListener = await startInternalListener({ config, log, metrics, database, keys, mattermost, connections: gitlab.connections, gitlabs, readiness, actions });
    listeners.push(internalListener);
    const background = await startBackgroundWork({ config, log, metrics, database, mattermost, gitlab, gitlabs, deliveries, recentPayloads, buttons: actions.buttons });
    const talk = (conversations = startConversations({ config, log, metrics, database, bot: mattermost.bot, gitlabs, notify: mattermost.notify, gateway: mattermost.gateway }));

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
          await talk.stop();
          await background.stop();
          await deliveries.close();
          await database.close();
        })()),
    };
  } catch (error) {
    await liveEvents?.close();
    await Promise.all(listeners.map((listener) => listener.close(0)));
    await database.close();
    throw error;
  }
}

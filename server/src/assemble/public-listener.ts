/**
 * The public listener, reached through the reverse proxy: the webhook door
 * (storing into the inbox), the GitLab sign-in, the webapp API and the status
 * page.
 */
import type { Config, describeSettings } from '../config.js';
import type { EncryptionKey } from '../crypto/secret-box.js';
import { listen, type Listener } from '../http/listener.js';
import type { Metrics } from '../http/metrics.js';
import { createPublicApp } from '../http/public-app.js';
import { renderSetupPage } from '../http/setup-page.js';
import type { Logger } from '../log.js';
import type { Readiness } from '../readiness.js';
import type { Database } from '../store/database.js';
import type { DeliveryBatcher } from '../store/delivery-batcher.js';
import { rideOutRestart } from '../store/ride-out-restart.js';
import type { RecentPayloads } from '../delivery/recent-payloads.js';
import { VERSION } from '../version.js';
import { createChannelMembership } from '../webapp-api/channel-membership.js';
import type { LiveEvents } from '../webapp-api/live-events.js';
import { webappApi } from '../webapp-api/router.js';
import type { ResolveSession } from '../webapp-api/session-cache.js';
import type { GitLabSide, GitLabSides } from './gitlab.js';
import type { MattermostSide } from './mattermost.js';

export interface PublicListenerDeps {
  config: Config;
  log: Logger;
  metrics: Metrics;
  database: Pick<Database, 'pool' | 'kind'>;
  key: EncryptionKey;
  keys: readonly EncryptionKey[];
  mattermost: MattermostSide;
  gitlab: GitLabSide;
  /** Every instance's side (sign-in and webhook door per instance). */
  gitlabs: GitLabSides;
  live: LiveEvents;
  resolveSession: ResolveSession;
  /** Where the webhook door stores what it accepts. */
  deliveries: DeliveryBatcher;
  /** Where the door leaves the payloads it stored for processing in this process. */
  recentPayloads?: RecentPayloads;
  readiness(): Promise<Readiness>;
  /** Every setting and whether it is set, for the status page. */
  settings: ReturnType<typeof describeSettings>;
}

export async function startPublicListener(deps: PublicListenerDeps): Promise<Listener> {
  const { config, log, database, gitlab, mattermost } = deps;
  const mattermostUrl = config.mattermost.url;
  const app = createPublicApp({
    log,
    metrics: deps.metrics,
    oauth: {
      db: database.pool,
      key: deps.key,
      keys: deps.keys,
      instances: deps.gitlabs.all.map((side) => ({ name: side.instance.name, app: side.oauthApp, connections: side.connections })),
      sessionUser: async (token, client) => (await deps.resolveSession(token, client))?.id ?? null,
      siteUrl: config.mattermost.siteUrl,
      publicUrl: config.publicUrl,
    },
    api: webappApi(
      {
        pool: database.pool,
        log: log.child({ component: 'webapp-api' }),
        connections: gitlab.connections,
        gitlab: gitlab.client,
        gitlabUrl: config.gitlab.url,
        scopeSetting: config.gitlab,
        publicUrl: config.publicUrl,
        mattermostUrl,
        siteUrl: config.mattermost.siteUrl,
        bot: mattermost.bot,
        gateway: mattermost.gateway,
        webhookSecret: config.gitlab.webhookSecrets[0],
        activeIntervalSeconds: config.polling.activeIntervalSeconds,
        live: deps.live,
        membership: createChannelMembership({ mattermostUrl }),
        instances: deps.gitlabs.instances,
        instanceSide: (name) => {
          const side = deps.gitlabs.byName(name);
          return (
            side && { name: side.instance.name, url: side.instance.url, connections: side.connections, client: side.client, scopeSetting: side.instance, webhookSecret: side.instance.webhookSecrets[0] }
          );
        },
      },
      {
        resolveSession: deps.resolveSession,
        trustedOrigins: [config.mattermost.siteUrl, config.publicUrl].flatMap((url) => (url ? [new URL(url).origin] : [])),
      },
    ),
    webhook: {
      doors: config.gitlabInstances.map((instance) => ({ instance: instance.name, secrets: instance.webhookSecrets, signingKey: instance.webhookSigningKey })),
      // A delivery that arrives while PostgreSQL restarts waits for it, rather than being refused.
      store: rideOutRestart((delivery) => deps.deliveries.store(delivery)),
      remember: deps.recentPayloads ? (id, json) => deps.recentPayloads!.remember(id, json) : undefined,
    },
    setupPage: async () =>
      renderSetupPage({
        version: VERSION,
        readiness: await deps.readiness(),
        settings: deps.settings,
        publicUrl: config.publicUrl,
        publicPort: listener.port,
        database: database.kind,
      }),
  });
  const listener = await listen('public', app, config.port, '0.0.0.0');
  return listener;
}

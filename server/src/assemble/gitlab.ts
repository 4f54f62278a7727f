/**
 * The bridge's side of GitLab: the OAuth application and users' connections
 * (only with GITLAB_OAUTH_CLIENT_ID, GITLAB_OAUTH_CLIENT_SECRET and a public
 * URL to come back to), the one API client, and what is asked through it:
 * whether a user may see something, and public projects' feature levels.
 */
import { createAccessChecker } from '../accounts/gitlab-access.js';
import { createGitLabConnections, type GitLabConnections } from '../accounts/gitlab-connections.js';
import { requestedScopes } from '../accounts/write-access.js';
import type { Config, GitLabInstanceConfig } from '../config.js';
import type { EncryptionKey } from '../crypto/secret-box.js';
import { gitlabInstances, type GitLabInstances } from '../gitlab/instances.js';
import type { OAuthApp } from '../gitlab/oauth.js';
import { createPollClient, type PollClient } from '../gitlab/poll-client.js';
import { createFeatureLevelSource, type FeatureLevelSource } from '../gitlab/project-features.js';
import type { Metrics } from '../http/metrics.js';
import type { Logger } from '../log.js';
import type { DirectMessenger } from '../mattermost/direct-message.js';
import { createRequestBudget } from '../polling/request-budget.js';
import type { Database } from '../store/database.js';

export interface GitLabSideDeps {
  config: Config;
  database: Pick<Database, 'pool' | 'locks'>;
  /** Seals new tokens; `keys` open old ones too. */
  key: EncryptionKey;
  keys: readonly EncryptionKey[];
  /** Tells a user about their connection (e.g. that it stopped working). */
  notify: DirectMessenger;
  metrics: Metrics;
  log: Logger;
}

export interface GitLabSide {
  /** Which GitLab this side talks to. */
  instance: GitLabInstanceConfig;
  oauthApp: OAuthApp | null;
  /** Null without the OAuth application: nobody can connect. */
  connections: GitLabConnections | null;
  client: PollClient;
  /** Null without the OAuth application: nobody's access can be asked. */
  canSee: ReturnType<typeof createAccessChecker> | null;
  featureLevels: FeatureLevelSource;
}

/** Every configured GitLab's side, the default's first. */
export interface GitLabSides {
  instances: GitLabInstances;
  all: GitLabSide[];
  default: GitLabSide;
  /** By instance name; undefined for a name this bridge does not know. */
  byName(name: string): GitLabSide | undefined;
}

export function assembleGitLabs(deps: GitLabSideDeps): GitLabSides {
  const instances = gitlabInstances(deps.config.gitlabInstances);
  const all = instances.all.map((instance) => assembleGitLab(deps, instance));
  return { instances, all, default: all[0]!, byName: (name) => all.find((side) => side.instance.name === instances.byName(name)?.name) };
}

export function assembleGitLab({ config, database, key, keys, notify, metrics, log: parentLog }: GitLabSideDeps, instance: GitLabInstanceConfig = config.gitlab): GitLabSide {
  const log = instance.name === config.gitlab.name ? parentLog : parentLog.child({ instance: instance.name });
  const { oauthClientId, oauthClientSecret } = instance;
  const oauthApp =
    oauthClientId && oauthClientSecret && config.publicUrl
      ? {
          gitlabUrl: instance.url,
          clientId: oauthClientId,
          clientSecret: oauthClientSecret,
          // One return address for every instance: the sign-in's state says which one it was.
          redirectUri: `${config.publicUrl.replace(/\/+$/, '')}/oauth/complete`,
          scopes: requestedScopes(instance),
        }
      : null;
  const connections = oauthApp
    ? createGitLabConnections({ pool: database.pool, locks: database.locks, key, keys, app: oauthApp, notify, log, instance: instance.name })
    : null;
  // Polling, access checks and the webapp API share one client per instance, so all count against its GITLAB_MAX_REQUESTS_PER_MINUTE.
  const client = createPollClient({
    gitlabUrl: instance.url,
    budget: createRequestBudget(database.pool, { perMinute: config.polling.maxRequestsPerMinute, instance: instance.name }),
    log: log.child({ component: 'gitlab' }),
    onRequest: (outcome) => metrics.gitlabRequests.inc({ outcome }),
  });
  return {
    instance,
    oauthApp,
    connections,
    client,
    canSee: connections ? createAccessChecker({ db: database.pool, instance: instance.name, client, callerFor: (userId) => connections.callerFor(userId) }) : null,
    // Without OAuth nobody is connected: GitLab is then asked without a token.
    featureLevels: createFeatureLevelSource({ pool: database.pool, instance: instance.name, client, callerFor: async (userId) => (connections ? connections.callerFor(userId) : null), log: log.child({ component: 'gitlab' }) }),
  };
}

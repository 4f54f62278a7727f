/**
 * The bridge's side of GitLab: the OAuth application and users' connections
 * (only with GITLAB_OAUTH_CLIENT_ID, GITLAB_OAUTH_CLIENT_SECRET and a public
 * URL to come back to), the one API client, and what is asked through it:
 * whether a user may see something, and public projects' feature levels.
 */
import { createAccessChecker } from '../accounts/gitlab-access.js';
import { createGitLabConnections, type GitLabConnections } from '../accounts/gitlab-connections.js';
import type { Config } from '../config.js';
import type { EncryptionKey } from '../crypto/secret-box.js';
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
  oauthApp: OAuthApp | null;
  /** Null without the OAuth application: nobody can connect. */
  connections: GitLabConnections | null;
  client: PollClient;
  /** Null without the OAuth application: nobody's access can be asked. */
  canSee: ReturnType<typeof createAccessChecker> | null;
  featureLevels: FeatureLevelSource;
}

export function assembleGitLab({ config, database, key, keys, notify, metrics, log }: GitLabSideDeps): GitLabSide {
  const { oauthClientId, oauthClientSecret } = config.gitlab;
  const oauthApp =
    oauthClientId && oauthClientSecret && config.publicUrl
      ? { gitlabUrl: config.gitlab.url, clientId: oauthClientId, clientSecret: oauthClientSecret, redirectUri: `${config.publicUrl.replace(/\/+$/, '')}/oauth/complete` }
      : null;
  const connections = oauthApp ? createGitLabConnections({ pool: database.pool, locks: database.locks, key, keys, app: oauthApp, notify, log }) : null;
  // Polling, access checks and the webapp API share one client, so all count against GITLAB_MAX_REQUESTS_PER_MINUTE.
  const client = createPollClient({
    gitlabUrl: config.gitlab.url,
    budget: createRequestBudget(database.pool, { perMinute: config.polling.maxRequestsPerMinute }),
    log: log.child({ component: 'gitlab' }),
    onRequest: (outcome) => metrics.gitlabRequests.inc({ outcome }),
  });
  return {
    oauthApp,
    connections,
    client,
    canSee: connections ? createAccessChecker({ db: database.pool, client, callerFor: (userId) => connections.callerFor(userId) }) : null,
    // Without OAuth nobody is connected: GitLab is then asked without a token.
    featureLevels: createFeatureLevelSource({ pool: database.pool, client, callerFor: async (userId) => (connections ? connections.callerFor(userId) : null), log: log.child({ component: 'gitlab' }) }),
  };
}

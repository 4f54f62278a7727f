/** Everything the webapp API's routes use; built once in bridge.ts. */
import type pg from 'pg';
import type { GitLabConnections } from '../accounts/gitlab-connections.js';
import type { ScopeSetting } from '../accounts/write-access.js';
import type { GitLabInstances } from '../gitlab/instances.js';
import type { PollClient } from '../gitlab/poll-client.js';
import type { Logger } from '../log.js';
import type { ChannelGateway } from '../mattermost/channel-gateway.js';
import type { MattermostClient } from '../mattermost/client.js';
import type { ChannelMembership } from './channel-membership.js';
import type { LiveEvents } from './live-events.js';

export interface WebappDeps {
  pool: pg.Pool;
  log: Logger;
  /** Null until the GitLab OAuth application is configured: then nobody is connected. */
  connections: GitLabConnections | null;
  /** The budgeted GitLab client polling uses (GITLAB_MAX_REQUESTS_PER_MINUTE). */
  gitlab: PollClient;
  gitlabUrl: string;
  /** GITLAB_OAUTH_SCOPES: with read_api the routes that write to GitLab answer 403 read_only. */
  scopeSetting: ScopeSetting;
  /** PUBLIC_URL (`<site>/plugins/gitlab-bridge`): hooks pointing at `<PUBLIC_URL>/webhook` are this bridge's. */
  publicUrl: string | undefined;
  mattermostUrl: string | undefined;
  /** MATTERMOST_SITE_URL, for permalinks. */
  siteUrl: string | undefined;
  bot: MattermostClient | null;
  gateway: ChannelGateway | null;
  webhookSecret: string | undefined;
  /** POLL_ACTIVE_INTERVAL_SECONDS: using the webapp counts as being active. */
  activeIntervalSeconds: number;
  live: LiveEvents;
  /** Whether a user belongs to a channel, asked with their own session (cached for a minute). */
  membership: ChannelMembership;
  /** Every configured GitLab; absent, only the default one (the fields above). */
  instances?: GitLabInstances;
  /** One instance's side, for routes about a target on it; undefined for a name not configured. */
  instanceSide?(name: string): WebappInstance | undefined;
}

/** What the routes use of one GitLab instance: the default's is gitlabUrl, connections, gitlab, scopeSetting and webhookSecret above. */
export interface WebappInstance {
  name: string;
  url: string;
  connections: GitLabConnections | null;
  /** Its own budgeted client (its GITLAB_<NAME>_MAX_REQUESTS_PER_MINUTE). */
  client: PollClient;
  scopeSetting: ScopeSetting;
  /** The X-Gitlab-Token its new hooks get. */
  webhookSecret: string | undefined;
}

/**
 * Buttons and their dialogs: the signer for button contexts and dialog states
 * (a key derived from the encryption key), what signs queued buttons as posts
 * are made, and what the internal listener's action and dialog routes need.
 */
import type { GitLabConnections } from '../accounts/gitlab-connections.js';
import { writesAllowed } from '../accounts/write-access.js';
import type { ActionInstance } from '../actions/action-instance.js';
import type { ActionDeps } from '../actions/handle-press.js';
import { createButtonSigner, type ButtonSigner } from '../actions/render-buttons.js';
import type { Config } from '../config.js';
import { createSigner } from '../crypto/signed-claims.js';
import type { EncryptionKey } from '../crypto/secret-box.js';
import { createActionGateway } from '../mattermost/action-gateway.js';
import type { Metrics } from '../http/metrics.js';
import type { Queryable } from '../store/queryable.js';
import type { GitLabSide, GitLabSides } from './gitlab.js';
import type { MattermostSide } from './mattermost.js';

export interface ActionSide {
  /**
   * Null when buttons are off (ACTION_BUTTONS=off), the bridge is read-only on every instance
   * (GITLAB_OAUTH_SCOPES=read_api: every button writes), or there is no bot. Objects of a read-only
   * instance get none.
   */
  buttons: ButtonSigner | null;
  /** The action and dialog routes' needs; null without a bot. */
  routes: Omit<ActionDeps, 'log'> | null;
}

export function assembleActions(
  config: Config,
  pool: Queryable,
  keys: readonly EncryptionKey[],
  mattermost: Pick<MattermostSide, 'bot'>,
  connections: GitLabConnections | null,
  metrics: Pick<Metrics, 'actions'>,
  /** Every configured GitLab: a press acts on the one its post's event came from. Absent: the default only. */
  gitlabs?: Pick<GitLabSides, 'all' | 'byName'>,
): ActionSide {
  if (!mattermost.bot) return { buttons: null, routes: null };
  const signer = createSigner(keys);
  const internal = config.internalUrl.replace(/\/+$/, '');
  const instances = gitlabs?.all.map((side) => side.instance) ?? [config.gitlab];
  const writes = (name: string) => instances.some((instance) => instance.name === name && writesAllowed(instance));
  const buttons = config.actionButtons && instances.some(writesAllowed) ? createButtonSigner(signer, `${internal}/mattermost/action`, Date.now, writes) : null;
  return {
    buttons,
    routes: {
      pool,
      signer,
      buttons,
      gateway: createActionGateway(mattermost.bot),
      connections,
      gitlabUrl: config.gitlab.url,
      scopeSetting: config.gitlab,
      ...(gitlabs ? { instanceSide: (name: string) => actionInstance(gitlabs.byName(name)) } : {}),
      publicUrl: config.publicUrl,
      dialogUrl: `${internal}/mattermost/dialog`,
      now: Date.now,
      count: countActions(metrics),
    },
  };
}

function actionInstance(side: GitLabSide | undefined): ActionInstance | undefined {
  return side && { name: side.instance.name, connections: side.connections, gitlabUrl: side.instance.url, scopeSetting: side.instance };
}

/** gitlab_bridge_actions_total, for buttons, dialogs and commands alike. */
export function countActions(metrics: Pick<Metrics, 'actions'>): (action: string, via: string, outcome: string) => void {
  return (action, via, outcome) => metrics.actions.inc({ action, via, outcome });
}

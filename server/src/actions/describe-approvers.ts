/**
 * Who may approve a blocked deployment, for the post about it: read from the
 * deployment's own approval summary (what everyone who may read the deployment
 * may read), with the token of someone the post is for: the subscriber of a
 * channel's subscription, or a direct message's reader. Best effort and quick:
 * without an answer the post says only where the deployment waits.
 */
import type { GitLabConnections } from '../accounts/gitlab-connections.js';
import type { Logger } from '../log.js';
import type { Queryable } from '../store/queryable.js';
import { DEFAULT_INSTANCE } from '../gitlab/instances.js';
import { instanceOf, type ButtonSpec } from './button-spec.js';
import { gitlabAsUser } from './gitlab-as-user.js';
import { approversFromSummary, type DeploymentJson } from './live-state.js';

/** A post waits this long at most for GitLab; delivery goes on without the approvers after that. */
const LOOKUP_TIMEOUT_MS = 5000;

export type ButtonDescriber = (spec: ButtonSpec, reader: { subscriptionId?: string | null; userId?: string }) => Promise<ButtonSpec>;

/** One GitLab's connections and URL. */
interface Side {
  connections: GitLabConnections | null;
  gitlabUrl: string;
}

/** `connections` and `gitlabUrl` are the default instance's; `instanceSide` gives another's (a deployment is read on its own GitLab). */
export function createApproverDescriber(deps: Side & { pool: Queryable; log: Logger; instanceSide?(name: string): Side | undefined }): ButtonDescriber {
  return async (spec, reader) => {
    const state = spec.state;
    if (state.kind !== 'deployment' || state.status !== 'blocked' || state.approvers || spec.target.kind !== 'deployment') return spec;
    const instance = instanceOf(spec.target);
    const side = deps.instanceSide ? deps.instanceSide(instance) : instance === DEFAULT_INSTANCE ? deps : undefined;
    if (!side?.connections) return spec;
    try {
      const userId = reader.userId ?? (reader.subscriptionId ? await subscriberOf(deps.pool, reader.subscriptionId) : null);
      const caller = userId ? await side.connections.callerFor(userId) : null;
      if (!caller) return spec;
      const api = gitlabAsUser(side.gitlabUrl, caller.token, LOOKUP_TIMEOUT_MS);
      const deployment = await api.get<DeploymentJson>(`/projects/${spec.target.project}/deployments/${spec.target.id}`);
      const approvers = approversFromSummary(deployment);
      return approvers ? { ...spec, state: { ...state, approvers } } : spec;
    } catch (error) {
      deps.log.debug({ err: error }, 'could not read who may approve a deployment');
      return spec;
    }
  };
}

async function subscriberOf(db: Queryable, subscriptionId: string): Promise<string | null> {
  const { rows } = await db.query<{ creator_id: string }>('SELECT creator_id FROM subscriptions WHERE id = $1', [subscriptionId]);
  return rows[0]?.creator_id ?? null;
}

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
import type { ButtonSpec } from './button-spec.js';
import { gitlabAsUser } from './gitlab-as-user.js';
import { approversFromSummary, type DeploymentJson } from './live-state.js';

/** A post waits this long at most for GitLab; delivery goes on without the approvers after that. */
const LOOKUP_TIMEOUT_MS = 5000;

export type ButtonDescriber = (spec: ButtonSpec, reader: { subscriptionId?: string | null; userId?: string }) => Promise<ButtonSpec>;

export function createApproverDescriber(deps: { pool: Queryable; connections: GitLabConnections; gitlabUrl: string; log: Logger }): ButtonDescriber {
  return async (spec, reader) => {
    const state = spec.state;
    if (state.kind !== 'deployment' || state.status !== 'blocked' || state.approvers || spec.target.kind !== 'deployment') return spec;
    try {
      const userId = reader.userId ?? (reader.subscriptionId ? await subscriberOf(deps.pool, reader.subscriptionId) : null);
      const caller = userId ? await deps.connections.callerFor(userId) : null;
      if (!caller) return spec;
      const api = gitlabAsUser(deps.gitlabUrl, caller.token, LOOKUP_TIMEOUT_MS);
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

/**
 * Polls a project's deployments: one request a cycle, GET
 * /projects/:id/deployments with `updated_after` the newest `updated_at`
 * seen, ordered by it (GitLab's DeploymentsFinder wants the two together),
 * oldest first, so that a cycle with more than a page of changes goes on from
 * where it stopped. A status already reported for a deployment is not again.
 * The first poll only notes the time. See deployment-hook.ts.
 */
import { hookFromDeployment, POLLED_DEPLOYMENT_STATUSES } from './deployment-hook.js';
import type { KindPoll } from './poll-releases.js';
import type { RestDeployment } from './rest-shapes.js';

const PAGE = 100;
/** Deployments remembered, to tell a new status from one already reported. */
const REMEMBERED_DEPLOYMENTS = 200;

export interface DeploymentPollState {
  /** `updated_after` for the next request. */
  since: string;
  /** The last status seen, by deployment id. */
  statuses: Record<string, string>;
}

export async function pollDeployments(poll: KindPoll, state: DeploymentPollState | undefined): Promise<DeploymentPollState> {
  if (!state) return { since: poll.now.toISOString(), statuses: {} };
  const { body } = await poll.client.get<RestDeployment[]>(poll.token, `/projects/${poll.projectId}/deployments`, {
    updated_after: state.since,
    order_by: 'updated_at',
    sort: 'asc',
    per_page: PAGE,
  });
  const statuses = { ...state.statuses };
  let since = state.since;
  for (const deployment of body) {
    if (Date.parse(deployment.updated_at) > Date.parse(since)) since = deployment.updated_at;
    const id = String(deployment.id);
    if (statuses[id] === deployment.status) continue;
    statuses[id] = deployment.status;
    if (!POLLED_DEPLOYMENT_STATUSES.includes(deployment.status)) continue;
    const hook = hookFromDeployment(deployment, poll.project);
    if (hook) await poll.store(hook, `poll:${poll.projectId}:deployment:${deployment.id}:${deployment.status}`);
  }
  const kept = Object.keys(statuses).map(Number).sort((a, b) => b - a).slice(0, REMEMBERED_DEPLOYMENTS);
  return { since, statuses: Object.fromEntries(kept.map((id) => [String(id), statuses[String(id)]!])) };
}

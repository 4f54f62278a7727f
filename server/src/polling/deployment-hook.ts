/**
 * Deployment Hook payloads from a polled deployment (GET /projects/:id/deployments,
 * Gitlab::DataBuilder::Deployment's fields). GitLab sends the hook when a
 * deployment starts and when it finishes; a poll sees a snapshot, so the
 * statuses it reports are those a deployment rests in: running, the finished
 * ones, and blocked (waiting for approval, which the bridge offers buttons
 * for). `status_changed_at` is the deployment's `updated_at`, the nearest the
 * API gives to the moment of the change.
 */
import { projectAttributes, userAttributes, utcSeconds, type HookPayload } from './hook-attributes.js';
import type { RestDeployment, RestProject } from './rest-shapes.js';

export const POLLED_DEPLOYMENT_STATUSES: readonly string[] = ['running', 'success', 'failed', 'canceled', 'blocked'];

export function hookFromDeployment(deployment: RestDeployment, project: RestProject): { event: 'Deployment Hook'; payload: HookPayload } | null {
  if (!POLLED_DEPLOYMENT_STATUSES.includes(deployment.status)) return null;
  // Deployment#deployed_by: the job's user (who ran a manual deploy job), else whoever created the deployment.
  const user = deployment.deployable?.user ?? deployment.user ?? null;
  const { environment, deployable } = deployment;
  return {
    event: 'Deployment Hook',
    payload: {
      object_kind: 'deployment',
      status: deployment.status,
      status_changed_at: utcSeconds(deployment.updated_at),
      deployment_id: deployment.id,
      deployable_id: deployable?.id ?? null,
      deployable_url: deployable?.web_url ?? null,
      environment: environment.name,
      environment_tier: environment.tier ?? null,
      environment_slug: environment.slug ?? null,
      environment_external_url: environment.external_url ?? null,
      project: projectAttributes(project),
      short_sha: deployment.sha.slice(0, 8),
      user: user ? userAttributes(user) : null,
      user_url: user?.web_url ?? null,
      commit_url: `${project.web_url}/-/commit/${deployment.sha}`,
      // The deploy job's commit is the deployment's; the API-made deployments have no job, and no title here.
      commit_title: deployable?.commit?.id === deployment.sha ? (deployable.commit.title ?? null) : null,
      ref: deployment.ref,
    },
  };
}

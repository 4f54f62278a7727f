/**
 * What a merge request, issue, pipeline, job or deployment looks like now, to
 * the person acting: read from GitLab with their token before an action (so a
 * second press finds the first one done) and after it (to redraw the post).
 */
import { renderStatusLine } from '../delivery/object-status.js';
import { GitLabHttpError } from '../gitlab/poll-client.js';
import { inline } from '../render/text.js';
import type { ActionTarget, ButtonState } from './button-spec.js';
import type { GitLabAsUser } from './gitlab-as-user.js';

interface Person {
  id: number;
  username?: string;
  name?: string;
}

export interface MergeRequestJson {
  iid: number;
  title: string;
  state: 'opened' | 'closed' | 'merged' | 'locked';
  draft?: boolean;
  work_in_progress?: boolean;
  detailed_merge_status?: string;
  merge_status?: string;
  has_conflicts?: boolean;
  sha?: string;
  squash?: boolean;
  squash_on_merge?: boolean;
  force_remove_source_branch?: boolean | null;
  should_remove_source_branch?: boolean | null;
  merge_when_pipeline_succeeds?: boolean;
  head_pipeline?: { id: number; status: string; web_url?: string } | null;
  assignees?: Person[];
  reviewers?: Person[];
  web_url: string;
  references?: { full?: string };
}

export interface ApprovalsJson {
  approved?: boolean;
  approvals_left?: number;
  approved_by?: { user: Person }[];
}

export interface IssueJson {
  iid: number;
  title: string;
  state: 'opened' | 'closed';
  assignees?: Person[];
  web_url: string;
  references?: { full?: string };
}

export interface PipelineJson {
  id: number;
  status: string;
  web_url: string;
}

export interface JobJson {
  id: number;
  name: string;
  status: string;
  web_url: string;
}

export interface DeploymentJson {
  id: number;
  status: string;
  environment?: { name?: string };
  user?: Person;
  approvals?: { user: Person; status: string }[];
  /** Premium, where the environment has approval rules; Reporters may read it (ee Entities::Deployments::ApprovalSummary). */
  approval_summary?: { rules?: ApprovalRuleJson[] } | null;
  deployable?: { web_url?: string } | null;
}

interface ApprovalRuleJson {
  access_level_description?: string;
  required_approvals?: number;
}

export interface ProtectedEnvironmentJson {
  name: string;
  required_approval_count?: number;
  approval_rules?: ApprovalRuleJson[];
}

/** A project (numeric id) in API paths. */
export const projectPath = (target: ActionTarget) => `/projects/${target.project}`;

export function mergeRequestPath(target: Extract<ActionTarget, { kind: 'merge_request' }>): string {
  return `${projectPath(target)}/merge_requests/${target.iid}`;
}

export function issuePath(target: Extract<ActionTarget, { kind: 'issue' }>): string {
  return `${projectPath(target)}/issues/${target.iid}`;
}

export interface LiveMergeRequest {
  json: MergeRequestJson;
  approvals: ApprovalsJson;
  approvedByMe: boolean;
}

export async function readMergeRequest(api: GitLabAsUser, target: Extract<ActionTarget, { kind: 'merge_request' }>, me: number): Promise<LiveMergeRequest> {
  const json = await api.get<MergeRequestJson>(mergeRequestPath(target));
  const approvals = await api.get<ApprovalsJson>(`${mergeRequestPath(target)}/approvals`).catch((error: unknown) => {
    // Approvals are a Premium API on older GitLab; without them, nobody is known to have approved.
    if (error instanceof GitLabHttpError && (error.status === 404 || error.status === 403)) return {} as ApprovalsJson;
    throw error;
  });
  return { json, approvals, approvedByMe: (approvals.approved_by ?? []).some((entry) => entry.user.id === me) };
}

export function mergeRequestState(live: LiveMergeRequest): ButtonState {
  const { json, approvals } = live;
  return {
    kind: 'merge_request',
    state: json.state,
    draft: json.draft ?? json.work_in_progress ?? false,
    mergeStatus: json.detailed_merge_status ?? null,
    pipeline: json.head_pipeline?.status ?? null,
    anyApproval: (approvals.approved_by ?? []).length > 0,
    approved: approvals.approved ?? (approvals.approvals_left !== undefined && approvals.approvals_left === 0),
    viewerApproved: live.approvedByMe,
  };
}

/**
 * The thread root's status line (delivery/object-status.ts), as GitLab tells it now. Without the
 * pipeline for a channel: the presser may see CI/CD that the channel was not cleared for.
 */
export function mergeRequestStatusLine(live: LiveMergeRequest, withPipeline = true): string {
  const state = mergeRequestState(live) as Extract<ButtonState, { kind: 'merge_request' }>;
  return renderStatusLine({
    type: 'merge_request',
    state: state.state,
    draft: state.draft,
    approvedBy: (live.approvals.approved_by ?? []).map((entry) => entry.user.name || entry.user.username || 'someone'),
    approved: state.approved,
    pipeline: withPipeline && live.json.head_pipeline ? { status: live.json.head_pipeline.status, url: live.json.head_pipeline.web_url ?? null } : null,
  });
}

export function issueStatusLine(state: IssueJson['state']): string {
  return renderStatusLine({ type: 'issue', state, draft: false, approvedBy: [], approved: false, pipeline: null });
}

/** Who may approve, and who may read that: those who may read the deployment, or Maintainers only. */
export interface Approvers {
  text: string;
  readableBy: 'deployment' | 'maintainers';
}

/**
 * Who may approve a deployment, in GitLab's words: from the deployment's approval summary (Reporters
 * may read it), else from the environment's protection rules (Maintainers only); null when GitLab
 * tells this user neither.
 */
export async function readApprovers(api: GitLabAsUser, project: number, deployment: DeploymentJson): Promise<Approvers | null> {
  const summary = approversFromSummary(deployment);
  if (summary) return summary;
  const environment = deployment.environment?.name;
  if (!environment) return null;
  try {
    const rules = await api.get<ProtectedEnvironmentJson>(`/projects/${project}/protected_environments/${encodeURIComponent(environment)}`);
    const text = describeRules(rules.approval_rules) ?? (rules.required_approval_count ? `${rules.required_approval_count} approval(s) from those allowed to deploy` : null);
    return text ? { text, readableBy: 'maintainers' } : null;
  } catch (error) {
    if (error instanceof GitLabHttpError && [401, 403, 404].includes(error.status)) return null;
    throw error;
  }
}

/** From the deployment's approval summary: readable by everyone who may read the deployment. */
export function approversFromSummary(deployment: DeploymentJson): Approvers | null {
  const text = describeRules(deployment.approval_summary?.rules);
  return text ? { text, readableBy: 'deployment' } : null;
}

function describeRules(rules: ApprovalRuleJson[] | undefined): string | null {
  const named = (rules ?? []).slice(0, 5).map((rule) => `${inline(rule.access_level_description ?? 'someone', 80)}${rule.required_approvals ? ` (${rule.required_approvals})` : ''}`);
  return named.length > 0 ? named.join(', ') : null;
}

/** The state the post's buttons should show now. */
export async function readState(api: GitLabAsUser, target: ActionTarget, me: number): Promise<ButtonState> {
  switch (target.kind) {
    case 'merge_request':
      return mergeRequestState(await readMergeRequest(api, target, me));
    case 'issue': {
      const issue = await api.get<IssueJson>(issuePath(target));
      return { kind: 'issue', state: issue.state };
    }
    case 'pipeline': {
      const pipeline = await api.get<PipelineJson>(`${projectPath(target)}/pipelines/${target.id}`);
      return { kind: 'pipeline', status: pipeline.status };
    }
    case 'job': {
      const job = await api.get<JobJson>(`${projectPath(target)}/jobs/${target.id}`);
      return { kind: 'job', status: job.status };
    }
    case 'deployment':
      return deploymentState(api, target.project, await api.get<DeploymentJson>(`${projectPath(target)}/deployments/${target.id}`));
  }
}

/** A deployment already read, as buttons show it (who may approve while it waits). */
export async function deploymentState(api: GitLabAsUser, project: number, deployment: DeploymentJson): Promise<ButtonState> {
  const environment = deployment.environment?.name ?? 'an environment';
  const approvers = deployment.status === 'blocked' ? await readApprovers(api, project, deployment) : null;
  return { kind: 'deployment', status: deployment.status, environment, approvers };
}

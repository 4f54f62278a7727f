/**
 * One action on a GitLab object, as the person who asked (their token): the
 * buttons, their dialogs and the slash commands all come here, so the rules and
 * the answers are the same wherever it starts. Each action first reads the
 * object as it is now: what is already done is said, not done again (a second
 * press approves nothing). The outcome says what happened and what the object
 * looks like afterwards, for redrawing the post.
 */
import { GitLabHttpError, GitLabUnreachableError } from '../gitlab/poll-client.js';
import { link } from '../render/links.js';
import { inline } from '../render/text.js';
import { RUNNING_STATUSES, type ActionTarget, type ButtonState } from './button-spec.js';
import type { ActionName } from './buttons.js';
import { explainRefusal, mergeBlocker } from './explain-refusal.js';
import type { GitLabAsUser } from './gitlab-as-user.js';
import {
  issuePath,
  issueStatusLine,
  mergeRequestPath,
  mergeRequestStatusLine,
  mergeRequestState,
  projectPath,
  readMergeRequest,
  deploymentState,
  readState,
  type DeploymentJson,
  type IssueJson,
  type JobJson,
  type LiveMergeRequest,
  type MergeRequestJson,
  type PipelineJson,
} from './live-state.js';

export interface ActionOptions {
  /** Merge: squash the commits; default the merge request's own choice. */
  squash?: boolean;
  /** Merge: delete the source branch; default the merge request's own choice. */
  removeSourceBranch?: boolean;
  /** Merge: the head commit the person saw; GitLab refuses (409) if more were pushed since. */
  sha?: string;
  /** A comment's text, or a deployment approval's optional comment. */
  comment?: string;
}

export interface ActionOutcome {
  /** Something changed at GitLab (for the audit log). */
  changed: boolean;
  /** GitLab stopped answering: something may have changed (a repeat must not do it twice). */
  uncertain?: boolean;
  /** For the person: what happened, or why not. */
  text: string;
  /** What the object looks like now, when known; the post's buttons are redrawn from it. */
  state: ButtonState | null;
  /** The object's status line now (`Status: **Open** · …`), when known. */
  statusLine: string | null;
  /** The same for a channel post: nothing the presser may see that the channel was not cleared for (the pipeline). */
  channelStatusLine: string | null;
  /** The object to redraw, when the action made a new one (a retried job). */
  target: ActionTarget;
  /** Facts for the audit entry. */
  details?: Record<string, unknown>;
}

export interface Actor {
  gitlabUserId: number;
}

export async function performAction(api: GitLabAsUser, action: ActionName, target: ActionTarget, actor: Actor, options: ActionOptions = {}): Promise<ActionOutcome> {
  let object = describeTarget(target);
  let detailedMergeStatus: string | null = null;
  try {
    const run = RUNNERS[target.kind];
    return await run(api, action, target as never, actor, options, (name, mergeStatus) => {
      object = name;
      if (mergeStatus !== undefined) detailedMergeStatus = mergeStatus;
    });
  } catch (error) {
    if (error instanceof GitLabHttpError) {
      return { changed: false, text: explainRefusal(action, object, { status: error.status, message: error.gitlabMessage }, detailedMergeStatus), state: null, statusLine: null, channelStatusLine: null, target };
    }
    if (error instanceof GitLabUnreachableError) {
      return {
        changed: false,
        uncertain: true,
        text: `GitLab did not answer, so ${object} may or may not have changed. Look in GitLab before trying again.`,
        state: null,
        statusLine: null,
        channelStatusLine: null,
        target,
      };
    }
    throw error;
  }
}

type Named = (object: string, detailedMergeStatus?: string | null) => void;
type Runner<T extends ActionTarget> = (api: GitLabAsUser, action: ActionName, target: T, actor: Actor, options: ActionOptions, named: Named) => Promise<ActionOutcome>;

const RUNNERS: { [K in ActionTarget['kind']]: Runner<Extract<ActionTarget, { kind: K }>> } = {
  merge_request: onMergeRequest,
  issue: onIssue,
  pipeline: onCi,
  job: onCi,
  deployment: onDeployment,
};

export function describeTarget(target: ActionTarget): string {
  switch (target.kind) {
    case 'merge_request':
      return `merge request !${target.iid}`;
    case 'issue':
      return `issue #${target.iid}`;
    case 'pipeline':
      return `pipeline #${target.id}`;
    case 'job':
      return `job #${target.id}`;
    case 'deployment':
      return `deployment #${target.id}`;
  }
}

const outcome = (target: ActionTarget, changed: boolean, text: string, state: ButtonState | null, details?: Record<string, unknown>): ActionOutcome => ({
  changed,
  text,
  state,
  statusLine: state ? statusLineOf(state) : null,
  channelStatusLine: state ? statusLineOf(state) : null,
  target,
  ...(details ? { details } : {}),
});

/** For what has no thread root status line: pipelines, jobs, deployments. */
function statusLineOf(state: ButtonState): string | null {
  switch (state.kind) {
    case 'issue':
      return issueStatusLine(state.state === 'closed' ? 'closed' : 'opened');
    case 'pipeline':
    case 'job':
    case 'deployment':
      return `Status: **${inline(state.status, 40)}**`;
    default:
      return null;
  }
}

const statusLines = (live: LiveMergeRequest) => ({ statusLine: mergeRequestStatusLine(live), channelStatusLine: mergeRequestStatusLine(live, false) });

async function onMergeRequest(
  api: GitLabAsUser,
  action: ActionName,
  target: Extract<ActionTarget, { kind: 'merge_request' }>,
  actor: Actor,
  options: ActionOptions,
  named: Named,
): Promise<ActionOutcome> {
  const live = await readMergeRequest(api, target, actor.gitlabUserId);
  const name = `**${inline(live.json.references?.full ?? `!${target.iid}`, 200)}**`;
  named(name, live.json.detailed_merge_status ?? null);
  const now = mergeRequestState(live);
  const same = (text: string): ActionOutcome => ({ ...outcome(target, false, text, now), ...statusLines(live) });
  const me = actor.gitlabUserId;
  const path = mergeRequestPath(target);
  // Done is done: a failed read afterwards only leaves the post as it was.
  const after = async (text: string, details?: Record<string, unknown>): Promise<ActionOutcome> => {
    const later = await readMergeRequest(api, target, me).catch(() => null);
    return { ...outcome(target, true, text, later ? mergeRequestState(later) : null, details), ...(later ? statusLines(later) : { statusLine: null, channelStatusLine: null }) };
  };

  if (action === 'comment') return comment(api, `${path}/notes`, name, target, options, now);
  if (live.json.state !== 'opened') return same(`${name} is ${inline(live.json.state, 40)}: there is nothing to do.`);

  switch (action) {
    case 'approve':
      if (live.approvedByMe) return same(`You have already approved ${name}.`);
      await api.post(`${path}/approve`);
      return after(`You approved ${name}.`);
    case 'unapprove':
      if (!live.approvedByMe) return same(`You have not approved ${name}, so there is no approval to revoke.`);
      // GitLab answers 404 when there is no approval of this user's (revoked meanwhile).
      if (!(await api.post(`${path}/unapprove`).then(() => true, notFound))) return same(`You have not approved ${name}, so there is no approval to revoke.`);
      return after(`You revoked your approval of ${name}.`);
    case 'merge':
    case 'automerge':
      return merge(api, action, target, live.json, options, name, after, same);
    case 'assignme': {
      const ids = (live.json.assignees ?? []).map((person) => person.id);
      if (ids.includes(me)) return same(`You are already assigned to ${name}.`);
      await api.put(path, { assignee_ids: [...ids, me] });
      return after(`You are now assigned to ${name}.`);
    }
    case 'review': {
      const ids = (live.json.reviewers ?? []).map((person) => person.id);
      if (ids.includes(me)) return same(`You are already a reviewer of ${name}.`);
      await api.put(path, { reviewer_ids: [...ids, me] });
      return after(`You are now a reviewer of ${name}.`);
    }
    default:
      return same(`That button does not apply to a merge request.`);
  }
}

async function merge(
  api: GitLabAsUser,
  action: 'merge' | 'automerge',
  target: Extract<ActionTarget, { kind: 'merge_request' }>,
  json: MergeRequestJson,
  options: ActionOptions,
  name: string,
  after: (text: string, details?: Record<string, unknown>) => Promise<ActionOutcome>,
  same: (text: string) => ActionOutcome,
): Promise<ActionOutcome> {
  if (json.merge_when_pipeline_succeeds) return same(`${name} is already set to merge when its pipeline succeeds.`);
  if (options.sha && json.sha && options.sha !== json.sha) {
    return same(`New commits were pushed to ${name} since you looked: review them, then merge again.`);
  }
  const blocker = mergeBlocker(json.detailed_merge_status);
  if (blocker && json.detailed_merge_status !== 'ci_still_running') return same(`GitLab cannot merge ${name} now: ${blocker}.`);
  const squash = options.squash ?? json.squash ?? false;
  const removeSourceBranch = options.removeSourceBranch ?? json.force_remove_source_branch ?? json.should_remove_source_branch ?? false;
  const automatic = action === 'automerge' || json.detailed_merge_status === 'ci_still_running';
  const body: Record<string, unknown> = { squash, should_remove_source_branch: removeSourceBranch, ...(options.sha ?? json.sha ? { sha: options.sha ?? json.sha } : {}) };
  // `auto_merge` since GitLab 17.11; `merge_when_pipeline_succeeds` for the versions before it.
  if (automatic) Object.assign(body, { auto_merge: true, merge_when_pipeline_succeeds: true });
  const merged = await api.put<MergeRequestJson>(`${mergeRequestPath(target)}/merge`, body);
  const details = { squash, removeSourceBranch, automatic };
  if (merged.state === 'merged') return after(`You merged ${name}${squash ? ' (squashed)' : ''}${removeSourceBranch ? '; its source branch is deleted' : ''}.`, details);
  return after(`${name} will be merged when its pipeline succeeds.`, details);
}

async function comment(
  api: GitLabAsUser,
  notesPath: string,
  name: string,
  target: ActionTarget,
  options: ActionOptions,
  now: ButtonState,
): Promise<ActionOutcome> {
  const body = options.comment?.trim();
  if (!body) return outcome(target, false, 'Write the comment first.', now);
  const note = await api.post<{ id: number }>(notesPath, { body });
  return outcome(target, true, `You commented on ${name}.`, now, { note: note.id });
}

async function onIssue(
  api: GitLabAsUser,
  action: ActionName,
  target: Extract<ActionTarget, { kind: 'issue' }>,
  actor: Actor,
  options: ActionOptions,
  named: Named,
): Promise<ActionOutcome> {
  const path = issuePath(target);
  const issue = await api.get<IssueJson>(path);
  const name = `**${inline(issue.references?.full ?? `#${target.iid}`, 200)}**`;
  named(name);
  const now: ButtonState = { kind: 'issue', state: issue.state };
  const after = async (text: string) =>
    outcome(target, true, text, await api.get<IssueJson>(path).then((read): ButtonState => ({ kind: 'issue', state: read.state }), () => null));
  switch (action) {
    case 'comment':
      return comment(api, `${path}/notes`, name, target, options, now);
    case 'assignme': {
      const ids = (issue.assignees ?? []).map((person) => person.id);
      if (ids.includes(actor.gitlabUserId)) return outcome(target, false, `You are already assigned to ${name}.`, now);
      await api.put(path, { assignee_ids: [...ids, actor.gitlabUserId] });
      return after(`You are now assigned to ${name}.`);
    }
    case 'close':
    case 'reopen': {
      const wanted = action === 'close' ? 'closed' : 'opened';
      if (issue.state === wanted) return outcome(target, false, `${name} is already ${action === 'close' ? 'closed' : 'open'}.`, now);
      await api.put(path, { state_event: action });
      return after(`You ${action === 'close' ? 'closed' : 'reopened'} ${name}.`);
    }
    default:
      return outcome(target, false, 'That button does not apply to an issue.', now);
  }
}

/** What differs between a pipeline and a job; the rest of retrying and canceling them is the same. */
const CI = {
  pipeline: {
    route: 'pipelines',
    retry: 'retrypipeline',
    cancel: 'cancelpipeline',
    name: (json: CiJson, id: number) => `pipeline ${link(`#${id}`, json.web_url)}`,
    /** A pipeline is retried where it is; its post keeps following it. */
    retried: (target: CiTarget, name: string, retried: CiJson) => outcome(target, true, `Retrying the failed jobs of ${name}.`, { kind: 'pipeline', status: retried.status }),
  },
  job: {
    route: 'jobs',
    retry: 'retryjob',
    cancel: 'canceljob',
    name: (json: CiJson, id: number) => `job ${link(`${inline(json.name ?? '', 80)} #${id}`, json.web_url)}`,
    // The post now follows the new attempt (its Cancel button), so the old one cannot be retried twice from it.
    retried: (target: CiTarget, name: string, retried: CiJson) =>
      outcome({ ...target, id: retried.id }, true, `Retrying ${name}: the new attempt is ${link(`#${retried.id}`, retried.web_url)}.`, { kind: 'job', status: retried.status }, { newJob: retried.id }),
  },
} as const;

type CiTarget = Extract<ActionTarget, { kind: 'pipeline' | 'job' }>;
type CiJson = PipelineJson & Partial<Pick<JobJson, 'name'>>;

async function onCi(api: GitLabAsUser, action: ActionName, target: CiTarget, _actor: Actor, _options: ActionOptions, named: Named): Promise<ActionOutcome> {
  const ci = CI[target.kind];
  const path = `${projectPath(target)}/${ci.route}/${target.id}`;
  const json = await api.get<CiJson>(path);
  const name = ci.name(json, target.id);
  named(name);
  const now: ButtonState = { kind: target.kind, status: json.status };
  const status = inline(json.status, 40);
  if (action === ci.retry) {
    if (json.status !== 'failed') return outcome(target, false, `${capital(name)} is ${status}${target.kind === 'pipeline' ? ' now' : ''}: nothing to retry.`, now);
    return ci.retried(target, name, await api.post<CiJson>(`${path}/retry`));
  }
  if (action === ci.cancel) {
    if (!RUNNING_STATUSES.has(json.status)) return outcome(target, false, `${capital(name)} is ${status}: nothing to cancel.`, now);
    const canceled = await api.post<CiJson>(`${path}/cancel`);
    return outcome(target, true, `You canceled ${name}.`, { kind: target.kind, status: canceled.status });
  }
  return outcome(target, false, `That button does not apply to a ${target.kind}.`, now);
}

async function onDeployment(
  api: GitLabAsUser,
  action: ActionName,
  target: Extract<ActionTarget, { kind: 'deployment' }>,
  actor: Actor,
  options: ActionOptions,
  named: Named,
): Promise<ActionOutcome> {
  const path = `${projectPath(target)}/deployments/${target.id}`;
  const deployment = await api.get<DeploymentJson>(path);
  const environment = deployment.environment?.name ?? 'an environment';
  const name = `the deployment to **${inline(environment, 80)}** (#${target.id})`;
  named(name);
  const now = await deploymentState(api, target.project, deployment);
  if (action !== 'approvedeployment' && action !== 'rejectdeployment') return outcome(target, false, 'That button does not apply to a deployment.', now);
  if (deployment.status !== 'blocked') return outcome(target, false, `${capital(name)} is ${inline(deployment.status, 40)}: it no longer waits for approval.`, now);
  const mine = (deployment.approvals ?? []).find((approval) => approval.user.id === actor.gitlabUserId);
  if (mine) return outcome(target, false, `You have already ${mine.status === 'rejected' ? 'rejected' : 'approved'} ${name}.`, now);
  const status = action === 'approvedeployment' ? 'approved' : 'rejected';
  const comment = options.comment?.trim();
  await api.post(`${path}/approval`, { status, ...(comment ? { comment } : {}) });
  const later = await readState(api, target, actor.gitlabUserId).catch(() => null);
  return outcome(target, true, `You ${status} ${name}.`, later, { status, commented: Boolean(comment) });
}

/** False for GitLab's 404; anything else is thrown on. */
function notFound(error: unknown): false {
  if (error instanceof GitLabHttpError && error.status === 404) return false;
  throw error;
}

function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * Merge Request, Issue and Note Hook payloads from the REST objects a polled
 * event points at. The API describes the MR or issue as it is now, not as it
 * was at the event: the state is set from the event's action, everything else
 * (title, labels, assignees, description) is the current value. `changes` is
 * empty, since the API keeps no before/after values.
 */
import { isoSeconds, labelAttributes, projectAttributes, repositoryAttributes, userAttributes, utcSeconds, type HookPayload } from './hook-attributes.js';
import type { RestIssue, RestMergeRequest, RestNote, RestProject, RestUser } from './rest-shapes.js';

/** Webhook `object_attributes.action` values the fallback produces. */
export type MergeRequestHookAction = 'open' | 'close' | 'reopen' | 'merge' | 'approval' | 'approved';
export type IssueHookAction = 'open' | 'close' | 'reopen';

type State = { state: string; state_id: number };

const STATE_IDS: Record<string, number> = { opened: 1, closed: 2, merged: 3, locked: 4 };

function stateOf(state: string): State {
  return { state, state_id: STATE_IDS[state] ?? 1 };
}

/** The state right after the action; approvals leave it as the API reports it. */
function stateAfter(action: MergeRequestHookAction, current: string): State {
  return stateOf(action === 'open' || action === 'reopen' ? 'opened' : action === 'close' ? 'closed' : action === 'merge' ? 'merged' : current);
}

/** `object_attributes` of an MR hook, also the `merge_request` of note hooks. */
export function mergeRequestAttributes(mr: RestMergeRequest, state: State = stateOf(mr.state)): HookPayload {
  const assignees = mr.assignees ?? [];
  return {
    id: mr.id,
    iid: mr.iid,
    target_branch: mr.target_branch,
    source_branch: mr.source_branch,
    source_project_id: mr.source_project_id,
    target_project_id: mr.target_project_id,
    author_id: mr.author.id,
    assignee_ids: assignees.map((user) => user.id),
    assignee_id: assignees[0]?.id ?? null,
    reviewer_ids: (mr.reviewers ?? []).map((user) => user.id),
    title: mr.title,
    description: mr.description ?? '',
    created_at: isoSeconds(mr.created_at),
    updated_at: isoSeconds(mr.updated_at),
    milestone_id: mr.milestone?.id ?? null,
    ...state,
    draft: mr.draft ?? mr.work_in_progress ?? false,
    work_in_progress: mr.work_in_progress ?? mr.draft ?? false,
    blocking_discussions_resolved: mr.blocking_discussions_resolved ?? true,
    first_contribution: mr.first_contribution ?? false,
    merge_status: mr.merge_status ?? null,
    detailed_merge_status: mr.detailed_merge_status ?? null,
    merge_commit_sha: mr.merge_commit_sha ?? null,
    url: mr.web_url,
    labels: labelAttributes(mr.labels),
  };
}

/** `at`: when the event happened, which the hook's `updated_at` (part of the event key) stands for. */
export function mergeRequestHook(mr: RestMergeRequest, project: RestProject, actor: RestUser, action: MergeRequestHookAction, at: string): HookPayload {
  const attributes = { ...mergeRequestAttributes(mr, stateAfter(action, mr.state)), updated_at: isoSeconds(at), action };
  return {
    object_kind: 'merge_request',
    event_type: 'merge_request',
    user: userAttributes(actor),
    project: projectAttributes(project),
    repository: repositoryAttributes(project),
    object_attributes: attributes,
    labels: labelAttributes(mr.labels),
    changes: {},
    // GitLab leaves both out when there is nobody.
    ...(mr.assignees?.length ? { assignees: mr.assignees.map(userAttributes) } : {}),
    ...(mr.reviewers?.length ? { reviewers: mr.reviewers.map(userAttributes) } : {}),
  };
}

/** `issue_type` (`test_case`) or `type` (`TEST_CASE`) as the work item type name hooks carry (`Test Case`). */
function workItemType(issue: RestIssue): string {
  const raw = issue.issue_type ?? issue.type ?? 'issue';
  return raw
    .toLowerCase()
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(' ');
}

/** `object_attributes` of an issue hook, also the `issue` of note hooks. */
export function issueAttributes(issue: RestIssue, state: State = stateOf(issue.state), closedAt = issue.closed_at): HookPayload {
  const assignees = issue.assignees ?? [];
  return {
    id: issue.id,
    iid: issue.iid,
    title: issue.title,
    description: issue.description ?? '',
    assignee_ids: assignees.map((user) => user.id),
    assignee_id: assignees[0]?.id ?? null,
    author_id: issue.author.id,
    project_id: issue.project_id,
    created_at: isoSeconds(issue.created_at),
    updated_at: isoSeconds(issue.updated_at),
    closed_at: isoSeconds(closedAt),
    milestone_id: issue.milestone?.id ?? null,
    ...state,
    confidential: issue.confidential,
    discussion_locked: issue.discussion_locked ?? null,
    due_date: issue.due_date ?? null,
    weight: issue.weight ?? null,
    health_status: issue.health_status ?? null,
    severity: issue.severity?.toLowerCase() ?? null,
    type: workItemType(issue),
    url: issue.web_url,
    labels: labelAttributes(issue.labels),
  };
}

export function issueHook(issue: RestIssue, project: RestProject, actor: RestUser, action: IssueHookAction, at: string): HookPayload {
  const state = stateOf(action === 'close' ? 'closed' : 'opened');
  const attributes = { ...issueAttributes(issue, state, action === 'close' ? at : null), updated_at: isoSeconds(at), action };
  const assignees = (issue.assignees ?? []).map(userAttributes);
  return {
    object_kind: 'issue',
    event_type: issue.confidential ? 'confidential_issue' : 'issue',
    user: userAttributes(actor),
    project: projectAttributes(project),
    repository: repositoryAttributes(project),
    object_attributes: attributes,
    labels: labelAttributes(issue.labels),
    changes: {},
    ...(assignees.length ? { assignees, assignee: assignees[0] } : {}),
  };
}

export type Noteable = { type: 'MergeRequest'; mergeRequest: RestMergeRequest } | { type: 'Issue'; issue: RestIssue };

/**
 * A new comment on an MR or issue. `internal` must be known (callers drop the
 * note otherwise): an internal note, or any note on a confidential issue, is
 * a `confidential_note`, as GitLab marks it.
 */
export function noteHook(note: RestNote, noteable: Noteable, project: RestProject, internal: boolean): HookPayload {
  const target = noteable.type === 'MergeRequest' ? noteable.mergeRequest : noteable.issue;
  const confidential = internal || (noteable.type === 'Issue' && noteable.issue.confidential);
  return {
    object_kind: 'note',
    event_type: confidential ? 'confidential_note' : 'note',
    user: userAttributes(note.author),
    project_id: project.id,
    project: projectAttributes(project),
    repository: repositoryAttributes(project),
    object_attributes: {
      id: note.id,
      note: note.body,
      noteable_type: noteable.type,
      author_id: note.author.id,
      created_at: utcSeconds(note.created_at),
      updated_at: utcSeconds(note.updated_at ?? note.created_at),
      project_id: project.id,
      attachment: note.attachment ?? null,
      line_code: null,
      commit_id: '',
      noteable_id: target.id,
      system: false,
      type: note.type ?? null,
      internal,
      confidential: internal,
      action: 'create',
      url: `${target.web_url}#note_${note.id}`,
    },
    ...(noteable.type === 'MergeRequest' ? { merge_request: mergeRequestAttributes(noteable.mergeRequest) } : { issue: issueAttributes(noteable.issue) }),
  };
}

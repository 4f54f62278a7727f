/**
 * The polling fallback for projects without a webhook: a polled Events API
 * event, plus the few REST objects it points at, as the webhook GitLab would
 * have sent, so parseEvent, the rules and the renderers treat both alike.
 * Pure: `lookupsFor` says what to fetch, the caller fetches, `hookFromEvent` builds.
 *
 * Handled: MR `opened|closed|reopened|accepted|approved`, issue
 * `opened|closed|reopened`, `commented on` an MR or issue, branch and tag
 * `pushed to|pushed new|deleted`. Everything else the Events API lists gives
 * null: `joined|left|expired` (membership), `created|updated|destroyed`
 * (milestones, wiki pages, designs…), `imported`, bulk pushes, comments on
 * commits and snippets, system notes.
 *
 * Requests per event (GET /projects/:id once per poll, not counted):
 * MR opened/closed/reopened/merged 1 (the MR); approved 2 (the MR and its
 * approvals); issue 1; comment 1 (its MR or issue), 2 on GitLab older than
 * 15.5, whose events do not say whether a note is internal; push 1 (a single
 * commit, or one page of the commit list), 0 for a deleted branch or one
 * created without new commits; tag created or moved 1 (the tag), deleted 0.
 *
 * Event keys equal the webhook's for comments (`note:<id>`) and pushes and
 * tag pushes (project, ref, before, after). MR and issue keys hold a fingerprint of the
 * hook's `changes`, which the API cannot give, so they differ from the
 * webhook's; approvals, whose `changes` is empty, match when GitLab stamped
 * the MR in the same second as the event.
 */
import type { HookPayload } from './hook-attributes.js';
import { issueHook, mergeRequestHook, noteHook, type IssueHookAction, type MergeRequestHookAction } from './item-hooks.js';
import { branchPush, pushCommitsLookup, pushHook } from './push-hook.js';
import type { RestApprovals, RestCommit, RestEvent, RestIssue, RestMergeRequest, RestNote, RestProject, RestTag } from './rest-shapes.js';
import { tagLookup, tagPush, tagPushHook } from './tag-push-hook.js';

/** Pipelines are polled from their own API, not from events. */
export { hookFromPipeline, pipelineMergeRequestIid, POLLED_PIPELINE_STATUSES, type PipelineContext } from './pipeline-hook.js';

export type HookEventName = 'Merge Request Hook' | 'Issue Hook' | 'Note Hook' | 'Push Hook' | 'Tag Push Hook';

export interface HookFromApi {
  event: HookEventName;
  payload: HookPayload;
}

/** What to fetch for one event; see `lookupRequests` for the exact requests. */
export interface EventLookups {
  mergeRequest?: number;
  /** An approval only: whether it completed the required approvals. */
  approvals?: number;
  issue?: number;
  /** Only when the event's note does not say whether it is internal. */
  note?: { noteableType: 'MergeRequest' | 'Issue'; noteableIid: number; noteId: number };
  commit?: string;
  /** `from` null: a new branch, whose latest commits are listed from `to`. */
  commits?: { from: string | null; to: string; perPage: number };
  /** A tag pushed (created or moved): its name. */
  tag?: string;
}

/** What the caller fetched: the project, and the answers to `lookupsFor(event)`. */
export interface EventContext {
  project: RestProject;
  mergeRequest?: RestMergeRequest | null;
  approvals?: RestApprovals | null;
  issue?: RestIssue | null;
  note?: RestNote | null;
  commit?: RestCommit | null;
  /** Newest first, as the Commits API lists them. */
  commits?: readonly RestCommit[] | null;
  tag?: RestTag | null;
}

const MERGE_REQUEST_ACTIONS: Record<string, MergeRequestHookAction | 'approved'> = {
  opened: 'open',
  closed: 'close',
  reopened: 'reopen',
  accepted: 'merge',
  approved: 'approved',
};

const ISSUE_ACTIONS: Record<string, IssueHookAction> = { opened: 'open', closed: 'close', reopened: 'reopen' };

const ISSUE_TARGETS = ['Issue', 'WorkItem'];

type Happening =
  | { kind: 'merge_request'; iid: number; action: MergeRequestHookAction | 'approved' }
  | { kind: 'issue'; iid: number; action: IssueHookAction }
  | { kind: 'note'; note: RestNote; on: 'MergeRequest' | 'Issue'; iid: number }
  | { kind: 'push' }
  | { kind: 'tag_push' };

/** What an event is about, when it is one the fallback handles. */
function classify(event: RestEvent): Happening | null {
  const iid = event.target_iid;
  if (event.target_type === 'MergeRequest' && iid !== null) {
    const action = MERGE_REQUEST_ACTIONS[event.action_name];
    return action ? { kind: 'merge_request', iid, action } : null;
  }
  if (event.target_type !== null && ISSUE_TARGETS.includes(event.target_type) && iid !== null) {
    const action = ISSUE_ACTIONS[event.action_name];
    return action ? { kind: 'issue', iid, action } : null;
  }
  if (event.action_name === 'commented on' && event.note && !event.note.system) {
    const note = event.note;
    const on = note.noteable_type === 'MergeRequest' ? 'MergeRequest' : ISSUE_TARGETS.includes(note.noteable_type) ? 'Issue' : null;
    const noteableIid = note.noteable_iid;
    return on && typeof noteableIid === 'number' ? { kind: 'note', note, on, iid: noteableIid } : null;
  }
  if (branchPush(event)) return { kind: 'push' };
  return tagPush(event) ? { kind: 'tag_push' } : null;
}

/** The REST objects `hookFromEvent` needs for this event; null when the event is skipped (fetch nothing). */
export function lookupsFor(event: RestEvent): EventLookups | null {
  const happening = classify(event);
  switch (happening?.kind) {
    case undefined:
      return null;
    case 'merge_request':
      return happening.action === 'approved' ? { mergeRequest: happening.iid, approvals: happening.iid } : { mergeRequest: happening.iid };
    case 'issue':
      return { issue: happening.iid };
    case 'note': {
      const noteable: EventLookups = happening.on === 'MergeRequest' ? { mergeRequest: happening.iid } : { issue: happening.iid };
      if (readInternal(happening.note) !== null) return noteable;
      return { ...noteable, note: { noteableType: happening.on, noteableIid: happening.iid, noteId: happening.note.id } };
    }
    case 'push': {
      const data = branchPush(event);
      return (data && pushCommitsLookup(data)) ?? {};
    }
    case 'tag_push': {
      const data = tagPush(event);
      const tag = data && tagLookup(data);
      return tag ? { tag } : {};
    }
  }
}

/** The GET requests (under /api/v4) answering `lookups`, for a project id or full path. */
export function lookupRequests(project: number | string, lookups: EventLookups): Array<{ path: string; query?: Record<string, string | number> }> {
  const base = `/projects/${encodeURIComponent(String(project))}`;
  const requests: Array<{ path: string; query?: Record<string, string | number> }> = [];
  if (lookups.mergeRequest !== undefined) requests.push({ path: `${base}/merge_requests/${lookups.mergeRequest}` });
  if (lookups.approvals !== undefined) requests.push({ path: `${base}/merge_requests/${lookups.approvals}/approvals` });
  if (lookups.issue !== undefined) requests.push({ path: `${base}/issues/${lookups.issue}` });
  if (lookups.note) {
    const section = lookups.note.noteableType === 'MergeRequest' ? 'merge_requests' : 'issues';
    requests.push({ path: `${base}/${section}/${lookups.note.noteableIid}/notes/${lookups.note.noteId}` });
  }
  if (lookups.commit !== undefined) requests.push({ path: `${base}/repository/commits/${encodeURIComponent(lookups.commit)}` });
  if (lookups.commits) {
    const { from, to, perPage } = lookups.commits;
    requests.push({ path: `${base}/repository/commits`, query: { ref_name: from ? `${from}..${to}` : to, per_page: perPage } });
  }
  if (lookups.tag !== undefined) requests.push({ path: `${base}/repository/tags/${encodeURIComponent(lookups.tag)}` });
  return requests;
}

/**
 * The webhook GitLab would have sent for `event`, or null when the event is
 * skipped or `context` lacks what it needs (a note whose internal flag neither
 * the event nor the fetched note gives is dropped rather than shown as public).
 */
export function hookFromEvent(event: RestEvent, context: EventContext): HookFromApi | null {
  const happening = classify(event);
  const { project } = context;
  switch (happening?.kind) {
    case undefined:
      return null;
    case 'merge_request': {
      const mr = context.mergeRequest;
      if (!mr || mr.iid !== happening.iid) return null;
      const action = happening.action === 'approved' ? approvalAction(context.approvals, event.author.id) : happening.action;
      return { event: 'Merge Request Hook', payload: mergeRequestHook(mr, project, event.author, action, event.created_at) };
    }
    case 'issue': {
      const issue = context.issue;
      if (!issue || issue.iid !== happening.iid) return null;
      return { event: 'Issue Hook', payload: issueHook(issue, project, event.author, happening.action, event.created_at) };
    }
    case 'note': {
      const internal = readInternal(happening.note) ?? (context.note?.id === happening.note.id ? readInternal(context.note) : null);
      if (internal === null) return null;
      if (happening.on === 'MergeRequest') {
        const mr = context.mergeRequest;
        if (!mr || mr.iid !== happening.iid) return null;
        return { event: 'Note Hook', payload: noteHook(happening.note, { type: 'MergeRequest', mergeRequest: mr }, project, internal) };
      }
      const issue = context.issue;
      if (!issue || issue.iid !== happening.iid) return null;
      return { event: 'Note Hook', payload: noteHook(happening.note, { type: 'Issue', issue }, project, internal) };
    }
    case 'push':
      return pushHookFromEvent(event, context);
    case 'tag_push': {
      const data = tagPush(event);
      return data && { event: 'Tag Push Hook', payload: tagPushHook(event, data, project, context.tag ?? null) };
    }
  }
}

function pushHookFromEvent(event: RestEvent, context: EventContext): HookFromApi | null {
  const data = branchPush(event);
  if (!data) return null;
  const needed = pushCommitsLookup(data);
  let commits: readonly RestCommit[] = [];
  if (needed && 'commit' in needed) {
    if (context.commit?.id !== needed.commit) return null;
    commits = [context.commit];
  } else if (needed) {
    if (!context.commits) return null;
    commits = context.commits;
  }
  return { event: 'Push Hook', payload: pushHook(event, data, context.project, commits) };
}

/** `internal` (GitLab 15.5+), else `confidential` (its earlier name), else unknown. */
function readInternal(note: RestNote): boolean | null {
  if (typeof note.internal === 'boolean') return note.internal;
  if (typeof note.confidential === 'boolean') return note.confidential;
  return null;
}

/**
 * The hook action of one user's approval. GitLab Free sends `approved` for
 * every approval (one is all it requires) and its approvals answer has no
 * `approvals_required`. Premium sends `approved` for the approval that met the
 * requirement and `approval` before it: the approver's place in `approved_by`
 * tells which (an approval revoked since reads as `approval`). Without the
 * approvals answer, `approval` claims no more than the event says.
 */
function approvalAction(approvals: RestApprovals | null | undefined, approverId: number): MergeRequestHookAction {
  if (!approvals) return 'approval';
  const required = approvals.approvals_required;
  if (required === undefined || required === 0) return 'approved';
  const place = (approvals.approved_by ?? []).findIndex((entry) => entry.user.id === approverId) + 1;
  return place >= required ? 'approved' : 'approval';
}

/**
 * GitLab's refusal of an action, in plain words for the person who asked. Pure.
 * Statuses as GitLab's API documents them (doc/api/merge_requests.md "Merge a
 * merge request", doc/api/deployments.md, doc/api/jobs.md), plus what it really
 * answers: 401 for a second approval (gitlab-org/gitlab#526532), 403 for missing
 * approvals on merge since GitLab 15.11 (gitlab-org/gitlab!115085).
 */
import { inline } from '../render/text.js';
import type { ActionName } from './buttons.js';

/** detailed_merge_status in words (doc/api/merge_requests.md, "Merge status"). */
const MERGE_BLOCKERS: Record<string, string> = {
  draft_status: 'it is a draft',
  discussions_not_resolved: 'its discussions are not all resolved',
  not_approved: 'it still needs approvals',
  conflict: 'it has conflicts with the target branch',
  need_rebase: 'it needs a rebase first',
  ci_must_pass: 'its pipeline must succeed first',
  ci_still_running: 'its pipeline is still running',
  blocked_status: 'it is blocked by another merge request',
  not_open: 'it is not open',
  requested_changes: 'a reviewer requested changes',
  jira_association_missing: 'its title or description must name a Jira issue',
  security_policy_violations: 'a security policy blocks it',
  merge_request_blocked: 'it is blocked by another merge request',
  commits_status: 'its source branch is missing or has no commits',
  locked_paths: 'it changes locked paths',
  locked_lfs_files: 'it changes locked files',
  title_regex: 'its title does not match the required pattern',
};

export function mergeBlocker(detailedMergeStatus: string | null | undefined): string | null {
  return detailedMergeStatus ? (MERGE_BLOCKERS[detailedMergeStatus] ?? null) : null;
}

/** What the action would have done, for "GitLab did not let you …". */
const VERBS: Record<ActionName, string> = {
  approve: 'approve',
  unapprove: 'revoke your approval of',
  merge: 'merge',
  automerge: 'set to merge',
  assignme: 'assign yourself to',
  review: 'add yourself as a reviewer of',
  comment: 'comment on',
  close: 'close',
  reopen: 'reopen',
  retrypipeline: 'retry',
  cancelpipeline: 'cancel',
  retryjob: 'retry',
  canceljob: 'cancel',
  approvedeployment: 'approve',
  rejectdeployment: 'reject',
};

export interface Refusal {
  status: number;
  /** GitLab's own words, possibly empty. */
  message: string;
}

export function explainRefusal(action: ActionName, object: string, refusal: Refusal, detailedMergeStatus?: string | null): string {
  const verb = VERBS[action];
  // GitLab's own words are GitLab text: escaped, and no @-mention in them pings anyone.
  const theirs = refusal.message ? ` (GitLab said: ${inline(refusal.message, 300)})` : '';
  const merging = action === 'merge' || action === 'automerge';
  switch (refusal.status) {
    case 401:
      if (action === 'approve') return `GitLab did not let you approve ${object}: you may be its author, not one of its eligible approvers, or lack the Developer role.`;
      if (merging) return `GitLab did not let you merge ${object}: you may not merge into its target branch.`;
      return `GitLab no longer accepts your connection. Connect again with \`/gitlab connect\`.`;
    case 403:
      if (merging && (detailedMergeStatus === 'not_approved' || /approv/i.test(refusal.message))) return `GitLab cannot merge ${object} yet: it still needs approvals.`;
      return `GitLab did not let you ${verb} ${object}: your role in the project does not allow it${theirs}.`;
    case 404:
      return `${capitalise(object)} does not exist on GitLab, or your GitLab account cannot see it.`;
    case 405:
      if (merging) return `GitLab cannot ${verb} ${object} now: ${mergeBlocker(detailedMergeStatus) ?? 'it is not mergeable (a draft, closed, or waiting for its pipeline)'}.`;
      return `GitLab cannot ${verb} ${object} in its current state${theirs}.`;
    case 406:
      return `GitLab cannot merge ${object}: it has conflicts with the target branch.`;
    case 409:
      if (merging) return `New commits were pushed to ${object} since you looked: review them, then merge again.`;
      return `GitLab refused because ${object} changed meanwhile${theirs}. Try again.`;
    case 422:
      return `GitLab refused to ${verb} ${object}${theirs || ': it is not in a state that allows it'}.`;
    case 400:
      return `GitLab refused to ${verb} ${object}${theirs}.`;
    case 429:
      return 'GitLab is limiting requests right now. Try again in a minute.';
    default:
      return `GitLab answered ${refusal.status} when asked to ${verb} ${object}${theirs}. Try again later.`;
  }
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

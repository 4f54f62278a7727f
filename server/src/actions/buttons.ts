/**
 * Which buttons a post shows for the state of what it is about. Pure.
 *
 * A channel post is one post for everyone in the channel: it keeps Approve while
 * more approvals may be needed (others may still approve) and shows Revoke
 * approval once someone approved. A direct message has one reader, so once they
 * approved it shows Revoke approval instead of Approve.
 */
import { RUNNING_STATUSES, type ButtonSpec, type MergeRequestState } from './button-spec.js';

export type ActionName =
  | 'approve'
  | 'unapprove'
  | 'merge'
  | 'automerge'
  | 'assignme'
  | 'review'
  | 'comment'
  | 'close'
  | 'reopen'
  | 'retrypipeline'
  | 'cancelpipeline'
  | 'retryjob'
  | 'canceljob'
  | 'approvedeployment'
  | 'rejectdeployment';

export type ButtonStyle = 'default' | 'primary' | 'good' | 'danger';

/** The label and look of each button; ids are the action names (Mattermost wants letters and digits). */
export const BUTTONS: Record<ActionName, { label: string; style: ButtonStyle }> = {
  approve: { label: 'Approve', style: 'good' },
  unapprove: { label: 'Revoke approval', style: 'default' },
  merge: { label: 'Merge', style: 'primary' },
  automerge: { label: 'Merge when pipeline succeeds', style: 'primary' },
  assignme: { label: 'Assign me', style: 'default' },
  review: { label: 'Review', style: 'default' },
  comment: { label: 'Comment', style: 'default' },
  close: { label: 'Close', style: 'default' },
  reopen: { label: 'Reopen', style: 'default' },
  retrypipeline: { label: 'Retry failed jobs', style: 'primary' },
  cancelpipeline: { label: 'Cancel', style: 'danger' },
  retryjob: { label: 'Retry job', style: 'primary' },
  canceljob: { label: 'Cancel', style: 'danger' },
  approvedeployment: { label: 'Approve', style: 'good' },
  rejectdeployment: { label: 'Reject', style: 'danger' },
};

export const ACTION_NAMES = Object.keys(BUTTONS) as ActionName[];

/** What each action does, to finish "so it cannot …" when the bridge may not write (accounts/write-access.ts). */
export const ACTION_DOES: Record<ActionName, string> = {
  approve: 'approve merge requests',
  unapprove: 'revoke approvals',
  merge: 'merge',
  automerge: 'merge',
  assignme: 'assign you',
  review: 'make you a reviewer',
  comment: 'comment',
  close: 'close issues',
  reopen: 'reopen issues',
  retrypipeline: 'retry pipelines',
  cancelpipeline: 'cancel pipelines',
  retryjob: 'retry jobs',
  canceljob: 'cancel jobs',
  approvedeployment: 'approve deployments',
  rejectdeployment: 'reject deployments',
};

export type Audience = 'channel' | 'direct';

/**
 * detailed_merge_status values under which GitLab may still merge (now, or once checks finish):
 * everything else (draft_status, conflict, discussions_not_resolved, not_approved, need_rebase,
 * ci_must_pass, blocked_status, not_open…) means it cannot, and the Merge button is left out.
 * From GitLab's doc/api/merge_requests.md, "Merge status".
 */
const MAY_MERGE = new Set(['mergeable', 'ci_still_running', 'checking', 'unchecked', 'preparing', 'approvals_syncing']);

export function buttonsFor(spec: ButtonSpec, audience: Audience): ActionName[] {
  const state = spec.state;
  switch (state.kind) {
    case 'merge_request':
      return mergeRequestButtons(state, audience);
    case 'issue':
      if (state.state === 'opened') return ['assignme', 'close', 'comment'];
      return state.state === 'closed' ? ['reopen', 'comment'] : [];
    case 'pipeline':
      if (state.status === 'failed') return ['retrypipeline'];
      return RUNNING_STATUSES.has(state.status) ? ['cancelpipeline'] : [];
    case 'job':
      if (state.status === 'failed') return ['retryjob'];
      return RUNNING_STATUSES.has(state.status) ? ['canceljob'] : [];
    case 'deployment':
      return state.status === 'blocked' ? ['approvedeployment', 'rejectdeployment'] : [];
  }
}

function mergeRequestButtons(state: MergeRequestState, audience: Audience): ActionName[] {
  if (state.state !== 'opened') return [];
  const buttons: ActionName[] = [];
  if (audience === 'direct' && state.viewerApproved !== undefined) {
    buttons.push(state.viewerApproved ? 'unapprove' : 'approve');
  } else {
    if (!(state.approved && state.anyApproval)) buttons.push('approve');
    if (state.anyApproval) buttons.push('unapprove');
  }
  const merge = mergeButton(state);
  if (merge) buttons.push(merge);
  buttons.push('assignme', 'review', 'comment');
  return buttons;
}

function mergeButton(state: MergeRequestState): ActionName | null {
  if (state.draft) return null;
  if (state.mergeStatus !== null && !MAY_MERGE.has(state.mergeStatus)) return null;
  const running = state.mergeStatus === 'ci_still_running' || (state.pipeline !== null && RUNNING_STATUSES.has(state.pipeline));
  return running ? 'automerge' : 'merge';
}

/**
 * The current state of a merge request or issue, folded from its events in
 * order, and the status line shown on its thread root. Pure.
 */
import type { GitLabEvent, TargetRef } from '../gitlab/events/event.js';
import { projectKeyOf } from '../gitlab/instances.js';
import { link } from '../render/links.js';
import { inline } from '../render/text.js';

export interface ObjectStatus {
  type: TargetRef['type'];
  state: TargetRef['state'];
  draft: boolean;
  /** Display names of who approved, in order. */
  approvedBy: string[];
  /** All required approvals given. */
  approved: boolean;
  pipeline: { status: string; url: string | null } | null;
  /** The last detailed_merge_status a merge request event carried (for the Merge button). */
  mergeStatus?: string | null;
}

/** One key per MR or issue across hooks and channels. */
export function objectKey(event: GitLabEvent): string | null {
  if (!event.target) return null;
  return `${projectKeyOf(event)}:${event.target.type}:${event.target.iid}`;
}

export function advanceStatus(previous: ObjectStatus | null, event: GitLabEvent): ObjectStatus | null {
  const target = event.target;
  if (!target) return previous;
  const status: ObjectStatus = previous ?? { type: target.type, state: target.state, draft: target.draft, approvedBy: [], approved: false, pipeline: null };
  const next: ObjectStatus = { ...status, approvedBy: [...status.approvedBy] };
  if (event.kind === 'merge_request' || event.kind === 'issue') {
    if (target.state !== 'unknown') next.state = target.state;
    next.draft = target.draft;
  }
  if (event.details.kind === 'merge_request' && event.details.mergeStatus) next.mergeStatus = event.details.mergeStatus;
  if (event.kind === 'merge_request') {
    const who = event.actor?.name ?? event.actor?.username ?? 'someone';
    if (event.action === 'approval' && !next.approvedBy.includes(who)) next.approvedBy.push(who);
    if (event.action === 'unapproval') next.approvedBy = next.approvedBy.filter((name) => name !== who);
    if (event.action === 'approved') next.approved = true;
    if (event.action === 'unapproved' || event.action === 'unapproval') next.approved = false;
    // New commits reset approvals on most projects; GitLab sends unapproval events when it does.
  }
  if (event.details.kind === 'pipeline') next.pipeline = { status: event.action, url: event.details.url };
  return next;
}

const STATE_WORDS: Record<ObjectStatus['state'], string> = {
  opened: 'Open',
  closed: 'Closed',
  merged: 'Merged',
  locked: 'Locked',
  unknown: 'Unknown',
};

export function renderStatusLine(status: ObjectStatus): string {
  const parts = [`**${status.state === 'opened' && status.draft ? 'Draft' : STATE_WORDS[status.state]}**`];
  if (status.type === 'merge_request') {
    // "approved by" says it when names are known; "approved" alone when GitLab only said all approvals are in.
    if (status.approvedBy.length) parts.push(`approved by ${status.approvedBy.map((name) => inline(name, 80)).join(', ')}`);
    else if (status.approved) parts.push('approved');
  }
  if (status.pipeline) {
    parts.push(`pipeline ${link(inline(status.pipeline.status, 40), status.pipeline.url)}`);
  }
  return `Status: ${parts.join(' · ')}`;
}

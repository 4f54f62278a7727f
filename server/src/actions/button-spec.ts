/**
 * What a post's buttons are about, before they are signed: the GitLab object
 * and the state it was in. Made from webhook events when a post is planned
 * (here), and from GitLab's live answers after a press (live-state.ts). Pure.
 */
import { DEFAULT_INSTANCE } from '../config.js';
import type { ObjectStatus } from '../delivery/object-status.js';
import type { GitLabEvent } from '../gitlab/events/event.js';
import type { Approvers } from './live-state.js';

/**
 * The GitLab an object is on: a configured instance's name, absent for the default one. Absent
 * rather than `default`, so that the targets (and signed contexts) made before there were several
 * instances, and the default's made since, are the same and mean the default.
 */
interface OnInstance {
  instance?: string;
}

/** The object a button acts on; `project` is GitLab's numeric project id (on its instance). */
export type ActionTarget =
  | ({ kind: 'merge_request'; project: number; iid: number } & OnInstance)
  | ({ kind: 'issue'; project: number; iid: number } & OnInstance)
  | ({ kind: 'pipeline'; project: number; id: number } & OnInstance)
  | ({ kind: 'job'; project: number; id: number } & OnInstance)
  | ({ kind: 'deployment'; project: number; id: number } & OnInstance);

/** The instance a target is on (the default when it does not say). */
export function instanceOf(target: Pick<ActionTarget, 'instance'>): string {
  return target.instance ?? DEFAULT_INSTANCE;
}

/** A target placed on an instance: named only when it is not the default. */
export function onInstance<T extends ActionTarget>(target: T, instance: string): T {
  const { instance: _previous, ...rest } = target;
  return (instance === DEFAULT_INSTANCE ? rest : { ...rest, instance }) as T;
}

export interface MergeRequestState {
  state: 'opened' | 'closed' | 'merged' | 'locked' | 'unknown';
  draft: boolean;
  /** GitLab's detailed_merge_status; null when the event did not say. */
  mergeStatus: string | null;
  /** The head pipeline's status, when known. */
  pipeline: string | null;
  /** Someone has approved. */
  anyApproval: boolean;
  /** All required approvals given. */
  approved: boolean;
  /** Only known live: whether the person looking (a DM's recipient, who pressed) has approved. */
  viewerApproved?: boolean;
}

export type ButtonState =
  | ({ kind: 'merge_request' } & MergeRequestState)
  | { kind: 'issue'; state: 'opened' | 'closed' | 'merged' | 'locked' | 'unknown' }
  | { kind: 'pipeline'; status: string }
  | { kind: 'job'; status: string }
  | { kind: 'deployment'; status: string; environment: string; approvers?: Approvers | null };

export interface ButtonSpec {
  target: ActionTarget;
  state: ButtonState;
}

/** A pipeline's or job's statuses while it can still be canceled (Ci::HasStatus ACTIVE_STATUSES and CANCELABLE_STATUSES). */
export const RUNNING_STATUSES = new Set(['created', 'waiting_for_resource', 'preparing', 'waiting_for_callback', 'pending', 'running', 'scheduled']);

/**
 * The buttons for the post an event makes:
 * - `own`: about what the post reports (a failed pipeline or job, a deployment waiting for approval);
 * - `thread`: about the merge request or issue it belongs to, after this event.
 */
export function buttonSpecsOf(event: GitLabEvent, status: ObjectStatus | null): { own: ButtonSpec | null; thread: ButtonSpec | null } {
  const project = event.project?.id ?? null;
  if (project === null) return { own: null, thread: null };
  // The instance the event came from: a press then acts there, as the presser's account there.
  const placed = (spec: ButtonSpec | null): ButtonSpec | null => spec && { ...spec, target: onInstance(spec.target, event.instance) };
  return { own: placed(ownSpec(event, project)), thread: placed(threadSpec(event, project, status)) };
}

function ownSpec(event: GitLabEvent, project: number): ButtonSpec | null {
  const details = event.details;
  if (details.kind === 'pipeline' && (event.action === 'failed' || RUNNING_STATUSES.has(details.status))) {
    return { target: { kind: 'pipeline', project, id: details.id }, state: { kind: 'pipeline', status: details.status } };
  }
  if (details.kind === 'job' && (details.status === 'failed' || RUNNING_STATUSES.has(details.status))) {
    return { target: { kind: 'job', project, id: details.id }, state: { kind: 'job', status: details.status } };
  }
  if (details.kind === 'deployment' && details.status === 'blocked' && details.id !== null) {
    return { target: { kind: 'deployment', project, id: details.id }, state: { kind: 'deployment', status: 'blocked', environment: details.environment } };
  }
  return null;
}

function threadSpec(event: GitLabEvent, project: number, status: ObjectStatus | null): ButtonSpec | null {
  const target = event.target;
  if (!target) return null;
  if (target.type === 'issue') {
    return { target: { kind: 'issue', project, iid: target.iid }, state: { kind: 'issue', state: status?.state ?? target.state } };
  }
  const details = event.details;
  const mergeStatus = status?.mergeStatus ?? (details.kind === 'merge_request' ? (details.mergeStatus ?? null) : null);
  return {
    target: { kind: 'merge_request', project, iid: target.iid },
    state: {
      kind: 'merge_request',
      state: status?.state ?? target.state,
      draft: status?.draft ?? target.draft,
      mergeStatus,
      pipeline: status?.pipeline?.status ?? (details.kind === 'pipeline' ? details.status : null),
      anyApproval: (status?.approvedBy.length ?? 0) > 0 || event.action === 'approval' || event.action === 'approved',
      approved: status?.approved ?? event.action === 'approved',
    },
  };
}

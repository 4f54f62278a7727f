/**
 * Issue Hook, Confidential Issue Hook and Work Item Hook: an issue (or work item:
 * task, incident…) opened, closed, reopened or updated.
 */
import type { Actor, ParseResult, TargetRef } from './event.js';
import { readItemChanges } from './changes.js';
import { fingerprint, gitlabBase, isoTime, keyPart, readLabels, readProject, readState, readTarget, readUser, readUsers } from './common.js';
import { checkObjectKind, ignore, makeEvent } from './envelope.js';
import { change, fields, number, text, type Fields } from './payload.js';

/** GitLab 11 sent `open`/`close`/…; some versions the past tense. */
export const ISSUE_ACTIONS: Record<string, string> = {
  open: 'opened',
  opened: 'opened',
  close: 'closed',
  closed: 'closed',
  reopen: 'reopened',
  reopened: 'reopened',
  update: 'updated',
  updated: 'updated',
};

export interface IssueHookOptions {
  /** Delivered as `Confidential Issue Hook`. */
  confidentialHook?: boolean;
}

export function parseIssue(payload: Fields, options: IssueHookOptions = {}): ParseResult {
  const wrongKind = checkObjectKind(payload, ['issue', 'work_item']);
  if (wrongKind) return wrongKind;
  const attributes = fields(payload.object_attributes);
  const changes = fields(payload.changes);
  const action = readAction(attributes, changes, ISSUE_ACTIONS);
  if (!action) return ignore(`unsupported issue action: ${String(attributes.action)}`);

  const project = readProject(payload);
  const base = gitlabBase(project);
  const actor = readUser(payload.user, base);
  const assignees = readAssignees(payload, base);
  const target = readTarget('issue', attributes, project, [actor, ...assignees].filter((person) => person !== null));
  if (!target) return ignore('issue without an iid');

  const updatedAt = readUpdatedAt(attributes, changes);
  const id = number(attributes.id);
  return makeEvent({
    kind: 'issue',
    action,
    // Two updates can share a second: what changed tells them apart.
    key: `issue:${itemId(id, project?.id ?? project?.path, target)}:${action}:${keyPart(updatedAt)}:${fingerprint(changes)}`,
    project,
    actor,
    target,
    labels: Array.isArray(payload.labels) ? readLabels(payload.labels) : readLabels(attributes.labels),
    confidential: attributes.confidential === true || options.confidentialHook === true || payload.event_type === 'confidential_issue',
    occurredAt: updatedAt,
    details: {
      kind: 'issue',
      id,
      workItemType: text(attributes.type) ?? 'Issue',
      description: text(attributes.description) ?? '',
      assignees,
      changes: readItemChanges(changes, base),
    },
  });
}

/**
 * The action from `object_attributes.action`; when a (very old) payload has none,
 * from the state change it records, else an update.
 */
export function readAction(attributes: Fields, changes: Fields, actions: Record<string, string>): string | null {
  const given = text(attributes.action);
  if (given) return actions[given.toLowerCase()] ?? null;
  // `changes.state` holds names (GitLab 11), `changes.state_id` numbers: readState reads either.
  const state = change(changes, 'state') ?? change(changes, 'state_id');
  const stateOf = (value: unknown): string => readState({ state: value, state_id: value });
  const now = state ? stateOf(state.current) : 'unknown';
  const derived = now === 'opened' ? (stateOf(state?.previous) === 'unknown' ? 'opened' : 'reopened') : now;
  return Object.values(actions).includes(derived) ? derived : 'updated';
}

/** `assignees` (GitLab 10+), else the single `assignee` of older hooks. */
export function readAssignees(payload: Fields, base: string | null): Actor[] {
  if (Array.isArray(payload.assignees)) return readUsers(payload.assignees, base);
  const single = readUser(payload.assignee, base);
  return single ? [single] : [];
}

/** When the change was made: `changes.updated_at.current` is the precise one. */
export function readUpdatedAt(attributes: Fields, changes: Fields): string | null {
  return isoTime(change(changes, 'updated_at')?.current) ?? isoTime(attributes.updated_at);
}

/** The item's global id, else project and reference. */
export function itemId(id: number | null, project: string | number | null | undefined, target: TargetRef): string {
  return id !== null ? String(id) : `${keyPart(project)}${target.reference}`;
}

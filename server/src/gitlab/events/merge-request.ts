/**
 * Merge Request Hook (and the system hook's `merge_request`): opened, closed,
 * reopened, merged, approvals, and updates (reviewers, draft ↔ ready, new commits, labels…).
 */
import type { ParseResult } from './event.js';
import { readMergeRequestChanges } from './changes.js';
import { fingerprint, gitlabBase, keyPart, readLabels, readProject, readTarget, readUser, readUsers } from './common.js';
import { checkObjectKind, ignore, makeEvent } from './envelope.js';
import { ISSUE_ACTIONS, itemId, readAction, readAssignees, readUpdatedAt } from './issue.js';
import { fields, number, text, type Fields } from './payload.js';

const ACTIONS: Record<string, string> = {
  ...ISSUE_ACTIONS,
  merge: 'merged',
  merged: 'merged',
  approval: 'approval',
  approved: 'approved',
  unapproval: 'unapproval',
  unapproved: 'unapproved',
};

export function parseMergeRequest(payload: Fields): ParseResult {
  const wrongKind = checkObjectKind(payload, ['merge_request']);
  if (wrongKind) return wrongKind;
  const attributes = fields(payload.object_attributes);
  const changes = fields(payload.changes);
  const action = readAction(attributes, changes, ACTIONS);
  if (!action) return ignore(`unsupported merge request action: ${String(attributes.action)}`);

  const project = readProject(payload);
  const base = gitlabBase(project);
  const actor = readUser(payload.user, base);
  const assignees = readAssignees(payload, base);
  const reviewers = readUsers(payload.reviewers, base);
  const target = readTarget('merge_request', attributes, project, [actor, ...assignees, ...reviewers].filter((person) => person !== null));
  if (!target) return ignore('merge request without an iid');

  const updatedAt = readUpdatedAt(attributes, changes);
  const id = number(attributes.id);
  return makeEvent({
    kind: 'merge_request',
    action,
    // Two events can share a second: who acted (approvals) and what changed (updates) tell them apart.
    key: `merge_request:${itemId(id, project?.id ?? project?.path, target)}:${action}:${keyPart(updatedAt)}:${keyPart(actor?.id ?? actor?.username)}:${fingerprint(changes, attributes.oldrev)}`,
    project,
    actor,
    target,
    labels: Array.isArray(payload.labels) ? readLabels(payload.labels) : readLabels(attributes.labels),
    occurredAt: updatedAt,
    details: {
      kind: 'merge_request',
      id,
      description: text(attributes.description) ?? '',
      sourceBranch: text(attributes.source_branch),
      targetBranch: text(attributes.target_branch),
      assignees,
      reviewers,
      mergeCommitSha: text(attributes.merge_commit_sha),
      changes: readMergeRequestChanges(changes, attributes, base),
      mergeStatus: text(attributes.detailed_merge_status),
    },
  });
}

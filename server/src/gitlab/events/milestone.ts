/** Milestone Hook (GitLab 18.2+): a milestone created, updated, closed, reopened or deleted. */
import type { ParseResult } from './event.js';
import { fingerprint, gitlabBase, isoTime, keyPart, projectPage, readGroup, readProject, readUser } from './common.js';
import { checkObjectKind, ignore, makeEvent } from './envelope.js';
import { fields, number, text, type Fields } from './payload.js';

const ACTIONS: Record<string, string> = {
  create: 'created',
  update: 'updated',
  close: 'closed',
  reopen: 'reopened',
  delete: 'deleted',
};

export function parseMilestone(payload: Fields): ParseResult {
  const wrongKind = checkObjectKind(payload, ['milestone']);
  if (wrongKind) return wrongKind;
  const attributes = fields(payload.object_attributes);
  const title = text(attributes.title);
  if (!title) return ignore('milestone without a title');
  const given = text(payload.action) ?? text(attributes.action) ?? '';
  const action = ACTIONS[given];
  if (!action) return ignore(`unsupported milestone action: ${given}`);

  const project = readProject(payload);
  const id = number(attributes.id);
  const iid = number(attributes.iid);
  const updatedAt = isoTime(attributes.updated_at);
  return makeEvent({
    kind: 'milestone',
    action,
    key: `milestone:${keyPart(id)}:${action}:${updatedAt ?? fingerprint(attributes)}`,
    project,
    group: readGroup(fields(payload.group)),
    actor: readUser(payload.user, gitlabBase(project)),
    occurredAt: updatedAt,
    details: {
      kind: 'milestone',
      id,
      iid,
      title,
      description: text(attributes.description) ?? '',
      url: iid === null ? null : projectPage(project, 'milestones', iid),
      startDate: text(attributes.start_date),
      dueDate: text(attributes.due_date),
    },
  });
}

/** Project Hook (group hooks, GitLab 17.6+): a project created in, or deleted from, a group. */
import type { GroupRef, ParseResult, ProjectRef } from './event.js';
import { isoTime, keyPart, readProject } from './common.js';
import { ignore, makeEvent } from './envelope.js';
import { records, text, type Fields } from './payload.js';

const ACTIONS: Record<string, string> = {
  project_create: 'created',
  project_destroy: 'destroyed',
  project_rename: 'renamed',
  project_transfer: 'transferred',
  project_update: 'updated',
};

export function parseProject(payload: Fields): ParseResult {
  const given = text(payload.event_name) ?? '';
  const action = ACTIONS[given];
  if (!action) return ignore(`unsupported project event: ${given}`);
  const project = readProject(payload);
  if (!project) return ignore('project event without a path');

  const updatedAt = isoTime(payload.updated_at);
  return makeEvent({
    kind: 'project',
    action,
    key: `project:${keyPart(project.id ?? project.path)}:${action}:${keyPart(updatedAt)}`,
    project,
    group: namespaceOf(project),
    occurredAt: updatedAt,
    details: {
      kind: 'project',
      name: text(payload.name) ?? project.name,
      path: project.path,
      ownerNames: records(payload.owners).flatMap((owner) => text(owner.name) ?? []),
    },
  });
}

/** The group a project path sits in (`group/sub/project` → `group/sub`); null for a user's namespace we cannot tell apart. */
export function namespaceOf(project: ProjectRef): GroupRef | null {
  const cut = project.path.lastIndexOf('/');
  if (cut <= 0) return null;
  const path = project.path.slice(0, cut);
  return { id: null, path, name: path.split('/').pop() ?? path, url: null };
}

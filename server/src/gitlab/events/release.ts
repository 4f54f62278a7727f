/** Release Hook: a release created, updated or deleted. The payload names no user. */
import type { ParseResult } from './event.js';
import { fingerprint, gitlabBase, isoTime, keyPart, projectPage, readProject, readUser } from './common.js';
import { checkObjectKind, ignore, makeEvent } from './envelope.js';
import { number, text, type Fields } from './payload.js';

const ACTIONS: Record<string, string> = { create: 'created', update: 'updated', delete: 'deleted' };

export function parseRelease(payload: Fields): ParseResult {
  const wrongKind = checkObjectKind(payload, ['release']);
  if (wrongKind) return wrongKind;
  const tag = text(payload.tag);
  if (!tag) return ignore('release without a tag');
  const action = ACTIONS[text(payload.action) ?? 'create'];
  if (!action) return ignore(`unsupported release action: ${String(payload.action)}`);

  const project = readProject(payload);
  const id = number(payload.id);
  const name = text(payload.name) ?? tag;
  const description = text(payload.description) ?? '';
  return makeEvent({
    kind: 'release',
    action,
    // Updates carry no timestamp: their content tells one update from another.
    key: `release:${keyPart(id ?? `${project?.path}:${tag}`)}:${action}:${fingerprint(name, description, payload.released_at)}`,
    project,
    actor: readUser(payload.user, gitlabBase(project)),
    ref: tag,
    occurredAt: isoTime(payload.released_at) ?? isoTime(payload.created_at),
    details: {
      kind: 'release',
      id,
      tag,
      name,
      url: text(payload.url) ?? projectPage(project, 'releases', tag),
      description,
    },
  });
}

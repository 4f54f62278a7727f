/** Wiki Page Hook: a project (or group) wiki page created, updated or deleted. */
import type { ParseResult } from './event.js';
import { fingerprint, gitlabBase, keyPart, readGroup, readProject, readUser } from './common.js';
import { checkObjectKind, ignore, makeEvent } from './envelope.js';
import { fields, text, type Fields } from './payload.js';

const ACTIONS: Record<string, string> = { create: 'created', update: 'updated', delete: 'deleted' };

export function parseWikiPage(payload: Fields): ParseResult {
  const wrongKind = checkObjectKind(payload, ['wiki_page']);
  if (wrongKind) return wrongKind;
  const attributes = fields(payload.object_attributes);
  const title = text(attributes.title) ?? text(attributes.slug);
  if (!title) return ignore('wiki page without a title');
  const action = ACTIONS[text(attributes.action) ?? ''];
  if (!action) return ignore(`unsupported wiki page action: ${String(attributes.action)}`);

  const project = readProject(payload);
  const group = readGroup(fields(payload.group));
  const slug = text(attributes.slug);
  const version = text(attributes.version_id) ?? fingerprint(attributes.content, attributes.message);
  return makeEvent({
    kind: 'wiki_page',
    action,
    key: `wiki_page:${keyPart(project?.id ?? group?.path)}:${keyPart(slug ?? title)}:${action}:${version}`,
    project,
    group,
    actor: readUser(payload.user, gitlabBase(project)),
    details: { kind: 'wiki_page', title, slug, url: text(attributes.url), message: text(attributes.message) },
  });
}

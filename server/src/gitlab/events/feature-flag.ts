/** Feature Flag Hook: a feature flag turned on or off. */
import type { ParseResult } from './event.js';
import { gitlabBase, keyPart, projectPage, readProject, readUser } from './common.js';
import { checkObjectKind, ignore, makeEvent } from './envelope.js';
import { fields, flag, number, text, type Fields } from './payload.js';

export function parseFeatureFlag(payload: Fields): ParseResult {
  const wrongKind = checkObjectKind(payload, ['feature_flag']);
  if (wrongKind) return wrongKind;
  const attributes = fields(payload.object_attributes);
  const name = text(attributes.name);
  const active = flag(attributes.active);
  if (!name) return ignore('feature flag without a name');
  if (active === null) return ignore('feature flag without an active state');

  const project = readProject(payload);
  const id = number(attributes.id);
  const action = active ? 'activated' : 'deactivated';
  return makeEvent({
    kind: 'feature_flag',
    action,
    // The payload has no timestamp: a flag toggled back and forth repeats its keys.
    key: `feature_flag:${keyPart(id ?? `${project?.path}:${name}`)}:${action}`,
    project,
    actor: readUser(payload.user, gitlabBase(project), text(payload.user_url)),
    details: {
      kind: 'feature_flag',
      id,
      name,
      description: text(attributes.description) ?? '',
      active,
      url: projectPage(project, 'feature_flags'),
    },
  });
}

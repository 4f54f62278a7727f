/** Tag Push Hook (and the system hook's `tag_push`): a tag created or deleted. */
import type { ParseResult } from './event.js';
import { gitlabBase, isZeroSha, keyPart, projectPage, readFlatUser, readProject, shortRef } from './common.js';
import { checkObjectKind, ignore, makeEvent } from './envelope.js';
import { text, type Fields } from './payload.js';

export function parseTagPush(payload: Fields): ParseResult {
  const wrongKind = checkObjectKind(payload, ['tag_push']);
  if (wrongKind) return wrongKind;
  const ref = text(payload.ref);
  if (!ref || ref.startsWith('refs/heads/')) return ignore('tag push without a tag ref');
  const before = text(payload.before);
  const after = text(payload.after);
  if (!after) return ignore('tag push without an `after` commit');

  const project = readProject(payload);
  const tag = shortRef(ref);
  const deleted = isZeroSha(after);
  return makeEvent({
    kind: 'tag_push',
    // A tag moved to another commit is, for a reader, a tag (re)created.
    action: deleted ? 'deleted' : 'created',
    key: `tag_push:${keyPart(project?.id ?? project?.path)}:${ref}:${keyPart(before)}:${after}`,
    project,
    actor: readFlatUser(payload, gitlabBase(project)),
    ref: tag,
    details: {
      kind: 'tag_push',
      sha: deleted ? null : after,
      tagUrl: deleted ? null : projectPage(project, 'tags', tag),
      message: text(payload.message),
    },
  });
}

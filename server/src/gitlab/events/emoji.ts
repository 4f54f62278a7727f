/** Emoji Hook: someone reacted with an emoji on an issue, MR, comment, snippet or commit (or took it back). */
import type { ParseResult, TargetRef } from './event.js';
import { fingerprint, gitlabBase, isoTime, readLabels, readProject, readTarget, readUser } from './common.js';
import { checkObjectKind, ignore, makeEvent } from './envelope.js';
import { asFields, fields, number, text, type Fields } from './payload.js';

const ACTIONS: Record<string, string> = { award: 'awarded', revoke: 'revoked' };

export function parseEmoji(payload: Fields): ParseResult {
  const wrongKind = checkObjectKind(payload, ['emoji']);
  if (wrongKind) return wrongKind;
  const attributes = fields(payload.object_attributes);
  const name = text(attributes.name);
  if (!name) return ignore('emoji without a name');
  const given = text(attributes.action) ?? text(payload.event_type) ?? '';
  const action = ACTIONS[given];
  if (!action) return ignore(`unsupported emoji action: ${given}`);

  const project = readProject(payload);
  const actor = readUser(payload.user, gitlabBase(project));
  const mergeRequest = asFields(payload.merge_request);
  const issue = asFields(payload.issue);
  const people = actor ? [actor] : [];
  // The MR or issue reacted on, directly or through one of its comments.
  const target: TargetRef | null = mergeRequest
    ? readTarget('merge_request', mergeRequest, project, people)
    : issue
      ? readTarget('issue', issue, project, people)
      : null;
  const id = number(attributes.id);
  const awardableType = text(attributes.awardable_type) ?? 'unknown';
  return makeEvent({
    kind: 'emoji',
    action,
    key: `emoji:${id === null ? fingerprint(attributes) : id}:${action}`,
    project,
    actor,
    target,
    labels: readLabels((mergeRequest ?? issue ?? {}).labels),
    confidential: issue?.confidential === true,
    occurredAt: isoTime(attributes.updated_at) ?? isoTime(attributes.created_at),
    details: {
      kind: 'emoji',
      id,
      name,
      awardableType,
      awardedOnUrl: text(attributes.awarded_on_url),
      noteBody: awardableType === 'Note' ? text(fields(payload.note).note) : null,
    },
  });
}

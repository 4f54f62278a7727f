/**
 * Member Hook (group hooks): a member added to a group, their access changed,
 * removed, or someone asking for access. The payload does not say who did it.
 */
import type { ParseResult } from './event.js';
import { isoTime, keyPart, readFlatUser, readGroup } from './common.js';
import { ignore, makeEvent } from './envelope.js';
import { number, text, type Fields } from './payload.js';

const ACTIONS: Record<string, string> = {
  user_add_to_group: 'added',
  user_update_for_group: 'updated',
  user_remove_from_group: 'removed',
  user_access_request_to_group: 'access_requested',
  user_access_request_denied_for_group: 'access_denied',
};

export function parseMember(payload: Fields): ParseResult {
  const given = text(payload.event_name) ?? '';
  const action = ACTIONS[given];
  if (!action) return ignore(`unsupported member event: ${given}`);
  const group = readGroup(payload);
  const member = readFlatUser(payload, null);
  if (!group) return ignore('member event without a group');
  if (!member) return ignore('member event without a user');

  const updatedAt = isoTime(payload.updated_at);
  return makeEvent({
    kind: 'member',
    action,
    key: `member:${keyPart(group.id ?? group.path)}:${keyPart(number(payload.user_id) ?? member.username)}:${action}:${keyPart(updatedAt)}`,
    group,
    occurredAt: updatedAt,
    details: {
      kind: 'member',
      member,
      accessLevel: text(payload.group_access),
      expiresAt: text(payload.expires_at),
    },
  });
}

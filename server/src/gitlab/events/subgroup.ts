/** Subgroup Hook (group hooks): a subgroup created in, or removed from, a group. */
import type { ParseResult } from './event.js';
import { isoTime, keyPart } from './common.js';
import { ignore, makeEvent } from './envelope.js';
import { number, text, type Fields } from './payload.js';

const ACTIONS: Record<string, string> = { subgroup_create: 'created', subgroup_destroy: 'destroyed' };

export function parseSubgroup(payload: Fields): ParseResult {
  const given = text(payload.event_name) ?? '';
  const action = ACTIONS[given];
  if (!action) return ignore(`unsupported subgroup event: ${given}`);
  const path = text(payload.full_path) ?? text(payload.path);
  if (!path) return ignore('subgroup event without a path');
  const parentPath = text(payload.parent_full_path) ?? text(payload.parent_path);

  const updatedAt = isoTime(payload.updated_at);
  return makeEvent({
    kind: 'subgroup',
    action,
    key: `subgroup:${keyPart(number(payload.group_id) ?? path)}:${action}:${keyPart(updatedAt)}`,
    // The parent is the group whose hook fired and whose subscribers care.
    group: parentPath
      ? { id: number(payload.parent_group_id), path: parentPath, name: text(payload.parent_name) ?? parentPath, url: null }
      : { id: number(payload.group_id), path, name: text(payload.name) ?? path, url: null },
    occurredAt: updatedAt,
    details: { kind: 'subgroup', name: text(payload.name) ?? path, path, parentPath },
  });
}

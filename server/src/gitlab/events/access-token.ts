/** Resource Access Token Hook: a project or group access token is about to expire (or has). */
import type { ParseResult } from './event.js';
import { keyPart, readGroup, readProject } from './common.js';
import { checkObjectKind, ignore, makeEvent } from './envelope.js';
import { asFields, fields, number, text, type Fields } from './payload.js';

const ACTIONS: Record<string, string> = { expiring_access_token: 'expiring', expired_access_token: 'expired' };

export function parseAccessToken(payload: Fields): ParseResult {
  const wrongKind = checkObjectKind(payload, ['access_token']);
  if (wrongKind) return wrongKind;
  const attributes = fields(payload.object_attributes);
  const name = text(attributes.name);
  if (!name) return ignore('access token without a name');
  const given = text(payload.event_name) ?? '';
  const action = ACTIONS[given];
  if (!action) return ignore(`unsupported access token event: ${given}`);

  const project = asFields(payload.project) ? readProject(payload) : null;
  const group = readGroup(fields(payload.group));
  if (!project && !group) return ignore('access token of neither a project nor a group');
  const id = number(attributes.id);
  const expiresAt = text(attributes.expires_at);
  return makeEvent({
    kind: 'access_token',
    action,
    key: `access_token:${project ? `project:${keyPart(project.id ?? project.path)}` : `group:${keyPart(group?.id ?? group?.path)}`}:${keyPart(id ?? name)}:${action}:${keyPart(expiresAt)}`,
    project,
    group: project ? null : group,
    details: { kind: 'access_token', id, name, expiresAt, scope: project ? 'project' : 'group' },
  });
}

/** Deployment Hook: a deployment to an environment started, succeeded, failed or was canceled. */
import type { ParseResult } from './event.js';
import { gitlabBase, isoTime, keyPart, readProject, readUser } from './common.js';
import { checkObjectKind, ignore, makeEvent } from './envelope.js';
import { number, text, type Fields } from './payload.js';

export function parseDeployment(payload: Fields): ParseResult {
  const wrongKind = checkObjectKind(payload, ['deployment']);
  if (wrongKind) return wrongKind;
  const status = text(payload.status)?.toLowerCase();
  const environment = text(payload.environment);
  if (!status) return ignore('deployment without a status');
  if (!environment) return ignore('deployment without an environment');

  const project = readProject(payload);
  const id = number(payload.deployment_id);
  const changedAt = isoTime(payload.status_changed_at);
  return makeEvent({
    kind: 'deployment',
    action: status,
    key: `deployment:${keyPart(id)}:${status}:${keyPart(changedAt)}`,
    project,
    actor: readUser(payload.user, gitlabBase(project), text(payload.user_url)),
    ref: text(payload.ref),
    occurredAt: changedAt,
    details: {
      kind: 'deployment',
      id,
      status,
      environment,
      environmentUrl: text(payload.environment_external_url),
      shortSha: text(payload.short_sha),
      commitUrl: text(payload.commit_url),
      commitTitle: text(payload.commit_title),
      deployableUrl: text(payload.deployable_url),
    },
  });
}

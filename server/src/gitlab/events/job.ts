/**
 * Job Hook (`object_kind: build`): one CI job's status changed. Older payloads
 * have no `project` object, only `project_id`, `project_name` and `repository`.
 */
import type { ParseResult } from './event.js';
import { gitlabBase, isoTime, projectPage, readProject, readUser } from './common.js';
import { checkObjectKind, ignore, makeEvent } from './envelope.js';
import { fields, number, text, type Fields } from './payload.js';

export function parseJob(payload: Fields): ParseResult {
  const wrongKind = checkObjectKind(payload, ['build', 'job']);
  if (wrongKind) return wrongKind;
  const id = number(payload.build_id);
  const status = text(payload.build_status)?.toLowerCase();
  if (id === null) return ignore('job without an id');
  if (!status) return ignore('job without a status');

  const project = readProject(payload);
  const pipelineId = number(payload.pipeline_id) ?? number(fields(payload.commit).id);
  return makeEvent({
    kind: 'job',
    action: status,
    key: `job:${id}:${status}`,
    project,
    actor: readUser(payload.user, gitlabBase(project)),
    ref: text(payload.ref),
    occurredAt: isoTime(payload.build_finished_at) ?? isoTime(payload.build_started_at) ?? isoTime(payload.build_created_at),
    details: {
      kind: 'job',
      id,
      name: text(payload.build_name) ?? `job ${id}`,
      stage: text(payload.build_stage),
      status,
      url: projectPage(project, 'jobs', id),
      pipelineId,
      pipelineUrl: pipelineId === null ? null : projectPage(project, 'pipelines', pipelineId),
      durationSeconds: number(payload.build_duration),
      failureReason: text(payload.build_failure_reason),
      allowFailure: payload.build_allow_failure === true,
      sha: text(payload.sha),
    },
  });
}

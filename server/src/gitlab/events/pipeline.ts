/**
 * Pipeline Hook: a pipeline's status changed. For a failed pipeline, the jobs
 * that really failed: a job retried until it passed, or allowed to fail, is not
 * what a reader needs to fix.
 */
import type { PipelineJob } from './details.js';
import type { ParseResult, ProjectRef } from './event.js';
import { gitlabBase, isoTime, projectPage, readProject, readTarget, readUser } from './common.js';
import { checkObjectKind, ignore, makeEvent } from './envelope.js';
import { asFields, fields, number, records, strings, text, type Fields } from './payload.js';

export function parsePipeline(payload: Fields): ParseResult {
  const wrongKind = checkObjectKind(payload, ['pipeline']);
  if (wrongKind) return wrongKind;
  const attributes = fields(payload.object_attributes);
  const id = number(attributes.id);
  const status = text(attributes.status)?.toLowerCase();
  if (id === null) return ignore('pipeline without an id');
  if (!status) return ignore('pipeline without a status');

  const project = readProject(payload);
  const actor = readUser(payload.user, gitlabBase(project));
  const mergeRequest = asFields(payload.merge_request);
  const failedJobs = findFailedJobs(records(payload.builds), project);
  return makeEvent({
    kind: 'pipeline',
    action: status,
    key: `pipeline:${id}:${status}`,
    project,
    actor,
    // An MR pipeline's result belongs in the MR's thread.
    target: mergeRequest ? readTarget('merge_request', mergeRequest, project, actor ? [actor] : []) : null,
    ref: text(attributes.ref),
    occurredAt: isoTime(attributes.finished_at) ?? isoTime(attributes.created_at),
    details: {
      kind: 'pipeline',
      id,
      iid: number(attributes.iid),
      status,
      url: projectPage(project, 'pipelines', id) ?? text(attributes.url),
      source: text(attributes.source),
      durationSeconds: number(attributes.duration),
      sha: text(attributes.sha),
      tag: attributes.tag === true,
      failedStages: orderStages(
        failedJobs.map((job) => job.stage),
        strings(attributes.stages),
      ),
      failedJobs,
    },
  });
}

/**
 * Jobs whose latest attempt failed and that were not allowed to fail. A job
 * retried appears once per attempt under the same name; the latest (highest id,
 * else latest `created_at`) is the one that counts.
 */
export function findFailedJobs(builds: Fields[], project: ProjectRef | null): PipelineJob[] {
  const latest = new Map<string, Fields>();
  for (const build of builds) {
    const name = text(build.name);
    if (!name) continue;
    const seen = latest.get(name);
    if (!seen || isNewer(build, seen)) latest.set(name, build);
  }
  return [...latest.values()]
    .filter((build) => build.status === 'failed' && build.allow_failure !== true)
    .map((build) => {
      const id = number(build.id);
      return {
        id,
        name: text(build.name) ?? '',
        stage: text(build.stage) ?? '',
        status: 'failed',
        url: id === null ? null : projectPage(project, 'jobs', id),
        failureReason: text(build.failure_reason),
      };
    })
    .sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
}

function isNewer(build: Fields, than: Fields): boolean {
  const id = number(build.id);
  const otherId = number(than.id);
  if (id !== null && otherId !== null) return id > otherId;
  return (isoTime(build.created_at) ?? '') > (isoTime(than.created_at) ?? '');
}

/** Unique stages, in the pipeline's stage order when known. */
function orderStages(stages: string[], order: string[]): string[] {
  const unique = [...new Set(stages.filter((stage) => stage !== ''))];
  const rank = (stage: string): number => (order.includes(stage) ? order.indexOf(stage) : order.length);
  return unique.sort((a, b) => rank(a) - rank(b));
}

/**
 * Pipeline Hook payloads from a polled pipeline (GET /projects/:id/pipelines/:id;
 * the list answer lacks the user and duration). A poll sees a snapshot, so only
 * states a pipeline rests in long enough to be seen are reported: running and
 * the finished ones. Without its jobs the payload has no `builds`, so a failed
 * pipeline's post cannot name the failed stages and jobs.
 */
import { mergeRequestAttributes } from './item-hooks.js';
import { projectAttributes, userAttributes, utcSeconds, type HookPayload } from './hook-attributes.js';
import type { RestJob, RestMergeRequest, RestPipeline, RestProject } from './rest-shapes.js';

/** `manual`: blocked until someone starts a job, which can last as long as a finished pipeline. */
export const POLLED_PIPELINE_STATUSES: readonly string[] = ['running', 'success', 'failed', 'canceled', 'skipped', 'manual'];

export interface PipelineContext {
  /** The MR a merge request pipeline ran for (its iid: pipelineMergeRequestIid). */
  mergeRequest?: RestMergeRequest | null;
  /** GET /projects/:id/pipelines/:id/jobs: one more request, worth it for failed pipelines only. */
  jobs?: readonly RestJob[] | null;
}

/** The MR iid of a merge request pipeline, from its ref (`refs/merge-requests/12/head`, `/merge`, `/train`). */
export function pipelineMergeRequestIid(pipeline: Pick<RestPipeline, 'ref'>): number | null {
  const match = /^refs\/merge-requests\/(\d+)\/(head|merge|train)$/.exec(pipeline.ref);
  return match ? Number(match[1]) : null;
}

export function hookFromPipeline(
  pipeline: RestPipeline,
  project: RestProject,
  context: PipelineContext = {},
): { event: 'Pipeline Hook'; payload: HookPayload } | null {
  if (!POLLED_PIPELINE_STATUSES.includes(pipeline.status)) return null;
  const jobs = [...(context.jobs ?? [])].sort((a, b) => a.id - b.id);
  const mr = context.mergeRequest ? mergeRequestAttributes(context.mergeRequest) : null;
  return {
    event: 'Pipeline Hook',
    payload: {
      object_kind: 'pipeline',
      object_attributes: {
        id: pipeline.id,
        iid: pipeline.iid ?? null,
        name: pipeline.name ?? null,
        ref: pipeline.ref,
        tag: pipeline.tag,
        sha: pipeline.sha,
        before_sha: pipeline.before_sha ?? null,
        source: pipeline.source ?? null,
        status: pipeline.status,
        // Jobs are created stage by stage, so their ids give the stage order.
        stages: [...new Set(jobs.map((job) => job.stage))],
        created_at: utcSeconds(pipeline.created_at),
        finished_at: utcSeconds(pipeline.finished_at),
        duration: pipeline.duration ?? null,
        queued_duration: pipeline.queued_duration ?? null,
        url: pipeline.web_url,
      },
      merge_request: mr && {
        id: mr.id,
        iid: mr.iid,
        title: mr.title,
        source_branch: mr.source_branch,
        source_project_id: mr.source_project_id,
        target_branch: mr.target_branch,
        target_project_id: mr.target_project_id,
        state: mr.state,
        merge_status: mr.merge_status,
        detailed_merge_status: mr.detailed_merge_status,
        url: mr.url,
      },
      user: pipeline.user ? userAttributes(pipeline.user) : null,
      project: projectAttributes(project),
      builds: jobs.map(buildAttributes),
    },
  };
}

/** A job as a hook's `builds` entry. */
function buildAttributes(job: RestJob): HookPayload {
  return {
    id: job.id,
    stage: job.stage,
    name: job.name,
    status: job.status,
    created_at: utcSeconds(job.created_at),
    started_at: utcSeconds(job.started_at),
    finished_at: utcSeconds(job.finished_at),
    duration: job.duration ?? null,
    queued_duration: job.queued_duration ?? null,
    failure_reason: job.failure_reason ?? null,
    allow_failure: job.allow_failure,
    user: job.user ? userAttributes(job.user) : null,
    runner: job.runner ?? null,
  };
}

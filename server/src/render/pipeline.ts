/** A pipeline's status: failed stages and jobs, duration, source, and the MR it ran for. */
import type { PipelineDetails, PipelineJob } from '../gitlab/events/details.js';
import type { GitLabEvent } from '../gitlab/events/event.js';
import { factLine, formatDuration, humanise } from './format.js';
import { actorLink, link, projectLink, targetLink } from './links.js';
import { parts, type PostParts, type RenderContext } from './parts.js';
import { code, inline } from './text.js';

/** How a CI status reads after "Pipeline #12" or "Job `test`". */
export const STATUS_WORDS: Record<string, string> = {
  success: 'passed',
  fixed: 'fixed',
  failed: 'failed',
  canceled: 'was canceled',
  canceling: 'is being canceled',
  running: 'is running',
  pending: 'is pending',
  created: 'was created',
  skipped: 'was skipped',
  manual: 'is waiting for a manual action',
  scheduled: 'is scheduled',
  preparing: 'is preparing',
  waiting_for_resource: 'is waiting for a resource',
  waiting_for_callback: 'is waiting for a callback',
};

export const STATUS_ICONS: Record<string, string> = {
  success: ':white_check_mark:',
  fixed: ':white_check_mark:',
  failed: ':x:',
  canceled: ':no_entry_sign:',
  running: ':arrows_counterclockwise:',
  pending: ':hourglass_flowing_sand:',
};

/** `:x: ` before a headline, or nothing. */
export function statusIcon(status: string): string {
  const icon = STATUS_ICONS[status];
  return icon ? `${icon} ` : '';
}

export function statusWord(status: string): string {
  return STATUS_WORDS[status] ?? inline(humanise(status));
}

export function renderPipeline(event: GitLabEvent, details: PipelineDetails, context: RenderContext): PostParts {
  // `action`, not `details.status`: the processor reports a success after a failure as `fixed`.
  const status = event.action;
  const mr = event.target ? ` for merge request ${targetLink(event.target)}` : '';
  const ref = event.ref ? ` on ${code(event.ref)}` : '';
  const headline = `${statusIcon(status)}Pipeline ${link(`#${details.id}`, details.url)} ${statusWord(status)}${ref}${mr} in ${projectLink(event.project, context)}`;
  return parts(headline, [
    // Only a failed pipeline's failures are news: a passing one may still list a job allowed to fail.
    ...(status === 'failed' ? describeFailures(details) : []),
    factLine([
      details.durationSeconds !== null && `Duration: ${formatDuration(details.durationSeconds)}`,
      details.source && `Source: ${inline(humanise(details.source), 60)}`,
      event.actor && `Triggered by ${actorLink(event.actor, context)}`,
    ]),
  ]);
}

/** One line per failed stage, naming its failed jobs. */
function describeFailures(details: PipelineDetails): string[] {
  return details.failedStages.map((stage) => {
    const jobs = details.failedJobs.filter((job) => job.stage === stage).map(describeJob);
    return `Failed in stage ${code(stage)}: ${jobs.join(', ')}`;
  });
}

function describeJob(job: PipelineJob): string {
  const reason = job.failureReason ? ` (${inline(humanise(job.failureReason), 60)})` : '';
  return `${link(code(job.name), job.url)}${reason}`;
}

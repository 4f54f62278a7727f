/** One CI job's status, with its stage, ref, duration and failure reason. */
import type { JobDetails } from '../gitlab/events/details.js';
import type { GitLabEvent } from '../gitlab/events/event.js';
import { factLine, formatDuration, humanise } from './format.js';
import { actorLink, link, projectLink } from './links.js';
import { parts, type PostParts, type RenderContext } from './parts.js';
import { statusIcon, statusWord } from './pipeline.js';
import { code, inline } from './text.js';

export function renderJob(event: GitLabEvent, details: JobDetails, context: RenderContext): PostParts {
  const stage = details.stage ? ` in stage ${code(details.stage)}` : '';
  const ref = event.ref ? ` on ${code(event.ref)}` : '';
  const allowed = details.allowFailure && event.action === 'failed' ? ' (allowed to fail)' : '';
  const headline = `${statusIcon(event.action)}Job ${link(code(details.name), details.url)} ${statusWord(event.action)}${allowed}${stage}${ref} in ${projectLink(event.project, context)}`;
  return parts(headline, [
    factLine([
      event.action === 'failed' && details.failureReason && `Reason: ${inline(humanise(details.failureReason), 60)}`,
      details.durationSeconds !== null && `Duration: ${formatDuration(details.durationSeconds)}`,
      details.pipelineId !== null && `Pipeline ${link(`#${details.pipelineId}`, details.pipelineUrl)}`,
      event.actor && `Triggered by ${actorLink(event.actor, context)}`,
    ]),
  ]);
}

/** A deployment to an environment: its status, commit, job, and the environment's URL. */
import type { DeploymentDetails } from '../gitlab/events/details.js';
import type { GitLabEvent } from '../gitlab/events/event.js';
import { factLine, humanise } from './format.js';
import { actorLink, link, projectLink } from './links.js';
import { parts, type PostParts, type RenderContext } from './parts.js';
import { statusIcon } from './pipeline.js';
import { code, inline } from './text.js';

const WORDS: Record<string, string> = {
  success: 'succeeded',
  failed: 'failed',
  running: 'started',
  created: 'was created',
  canceled: 'was canceled',
  blocked: 'is blocked',
};

export function renderDeployment(event: GitLabEvent, details: DeploymentDetails, context: RenderContext): PostParts {
  const word = WORDS[event.action] ?? inline(humanise(event.action));
  const ref = event.ref ? ` from ${code(event.ref)}` : '';
  const headline = `${statusIcon(event.action)}Deployment to ${code(details.environment)}${ref} ${word} in ${projectLink(event.project, context)}`;
  const commit = details.shortSha
    ? `Commit ${link(code(details.shortSha), details.commitUrl)}${details.commitTitle ? ` ${inline(details.commitTitle, 120)}` : ''}`
    : null;
  return parts(headline, [
    factLine([details.environmentUrl && `Environment: ${link(inline(details.environmentUrl, 120), details.environmentUrl)}`, commit]),
    factLine([details.deployableUrl && link('Deployment job', details.deployableUrl), event.actor && `By ${actorLink(event.actor, context)}`]),
  ]);
}

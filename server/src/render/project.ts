/** A project created in, or deleted from, a group (group Project Hook). */
import type { ProjectDetails } from '../gitlab/events/details.js';
import type { GitLabEvent } from '../gitlab/events/event.js';
import { factLine } from './format.js';
import { groupLink, projectLink } from './links.js';
import { parts, type PostParts, type RenderContext } from './parts.js';
import { code, inline } from './text.js';

export function renderProject(event: GitLabEvent, details: ProjectDetails, context: RenderContext): PostParts {
  const gone = event.action === 'destroyed';
  const project = gone ? code(details.path) : projectLink(event.project, context);
  const group = event.group ? ` ${gone ? 'from' : 'in'} group ${groupLink(event.group, context)}` : '';
  const verb = gone ? 'was deleted' : `was ${inline(event.action)}`;
  return parts(`Project ${project} ${verb}${group}`, [describeOwnersAndVisibility(details.ownerNames, event.project?.visibility)]);
}

export function describeOwnersAndVisibility(ownerNames: string[], visibility: string | undefined): string | null {
  return factLine([
    ownerNames.length > 0 && `Owners: ${ownerNames.map((name) => inline(name, 80)).join(', ')}`,
    visibility && visibility !== 'unknown' && `Visibility: ${visibility}`,
  ]);
}

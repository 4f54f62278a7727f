/** A subgroup created in, or removed from, a group. */
import type { SubgroupDetails } from '../gitlab/events/details.js';
import type { GitLabEvent } from '../gitlab/events/event.js';
import { groupLink, link } from './links.js';
import { parts, type PostParts, type RenderContext } from './parts.js';
import { code, inline } from './text.js';

export function renderSubgroup(event: GitLabEvent, details: SubgroupDetails, context: RenderContext): PostParts {
  const parent = event.group && event.group.path !== details.path ? `group ${groupLink(event.group, context)}` : '';
  if (event.action === 'destroyed') return parts(`Subgroup ${code(details.path)} was removed${parent && ` from ${parent}`}`);
  const url = context.gitlabUrl ? `${context.gitlabUrl}/${details.path}` : null;
  return parts(`Subgroup ${link(inline(details.path), url)} was ${inline(event.action)}${parent && ` in ${parent}`}`);
}

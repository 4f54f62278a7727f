/** A milestone created, updated, closed, reopened or deleted, with its dates. */
import type { MilestoneDetails } from '../gitlab/events/details.js';
import type { GitLabEvent } from '../gitlab/events/event.js';
import { factLine } from './format.js';
import { actorLink, groupLink, link, projectLink } from './links.js';
import { parts, type PostParts, type RenderContext } from './parts.js';
import { excerpt, inline, quote } from './text.js';

export function renderMilestone(event: GitLabEvent, details: MilestoneDetails, context: RenderContext): PostParts {
  const by = event.actor ? ` by ${actorLink(event.actor, context)}` : '';
  const where = event.project || !event.group ? projectLink(event.project, context) : groupLink(event.group, context);
  const headline = `:triangular_flag_on_post: Milestone ${link(inline(details.title), details.url)} ${inline(event.action)}${by} in ${where}`;
  const description = excerpt(details.description, { maxChars: 300, maxLines: 6 });
  return parts(
    headline,
    [factLine([details.startDate && `Starts ${inline(details.startDate, 30)}`, details.dueDate && `Due ${inline(details.dueDate, 30)}`])],
    [description && quote(description)],
  );
}

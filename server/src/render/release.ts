/** A release created, updated or deleted, with the start of its notes. */
import type { ReleaseDetails } from '../gitlab/events/details.js';
import type { GitLabEvent } from '../gitlab/events/event.js';
import { actorLink, link, projectLink } from './links.js';
import { parts, type PostParts, type RenderContext } from './parts.js';
import { code, excerpt, inline, quote } from './text.js';

export function renderRelease(event: GitLabEvent, details: ReleaseDetails, context: RenderContext): PostParts {
  const by = event.actor ? ` by ${actorLink(event.actor, context)}` : '';
  const name = event.action === 'deleted' ? inline(details.name) : link(inline(details.name), details.url);
  const headline = `:rocket: Release ${name} ${inline(event.action)}${by} in ${projectLink(event.project, context)}`;
  const notes = event.action === 'deleted' ? '' : excerpt(details.description, { maxChars: 300, maxLines: 8 });
  return parts(headline, [`Tag: ${code(details.tag)}`], [notes && quote(notes)]);
}

/** A wiki page created, edited or deleted, with the edit's message. */
import type { WikiPageDetails } from '../gitlab/events/details.js';
import type { GitLabEvent } from '../gitlab/events/event.js';
import { actorLink, groupLink, link, projectLink } from './links.js';
import { parts, type PostParts, type RenderContext } from './parts.js';
import { inline } from './text.js';

const VERBS: Record<string, string> = { created: 'created', updated: 'edited', deleted: 'deleted' };

export function renderWikiPage(event: GitLabEvent, details: WikiPageDetails, context: RenderContext): PostParts {
  const page = event.action === 'deleted' ? inline(details.title) : link(inline(details.title), details.url);
  const where = event.project || !event.group ? projectLink(event.project, context) : groupLink(event.group, context);
  const verb = VERBS[event.action] ?? inline(event.action);
  return parts(`${actorLink(event.actor, context)} ${verb} wiki page ${page} in ${where}`, [details.message && `Message: ${inline(details.message)}`]);
}

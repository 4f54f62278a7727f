/** A tag created or deleted. */
import type { TagPushDetails } from '../gitlab/events/details.js';
import type { GitLabEvent } from '../gitlab/events/event.js';
import { actorLink, link, projectLink } from './links.js';
import { parts, type PostParts, type RenderContext } from './parts.js';
import { code, excerpt, quote } from './text.js';

export function renderTagPush(event: GitLabEvent, details: TagPushDetails, context: RenderContext): PostParts {
  const who = actorLink(event.actor, context);
  const where = projectLink(event.project, context);
  const tag = event.ref ?? '';
  if (event.action === 'deleted') return parts(`${who} deleted tag ${code(tag)} in ${where}`);
  return parts(
    `${who} created tag ${link(code(tag), details.tagUrl)} in ${where}`,
    [details.sha && `Commit ${code(details.sha.slice(0, 8))}`],
    [details.message && quote(excerpt(details.message, { maxChars: 300, maxLines: 6 }))],
  );
}

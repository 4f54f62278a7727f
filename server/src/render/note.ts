/** A new comment on an issue, MR, commit or snippet, linked to the comment itself. */
import type { NoteDetails } from '../gitlab/events/details.js';
import type { GitLabEvent } from '../gitlab/events/event.js';
import { actorLink, link, projectLink, targetLink, targetNoun } from './links.js';
import { parts, type PostParts, type RenderContext } from './parts.js';
import { code, excerpt, inline, quote } from './text.js';

export function renderNote(event: GitLabEvent, details: NoteDetails, context: RenderContext): PostParts {
  const verb = event.internal ? 'added an internal note on' : 'commented on';
  const headline = `${actorLink(event.actor, context)} ${verb} ${describeNoteable(event, details)} in ${projectLink(event.project, context)}`;
  const body = excerpt(details.body, { maxChars: 500, maxLines: 10 });
  return parts(headline, [], [body && quote(body)]);
}

function describeNoteable(event: GitLabEvent, details: NoteDetails): string {
  if (event.target) {
    const noun = `${event.confidential && event.target.type === 'issue' ? 'confidential ' : ''}${targetNoun(event.target)}`;
    return `${noun} ${targetLink(event.target, details.url ?? event.target.url)}`;
  }
  if (details.commit) {
    const label = `${code(details.commit.sha.slice(0, 8))}${details.commit.title ? ` ${inline(details.commit.title, 120)}` : ''}`;
    return `commit ${link(label, details.url ?? details.commit.url)}`;
  }
  if (details.snippet) {
    const label = inline(`$${details.snippet.id ?? ''} ${details.snippet.title}`.trim());
    return `snippet ${link(label, details.url ?? details.snippet.url)}`;
  }
  return link(details.on === 'merge_request' ? 'a merge request' : details.on === 'issue' ? 'an issue' : `a ${details.on}`, details.url);
}

/** Who reacted with which emoji on what (or took the reaction back). */
import type { EmojiDetails } from '../gitlab/events/details.js';
import type { GitLabEvent } from '../gitlab/events/event.js';
import { humanise } from './format.js';
import { actorLink, link, projectLink, targetLink, targetNoun } from './links.js';
import { parts, type PostParts, type RenderContext } from './parts.js';
import { code, excerpt, inline, quote } from './text.js';

export function renderEmoji(event: GitLabEvent, details: EmojiDetails, context: RenderContext): PostParts {
  const emoji = /^[a-z0-9_+-]{1,50}$/i.test(details.name) ? `:${details.name}:` : code(details.name);
  const what = describeAwardable(event, details);
  const where = projectLink(event.project, context);
  const who = actorLink(event.actor, context);
  const headline =
    event.action === 'revoked' ? `${who} took back their ${emoji} reaction to ${what} in ${where}` : `${who} reacted with ${emoji} to ${what} in ${where}`;
  const note = details.noteBody ? excerpt(details.noteBody, { maxChars: 300, maxLines: 4 }) : '';
  return parts(headline, [], [note && quote(note)]);
}

function describeAwardable(event: GitLabEvent, details: EmojiDetails): string {
  const onComment = details.awardableType === 'Note';
  if (event.target) {
    const item = `${targetNoun(event.target)} ${targetLink(event.target, onComment ? (details.awardedOnUrl ?? event.target.url) : event.target.url)}`;
    return onComment ? `a comment on ${item}` : item;
  }
  const noun = onComment ? 'a comment' : `a ${inline(humanise(details.awardableType).toLowerCase(), 40)}`;
  return details.awardedOnUrl ? `${noun} (${link('view', details.awardedOnUrl)})` : noun;
}

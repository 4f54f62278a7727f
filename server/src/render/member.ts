/** A group membership added, changed, removed or requested. */
import type { MemberDetails } from '../gitlab/events/details.js';
import type { GitLabEvent } from '../gitlab/events/event.js';
import { actorLink, groupLink } from './links.js';
import { parts, type PostParts, type RenderContext } from './parts.js';
import { inline } from './text.js';

export function renderMember(event: GitLabEvent, details: MemberDetails, context: RenderContext): PostParts {
  const who = actorLink(details.member, context);
  const group = `group ${groupLink(event.group, context)}`;
  const role = details.accessLevel ? inline(details.accessLevel, 40) : null;
  const expires = details.expiresAt && event.action !== 'removed' ? `Access expires on ${inline(details.expiresAt.slice(0, 10), 30)}` : null;
  return parts(describeMembership(event.action, who, group, role), [expires]);
}

function describeMembership(action: string, who: string, group: string, role: string | null): string {
  switch (action) {
    case 'added':
      return `${who} was added to ${group}${role ? ` as ${role}` : ''}`;
    case 'updated':
      return `${who}'s access to ${group} was changed${role ? ` to ${role}` : ''}`;
    case 'removed':
      return `${who} was removed from ${group}`;
    case 'access_requested':
      return `${who} requested access to ${group}`;
    case 'access_denied':
      return `${who}'s request for access to ${group} was denied`;
    default:
      return `${who}: membership of ${group} ${inline(action)}`;
  }
}

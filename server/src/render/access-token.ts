/** A project or group access token about to expire. */
import type { AccessTokenDetails } from '../gitlab/events/details.js';
import type { GitLabEvent } from '../gitlab/events/event.js';
import { groupLink, projectLink } from './links.js';
import { parts, type PostParts, type RenderContext } from './parts.js';
import { code, inline } from './text.js';

export function renderAccessToken(event: GitLabEvent, details: AccessTokenDetails, context: RenderContext): PostParts {
  const owner = details.scope === 'project' ? `project ${projectLink(event.project, context)}` : `group ${groupLink(event.group, context)}`;
  const when = details.expiresAt ? ` on ${inline(details.expiresAt, 30)}` : '';
  const verb = event.action === 'expired' ? 'expired' : 'expires';
  return parts(`:warning: Access token ${code(details.name)} of ${owner} ${verb}${when}`);
}

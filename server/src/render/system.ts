/** Instance-wide events from system hooks: projects, users, keys, groups, memberships, repository updates. */
import type { SystemDetails } from '../gitlab/events/details.js';
import type { GitLabEvent } from '../gitlab/events/event.js';
import { plural } from './format.js';
import { actorLink, groupLink, projectLink } from './links.js';
import { parts, type PostParts, type RenderContext } from './parts.js';
import { describeOwnersAndVisibility } from './project.js';
import { code, inline } from './text.js';

export function renderSystem(event: GitLabEvent, details: SystemDetails, context: RenderContext): PostParts {
  const project = event.project ? projectLink(event.project, context) : code(details.subject ?? '');
  const group = event.group ? groupLink(event.group, context) : code(details.subject ?? '');
  const user = details.user ? `${actorLink(details.user, context)}${details.user.username ? ` (${code(details.user.username)})` : ''}` : 'A user';
  const role = details.accessLevel ? ` as ${inline(details.accessLevel, 40)}` : '';
  const newRole = details.accessLevel ? ` to ${inline(details.accessLevel, 40)}` : '';
  switch (event.action) {
    case 'project_create':
      return parts(`Project ${project} was created`, [describeOwnersAndVisibility([], event.project?.visibility)]);
    case 'project_destroy':
      return parts(`Project ${code(details.subject ?? '')} was deleted`);
    case 'project_rename':
      return parts(`Project ${project} was renamed`);
    case 'project_transfer':
      return parts(`Project ${project} was transferred`);
    case 'project_update':
      return parts(`Project ${project} was updated`);
    case 'user_add_to_team':
      return parts(`${user} was added to project ${project}${role}`);
    case 'user_remove_from_team':
      return parts(`${user} was removed from project ${project}`);
    case 'user_update_for_team':
      return parts(`${user}'s access to project ${project} was changed${newRole}`);
    case 'user_create':
      return parts(`User ${user} was created`);
    case 'user_destroy':
      return parts(`User ${user} was deleted`);
    case 'user_rename':
      return parts(`User ${user} was renamed`);
    case 'user_failed_login':
      return parts(`User ${user} failed to sign in`);
    case 'key_create':
      return parts(`An SSH key was added for ${user}`);
    case 'key_destroy':
      return parts(`An SSH key was removed for ${user}`);
    case 'group_create':
      return parts(`Group ${group} was created`);
    case 'group_destroy':
      return parts(`Group ${code(details.subject ?? '')} was deleted`);
    case 'group_rename':
      return parts(`Group ${group} was renamed`);
    case 'user_add_to_group':
      return parts(`${user} was added to group ${group}${role}`);
    case 'user_remove_from_group':
      return parts(`${user} was removed from group ${group}`);
    case 'user_update_for_group':
      return parts(`${user}'s access to group ${group} was changed${newRole}`);
    case 'repository_update':
      return parts(
        `${actorLink(event.actor, context)} updated ${plural(details.refs.length, 'ref')} in ${project}`,
        [details.refs.length > 0 && `Refs: ${details.refs.map((ref) => code(ref)).join(', ')}`],
      );
    default:
      return parts(`System event ${code(event.action)}${details.subject ? ` for ${code(details.subject)}` : ''}`);
  }
}

/**
 * Whose work lists an event may have changed (pure): the people of the MR or
 * issue (author, assignees and reviewers, added or removed), the actor (GitLab
 * resolves their to-dos when they act), people a text newly mentions (a new
 * to-do), and for a finished pipeline whoever pushed and the MR's author. Their
 * polls are brought forward, so the sidebar follows a webhook within seconds.
 */
import type { Actor, GitLabEvent } from '../gitlab/events/event.js';
import { peopleOf } from '../rules/personal-notifications.js';
import { mentionedUsernames } from '../rules/mentions.js';

export interface People {
  ids: number[];
  usernames: string[];
}

const FINISHED_PIPELINE = new Set(['success', 'failed', 'canceled', 'fixed']);

export function peopleWithChangedWork(event: GitLabEvent, context: { participants: number[]; mergeRequestAuthorId: number | null }): People {
  const ids = new Set<number>();
  const usernames = new Set<string>();
  const add = (person: Pick<Actor, 'id' | 'username'> | null | undefined): void => {
    if (person?.id != null) ids.add(person.id);
    else if (person?.username) usernames.add(person.username.toLowerCase());
  };
  const addAll = (people: { ids: number[]; usernames: string[] }): void => {
    people.ids.forEach((id) => ids.add(id));
    people.usernames.forEach((name) => usernames.add(name));
  };
  const { details } = event;
  switch (details.kind) {
    case 'merge_request':
      [event.actor, event.target?.author, ...details.assignees, ...details.reviewers, ...details.changes.assigneesRemoved, ...details.changes.reviewersRemoved].forEach(add);
      addAll(peopleOf(event, context));
      break;
    case 'issue':
      [event.actor, event.target?.author, ...details.assignees, ...details.changes.assigneesRemoved].forEach(add);
      addAll(peopleOf(event, context));
      break;
    case 'note':
      // A comment changes lists only through the to-dos its mentions make.
      mentionedUsernames(details.body).forEach((name) => usernames.add(name));
      break;
    case 'push':
      addAll(peopleOf(event, context));
      break;
    case 'pipeline':
      if (!FINISHED_PIPELINE.has(event.action)) break;
      add(event.actor);
      if (event.target) add(event.target.author?.id != null ? event.target.author : { id: context.mergeRequestAuthorId, username: null });
      break;
    default:
      break;
  }
  return { ids: [...ids], usernames: [...usernames] };
}

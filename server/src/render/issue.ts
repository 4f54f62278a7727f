/** An issue or work item opened, closed, reopened or updated (saying what changed). */
import type { IssueDetails } from '../gitlab/events/details.js';
import type { Actor, GitLabEvent } from '../gitlab/events/event.js';
import { describeChanges } from './changes.js';
import { factLine, joinWords } from './format.js';
import { actorLink, projectLink, targetLink } from './links.js';
import { parts, type PostParts, type RenderContext } from './parts.js';
import { code, excerpt, inline, quote } from './text.js';

const VERBS: Record<string, string> = { opened: 'opened', closed: 'closed', reopened: 'reopened', updated: 'updated' };

export function renderIssue(event: GitLabEvent, details: IssueDetails, context: RenderContext): PostParts {
  const noun = `${event.confidential ? 'confidential ' : ''}${inline(details.workItemType.toLowerCase(), 40)}`;
  const what = event.target ? targetLink(event.target) : 'an issue';
  const headline = `${actorLink(event.actor, context)} ${VERBS[event.action] ?? inline(event.action)} ${noun} ${what} in ${projectLink(event.project, context)}`;
  if (event.action === 'opened') {
    return parts(headline, [describePeopleAndLabels(details.assignees, [], event.labels, context)], [descriptionQuote(details.description)]);
  }
  if (event.action === 'updated') return parts(headline, describeChanges(details.changes, context).map((line) => line.text));
  return parts(headline);
}

/** `Assignees: … · Reviewers: … · Labels: …`, for a newly opened MR or issue. */
export function describePeopleAndLabels(assignees: Actor[], reviewers: Actor[], labels: string[], context: RenderContext): string | null {
  const people = (list: Actor[]): string => joinWords(list.map((person) => actorLink(person, context)));
  return factLine([
    assignees.length > 0 && `Assignees: ${people(assignees)}`,
    reviewers.length > 0 && `Reviewers: ${people(reviewers)}`,
    labels.length > 0 && `Labels: ${labels.map((label) => code(label)).join(', ')}`,
  ]);
}

/** The start of a description, quoted; null when there is none. */
export function descriptionQuote(description: string): string | null {
  const text = excerpt(description, { maxChars: 500, maxLines: 10 });
  return text ? quote(text) : null;
}

/** Sentences for what an issue or MR update changed (from `details.changes`). */
import type { ItemChanges, MergeRequestChanges } from '../gitlab/events/details.js';
import { isDraftTitle, stripDraftPrefix } from '../gitlab/events/common.js';
import type { Actor } from '../gitlab/events/event.js';
import { joinWords } from './format.js';
import { actorLink } from './links.js';
import type { RenderContext } from './parts.js';
import { code, inline } from './text.js';

export type ChangeId = 'draft' | 'commits' | 'reviewers' | 'reviewers_removed' | 'assignees' | 'labels' | 'title' | 'milestone' | 'confidential' | 'description';

export interface ChangeLine {
  id: ChangeId;
  text: string;
}

/** One line per kind of change, most telling first. */
export function describeChanges(changes: ItemChanges | MergeRequestChanges, context: RenderContext): ChangeLine[] {
  const people = (list: Actor[]): string => joinWords(list.map((person) => actorLink(person, context)));
  const labels = (list: string[]): string => list.map((label) => code(label)).join(', ');
  const lines: Array<ChangeLine | null> = [];
  if ('draft' in changes) {
    if (changes.draft) lines.push({ id: 'draft', text: changes.draft === 'to_draft' ? 'Marked as draft' : 'Marked as ready' });
    if (changes.newCommits) lines.push({ id: 'commits', text: 'New commits pushed' });
    if (changes.reviewersAdded.length) lines.push({ id: 'reviewers', text: `Review requested from ${people(changes.reviewersAdded)}` });
    if (changes.reviewersRemoved.length) lines.push({ id: 'reviewers_removed', text: `Reviewers removed: ${people(changes.reviewersRemoved)}` });
  }
  if (changes.assigneesAdded.length) lines.push({ id: 'assignees', text: `Assigned to ${people(changes.assigneesAdded)}` });
  if (changes.assigneesRemoved.length) lines.push({ id: 'assignees', text: `Unassigned: ${people(changes.assigneesRemoved)}` });
  if (changes.labelsAdded.length) lines.push({ id: 'labels', text: `Labels added: ${labels(changes.labelsAdded)}` });
  if (changes.labelsRemoved.length) lines.push({ id: 'labels', text: `Labels removed: ${labels(changes.labelsRemoved)}` });
  if (changes.title && !onlyDraftPrefix(changes.title.from, changes.title.to)) {
    lines.push({ id: 'title', text: `Title: “${inline(changes.title.from)}” → “${inline(changes.title.to)}”` });
  }
  if (changes.milestone) lines.push({ id: 'milestone', text: describeMilestone(changes.milestone) });
  if (changes.confidential !== null) {
    lines.push({ id: 'confidential', text: changes.confidential ? 'Made confidential' : 'Made non-confidential' });
  }
  if (changes.descriptionChanged) lines.push({ id: 'description', text: 'Description edited' });
  return lines.filter((line) => line !== null);
}

function describeMilestone(milestone: { from: number | null; to: number | null }): string {
  if (milestone.to === null) return 'Milestone removed';
  return milestone.from === null ? 'Milestone set' : 'Milestone changed';
}

/** A title that only gained or lost `Draft:` says nothing the draft line does not. */
function onlyDraftPrefix(from: string, to: string): boolean {
  return isDraftTitle(from) !== isDraftTitle(to) && stripDraftPrefix(from) === stripDraftPrefix(to);
}

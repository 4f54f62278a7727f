/**
 * What an issue or MR `update` changed, from the payload's `changes` object
 * (`{ field: { previous, current } }`), in the forms every GitLab since 11 sent.
 */
import type { ItemChanges, MergeRequestChanges } from './details.js';
import type { Actor } from './event.js';
import { isDraftTitle, readLabels, readUser, readUsers } from './common.js';
import { change, flag, number, text, type Fields } from './payload.js';

export function readItemChanges(changes: Fields, base: string | null): ItemChanges {
  const labels = change(changes, 'labels');
  const before = readLabels(labels?.previous);
  const after = readLabels(labels?.current);
  const assignees = readPeopleChange(changes, 'assignees', 'assignee', base);
  const title = change(changes, 'title');
  const from = text(title?.previous);
  const to = text(title?.current);
  const milestone = change(changes, 'milestone_id');
  return {
    labelsAdded: after.filter((label) => !before.includes(label)),
    labelsRemoved: before.filter((label) => !after.includes(label)),
    assigneesAdded: assignees.added,
    assigneesRemoved: assignees.removed,
    title: from !== null && to !== null && from !== to ? { from, to } : null,
    milestone: milestone ? { from: number(milestone.previous), to: number(milestone.current) } : null,
    confidential: flag(change(changes, 'confidential')?.current),
    descriptionChanged: change(changes, 'description') !== null,
    descriptionBefore: text(change(changes, 'description')?.previous),
  };
}

export function readMergeRequestChanges(changes: Fields, attributes: Fields, base: string | null): MergeRequestChanges {
  const reviewers = readPeopleChange(changes, 'reviewers', null, base);
  return {
    ...readItemChanges(changes, base),
    reviewersAdded: reviewers.added,
    reviewersRemoved: reviewers.removed,
    draft: readDraftChange(changes),
    newCommits: text(attributes.oldrev) !== null,
    conflictsAppeared: readConflictsAppeared(changes),
  };
}

/** `merge_status` (or GitLab 15.6+'s `detailed_merge_status`) turning to "cannot be merged" / "conflict". */
function readConflictsAppeared(changes: Fields): boolean {
  const conflicted = (value: unknown) => value === 'cannot_be_merged' || value === 'conflict';
  return ['merge_status', 'detailed_merge_status'].some((name) => {
    const entry = change(changes, name);
    return entry !== null && conflicted(entry.current) && !conflicted(entry.previous);
  });
}

/** `changes.draft` (GitLab 13.x+), `changes.work_in_progress` (older), else a title gaining or losing its prefix. */
function readDraftChange(changes: Fields): MergeRequestChanges['draft'] {
  for (const name of ['draft', 'work_in_progress']) {
    const entry = change(changes, name);
    const current = flag(entry?.current);
    if (entry && current !== null && flag(entry.previous) !== current) return current ? 'to_draft' : 'to_ready';
  }
  const title = change(changes, 'title');
  const from = text(title?.previous);
  const to = text(title?.current);
  if (from === null || to === null || isDraftTitle(from) === isDraftTitle(to)) return null;
  return isDraftTitle(to) ? 'to_draft' : 'to_ready';
}

/** People added and removed: list changes, or GitLab 11's single-`assignee` change. */
function readPeopleChange(changes: Fields, listName: string, singleName: string | null, base: string | null): { added: Actor[]; removed: Actor[] } {
  const many = change(changes, listName);
  const one = singleName ? change(changes, singleName) : null;
  const before = many ? readUsers(many.previous, base) : one ? [readUser(one.previous, base)].filter((user) => user !== null) : [];
  const after = many ? readUsers(many.current, base) : one ? [readUser(one.current, base)].filter((user) => user !== null) : [];
  const same = (a: Actor, b: Actor): boolean => (a.id != null && a.id === b.id) || (a.username ?? a.name) === (b.username ?? b.name);
  return {
    added: after.filter((person) => !before.some((other) => same(person, other))),
    removed: before.filter((person) => !after.some((other) => same(person, other))),
  };
}

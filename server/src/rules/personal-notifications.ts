/**
 * Who gets a personal direct message about a GitLab event, and why (pure).
 * `personalNotices` is the one place the rules live: candidates from the event
 * (review requests, assignments, mentions, comments, MR outcomes, pipelines),
 * then the "never"s (own actions, muted authors, kinds switched off), at most
 * one message per person per event. Whether the person may see the project is
 * checked at delivery, where the GitLab API can be asked.
 *
 * Each notice has a key naming the logical notification, the same whichever
 * path reports it (a project hook, a group hook, or a polled to-do), so it is
 * sent once; and a thread key, so messages about one MR or issue share a thread.
 */
import type { GitLabEvent } from '../gitlab/events/event.js';
import { projectKeyOf, scopedKey } from '../gitlab/instances.js';
import type { NotificationSettings } from '../store/notification-settings.js';
import { mentionedUsernames, newMentions } from './mentions.js';
import type { PersonalKind } from './personal-kinds.js';

export type NoticeReason =
  | 'review_requested'
  | 'assigned'
  | 'mentioned'
  | 'commented'
  | 'approved'
  | 'unapproved'
  | 'merged'
  | 'closed'
  | 'conflicts'
  | 'pipeline_failed'
  | 'pipeline_fixed';

const KIND_OF: Record<NoticeReason, PersonalKind> = {
  review_requested: 'reviews',
  assigned: 'assignments',
  mentioned: 'mentions',
  commented: 'comments',
  approved: 'merge_requests',
  unapproved: 'merge_requests',
  merged: 'merge_requests',
  closed: 'merge_requests',
  conflicts: 'merge_requests',
  pipeline_failed: 'pipelines',
  pipeline_fixed: 'pipelines',
};

/** When one event gives a person several reasons, the first of these wins. */
const PRIORITY: NoticeReason[] = [
  'review_requested',
  'assigned',
  'mentioned',
  'commented',
  'conflicts',
  'merged',
  'closed',
  'approved',
  'unapproved',
  'pipeline_failed',
  'pipeline_fixed',
];

/** A connected user who might be told. */
export interface Recipient {
  mattermostUserId: string;
  gitlabUserId: number;
  /** Lower case. */
  gitlabUsername: string;
  settings: NotificationSettings;
  mutedGitLabUserIds: number[];
}

export interface PersonalContext {
  /** Connected users the event could concern (looked up by the ids and usernames `peopleOf` names). */
  recipients: Recipient[];
  /** GitLab ids of people who commented on the event's MR or issue before. */
  participants: number[];
  /** The MR's author when the event (a pipeline) names the MR without its author. */
  mergeRequestAuthorId: number | null;
}

export interface PersonalNotice {
  recipient: Recipient;
  kind: PersonalKind;
  reason: NoticeReason;
  key: string;
  /**
   * Notifications that another path reports under a different key (a pipeline
   * webhook and GitLab's "build failed" to-do) share a family: one is enough.
   */
  family: string | null;
  /** DMs with the same thread key are threaded under the first one. */
  threadKey: string | null;
}

interface Candidate {
  who: { id: number } | { username: string };
  reason: NoticeReason;
  key: string;
  family?: string;
}

/** GitLab ids and usernames the event could concern, so the caller can look the recipients up. */
export function peopleOf(event: GitLabEvent, context: Omit<PersonalContext, 'recipients'>): { ids: number[]; usernames: string[] } {
  const ids = new Set<number>();
  const usernames = new Set<string>();
  for (const candidate of candidates(event, { ...context, recipients: [] })) {
    if ('id' in candidate.who) ids.add(candidate.who.id);
    else usernames.add(candidate.who.username);
  }
  return { ids: [...ids], usernames: [...usernames] };
}

export function personalNotices(event: GitLabEvent, context: PersonalContext): PersonalNotice[] {
  const byRecipient = new Map<string, PersonalNotice>();
  const threadKey = threadKeyOf(event);
  for (const candidate of candidates(event, context)) {
    const recipient = findRecipient(context.recipients, candidate.who);
    if (!recipient || !wants(recipient, event, candidate.reason)) continue;
    const notice: PersonalNotice = {
      recipient,
      kind: KIND_OF[candidate.reason],
      reason: candidate.reason,
      key: candidate.key,
      family: candidate.family ?? null,
      threadKey,
    };
    const earlier = byRecipient.get(recipient.mattermostUserId);
    if (!earlier || PRIORITY.indexOf(notice.reason) < PRIORITY.indexOf(earlier.reason)) byRecipient.set(recipient.mattermostUserId, notice);
  }
  return [...byRecipient.values()];
}

/** `<project>:merge_request:<iid>`: what DMs about one MR or issue are threaded on. */
export function threadKeyOf(event: GitLabEvent): string | null {
  if (!event.target) return null;
  return itemKey(event, event.target.type, event.target.iid);
}

function itemKey(event: GitLabEvent, type: string, iid: number): string {
  return `${projectKey(event)}:${type}:${iid}`;
}

function projectKey(event: GitLabEvent): string {
  return projectKeyOf(event);
}

/** The "never"s: switched off, muted author, own action. */
function wants(recipient: Recipient, event: GitLabEvent, reason: NoticeReason): boolean {
  const { settings } = recipient;
  if (!settings.enabled || settings.disabledKinds.includes(KIND_OF[reason])) return false;
  const actor = event.actor;
  // A pipeline is GitLab's doing, not the pusher's: their own push failing is news to them.
  const pipeline = reason === 'pipeline_failed' || reason === 'pipeline_fixed';
  if (!pipeline && actor && isPerson(recipient, actor)) return false;
  if (actor?.id != null && recipient.mutedGitLabUserIds.includes(actor.id)) return false;
  return true;
}

function isPerson(recipient: Recipient, person: { id?: number | null; username: string | null }): boolean {
  if (person.id != null) return person.id === recipient.gitlabUserId;
  return person.username !== null && person.username.toLowerCase() === recipient.gitlabUsername;
}

function findRecipient(recipients: Recipient[], who: Candidate['who']): Recipient | undefined {
  return 'id' in who ? recipients.find((recipient) => recipient.gitlabUserId === who.id) : recipients.find((recipient) => recipient.gitlabUsername === who.username);
}

function candidates(event: GitLabEvent, context: PersonalContext): Candidate[] {
  switch (event.details.kind) {
    case 'merge_request':
      return mergeRequestCandidates(event);
    case 'issue':
      return issueCandidates(event);
    case 'note':
      return noteCandidates(event, context);
    case 'push':
      return event.details.commits.flatMap((commit) =>
        mentionedUsernames(commit.message).map((username) => ({ who: { username }, reason: 'mentioned' as const, key: `mention:commit:${scopedKey(event.instance, commit.sha)}:${username}` })),
      );
    case 'pipeline':
      return pipelineCandidates(event, context);
    default:
      return [];
  }
}

const personKey = (person: { id?: number | null; username: string | null }) => String(person.id ?? person.username?.toLowerCase() ?? '');
const who = (person: { id?: number | null; username: string | null }): Candidate['who'] | null =>
  person.id != null ? { id: person.id } : person.username ? { username: person.username.toLowerCase() } : null;

/** Review requests, assignments and description mentions: at creation everything present, later only what was added. */
function itemCandidates(event: GitLabEvent, people: { reviewers: { id?: number | null; username: string | null }[]; assignees: { id?: number | null; username: string | null }[] }, description: { before: string | null; after: string } | null): Candidate[] {
  const target = event.target!;
  const item = itemKey(event, target.type, target.iid);
  const found: Candidate[] = [];
  for (const reviewer of people.reviewers) {
    const person = who(reviewer);
    if (person) found.push({ who: person, reason: 'review_requested', key: `review:${item}:${personKey(reviewer)}` });
  }
  for (const assignee of people.assignees) {
    const person = who(assignee);
    if (person) found.push({ who: person, reason: 'assigned', key: `assigned:${item}:${personKey(assignee)}` });
  }
  if (description) {
    for (const username of newMentions(description.before, description.after)) {
      found.push({ who: { username }, reason: 'mentioned', key: `mention:${item}:description:${username}` });
    }
  }
  return found;
}

function mergeRequestCandidates(event: GitLabEvent): Candidate[] {
  if (event.details.kind !== 'merge_request' || !event.target) return [];
  const details = event.details;
  const { changes } = details;
  const author = event.target.author;
  const opened = event.action === 'opened';
  const found = itemCandidates(
    event,
    {
      reviewers: opened ? details.reviewers : event.action === 'updated' ? changes.reviewersAdded : [],
      assignees: opened ? details.assignees : event.action === 'updated' ? changes.assigneesAdded : [],
    },
    opened ? { before: null, after: details.description } : changes.descriptionChanged ? { before: changes.descriptionBefore, after: details.description } : null,
  );
  const authorWho = author ? who(author) : null;
  if (!authorWho) return found;
  const item = itemKey(event, 'merge_request', event.target.iid);
  const outcome = (reason: NoticeReason) => found.push({ who: authorWho, reason, key: `${reason}:${item}:${event.key}` });
  // `approval`/`unapproval` are one person's act; `approved`/`unapproved` follow them when the rules are met, so they would repeat it.
  if (event.action === 'approval') outcome('approved');
  if (event.action === 'unapproval') outcome('unapproved');
  if (event.action === 'merged') found.push({ who: authorWho, reason: 'merged', key: `merged:${item}` });
  if (event.action === 'closed') outcome('closed');
  if (changes.conflictsAppeared) outcome('conflicts');
  return found;
}

function issueCandidates(event: GitLabEvent): Candidate[] {
  if (event.details.kind !== 'issue' || !event.target) return [];
  const details = event.details;
  const opened = event.action === 'opened';
  return itemCandidates(
    event,
    { reviewers: [], assignees: opened ? details.assignees : event.action === 'updated' ? details.changes.assigneesAdded : [] },
    opened ? { before: null, after: details.description } : details.changes.descriptionChanged ? { before: details.changes.descriptionBefore, after: details.description } : null,
  );
}

/** One key per comment and person: a comment that mentions you on your own MR is one message. */
function noteCandidates(event: GitLabEvent, context: PersonalContext): Candidate[] {
  if (event.details.kind !== 'note') return [];
  const noteId = event.details.id;
  // Note ids are numbered per instance: another instance's carry its name (`note:corp~12:alice`).
  const key = (person: string) => `note:${scopedKey(event.instance, String(noteId))}:${person}`;
  const found: Candidate[] = mentionedUsernames(event.details.body).map((username) => ({ who: { username }, reason: 'mentioned', key: key(username) }));
  if (!event.target) return found;
  const involved = new Set<number>(context.participants);
  if (event.target.author?.id != null) involved.add(event.target.author.id);
  for (const id of [...(event.details.noteable?.assigneeIds ?? []), ...(event.details.noteable?.reviewerIds ?? [])]) involved.add(id);
  for (const id of involved) found.push({ who: { id }, reason: 'commented', key: key(String(id)) });
  return found;
}

/** A failed pipeline goes to whoever pushed and to the MR's author; the next success on that ref is "fixed". */
function pipelineCandidates(event: GitLabEvent, context: PersonalContext): Candidate[] {
  if (event.details.kind !== 'pipeline') return [];
  const reason: NoticeReason | null = event.action === 'failed' ? 'pipeline_failed' : event.action === 'fixed' ? 'pipeline_fixed' : null;
  if (!reason) return [];
  const people = new Map<string, Candidate['who']>();
  const add = (person: { id?: number | null; username: string | null } | null) => {
    const found = person ? who(person) : null;
    if (found) people.set(JSON.stringify(found), found);
  };
  add(event.actor);
  const authorId = event.target?.author?.id ?? context.mergeRequestAuthorId;
  if (event.target && authorId != null) add({ id: authorId, username: null });
  const pipelineId = event.details.id;
  return [...people.values()].map((person) => {
    const personId = 'id' in person ? String(person.id) : person.username;
    // GitLab's own "build failed" to-do for an MR's author reports the same failure.
    const family = reason === 'pipeline_failed' && event.target ? `build_failed:${itemKey(event, 'merge_request', event.target.iid)}:${personId}` : undefined;
    return { who: person, reason, key: `${reason}:${projectKey(event)}:${pipelineId}:${personId}`, ...(family ? { family } : {}) };
  });
}

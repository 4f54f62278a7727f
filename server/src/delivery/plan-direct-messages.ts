/**
 * Turns one normalised event into queued personal direct messages: looks up
 * the people it could concern (connected users, their settings and mutes, the
 * thread's participants), applies the rules, renders each message, and says
 * what must be checked with GitLab before sending (the recipient's access).
 * Also names whose work lists the event may have changed (their polls are
 * brought forward).
 */
import { DEFAULT_INSTANCE } from '../config.js';
import { scopedKey } from '../gitlab/instances.js';
import type { GitLabEvent } from '../gitlab/events/event.js';
import { renderDirectMessage } from '../render/direct-message.js';
import type { EventButtons } from './plan-posts.js';
import { peopleOf, personalNotices, threadKeyOf, type Recipient } from '../rules/personal-notifications.js';
import type { EventAudience } from '../rules/match-subscription.js';
import type { QueuedDirectMessage } from '../store/direct-outbox.js';
import type { Queryable } from '../store/queryable.js';
import { findRecipients } from '../store/recipients.js';
import { readParticipants, readParticipantsOf, type Participation } from '../store/thread-participants.js';
import { peopleWithChangedWork, type People } from './plan-work-refresh.js';

/** Look-ups shared by the events of one batch. */
export class DirectMessageLookups {
  private readonly participants = new Map<string, Promise<{ commenters: number[]; authorId: number | null }>>();
  private readonly recipients = new Map<string, Promise<Recipient[]>>();

  constructor(
    private readonly db: Queryable,
    private readonly instance: string = DEFAULT_INSTANCE,
  ) {}

  /** Reads the participants of these threads in one statement, for participantsOf to answer from. */
  async prefetchParticipants(threadKeys: readonly string[]): Promise<void> {
    const wanted = threadKeys.filter((key) => !this.participants.has(key));
    if (wanted.length === 0) return;
    const found = readParticipantsOf(this.db, wanted);
    for (const key of wanted) this.participants.set(key, found.then((all) => all.get(key) ?? { commenters: [], authorId: null }));
    await found;
  }

  participantsOf(threadKey: string | null): Promise<{ commenters: number[]; authorId: number | null }> {
    if (!threadKey) return Promise.resolve({ commenters: [], authorId: null });
    let found = this.participants.get(threadKey);
    if (!found) this.participants.set(threadKey, (found = readParticipants(this.db, threadKey)));
    return found;
  }

  recipientsOf(people: { ids: number[]; usernames: string[] }): Promise<Recipient[]> {
    const key = `${[...people.ids].sort().join(',')}|${[...people.usernames].sort().join(',')}`;
    let found = this.recipients.get(key);
    if (!found) this.recipients.set(key, (found = findRecipients(this.db, people, this.instance)));
    return found;
  }
}

export async function planDirectMessages(
  lookups: DirectMessageLookups,
  event: GitLabEvent,
  gitlabUrl: string,
  audience: EventAudience,
  buttons: EventButtons = { own: null, thread: null },
): Promise<{ messages: QueuedDirectMessage[]; participations: Participation[]; changedWork: People }> {
  const threadKey = threadKeyOf(event);
  const participants = await lookups.participantsOf(threadKey);
  const context = { participants: participants.commenters, mergeRequestAuthorId: participants.authorId };
  const people = peopleOf(event, context);
  const recipients = people.ids.length + people.usernames.length > 0 ? await lookups.recipientsOf(people) : [];
  const notices = recipients.length > 0 ? personalNotices(event, { ...context, recipients }) : [];
  const probe = accessProbe(event, audience);
  // Nothing to check access against (a malformed or forged payload): send nothing rather than unchecked.
  const messages = probe === WITHHELD ? [] : notices.map((notice) => ({
    mattermostUserId: notice.recipient.mattermostUserId,
    key: notice.key,
    family: notice.family,
    kind: notice.kind,
    threadKey: notice.threadKey,
    // Scoped: the DM is sent after GitLab says yes, asked on the instance the event came from.
    accessProbe: probe === null ? null : scopedKey(event.instance, probe),
    message: renderDirectMessage(event, notice.reason, { gitlabUrl }),
    // A message about a failed pipeline acts on the pipeline; one about an MR or issue, on it.
    buttons: notice.recipient.settings.buttons ? (buttons.own ?? buttons.thread) : null,
  }));
  return { messages, participations: participationsOf(event, threadKey), changedWork: peopleWithChangedWork(event, context) };
}

/** accessProbe's answer for a message that must not be sent at all. */
export const WITHHELD = Symbol('withheld');

/** Kinds whose content is the MR or issue itself (a pipeline of an MR is CI/CD's, not the MR's). */
const ABOUT_TARGET = new Set<GitLabEvent['kind']>(['merge_request', 'issue', 'note', 'emoji']);

/**
 * What the recipient must be able to open for the message to be theirs to see:
 * nothing for what everyone may see (a public project's public features); the
 * item for a confidential issue (its author and assignees may see it without a
 * role); Reporter access for internal notes. In a public project that keeps the
 * event's feature to members (or whose levels are unknown), the MR or issue
 * itself, GitLab deciding with the recipient's token; without one, Reporter
 * (enough for every members-only feature, ProjectFeature's
 * PRIVATE_FEATURES_MIN_ACCESS_LEVEL). Else (private, internal) the project.
 * WITHHELD when the event names no project and is not open to all: there is
 * nothing to ask GitLab about, so the message must not be sent.
 */
export function accessProbe(event: GitLabEvent, audience: EventAudience): string | null | typeof WITHHELD {
  const project = event.project?.id ?? (event.project?.path ? encodeURIComponent(event.project.path) : null);
  if (project === null) return audience.openToAll && !event.internal && !event.confidential ? null : WITHHELD;
  if (event.internal) return `reporter:${project}`;
  if (event.confidential && event.target) return `${event.target.type}:${project}:${event.target.iid}`;
  if (audience.openToAll) return null;
  if (event.project?.visibility === 'public') return event.target && ABOUT_TARGET.has(event.kind) ? `${event.target.type}:${project}:${event.target.iid}` : `reporter:${project}`;
  return `project:${project}`;
}

function participationsOf(event: GitLabEvent, threadKey: string | null): Participation[] {
  if (!threadKey) return [];
  const found: Participation[] = [];
  if (event.kind === 'note' && event.actor?.id != null) found.push({ threadKey, gitlabUserId: event.actor.id, role: 'commenter' });
  const author = event.target?.author?.id;
  if (event.target?.type === 'merge_request' && author != null && (event.kind === 'merge_request' || event.kind === 'note')) {
    found.push({ threadKey, gitlabUserId: author, role: 'author' });
  }
  return found;
}

/**
 * Note Hook and Confidential Note Hook: a new comment on an issue, MR, commit or
 * snippet. System notes ("added label", "changed the description") and edits of
 * a comment already posted are not new comments, so they are ignored.
 */
import { originPostOf, withoutFooter } from '../../conversations/compose-comment.js';
import type { NoteDetails } from './details.js';
import type { ParseResult, TargetRef } from './event.js';
import { firstLine, gitlabBase, isoTime, projectPage, readLabels, readProject, readTarget, readUser } from './common.js';
import { checkObjectKind, ignore, makeEvent } from './envelope.js';
import { asFields, fields, list, number, text, type Fields } from './payload.js';

const NOTEABLES: Record<string, NoteDetails['on']> = {
  Issue: 'issue',
  WorkItem: 'issue',
  MergeRequest: 'merge_request',
  Commit: 'commit',
  Snippet: 'snippet',
  ProjectSnippet: 'snippet',
  PersonalSnippet: 'snippet',
};

export interface NoteHookOptions {
  /** Delivered as `Confidential Note Hook`. */
  confidentialHook?: boolean;
}

export function parseNote(payload: Fields, options: NoteHookOptions = {}): ParseResult {
  const wrongKind = checkObjectKind(payload, ['note']);
  if (wrongKind) return wrongKind;
  const attributes = fields(payload.object_attributes);
  if (attributes.system === true) return ignore('a system note is not a comment');
  const action = text(attributes.action);
  if (action === 'update' || isEdit(payload.changes)) return ignore('an edited note is not a new post');
  if (action && action !== 'create') return ignore(`note action ${action} needs no post`);
  const id = number(attributes.id);
  if (id === null) return ignore('note without an id');
  const noteableType = text(attributes.noteable_type) ?? '';
  const on = NOTEABLES[noteableType];
  if (!on) return ignore(`note on an unsupported ${noteableType || 'object'}`);

  const project = readProject(payload);
  const base = gitlabBase(project);
  const actor = readUser(payload.user, base);
  const people = actor ? [actor] : [];
  const noteable = fields(on === 'merge_request' ? payload.merge_request : on === 'issue' ? (payload.issue ?? payload.work_item) : undefined);
  const target: TargetRef | null = on === 'merge_request' || on === 'issue' ? readTarget(on, noteable, project, people) : null;
  const commit = fields(payload.commit);
  const snippet = fields(payload.snippet);
  const confidentialHook = options.confidentialHook === true || payload.event_type === 'confidential_note';
  return makeEvent({
    kind: 'note',
    action: 'commented',
    key: `note:${id}`,
    project,
    actor,
    target,
    labels: readLabels(noteable.labels),
    confidential: confidentialHook || noteable.confidential === true,
    // Not every GitLab says whether a note is internal (recent ones send `internal`, older ones
    // `confidential` or nothing): a confidential note hook about an MR or an issue that is not
    // confidential can only be for an internal note. On a confidential issue, without the field, it
    // cannot be told apart from a comment, and both stay with the issue's readers.
    internal: attributes.internal === true || attributes.confidential === true || (confidentialHook && noteable.confidential !== true && target !== null),
    occurredAt: isoTime(attributes.created_at),
    details: {
      kind: 'note',
      id,
      on,
      body: withoutFooter(text(attributes.note) ?? ''),
      chatPostId: originPostOf(text(attributes.note) ?? ''),
      url: text(attributes.url),
      discussionId: text(attributes.discussion_id),
      commit:
        on === 'commit'
          ? {
              sha: text(attributes.commit_id) ?? text(commit.id) ?? '',
              title: firstLine(text(commit.message) ?? text(commit.title) ?? ''),
              url: text(commit.url),
            }
          : null,
      snippet:
        on === 'snippet'
          ? {
              id: number(snippet.id),
              title: text(snippet.title) ?? '',
              url: text(snippet.url) ?? projectPage(project, 'snippets', number(snippet.id) ?? undefined),
            }
          : null,
      noteable: on === 'merge_request' || on === 'issue' ? readNoteablePeople(noteable) : null,
    },
  });
}

/** Assignee and reviewer ids of the commented item: note payloads name them by id only. */
function readNoteablePeople(noteable: Fields): { assigneeIds: number[]; reviewerIds: number[] } {
  const ids = (value: unknown) => list(value).map(number).filter((id) => id !== null);
  const single = number(noteable.assignee_id);
  const assigneeIds = ids(noteable.assignee_ids);
  return { assigneeIds: assigneeIds.length > 0 || single === null ? assigneeIds : [single], reviewerIds: ids(noteable.reviewer_ids) };
}

/** `changes` naming the note's text or its edit time: GitLab re-sent an edited comment. */
function isEdit(changes: unknown): boolean {
  const fieldsChanged = asFields(changes);
  return fieldsChanged !== null && ('note' in fieldsChanged || 'last_edited_at' in fieldsChanged);
}

/**
 * What a bridge thread is about, from its key (delivery/object-status.ts
 * objectKey: `<project id or path>:<merge_request|issue>:<iid>`, and for an
 * internal note's thread `…:discussion:<id>`; another instance's keys carry its
 * name in front, `corp~…`, gitlab/instances.ts), and the GitLab API paths a
 * reply or a reaction in it goes to, on that instance. Pure.
 */
import { scopedKey, unscopeKey } from '../gitlab/instances.js';

export interface ThreadTarget {
  /** The GitLab instance the thread's object is on (`default` for unscoped keys). */
  instance: string;
  /** The project's id, or its path (URL-encoded in API paths). */
  project: string;
  type: 'merge_request' | 'issue';
  iid: number;
  /** The GitLab discussion an internal note's thread follows. */
  discussionId: string | null;
}

const KEY = /^(.+):(merge_request|issue):(\d+)(?::discussion:([0-9a-z]{1,64}))?$/;

export function parseThreadKey(scoped: string): ThreadTarget | null {
  const { instance, key } = unscopeKey(scoped);
  const match = KEY.exec(key);
  if (!match) return null;
  return { instance, project: match[1]!, type: match[2] as ThreadTarget['type'], iid: Number(match[3]), discussionId: match[4] ?? null };
}

/** The thread key of an internal note's discussion under its MR or issue. */
export function discussionThreadKey(objectKey: string, discussionId: string): string {
  return `${objectKey}:discussion:${discussionId}`;
}

/** The MR's or issue's own key, also for a discussion's thread (scoped by its instance, as the thread's key is). */
export function objectKeyOf(target: ThreadTarget): string {
  return scopedKey(target.instance, `${target.project}:${target.type}:${target.iid}`);
}

/** `/projects/:id/merge_requests/:iid` (or issues). */
export function noteablePath(target: ThreadTarget): string {
  return `/projects/${encodeURIComponent(target.project)}/${target.type === 'merge_request' ? 'merge_requests' : 'issues'}/${target.iid}`;
}

/**
 * Where a reply becomes a comment, and whether it must say it is internal: a reply in an internal
 * note's thread joins that discussion (GitLab keeps replies to an internal note internal); when the
 * hook did not name the discussion (`note<id>`), it is a new internal note. Else a comment on the MR or issue.
 */
export function createNoteRequest(target: ThreadTarget): { path: string; internal: boolean } {
  if (!target.discussionId) return { path: `${noteablePath(target)}/notes`, internal: false };
  if (/^[0-9a-f]+$/.test(target.discussionId)) return { path: `${noteablePath(target)}/discussions/${target.discussionId}/notes`, internal: true };
  return { path: `${noteablePath(target)}/notes`, internal: true };
}

export function notePath(target: ThreadTarget, noteId: number): string {
  return `${noteablePath(target)}/notes/${noteId}`;
}

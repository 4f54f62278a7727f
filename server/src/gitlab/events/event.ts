/**
 * The normalised GitLab event: what every parser returns and what matching,
 * threading and rendering read. Parsers fill it from any payload shape GitLab
 * has used (current, GitLab 11 legacy, system hooks); nothing downstream looks
 * at raw payloads again.
 */

import type { EventDetails } from './details.js';

export type EventKind =
  | 'push'
  | 'tag_push'
  | 'issue'
  | 'note'
  | 'merge_request'
  | 'pipeline'
  | 'job'
  | 'deployment'
  | 'release'
  | 'wiki_page'
  | 'milestone'
  | 'feature_flag'
  | 'emoji'
  | 'access_token'
  | 'vulnerability'
  | 'member'
  | 'project'
  | 'subgroup'
  | 'system';

export type Visibility = 'public' | 'internal' | 'private' | 'unknown';

export interface ProjectRef {
  id: number | null;
  /** path_with_namespace, e.g. `group/sub/project` (lower/upper case as GitLab sends it). */
  path: string;
  name: string;
  /** web_url of the project; '' when the payload carries none (group and system hooks). */
  url: string;
  visibility: Visibility;
  defaultBranch: string | null;
}

export interface GroupRef {
  id: number | null;
  /** full_path, e.g. `group/sub` (member hooks send only the group's own path). */
  path: string;
  name: string;
  url: string | null;
}

export interface Actor {
  username: string | null;
  /** Display name; empty when the payload names the person by id only. */
  name: string;
  /** GitLab user id, when the payload carries it. */
  id?: number | null;
  /** Profile page, when the payload lets us build it (`<gitlab>/<username>`). */
  url?: string | null;
}

/** The merge request or issue an event belongs to: what a channel thread is keyed on. */
export interface TargetRef {
  type: 'merge_request' | 'issue';
  iid: number;
  title: string;
  url: string;
  /** `!12` or `#34`, project-relative. */
  reference: string;
  state: 'opened' | 'closed' | 'merged' | 'locked' | 'unknown';
  draft: boolean;
  /**
   * Who opened the MR or issue (for "authors to exclude" filters). Often the payload
   * names the author by `author_id` only: then `{ id, username: null, name: '' }`,
   * resolved to a person only when that id is the actor's, an assignee's or a reviewer's.
   */
  author: Actor | null;
}

export interface GitLabEvent {
  /** The GitLab instance it came from (config.gitlabInstances[].name); `key` is scoped by it (gitlab/instances.ts). */
  instance: string;
  kind: EventKind;
  /**
   * What happened, normalised per kind: e.g. issue `opened|closed|reopened|updated`,
   * merge_request `opened|closed|reopened|merged|approval|unapproval|approved|unapproved|updated`,
   * pipeline/job/deployment the terminal or current status (`success|failed|canceled|running|…`),
   * push `pushed|branch_created|branch_deleted`, tag_push `created|deleted`, note `commented`.
   */
  action: string;
  /**
   * Identity of the logical event, stable across the hooks that may send it (a project
   * hook and a group hook deliver the same event with different delivery ids).
   */
  key: string;
  /** The project it happened in; null for group-level and most system events. */
  project: ProjectRef | null;
  /** The group for group-level events (member, subgroup, group access token, group project events). */
  group: GroupRef | null;
  actor: Actor | null;
  /** The MR or issue this event concerns (notes on them, pipelines of an MR, approvals…). */
  target: TargetRef | null;
  /** Branch or tag name for push, tag_push, pipeline, job, deployment, release. */
  ref: string | null;
  labels: string[];
  /** Confidential issue, or a note on one. */
  confidential: boolean;
  /** An internal note (visible to project members only). */
  internal: boolean;
  /** When it happened (ISO 8601), from the payload's own timestamps; null when it carries none. */
  occurredAt: string | null;
  /** Kind-specific facts, discriminated by `details.kind` (same value as `kind`); see details.ts. */
  details: EventDetails;
}

/** A payload we recognise but that must never produce a post (system note, edited note…). */
export interface IgnoredEvent {
  ignored: string;
  /** What little the payload says of itself, for explaining it (parse-event.ts aboutPayload); absent when it is not a JSON object. */
  about?: PayloadAbout;
}

/** An ignored payload's kind and action as sent, and the project or group it names (lower-case path). */
export interface PayloadAbout {
  kind: string;
  action: string;
  path: string | null;
  projectId: number | null;
}

export type ParseResult = GitLabEvent | IgnoredEvent;

export function isIgnored(result: ParseResult): result is IgnoredEvent {
  return 'ignored' in result;
}

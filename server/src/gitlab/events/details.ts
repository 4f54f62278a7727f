/**
 * The kind-specific part of a GitLabEvent (`event.details`), one shape per kind,
 * discriminated by `kind`. URLs are built by the parsers from what the payload
 * carries, so renderers and other readers never rebuild them; null when the
 * payload gives nothing to build them from.
 */
import type { Actor } from './event.js';

export interface CommitSummary {
  sha: string;
  /** First line of the commit message. */
  title: string;
  /** The whole message (mentions in it notify). */
  message: string;
  url: string | null;
  authorName: string | null;
}

/** action: `pushed | branch_created | branch_deleted`. */
export interface PushDetails {
  kind: 'push';
  before: string;
  after: string;
  /** `<project>/-/compare/<before>...<after>`; null when the branch was created or deleted. */
  compareUrl: string | null;
  /** `<project>/-/tree/<branch>`; null when deleted. */
  branchUrl: string | null;
  /** As GitLab sends them (at most 20, oldest first). */
  commits: CommitSummary[];
  /** All commits pushed, which can exceed `commits.length`. */
  totalCommits: number;
}

/** action: `created | deleted`. */
export interface TagPushDetails {
  kind: 'tag_push';
  sha: string | null;
  /** `<project>/-/tags/<tag>`; null when deleted. */
  tagUrl: string | null;
  /** Annotated tag message, when there is one. */
  message: string | null;
}

/** What an `update` of an issue or MR changed, read from the payload's `changes`. */
export interface ItemChanges {
  labelsAdded: string[];
  labelsRemoved: string[];
  assigneesAdded: Actor[];
  assigneesRemoved: Actor[];
  title: { from: string; to: string } | null;
  /** Milestone ids: payloads carry no milestone titles. */
  milestone: { from: number | null; to: number | null } | null;
  /** The new confidentiality when it was toggled, else null. */
  confidential: boolean | null;
  descriptionChanged: boolean;
  /** The description before this update, when the payload carries it (mentions are diffed against it). */
  descriptionBefore: string | null;
}

/** action: `opened | closed | reopened | updated`. */
export interface IssueDetails {
  kind: 'issue';
  id: number | null;
  /** `Issue`, `Incident`, `Task`… (work items). */
  workItemType: string;
  description: string;
  assignees: Actor[];
  changes: ItemChanges;
}

export interface MergeRequestChanges extends ItemChanges {
  reviewersAdded: Actor[];
  reviewersRemoved: Actor[];
  draft: 'to_draft' | 'to_ready' | null;
  /** `oldrev` present: commits were pushed to the source branch. */
  newCommits: boolean;
  /** The merge status turned to "has conflicts" in this update. */
  conflictsAppeared: boolean;
}

/** action: `opened | closed | reopened | merged | approval | unapproval | approved | unapproved | updated`. */
export interface MergeRequestDetails {
  kind: 'merge_request';
  id: number | null;
  description: string;
  sourceBranch: string | null;
  targetBranch: string | null;
  assignees: Actor[];
  reviewers: Actor[];
  mergeCommitSha: string | null;
  changes: MergeRequestChanges;
  /** GitLab 15.6+'s `detailed_merge_status` (`mergeable`, `draft_status`, `conflict`, `not_approved`…); null when not sent. */
  mergeStatus?: string | null;
}

/** action: `commented` (system notes and edits are ignored, never parsed into events). */
export interface NoteDetails {
  kind: 'note';
  id: number;
  on: 'issue' | 'merge_request' | 'commit' | 'snippet';
  body: string;
  /** The comment itself (`…#note_<id>`). */
  url: string | null;
  /** The GitLab discussion the comment belongs to (an internal note's thread follows it). */
  discussionId: string | null;
  /** The Mattermost post a comment the bridge made came from, as its footer says (the footer is not in `body`). */
  chatPostId: string | null;
  /** For a note on a commit. */
  commit: { sha: string; title: string; url: string | null } | null;
  /** For a note on a snippet. */
  snippet: { id: number | null; title: string; url: string | null } | null;
  /** The people of the MR or issue commented on, by GitLab id (author is in `target.author`). */
  noteable: { assigneeIds: number[]; reviewerIds: number[] } | null;
}

export interface PipelineJob {
  id: number | null;
  name: string;
  stage: string;
  status: string;
  url: string | null;
  failureReason: string | null;
}

/** action: the status (`success | failed | canceled | running | pending | skipped | manual | …`); the processor may rewrite it to `fixed`. */
export interface PipelineDetails {
  kind: 'pipeline';
  id: number;
  iid: number | null;
  status: string;
  /** `<project>/-/pipelines/<id>`. */
  url: string | null;
  /** `push`, `merge_request_event`, `schedule`… */
  source: string | null;
  durationSeconds: number | null;
  sha: string | null;
  tag: boolean;
  /** Stages with a failed job, in pipeline order. */
  failedStages: string[];
  /** Jobs whose latest attempt failed and were not allowed to fail. */
  failedJobs: PipelineJob[];
}

/** action: the job status (`created | pending | running | success | failed | canceled | …`). */
export interface JobDetails {
  kind: 'job';
  id: number;
  name: string;
  stage: string | null;
  status: string;
  /** `<project>/-/jobs/<id>`. */
  url: string | null;
  pipelineId: number | null;
  pipelineUrl: string | null;
  durationSeconds: number | null;
  failureReason: string | null;
  allowFailure: boolean;
  sha: string | null;
}

/** action: the deployment status (`created | running | success | failed | canceled`). */
export interface DeploymentDetails {
  kind: 'deployment';
  id: number | null;
  status: string;
  environment: string;
  environmentUrl: string | null;
  shortSha: string | null;
  commitUrl: string | null;
  commitTitle: string | null;
  /** The job that deployed. */
  deployableUrl: string | null;
}

/** action: `created | updated | deleted`. */
export interface ReleaseDetails {
  kind: 'release';
  id: number | null;
  tag: string;
  name: string;
  url: string | null;
  description: string;
}

/** action: `created | updated | deleted`. */
export interface WikiPageDetails {
  kind: 'wiki_page';
  title: string;
  slug: string | null;
  url: string | null;
  /** The commit message given with the edit. */
  message: string | null;
}

/** action: `created | updated | closed | reopened | deleted`. */
export interface MilestoneDetails {
  kind: 'milestone';
  id: number | null;
  iid: number | null;
  title: string;
  description: string;
  /** `<project>/-/milestones/<iid>`; null for group milestones without a URL. */
  url: string | null;
  startDate: string | null;
  dueDate: string | null;
}

/** action: `activated | deactivated`. */
export interface FeatureFlagDetails {
  kind: 'feature_flag';
  id: number | null;
  name: string;
  description: string;
  active: boolean;
  /** The project's feature flag list (payloads carry no iid to link the flag itself). */
  url: string | null;
}

/** action: `awarded | revoked`. */
export interface EmojiDetails {
  kind: 'emoji';
  id: number | null;
  /** Emoji name without colons, e.g. `thumbsup`. */
  name: string;
  /** `Issue`, `MergeRequest`, `Note`, `Snippet`, `Commit`… as GitLab names it. */
  awardableType: string;
  awardedOnUrl: string | null;
  /** The comment's text when the emoji is on a comment. */
  noteBody: string | null;
}

/** action: `expiring`. */
export interface AccessTokenDetails {
  kind: 'access_token';
  id: number | null;
  name: string;
  expiresAt: string | null;
  scope: 'project' | 'group';
}

/** action: the vulnerability state (`detected | confirmed | resolved | dismissed`). */
export interface VulnerabilityDetails {
  kind: 'vulnerability';
  title: string;
  url: string | null;
  state: string;
  severity: string | null;
  reportType: string | null;
  file: string | null;
  /** CVE and other identifier names. */
  identifiers: string[];
}

/** action: `added | updated | removed | access_requested | access_denied`. */
export interface MemberDetails {
  kind: 'member';
  member: Actor;
  accessLevel: string | null;
  expiresAt: string | null;
}

/** action: `created | destroyed | renamed | transferred | updated`. */
export interface ProjectDetails {
  kind: 'project';
  name: string;
  path: string;
  ownerNames: string[];
}

/** action: `created | destroyed`. */
export interface SubgroupDetails {
  kind: 'subgroup';
  name: string;
  path: string;
  parentPath: string | null;
}

/** action: the system hook's `event_name` (`project_create`, `user_create`, `repository_update`…). */
export interface SystemDetails {
  kind: 'system';
  /** What the event is about: a project path, a group path, a user's name… */
  subject: string | null;
  /** The user the event concerns (created, added to a project…). */
  user: Actor | null;
  accessLevel: string | null;
  /** Refs updated, for `repository_update`. */
  refs: string[];
}

export type EventDetails =
  | PushDetails
  | TagPushDetails
  | IssueDetails
  | MergeRequestDetails
  | NoteDetails
  | PipelineDetails
  | JobDetails
  | DeploymentDetails
  | ReleaseDetails
  | WikiPageDetails
  | MilestoneDetails
  | FeatureFlagDetails
  | EmojiDetails
  | AccessTokenDetails
  | VulnerabilityDetails
  | MemberDetails
  | ProjectDetails
  | SubgroupDetails
  | SystemDetails;

/** A GitLab server on loopback for tests; it grows with the endpoints the bridge uses. */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createConversations, FakeGitLabRawBody, type FakeGitLabConversations, type FakeGitLabConversationsWorld, type FakeGitLabStoredNote } from './fake-gitlab-conversations.js';
import { answerGraphQL, type FakeGitLabGraphQLWorld } from './fake-gitlab-graphql.js';
import { createGroups, type FakeGitLabGroups } from './fake-gitlab-groups.js';
import { createReleases, timeOf, type FakeGitLabReleases } from './fake-gitlab-releases.js';

export type Visibility = 'public' | 'internal' | 'private';

/** GitLab's numbers: 10 guest, 15 planner, 20 reporter, 30 developer, 40 maintainer, 50 owner. */
export type AccessLevel = 10 | 15 | 20 | 30 | 40 | 50;

export interface FakeGitLabGroup {
  id: number;
  name: string;
  path: string;
  full_path: string;
  visibility: Visibility;
  /** Undefined for a top-level group. */
  parent: FakeGitLabGroup | undefined;
}

/**
 * A project feature's `<feature>_access_level` (GET /projects/:id; ProjectFeature#string_access_level):
 * `enabled` is everyone who can see the project, `private` project members only.
 */
export type FakeGitLabFeatureLevel = 'disabled' | 'private' | 'enabled';
export type FakeGitLabFeature = 'repository' | 'merge_requests' | 'builds' | 'wiki' | 'issues' | 'environments' | 'releases' | 'feature_flags' | 'snippets';

export interface FakeGitLabProject {
  id: number;
  name: string;
  path: string;
  path_with_namespace: string;
  visibility: Visibility;
  default_branch: string;
  /** Always a group: the fake has no personal namespaces. */
  namespace: FakeGitLabGroup;
  /** Every feature `enabled` unless addProject() said otherwise. */
  features: Record<FakeGitLabFeature, FakeGitLabFeatureLevel>;
  /** `public_jobs` ("Public pipelines"), true as GitLab's default. */
  publicJobs: boolean;
  /** Settings > Merge requests > Merge checks: "Pipelines must succeed"; off unless addProject() said so. */
  onlyAllowMergeIfPipelineSucceeds: boolean;
  /** "All threads must be resolved"; off unless addProject() said so. */
  onlyAllowMergeIfAllDiscussionsAreResolved: boolean;
  /** merge_requests_author_approval: authors may approve their own (Premium); false, GitLab's default, unless given. */
  mergeRequestsAuthorApproval: boolean;
  /**
   * The default branch is protected, as GitLab protects it, with merging for Maintainers unless this says
   * "Developers + Maintainers". The fake protects no other branch.
   */
  developersCanMerge: boolean;
}

export interface FakeGitLabUser {
  id: number;
  username: string;
  name: string;
}

/** An OAuth application (User settings > Applications), confidential as the bridge's is. */
export interface FakeGitLabApplication {
  clientId: string;
  clientSecret: string;
  /** One URI; the fake wants it back exactly (Doorkeeper would ignore an added query, or the port on loopback). */
  redirectUri: string;
  /** Space-separated, as GitLab keeps them. */
  scopes: string;
}

/** A POST /oauth/token, recorded once answered. */
export interface FakeGitLabOAuthRequest {
  /** As sent; '' when missing. */
  grantType: string;
  status: number;
  /** When it arrived (Date.now()), before any setTokenDelay. */
  at: number;
}

export interface FakeGitLabRequest {
  method: string;
  /** As sent: a project path in it stays URL-encoded. */
  path: string;
  /** The token presented (PRIVATE-TOKEN or Authorization: Bearer), known or not. */
  token?: string;
  /** The status answered; undefined until the answer is under way. */
  status?: number;
}

/** What the server is: group webhooks are a Premium feature, missing from CE and refused by an unlicensed EE. */
export type FakeGitLabEdition = 'ce' | 'ee-free' | 'premium';

/** The event flags of a project or group webhook, each a parameter of POST …/hooks and a valid test trigger. */
const HOOK_EVENTS = [
  'push_events',
  'tag_push_events',
  'issues_events',
  'confidential_issues_events',
  'merge_requests_events',
  'note_events',
  'confidential_note_events',
  'pipeline_events',
  'job_events',
  'deployment_events',
  'releases_events',
  'wiki_page_events',
  'feature_flag_events',
  'milestone_events',
  'emoji_events',
  'resource_access_token_events',
] as const;
export type FakeGitLabHookEvent = (typeof HOOK_EVENTS)[number];
/** Flags only group webhooks have. */
const GROUP_HOOK_EVENTS = ['subgroup_events', 'member_events', 'project_events'] as const;

/** A webhook as GitLab keeps it: the API's fields, and the secret token it never answers with. */
export interface FakeGitLabHook extends Record<FakeGitLabHookEvent, boolean> {
  id: number;
  url: string;
  name: string | null;
  description: string | null;
  /** ISO 8601. */
  created_at: string;
  enable_ssl_verification: boolean;
  push_events_branch_filter: string | null;
  branch_filter_strategy: 'wildcard' | 'regex' | 'all_branches';
  /** 'executable' until disableHook(). */
  alert_status: 'executable' | 'temporarily_disabled' | 'disabled';
  /** ISO 8601 while temporarily disabled, else null. */
  disabled_until: string | null;
  /** Sent as X-Gitlab-Token; undefined when none was set. */
  token: string | undefined;
  /** One of the two: the hook's project or group. */
  project_id?: number;
  group_id?: number;
  /** Group hooks only. */
  subgroup_events?: boolean;
  member_events?: boolean;
  project_events?: boolean;
}

/** A comment on an issue or merge request (the fake keeps no system notes). */
export interface FakeGitLabNote {
  /** Global, as GitLab's note ids are. */
  id: number;
  body: string;
  authorId: number;
}

/** An issue as the fake keeps it; addIssue() and issuesOf() answer copies. */
export interface FakeGitLabIssue {
  /** Global, as GitLab's issue ids are. */
  id: number;
  /** Per project: what #12 and the API's :issue_iid name. */
  iid: number;
  projectId: number;
  title: string;
  description: string | null;
  state: 'opened' | 'closed';
  confidential: boolean;
  authorId: number;
  assigneeIds: number[];
  /** As given: the fake has no label model. Answered sorted by name, as GitLab does. */
  labels: string[];
  /** null until locked or unlocked, as GitLab's column is. */
  discussionLocked: boolean | null;
  /** ISO 8601, as are the other times; the fake's clock never gives two things the same time. */
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  /** Who closed it through the API; null when open, or when added closed. */
  closedById: number | null;
  /** Oldest first, those made through the API included. */
  notes: FakeGitLabNote[];
}

/** A merge request within one project (the fake has no forks); addMergeRequest() answers a copy. */
export interface FakeGitLabMergeRequest {
  /** Global. */
  id: number;
  /** Per project: what !12 names. */
  iid: number;
  projectId: number;
  title: string;
  description: string | null;
  state: 'opened' | 'closed' | 'merged';
  /** In GitLab, the same as the title starting with Draft: (see addMergeRequest). */
  draft: boolean;
  authorId: number;
  assigneeIds: number[];
  reviewerIds: number[];
  sourceBranch: string;
  targetBranch: string;
  /** As given: the fake has no label model. Answered sorted by name, as GitLab does. */
  labels: string[];
  createdAt: string;
  updatedAt: string;
  /** Set by mergeMergeRequest(), or to the creation time when added merged. */
  mergedAt: string | null;
  mergedById: number | null;
  /** The merge commit mergeMergeRequest() pushed to the target branch. */
  mergeCommitSha: string | null;
  /** Set by closeMergeRequest(), or to the creation time when added closed. */
  closedAt: string | null;
  closedById: number | null;
  /** Approvals the project's rules want (EE); 0 unless given. */
  approvalsRequired: number;
  /** Who approved it, in order. */
  approvedBy: number[];
  /** What GitLab found when it tried the merge; false unless given. */
  conflicts: boolean;
  /** Threads still to resolve; they block the merge only where the project wants all threads resolved. 0 unless given. */
  unresolvedDiscussions: number;
  /** "Squash commits when merge request is accepted"; false unless given or set through the API. */
  squash: boolean;
  /** "Delete source branch when merge request is accepted" (merge_params force_remove_source_branch); false unless given. */
  forceRemoveSourceBranch: boolean;
  /** should_remove_source_branch as the merge (or auto-merge) was asked for; null until then. */
  shouldRemoveSourceBranch: boolean | null;
  /** null until locked or unlocked, as GitLab's column is. */
  discussionLocked: boolean | null;
  /** Who set auto-merge (merge_when_pipeline_succeeds, or auto_merge): the merge user; null while not set. */
  autoMergeUserId: number | null;
  /** Oldest first. */
  notes: FakeGitLabNote[];
}

/** The actions of GitLab's Todo model, as the API names them. */
export type FakeGitLabTodoAction =
  | 'assigned'
  | 'mentioned'
  | 'build_failed'
  | 'marked'
  | 'approval_required'
  | 'unmergeable'
  | 'directly_addressed'
  | 'review_requested'
  | 'member_access_requested'
  | 'review_submitted';

/** A to-do item of one user; addTodo() answers a copy. */
export interface FakeGitLabTodo {
  /** Global. */
  id: number;
  /** Whose to-do list it is on. */
  userId: number;
  projectId: number;
  targetType: 'MergeRequest' | 'Issue';
  targetIid: number;
  actionName: FakeGitLabTodoAction;
  /** Who caused it. */
  authorId: number;
  /** null when none was given: then, like GitLab's Todo#body, the note's text or the target's title is answered. */
  body: string | null;
  /** The comment on the target that made it (a mention); null otherwise. */
  noteId: number | null;
  state: 'pending' | 'done';
  createdAt: string;
  updatedAt: string;
}

/** A pipeline variable as GitLab stores it (what GET …/pipelines/:id/variables answers). */
export interface FakeGitLabPipelineVariable {
  key: string;
  value: string;
  /** 'env_var' unless sent, as GitLab defaults it. */
  variable_type: 'env_var' | 'file';
}

export type FakeGitLabPipelineStatus = 'created' | 'pending' | 'running' | 'success' | 'failed' | 'canceled' | 'skipped' | 'manual';

/** What made a pipeline, as the API's `source` names it (the common ones). */
export type FakeGitLabPipelineSource = 'push' | 'web' | 'trigger' | 'schedule' | 'api' | 'pipeline' | 'merge_request_event' | 'parent_pipeline';

/** A pipeline; addPipeline() and pipelinesOf() answer copies. */
export interface FakeGitLabPipeline {
  /** Global. */
  id: number;
  /** Per project. */
  iid: number;
  projectId: number;
  /** A branch name without refs/heads/, or refs/merge-requests/<iid>/head for a merge request pipeline. */
  ref: string;
  /** The branch's head when made: pushed by push(), else made up (the same for one project and branch every time). */
  sha: string;
  status: FakeGitLabPipelineStatus;
  /** 'api' when made through POST …/pipeline; as given to addPipeline(), 'push' by default. */
  source: FakeGitLabPipelineSource;
  /** The merge request it ran for; null for a branch pipeline. */
  mergeRequestIid: number | null;
  /** Who made it: the API's `user`, which a retry does not change. */
  userId: number;
  /** As created, in order. */
  variables: FakeGitLabPipelineVariable[];
  /** Who retried it, in order: each retry through the API that had failed or canceled jobs to run again. */
  retriedBy: number[];
  createdAt: string;
  updatedAt: string;
  /** When it first ran (running or finished); null before. */
  startedAt: string | null;
  /** When it last finished (success, failed, canceled or skipped); null while it has not. */
  finishedAt: string | null;
}

export type FakeGitLabJobStatus = 'created' | 'pending' | 'running' | 'success' | 'failed' | 'canceled' | 'skipped' | 'manual';

/** A CI job of a pipeline; addJob() and jobsOf() answer copies. */
export interface FakeGitLabJob {
  /** Global, a sequence of its own (GitLab's ci_builds). */
  id: number;
  projectId: number;
  pipelineId: number;
  name: string;
  stage: string;
  status: FakeGitLabJobStatus;
  /** Who ran it: the pipeline's user, or whoever retried it. */
  userId: number;
  allowFailure: boolean;
  /** Why it failed (`script_failure`, `deployment_rejected`…); null unless failed. */
  failureReason: string | null;
  /** A newer job of the same name replaced it (a retry); it is then no longer retryable. */
  retried: boolean;
  /** The job this one is a retry of; null for a first run. */
  retryOfId: number | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/** Who a protected environment rule lets in: one user, the direct members of one group, or a role and above. */
export interface FakeGitLabAccessRule {
  userId?: number;
  groupId?: number;
  /** 30 Developers + Maintainers, 40 Maintainers, 60 administrators (the fake has none). */
  accessLevel?: 30 | 40 | 60;
}

/** An approval rule of a protected environment. */
export interface FakeGitLabApprovalRule extends FakeGitLabAccessRule {
  requiredApprovals: number;
}

/** A protected environment of a project (Premium); addProtectedEnvironment() answers a copy. */
export interface FakeGitLabProtectedEnvironment {
  projectId: number;
  name: string;
  /** Who may deploy; Maintainers unless given. */
  deployAccessLevels: FakeGitLabAccessRule[];
  /** Who may approve, and how many of each; none unless given. */
  approvalRules: FakeGitLabApprovalRule[];
  /** The deprecated single count (anyone who may deploy approves), read only when there are no approval rules. */
  requiredApprovalCount: number;
  /** allow_pipeline_trigger_approve_deployment: who triggered a deployment may approve it too. */
  allowPipelineTriggerApproveDeployment: boolean;
}

export type FakeGitLabDeploymentStatus = 'created' | 'running' | 'success' | 'failed' | 'canceled' | 'skipped' | 'blocked';

/** One user's answer to a blocked deployment. */
export interface FakeGitLabDeploymentApproval {
  userId: number;
  status: 'approved' | 'rejected';
  comment: string | null;
  /** The environment's approval rule (an index into approvalRules) it counts for; null without rules. */
  ruleIndex: number | null;
  createdAt: string;
}

/** A deployment to an environment of a project; addDeployment() and deploymentsOf() answer copies. */
export interface FakeGitLabDeployment {
  /** Global. */
  id: number;
  /** Per project. */
  iid: number;
  projectId: number;
  environment: string;
  ref: string;
  sha: string;
  status: FakeGitLabDeploymentStatus;
  /** Who triggered it. */
  userId: number;
  /** Its deploy job (the deployable); null for one made without a job. */
  jobId: number | null;
  approvals: FakeGitLabDeploymentApproval[];
  createdAt: string;
  updatedAt: string;
}

/** A commit made by push(); what GET …/repository/commits/:sha answers. */
export interface FakeGitLabCommit {
  /** 40 hex digits, derived from the project, branch, parent and message: the same every run. */
  sha: string;
  projectId: number;
  message: string;
  authorName: string;
  authorEmail: string;
  /** The branch head it was pushed onto (made up for a branch nothing was pushed to). */
  parentIds: string[];
  createdAt: string;
}

/** A push event's push_data, as GitLab's events API answers it. */
export interface FakeGitLabPushData {
  commit_count: number;
  /** 'created' for a new branch or tag. */
  action: 'pushed' | 'created';
  /** Tags: fake-gitlab-releases.ts. */
  ref_type: 'branch' | 'tag';
  /** null for a new branch or tag. */
  commit_from: string | null;
  commit_to: string;
  ref: string;
  /** The last commit's first line, at most 70 characters. */
  commit_title: string | null;
  ref_count: null;
}

/** Event#action_name for the events the fake records. */
export type FakeGitLabEventAction = 'opened' | 'closed' | 'reopened' | 'accepted' | 'approved' | 'commented on' | 'pushed to' | 'pushed new';

/** Something that happened in a project, recorded as it happened; eventsOf() answers copies. */
export interface FakeGitLabEvent {
  /** Global and increasing. */
  id: number;
  projectId: number;
  actionName: FakeGitLabEventAction;
  /** null for a push. */
  targetType: 'Issue' | 'MergeRequest' | 'Note' | null;
  /** The issue's, merge request's or note's id. */
  targetId: number | null;
  /** The issue's or merge request's iid; a note's id, as GitLab's Event#target_iid gives it. */
  targetIid: number | null;
  authorId: number;
  createdAt: string;
  /** Pushes only. */
  pushData: FakeGitLabPushData | null;
}

/** GitLab's authenticated API rate limit (Admin area > Network > User and IP rate limits). */
export interface FakeGitLabRateLimit {
  /** Requests a caller may make in each window. */
  limit: number;
  windowSeconds: number;
}

/** The conversation helpers (notes, awards, files, webhook deliveries) are documented in fake-gitlab-conversations.ts. */
export interface FakeGitLab extends FakeGitLabConversations, FakeGitLabGroups, FakeGitLabReleases {
  url: string;
  requests: FakeGitLabRequest[];
  /** By id. */
  projects: Map<number, FakeGitLabProject>;
  /** By id. */
  groups: Map<number, FakeGitLabGroup>;
  /**
   * A group; missing ancestors are made with the same visibility. Like GitLab, throws when it would be
   * more visible than its parent.
   */
  addGroup(fullPath: string, options: { visibility: Visibility; id?: number }): FakeGitLabGroup;
  /**
   * A project in a group (made as addGroup would when missing); default branch 'main' unless given. No merge
   * checks, no author approvals, and the default branch merged by Maintainers only, unless given.
   */
  addProject(
    pathWithNamespace: string,
    options: {
      visibility: Visibility;
      id?: number;
      defaultBranch?: string;
      features?: Partial<Record<FakeGitLabFeature, FakeGitLabFeatureLevel>>;
      publicJobs?: boolean;
      onlyAllowMergeIfPipelineSucceeds?: boolean;
      onlyAllowMergeIfAllDiscussionsAreResolved?: boolean;
      mergeRequestsAuthorApproval?: boolean;
      developersCanMerge?: boolean;
    },
  ): FakeGitLabProject;
  /**
   * A user and a personal access token that acts as them; again with the same id, another token for the
   * same user. OAuth access tokens issued to the user act as them too, with the same memberships.
   */
  addUser(user: FakeGitLabUser): { token: string };
  /** Makes the token's user a member of the project or group at `path` (again: changes the level). */
  grant(token: string, path: string, accessLevel: AccessLevel): void;
  /** Every POST /oauth/token, also in `requests`. */
  oauthRequests: FakeGitLabOAuthRequest[];
  /** By client id. */
  applications: Map<string, FakeGitLabApplication>;
  /** Scopes default to 'api read_user'. */
  registerApplication(application: { clientId: string; clientSecret: string; redirectUri: string; scopes?: string }): FakeGitLabApplication;
  /** The browser session /oauth/authorize sees: the addUser() user with this id is logged in. */
  signIn(userId: number): void;
  signOut(): void;
  /** expires_in of access tokens issued from now on; 7200 (GitLab's) unless set. */
  setTokenLifetime(seconds: number): void;
  /** Holds every POST /oauth/token this long before answering, so that tests can race two of them. */
  setTokenDelay(ms: number): void;
  /** Every OAuth access token issued so far expires now (their refresh tokens still work). */
  expireAccessTokens(): void;
  /** As if the user revoked the application in their settings: their codes and tokens stop working. */
  revokeAuthorization(userId: number): void;
  /** Every OAuth token issued to the user, live or not, in the order issued: each access token, then its refresh token. */
  tokensOf(userId: number): string[];
  /** 'premium' unless set: on 'ce' the group hook routes do not exist (404), on 'ee-free' they answer 403. */
  setEdition(edition: FakeGitLabEdition): void;
  /** The webhooks of the project or group at `path`, in the order made, with their tokens. */
  hooksOf(path: string): FakeGitLabHook[];
  /** As GitLab does after failed deliveries: 'temporarily_disabled' until the date, or 'disabled' without one. */
  disableHook(hookId: number, options?: { until?: Date }): void;
  /** Every POST …/hooks/:hook_id/test/:trigger that GitLab would have sent, in order. */
  hookTests: { hookId: number; trigger: string }[];
  /**
   * Adds a branch to the project at `projectPath` (again: nothing happens). Every project has its
   * default branch already; POST …/pipeline takes these refs only. Tags are not modelled.
   */
  addBranch(projectPath: string, name: string): void;
  /** A project label (GET …/labels lists them); `color` like `#d9534f`. */
  addLabel(projectPath: string, label: { name: string; color: string; description?: string }): void;
  /** A project milestone (GET …/milestones lists them), active unless closed; `dueDate` is YYYY-MM-DD. */
  addMilestone(projectPath: string, milestone: { title: string; dueDate?: string; state?: 'active' | 'closed' }): { id: number };
  /**
   * An issue in the project at `projectPath`, by users from addUser(). `iid` defaults to the project's
   * next one; state 'opened', not confidential, unlocked (null), no assignees or labels unless given.
   */
  addIssue(
    projectPath: string,
    issue: {
      iid?: number;
      title: string;
      description?: string;
      state?: 'opened' | 'closed';
      confidential?: boolean;
      authorId: number;
      assigneeIds?: number[];
      labels?: string[];
      discussionLocked?: boolean;
    },
  ): FakeGitLabIssue;
  /** The project's issues with their notes, in the order made, those made through the API included. */
  issuesOf(projectPath: string): FakeGitLabIssue[];
  /** Closes the issue as `byUserId` would (a 'closed' event); a closed one stays as it is. */
  closeIssue(projectPath: string, iid: number, byUserId: number): FakeGitLabIssue;
  /** Reopens the issue as `byUserId` would (a 'reopened' event); an open one stays as it is. */
  reopenIssue(projectPath: string, iid: number, byUserId: number): FakeGitLabIssue;
  /** Adds the assignee as `byUserId` would, with an 'assigned' to-do item for them, as GitLab makes one. */
  assignIssue(projectPath: string, iid: number, assigneeId: number, byUserId: number): FakeGitLabIssue;
  /**
   * A merge request in the project at `projectPath`, its title as given. Without `draft`, the title
   * decides, as in GitLab, whose drafts' titles start with Draft: (give one so for a faithful draft). The
   * source branch defaults to 'feature-<iid>' and the target to the default branch; both are added to the
   * project's branches. No labels, approvals, conflicts or unresolved threads unless given; not squashed,
   * the source branch kept, unlocked, no auto-merge.
   */
  addMergeRequest(
    projectPath: string,
    mergeRequest: {
      iid?: number;
      title: string;
      description?: string;
      state?: 'opened' | 'closed' | 'merged';
      draft?: boolean;
      authorId: number;
      assigneeIds?: number[];
      reviewerIds?: number[];
      sourceBranch?: string;
      targetBranch?: string;
      labels?: string[];
      approvalsRequired?: number;
      approvedBy?: number[];
      conflicts?: boolean;
      unresolvedDiscussions?: number;
      squash?: boolean;
      forceRemoveSourceBranch?: boolean;
      discussionLocked?: boolean;
    },
  ): FakeGitLabMergeRequest;
  /** The project's merge requests with their notes, in the order made. */
  mergeRequestsOf(projectPath: string): FakeGitLabMergeRequest[];
  /** One merge request as it is now, with its notes. */
  mergeRequest(projectPath: string, iid: number): FakeGitLabMergeRequest;
  /**
   * What GitLab finds on its own changes: conflicts, unresolved threads, the draft flag, the approvals its
   * rules want. An auto-merge then goes ahead if nothing blocks it any longer.
   */
  updateMergeRequest(
    projectPath: string,
    iid: number,
    changes: Partial<Pick<FakeGitLabMergeRequest, 'conflicts' | 'unresolvedDiscussions' | 'draft' | 'approvalsRequired'>>,
  ): FakeGitLabMergeRequest;
  /**
   * Merges an open merge request as `byUserId` would: an 'accepted' event, then the merge commit pushed
   * to the target branch by them ('pushed to'), as GitLab records both.
   */
  mergeMergeRequest(projectPath: string, iid: number, byUserId: number): FakeGitLabMergeRequest;
  /** Closes an open merge request as `byUserId` would (a 'closed' event). */
  closeMergeRequest(projectPath: string, iid: number, byUserId: number): FakeGitLabMergeRequest;
  /** `byUserId` approves it (an 'approved' event); approving twice changes nothing. */
  approveMergeRequest(projectPath: string, iid: number, byUserId: number): FakeGitLabMergeRequest;
  /** Adds the reviewer as `byUserId` would, with a 'review_requested' to-do item for them, as GitLab makes one. */
  requestReview(projectPath: string, iid: number, reviewerId: number, byUserId: number): FakeGitLabMergeRequest;
  /** Adds the assignee as `byUserId` would, with an 'assigned' to-do item for them, as GitLab makes one. */
  assignMergeRequest(projectPath: string, iid: number, assigneeId: number, byUserId: number): FakeGitLabMergeRequest;
  /**
   * Pushes commits to a branch as `userId` (a 'pushed to' event, or 'pushed new' when the branch is new,
   * which may come without commits). Commit authors default to the user; the branch is made.
   */
  push(
    projectPath: string,
    push: { ref: string; userId: number; commits: { message: string; authorName?: string; authorEmail?: string }[] },
  ): { before: string | null; after: string; commits: FakeGitLabCommit[] };
  /** The project's events, oldest first, everything the fake recorded whoever may see it. */
  eventsOf(projectPath: string): FakeGitLabEvent[];
  /**
   * A to-do item on the list of the user `userId`, about an issue or merge request added before; with
   * `noteId`, one that a comment on that target made.
   */
  addTodo(
    userId: number,
    todo: {
      projectPath: string;
      targetType: 'MergeRequest' | 'Issue';
      targetIid: number;
      actionName: FakeGitLabTodoAction;
      authorId: number;
      body?: string;
      state?: 'pending' | 'done';
      noteId?: number;
    },
  ): FakeGitLabTodo;
  /**
   * A pipeline GitLab ran on `ref` (not checked: pipelines outlive their branches), made by `userId`.
   * With `mergeRequestIid`, a merge request pipeline: ref refs/merge-requests/<iid>/head unless given,
   * source 'merge_request_event' unless given, on the head of the merge request's source branch.
   */
  addPipeline(
    projectPath: string,
    pipeline: {
      ref?: string;
      status: FakeGitLabPipelineStatus;
      userId: number;
      variables?: { key: string; value: string; variable_type?: 'env_var' | 'file' }[];
      source?: FakeGitLabPipelineSource;
      mergeRequestIid?: number;
    },
  ): FakeGitLabPipeline;
  /** The project's pipelines in the order made, those made through the API included. */
  pipelinesOf(projectPath: string): FakeGitLabPipeline[];
  /**
   * A pipeline's new status, as its jobs would leave it; touches it, and sets its start and finish times. An
   * auto-merge waiting on it goes ahead when it succeeds and nothing else blocks.
   */
  setPipelineStatus(pipelineId: number, status: FakeGitLabPipelineStatus): FakeGitLabPipeline;
  /**
   * A job of a pipeline added before, run by the pipeline's user unless given; stage 'test' unless given.
   * Once a pipeline has jobs, its status follows theirs whenever a job changes.
   */
  addJob(
    projectPath: string,
    job: { pipelineId: number; name: string; stage?: string; status: FakeGitLabJobStatus; userId?: number; allowFailure?: boolean; failureReason?: string },
  ): FakeGitLabJob;
  /** The project's jobs in the order made, retries included. */
  jobsOf(projectPath: string): FakeGitLabJob[];
  /** A job's new status, as a runner would leave it; its pipeline's status follows. */
  setJobStatus(jobId: number, status: FakeGitLabJobStatus): FakeGitLabJob;
  /**
   * Protects an environment of the project (Premium). Deploying is for Maintainers unless `deployAccessLevels`
   * says otherwise; each approval rule wants one approval unless it says how many.
   */
  addProtectedEnvironment(
    projectPath: string,
    environment: {
      name: string;
      deployAccessLevels?: FakeGitLabAccessRule[];
      approvalRules?: (FakeGitLabAccessRule & { requiredApprovals?: number })[];
      requiredApprovalCount?: number;
      allowPipelineTriggerApproveDeployment?: boolean;
    },
  ): FakeGitLabProtectedEnvironment;
  /** A deployment triggered by `userId`, on the default branch unless given; with `jobId`, that job deploys it. */
  addDeployment(projectPath: string, deployment: { environment: string; status: FakeGitLabDeploymentStatus; userId: number; ref?: string; jobId?: number }): FakeGitLabDeployment;
  /** The project's deployments in the order made, with their approvals. */
  deploymentsOf(projectPath: string): FakeGitLabDeployment[];
  /**
   * Limits every caller (by user, anonymous ones by IP) to `limit` requests a window on /api/v4 and
   * /api/graphql, with GitLab's RateLimit headers on every answer and 429 beyond; null lifts it.
   */
  setRateLimit(rateLimit: FakeGitLabRateLimit | null): void;
  /**
   * The next `count` requests to /api/v4 or /api/graphql fail with `status`, as a proxy or GitLab would answer.
   * With `userId`, only that user's requests fail, with a 429 as GitLab's per-user throttle gives it.
   */
  failNextRequests(count: number, failure: { status: 429 | 502 | 503; retryAfterSeconds?: number; userId?: number }): void;
  close(): Promise<void>;
}

/** An authorization code ("access grant" in Doorkeeper). */
interface IssuedCode {
  clientId: string;
  redirectUri: string;
  userId: number;
  scopes: string;
  /** Undefined when the request had no PKCE: then the token request must not send a verifier. */
  challenge: string | undefined;
  method: 'S256' | 'plain' | undefined;
  expiresAt: number;
  /** Used or revoked: Doorkeeper revokes a code as it exchanges it. */
  revoked: boolean;
}

/** An OAuth access token and its refresh token: one record in Doorkeeper, revoked together. */
interface IssuedToken {
  accessToken: string;
  refreshToken: string;
  clientId: string;
  userId: number;
  scopes: string;
  createdAt: number;
  /** expires_in when issued, in seconds. */
  lifetime: number;
  expiresAt: number;
  revoked: boolean;
}

type Reply = [status: number, body: unknown];
/** A reply with headers: the pagination headers of a list. */
type Answer = [status: number, body: unknown, headers?: Record<string, string>];

/** A note as kept: its times, thread and internal flag stay inside the fake (FakeGitLabNote is what issuesOf() shows). */
type StoredNote = FakeGitLabStoredNote;
interface StoredIssue extends Omit<FakeGitLabIssue, 'notes'> {
  notes: StoredNote[];
}
interface StoredMergeRequest extends Omit<FakeGitLabMergeRequest, 'notes'> {
  notes: StoredNote[];
}
/** What a note is on. */
type Noteable = { kind: 'Issue'; issue: StoredIssue } | { kind: 'MergeRequest'; mergeRequest: StoredMergeRequest };
/** An event as kept: what it is about, for its title and for who may see it. */
interface StoredEvent extends FakeGitLabEvent {
  subject: Noteable | { kind: 'Note'; note: StoredNote; on: Noteable } | { kind: 'push' };
}
/** An API request to one of the issue, merge request, to-do or pipeline routes, once authenticated. */
interface ApiCall {
  /** Undefined for an anonymous caller. */
  userId: number | undefined;
  url: URL;
  /** The query string and the body, merged (readApiParams). */
  params: Record<string, unknown>;
}
export interface Paging {
  page: number;
  perPage: number;
}

const ALL_FEATURES_ENABLED: Record<FakeGitLabFeature, FakeGitLabFeatureLevel> = {
  repository: 'enabled',
  merge_requests: 'enabled',
  builds: 'enabled',
  wiki: 'enabled',
  issues: 'enabled',
  environments: 'enabled',
  releases: 'enabled',
  feature_flags: 'enabled',
  snippets: 'enabled',
};

const UNAUTHORIZED: Answer = [401, { message: '401 Unauthorized' }];
const FORBIDDEN: Answer = [403, { message: '403 Forbidden' }];
const PROJECT_NOT_FOUND: Answer = [404, { message: '404 Project Not Found' }];
/** What ActiveRecord::RecordNotFound becomes in GitLab's API (note the lower-case "found"). */
const NOT_FOUND: Answer = [404, { message: '404 Not found' }];
/** Rack::Attack's answer beyond a throttle (Gitlab::Throttle.rate_limiting_response_text). */
const RETRY_LATER = 'Retry later\n';
/** The error page GitLab's web server answers when Rails cannot answer at all. */
const proxyPage = (status: 502 | 503) =>
  `<!DOCTYPE html>\n<html>\n<head><title>GitLab is not responding (${status})</title></head>\n<body><h1>${status}</h1><h2>${
    status === 502 ? 'Whoops, GitLab is taking too much time to respond.' : 'Whoops, GitLab is currently unavailable.'
  }</h2></body>\n</html>\n`;
/** PUT …/issues/:issue_iid wants one of these (Grape's at_least_one_of, in CE's order). */
const ISSUE_UPDATE_PARAMS = [
  'assignee_id',
  'assignee_ids',
  'confidential',
  'created_at',
  'description',
  'discussion_locked',
  'due_date',
  'labels',
  'add_labels',
  'remove_labels',
  'milestone_id',
  'state_event',
  'title',
  'issue_type',
];
/** The orders GET /issues takes; the fake sorts by the times and titles only, the others as created_at. */
const ISSUE_ORDERS = ['created_at', 'updated_at', 'priority', 'due_date', 'relative_position', 'label_priority', 'milestone_due', 'popularity', 'title'];
const MERGE_REQUEST_ORDERS = ['created_at', 'label_priority', 'milestone_due', 'popularity', 'priority', 'title', 'updated_at', 'merged_at'];
const TODO_ACTIONS: FakeGitLabTodoAction[] = [
  'assigned',
  'mentioned',
  'build_failed',
  'marked',
  'approval_required',
  'unmergeable',
  'directly_addressed',
  'review_requested',
  'member_access_requested',
  'review_submitted',
];
/** MergeRequest::DRAFT_REGEX: what makes a title a draft's. */
const DRAFT_PREFIX = /^\s*(\[draft\]|\(draft\)|draft:)\s*/i;
/** An API refusal, with the WWW-Authenticate header GitLab adds to some. */
type Refusal = { reply: Reply; header?: string };

/** Doorkeeper's wording. */
const INVALID_GRANT: Reply = [
  400,
  {
    error: 'invalid_grant',
    error_description:
      'The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.',
  },
];
const INVALID_CLIENT: Reply = [
  401,
  { error: 'invalid_client', error_description: 'Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.' },
];
const INVALID_REQUEST: Reply = [
  400,
  { error: 'invalid_request', error_description: 'The request is missing a required parameter, includes an unsupported parameter value, or is otherwise malformed.' },
];
/** An application's scopes unless the test says otherwise: what the bridge asks for. */
const DEFAULT_SCOPES = 'api read_user';
/** Doorkeeper's authorization_code_expires_in, which GitLab keeps. */
const CODE_LIFETIME_MS = 10 * 60_000;

const VISIBILITY_ORDER: Visibility[] = ['private', 'internal', 'public'];
/** The GitLab version the fake says it is (GET /version, and its webhooks' User-Agent). */
const VERSION = '18.6.0';

export async function startFakeGitLab(): Promise<FakeGitLab> {
  const projects = new Map<number, FakeGitLabProject>();
  const groups = new Map<number, FakeGitLabGroup>();
  const requests: FakeGitLabRequest[] = [];
  // By id; personal tokens name a user by id, so that every token of a user has the same memberships.
  const users = new Map<number, FakeGitLabUser>();
  const personalTokens = new Map<string, number>();
  // By user id, their memberships; keyed by the group or project itself.
  const grants = new Map<number, Map<FakeGitLabGroup | FakeGitLabProject, AccessLevel>>();
  const applications = new Map<string, FakeGitLabApplication>();
  const codes = new Map<string, IssuedCode>();
  const oauthTokens: IssuedToken[] = [];
  const oauthRequests: FakeGitLabOAuthRequest[] = [];
  let signedIn: number | undefined;
  let tokenLifetime = 7200;
  let tokenDelay = 0;
  let base = '';
  const hooks: FakeGitLabHook[] = [];
  const hookTests: { hookId: number; trigger: string }[] = [];
  let edition: FakeGitLabEdition = 'premium';
  // Issues, merge requests, to-do items and pipelines, each in the order made; ids are global per kind.
  const issues: StoredIssue[] = [];
  const mergeRequests: StoredMergeRequest[] = [];
  const todos: FakeGitLabTodo[] = [];
  const pipelines: FakeGitLabPipeline[] = [];
  // Jobs, protected environments and deployments, in the order made; environment ids by project and name.
  const jobs: FakeGitLabJob[] = [];
  const protectedEnvironments: FakeGitLabProtectedEnvironment[] = [];
  const deployments: FakeGitLabDeployment[] = [];
  const environmentIds = new Map<string, number>();
  // By project id, the branches besides the default one.
  const branches = new Map<number, Set<string>>();
  let lastStamp = 0;
  // Note ids are global across issues and merge requests; event ids are global and only grow.
  let lastNoteId = 0;
  let lastEventId = 0;
  // By project id, in the order recorded: the events API reads one project's.
  const events = new Map<number, StoredEvent[]>();
  // Pushed commits by sha, and the heads pushes left, by branchKey(): other heads are made up (headOf).
  const commits = new Map<string, FakeGitLabCommit>();
  const heads = new Map<string, string>();
  // The latest pipeline by branchKey() and by mergeRequestKey(): a merge request's head pipeline without a scan.
  const latestPipelines = new Map<string, FakeGitLabPipeline>();
  const pipelinesByProject = new Map<number, FakeGitLabPipeline[]>();
  // Rate limiting by caller ('user:7', 'ip:127.0.0.1'): Rack::Attack's count in the current window.
  let rateLimit: FakeGitLabRateLimit | null = null;
  const throttleCounts = new Map<string, { window: number; count: number }>();
  let failures: { count: number; status: 429 | 502 | 503; retryAfterSeconds?: number; userId?: number } | undefined;
  // Lookups a poll makes for every item it answers, kept as things are made (iids never change).
  const issuesByIid = new Map<string, StoredIssue>();
  const mergeRequestsByIid = new Map<string, StoredMergeRequest>();
  const todosByUser = new Map<number, FakeGitLabTodo[]>();
  const highestIids = new Map<string, number>();
  // By lower-case username (GitLab finds users in any case).
  const usersByName = new Map<string, number>();
  // Who ever had a part in what: authors, assignees and reviewers of merge requests, assignees of issues. A
  // superset (a part taken away stays listed), which the finders then check: a user's lists without a scan.
  const mergeRequestsByUser = new Map<number, Set<StoredMergeRequest>>();
  const issuesByAssignee = new Map<number, Set<StoredIssue>>();
  const involve = <T>(index: Map<number, Set<T>>, userIds: number[], item: T) => {
    for (const userId of userIds) {
      if (!index.has(userId)) index.set(userId, new Set());
      index.get(userId)!.add(item);
    }
  };

  // GitLab finds routes case-insensitively.
  const groupAt = (fullPath: string) => [...groups.values()].find((group) => group.full_path.toLowerCase() === fullPath.toLowerCase());
  const projectAt = (fullPath: string) => [...projects.values()].find((project) => project.path_with_namespace.toLowerCase() === fullPath.toLowerCase());
  const nextId = (taken: Map<number, unknown>) => Math.max(0, ...taken.keys()) + 1;
  const claim = (fullPath: string, id: number, taken: Map<number, unknown>) => {
    // A group and a project cannot share a path in GitLab, which is what lets grant() take either.
    if (groupAt(fullPath) || projectAt(fullPath)) throw new Error(`fake GitLab: ${fullPath} is taken`);
    if (taken.has(id)) throw new Error(`fake GitLab: id ${id} is taken`);
  };
  const checkVisibility = (visibility: Visibility, parent: FakeGitLabGroup | undefined, what: string) => {
    if (parent && VISIBILITY_ORDER.indexOf(visibility) > VISIBILITY_ORDER.indexOf(parent.visibility)) {
      throw new Error(`fake GitLab: ${what} cannot be ${visibility} in the ${parent.visibility} group ${parent.full_path}, as in GitLab`);
    }
  };
  const ensureGroup = (fullPath: string, visibility: Visibility, id?: number): FakeGitLabGroup => {
    const existing = groupAt(fullPath);
    if (existing && id === undefined) return existing;
    const slash = fullPath.lastIndexOf('/');
    const parent = slash < 0 ? undefined : ensureGroup(fullPath.slice(0, slash), visibility);
    const group: FakeGitLabGroup = { id: id ?? nextId(groups), name: fullPath.slice(slash + 1), path: fullPath.slice(slash + 1), full_path: fullPath, visibility, parent };
    claim(fullPath, group.id, groups);
    checkVisibility(visibility, parent, `group ${fullPath}`);
    groups.set(group.id, group);
    return group;
  };

  const ancestors = (group: FakeGitLabGroup | undefined): FakeGitLabGroup[] => (group ? [group, ...ancestors(group.parent)] : []);
  const directAccess = (userId: number, target: FakeGitLabGroup | FakeGitLabProject) => grants.get(userId)?.get(target);
  /** Like GitLab's highest_group_member: the best membership in the group or any ancestor. */
  const groupAccess = (userId: number, group: FakeGitLabGroup): AccessLevel | undefined => {
    const levels = ancestors(group).flatMap((candidate) => directAccess(userId, candidate) ?? []);
    return levels.length > 0 ? (Math.max(...levels) as AccessLevel) : undefined;
  };
  // Callers are by user id; undefined for an anonymous one.
  const canSeeProject = (project: FakeGitLabProject, userId: number | undefined) =>
    project.visibility === 'public' ||
    (userId !== undefined && (project.visibility === 'internal' || directAccess(userId, project) !== undefined || groupAccess(userId, project.namespace) !== undefined));
  // A private group shows to members of it, of an ancestor, and (as in GitLab) of anything inside it.
  const canSeeGroup = (group: FakeGitLabGroup, userId: number | undefined) =>
    group.visibility === 'public' ||
    (userId !== undefined &&
      (group.visibility === 'internal' ||
        groupAccess(userId, group) !== undefined ||
        [...(grants.get(userId)?.keys() ?? [])].some((target) => ancestors('namespace' in target ? target.namespace : target.parent).includes(group))));

  /** The caller's role in a project: their own membership or one through its group, the highest winning. */
  const projectAccess = (userId: number, project: FakeGitLabProject): number => Math.max(0, directAccess(userId, project) ?? 0, groupAccess(userId, project.namespace) ?? 0);

  const namePath = (group: FakeGitLabGroup) =>
    ancestors(group)
      .reverse()
      .map((candidate) => candidate.name)
      .join(' / ');
  const groupJson = (group: FakeGitLabGroup) => ({
    id: group.id,
    name: group.name,
    path: group.path,
    full_name: namePath(group),
    full_path: group.full_path,
    parent_id: group.parent?.id ?? null,
    web_url: `${base}/groups/${group.full_path}`,
    visibility: group.visibility,
  });
  const projectJson = (project: FakeGitLabProject, userId: number | undefined) => {
    const projectLevel = userId === undefined ? undefined : directAccess(userId, project);
    const groupLevel = userId === undefined ? undefined : groupAccess(userId, project.namespace);
    return {
      id: project.id,
      name: project.name,
      path: project.path,
      path_with_namespace: project.path_with_namespace,
      name_with_namespace: `${namePath(project.namespace)} / ${project.name}`,
      web_url: `${base}/${project.path_with_namespace}`,
      visibility: project.visibility,
      default_branch: project.default_branch,
      // Entities::Project exposes every `*_access_level`, and `public_builds` as `public_jobs`, to any
      // signed-in caller who sees the project; anonymous ones get ProjectDetails, without them
      // (lib/api/projects.rb; MR 152231, which would have shown them, was closed for MR 154289).
      ...(userId === undefined
        ? {}
        : { ...Object.fromEntries(Object.entries(project.features).map(([feature, level]) => [`${feature}_access_level`, level])), public_jobs: project.publicJobs }),
      namespace: {
        id: project.namespace.id,
        name: project.namespace.name,
        path: project.namespace.path,
        kind: 'group',
        full_path: project.namespace.full_path,
        parent_id: project.namespace.parent?.id ?? null,
        web_url: `${base}/groups/${project.namespace.full_path}`,
      },
      // Only for a signed-in user, as GitLab's ProjectWithAccess.
      ...(userId === undefined
        ? {}
        : {
            permissions: {
              project_access: projectLevel === undefined ? null : { access_level: projectLevel },
              group_access: groupLevel === undefined ? null : { access_level: groupLevel },
            },
          }),
    };
  };
  /** A numeric id or a URL-encoded full path, as GitLab's :id takes them. */
  const find = <T extends { id: number }>(segment: string, byId: Map<number, T>, byPath: (path: string) => T | undefined): T | undefined => {
    if (/^\d+$/.test(segment)) return byId.get(Number(segment));
    try {
      return byPath(decodeURIComponent(segment));
    } catch {
      return undefined;
    }
  };

  // Doorkeeper's :hex generator, which GitLab configures, for codes and tokens alike.
  const secret = () => randomBytes(32).toString('hex');
  const liveToken = (issued: IssuedToken | undefined) => (issued && !issued.revoked && Date.now() < issued.expiresAt ? issued : undefined);
  /** An API 401 for a known OAuth token that no longer works, in the words of GitLab's APIGuard. */
  const invalidToken = (description: string): Refusal => ({
    reply: [401, { error: 'invalid_token', error_description: description }],
    header: `Bearer realm="Protected by OAuth 2.0", error="invalid_token", error_description="${description}"`,
  });
  /**
   * Who an API request acts as (undefined: nobody), as GitLab's AuthFinders decide: PRIVATE-TOKEN takes
   * personal tokens only, Authorization: Bearer either kind. `scopes` is set for an OAuth token.
   */
  const authenticate = (privateToken: string | undefined, bearer: string | undefined): { userId: number | undefined; scopes?: string[] } | Refusal => {
    const presented = privateToken ?? bearer;
    if (presented === undefined) return { userId: undefined };
    const personal = personalTokens.get(presented);
    if (personal !== undefined) return { userId: personal };
    const issued = privateToken === undefined ? oauthTokens.find((candidate) => candidate.accessToken === presented) : undefined;
    if (!issued) return { reply: [401, { message: '401 Unauthorized' }] };
    if (issued.revoked) return invalidToken('Token was revoked. You have to re-authorize from the user.');
    if (Date.now() >= issued.expiresAt) return invalidToken('Token is expired. You can either do re-authorization or token refresh.');
    return { userId: issued.userId, scopes: issued.scopes.split(' ') };
  };
  /** authenticate(), then the scopes an OAuth token needs for the endpoint (any one of `needed`). */
  const apiCaller = (privateToken: string | undefined, bearer: string | undefined, needed: string[]): { userId: number | undefined } | Refusal => {
    const caller = authenticate(privateToken, bearer);
    if ('reply' in caller) return caller;
    if (caller.scopes && !needed.some((scope) => caller.scopes!.includes(scope))) {
      return { reply: [403, { error: 'insufficient_scope', error_description: 'The request requires higher privileges than provided by the access token.', scope: needed.join(' ') }] };
    }
    return { userId: caller.userId };
  };
  /** A new access and refresh token, answered as Doorkeeper does. */
  const issueToken = (clientId: string, userId: number, scopes: string): Reply => {
    const now = Date.now();
    const issued: IssuedToken = { accessToken: secret(), refreshToken: secret(), clientId, userId, scopes, createdAt: now, lifetime: tokenLifetime, expiresAt: now + tokenLifetime * 1000, revoked: false };
    oauthTokens.push(issued);
    return [200, { access_token: issued.accessToken, token_type: 'Bearer', expires_in: issued.lifetime, refresh_token: issued.refreshToken, scope: scopes, created_at: Math.floor(now / 1000) }];
  };
  /** The client a request authenticates as: HTTP Basic first, then client_id/client_secret, as Doorkeeper looks. */
  const clientOf = (req: http.IncomingMessage, params: Record<string, string>): { sent: boolean; application: FakeGitLabApplication | undefined } => {
    const basic = /^basic\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    let [id, key] = [params.client_id, params.client_secret];
    if (basic !== undefined) {
      const decoded = Buffer.from(basic, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      // RFC 6749 2.3.1: each part is form-encoded first.
      [id, key] = colon < 0 ? [formDecode(decoded), ''] : [formDecode(decoded.slice(0, colon)), formDecode(decoded.slice(colon + 1))];
    }
    if (id === undefined || id === '') return { sent: false, application: undefined };
    const application = applications.get(id);
    return { sent: true, application: application && application.clientSecret === key ? application : undefined };
  };
  const verifierMatches = (code: IssuedCode, verifier: string | undefined) => {
    if (verifier === undefined || verifier === '') return code.challenge === undefined;
    if (code.method === 'S256') return createHash('sha256').update(verifier).digest('base64url') === code.challenge;
    return code.method === 'plain' && verifier === code.challenge;
  };

  const authorize = (query: URLSearchParams): { status: number; location?: string; html?: string } => {
    // GitLab wants a session before it looks at anything (Doorkeeper's resource_owner_authenticator).
    if (signedIn === undefined) return { status: 302, location: `${base}/users/sign_in` };
    const application = applications.get(query.get('client_id') ?? '');
    // Never back to a redirect_uri that is not the application's: an error page instead.
    const page = (description: string) => ({ status: 400, html: `<!DOCTYPE html><html><body><h1>An error has occurred</h1><p>${description}</p></body></html>` });
    if (!application) return page('Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.');
    if (query.get('redirect_uri') !== application.redirectUri) return page('The redirect URI included is not valid.');
    const back = (params: Record<string, string>) => {
      const target = new URL(application.redirectUri);
      for (const [name, value] of Object.entries(params)) target.searchParams.set(name, value);
      const state = query.get('state');
      if (state !== null) target.searchParams.set('state', state);
      return { status: 302, location: target.toString() };
    };
    if (query.get('response_type') !== 'code') return back({ error: 'unsupported_response_type', error_description: 'The authorization server does not support this response type.' });
    // Without a scope, GitLab's default one ('api'), which the application must have like any other.
    const scopes = (query.get('scope') || 'api').split(' ').filter(Boolean);
    if (scopes.some((scope) => !application.scopes.split(' ').includes(scope))) {
      return back({ error: 'invalid_scope', error_description: 'The requested scope is invalid, unknown, or malformed.' });
    }
    const challenge = query.get('code_challenge') || undefined;
    // Doorkeeper takes a challenge without a method as plain.
    const method = challenge === undefined ? undefined : query.get('code_challenge_method') || 'plain';
    if (method !== undefined && method !== 'S256' && method !== 'plain') {
      return back({ error: 'invalid_request', error_description: 'The code_challenge_method must be one of S256, plain.' });
    }
    // Approved without asking, as GitLab does for a trusted application.
    const code = secret();
    codes.set(code, { clientId: application.clientId, redirectUri: application.redirectUri, userId: signedIn, scopes: scopes.join(' '), challenge, method, expiresAt: Date.now() + CODE_LIFETIME_MS, revoked: false });
    return back({ code });
  };

  const tokenEndpoint = (req: http.IncomingMessage, params: Record<string, string>): Reply => {
    const client = clientOf(req, params);
    if (params.grant_type === 'authorization_code') {
      // Doorkeeper's order: parameters, client, code, redirect URI, verifier.
      const code = codes.get(params.code ?? '');
      if (!params.redirect_uri || (code?.challenge !== undefined && !params.code_verifier)) return INVALID_REQUEST;
      // The application is confidential: it must authenticate.
      if (!client.application) return INVALID_CLIENT;
      if (!code || code.revoked || Date.now() >= code.expiresAt || code.clientId !== client.application.clientId) return INVALID_GRANT;
      if (code.redirectUri !== params.redirect_uri || !verifierMatches(code, params.code_verifier)) return INVALID_GRANT;
      // A failed attempt leaves the code usable, as in Doorkeeper; a successful one uses it up.
      code.revoked = true;
      return issueToken(code.clientId, code.userId, code.scopes);
    }
    if (params.grant_type === 'refresh_token') {
      if (!params.refresh_token) return INVALID_REQUEST;
      const issued = oauthTokens.find((candidate) => candidate.refreshToken === params.refresh_token);
      if (!issued || issued.revoked) return INVALID_GRANT;
      if (client.sent && !client.application) return INVALID_CLIENT;
      if (client.application?.clientId !== issued.clientId) return INVALID_GRANT;
      // GitLab revokes the old pair at once (no previous_refresh_token to keep it alive until the new one is used).
      issued.revoked = true;
      return issueToken(issued.clientId, issued.userId, issued.scopes);
    }
    if (!params.grant_type) return INVALID_REQUEST;
    return [400, { error: 'unsupported_grant_type', error_description: 'The authorization grant type is not supported by the authorization server.' }];
  };

  const revoke = (req: http.IncomingMessage, params: Record<string, string>): Reply => {
    const issued = oauthTokens.find((candidate) => candidate.accessToken === params.token || candidate.refreshToken === params.token);
    // An unknown token is answered as a revoked one (RFC 7009)...
    if (!issued) return [200, {}];
    // ...but a confidential application's token takes that application to revoke it.
    if (clientOf(req, params).application?.clientId !== issued.clientId) {
      return [403, { error: 'unauthorized_client', error_description: 'You are not authorized to revoke this token' }];
    }
    issued.revoked = true;
    return [200, {}];
  };

  const tokenInfo = (presented: string | undefined): Reply => {
    const issued = oauthTokens.find((candidate) => candidate.accessToken === presented);
    if (!issued || !liveToken(issued)) {
      const description = !issued ? 'The access token is invalid' : issued.revoked ? 'The access token was revoked' : 'The access token expired';
      return [401, { error: 'invalid_token', error_description: description }];
    }
    const expiresIn = Math.max(0, Math.floor((issued.expiresAt - Date.now()) / 1000));
    const scopes = issued.scopes.split(' ');
    // Doorkeeper's, plus the two other names GitLab keeps for old clients.
    return [
      200,
      { resource_owner_id: issued.userId, scope: scopes, expires_in: expiresIn, application: { uid: issued.clientId }, created_at: Math.floor(issued.createdAt / 1000), scopes, expires_in_seconds: expiresIn },
    ];
  };

  /** The JSON GitLab answers for a hook: never the token; url_variables and custom_headers are left out of a project's list. */
  const hookJson = (hook: FakeGitLabHook, inList: boolean) => {
    const { token: _token, project_id, group_id, subgroup_events, member_events, project_events, ...fields } = hook;
    const withExtras = !(inList && project_id !== undefined);
    return {
      id: fields.id,
      url: fields.url,
      name: fields.name,
      description: fields.description,
      created_at: fields.created_at,
      push_events: fields.push_events,
      tag_push_events: fields.tag_push_events,
      merge_requests_events: fields.merge_requests_events,
      repository_update_events: false,
      enable_ssl_verification: fields.enable_ssl_verification,
      alert_status: fields.alert_status,
      disabled_until: fields.disabled_until,
      ...(withExtras ? { url_variables: [] } : {}),
      push_events_branch_filter: fields.push_events_branch_filter,
      branch_filter_strategy: fields.branch_filter_strategy,
      custom_webhook_template: null,
      ...(withExtras ? { custom_headers: [] } : {}),
      ...(project_id !== undefined ? { project_id } : { group_id }),
      ...Object.fromEntries(HOOK_EVENTS.filter((event) => !['push_events', 'tag_push_events', 'merge_requests_events'].includes(event)).map((event) => [event, fields[event]])),
      ...(group_id !== undefined ? { subgroup_events, member_events, project_events } : {}),
    };
  };
  /**
   * GET and POST /projects/:id/hooks and /groups/:id/hooks, and POST …/hooks/:hook_id/test/:trigger, for an
   * authenticated caller. In GitLab's order: the caller, the project or group, the role, then the parameters.
   */
  const webhooks = async (req: http.IncomingMessage, url: URL, userId: number | undefined, route: RegExpExecArray): Promise<Reply> => {
    const [, kind, segment, hookId, trigger] = route as unknown as [string, 'projects' | 'groups', string, string | undefined, string | undefined];
    if (userId === undefined) return [401, { message: '401 Unauthorized' }];
    const forbidden: Reply = [403, { message: '403 Forbidden' }];
    let owner: { project_id: number } | { group_id: number };
    if (kind === 'groups') {
      const group = find(segment, groups, groupAt);
      if (!group || !canSeeGroup(group, userId)) return [404, { message: '404 Group Not Found' }];
      // Owners only (of the group or above), and only with the licence.
      if (edition !== 'premium' || (groupAccess(userId, group) ?? 0) < 50) return forbidden;
      owner = { group_id: group.id };
    } else {
      const project = find(segment, projects, projectAt);
      if (!project || !canSeeProject(project, userId)) return [404, { message: '404 Project Not Found' }];
      if (projectAccess(userId, project) < 40) return forbidden;
      owner = { project_id: project.id };
    }
    const own = hooks.filter((hook) => ('group_id' in owner ? hook.group_id === owner.group_id : hook.project_id === owner.project_id));

    if (hookId !== undefined) {
      // Grape's validation, both parameters at once; the triggers are ProjectHook's, for group hooks too.
      const invalid = [
        ...(/^\d+$/.test(hookId) ? [] : ['hook_id is invalid']),
        ...((HOOK_EVENTS as readonly string[]).includes(trigger ?? '') ? [] : ['trigger does not have a valid value']),
      ];
      if (invalid.length > 0) return [400, { error: invalid.join(', ') }];
      const hook = own.find((candidate) => candidate.id === Number(hookId));
      if (!hook) return [404, { message: '404 Not found' }];
      // Sent even to a disabled hook (GitLab forces test deliveries), always answered 2xx here.
      hookTests.push({ hookId: hook.id, trigger: trigger! });
      return [201, { message: '201 Created' }];
    }
    if (req.method === 'GET') return [200, own.map((hook) => hookJson(hook, true))];

    const params = await readParams(req, url);
    const invalid: string[] = [];
    if (params.url === undefined) invalid.push('url is missing');
    const flags: Record<string, boolean> = {};
    const booleans = ['enable_ssl_verification', ...HOOK_EVENTS, ...('group_id' in owner ? GROUP_HOOK_EVENTS : [])];
    for (const name of booleans) {
      if (params[name] === undefined) continue;
      const value = grapeBoolean(params[name]);
      if (value === undefined) invalid.push(`${name} is invalid`);
      else flags[name] = value;
    }
    const strategies = ['wildcard', 'regex', 'all_branches'] as const;
    const strategy = strategies.find((candidate) => candidate === (params.branch_filter_strategy ?? 'wildcard'));
    if (!strategy) invalid.push('branch_filter_strategy does not have a valid value');
    if (invalid.length > 0) return [400, { error: invalid.join(', ') }];
    // The model's URL validation (the fake lets loopback through, as an admin setting would).
    if (!/^https?:$/.test(urlProtocol(params.url!))) return [422, { error: 'Invalid url given' }];
    const hook: FakeGitLabHook = {
      id: Math.max(0, ...hooks.map((candidate) => candidate.id)) + 1,
      url: params.url!,
      name: params.name ?? null,
      description: params.description ?? null,
      created_at: new Date().toISOString(),
      // GitLab's column defaults: push events on, everything else off, SSL verified.
      ...(Object.fromEntries(HOOK_EVENTS.map((event) => [event, event === 'push_events'])) as Record<FakeGitLabHookEvent, boolean>),
      ...('group_id' in owner ? { subgroup_events: false, member_events: false, project_events: false } : {}),
      enable_ssl_verification: true,
      ...flags,
      push_events_branch_filter: params.push_events_branch_filter ?? null,
      branch_filter_strategy: strategy!,
      alert_status: 'executable',
      disabled_until: null,
      token: params.token,
      ...owner,
    };
    hooks.push(hook);
    return [201, hookJson(hook, false)];
  };

  /** Now, in ISO 8601, and never the same twice: ordering by a time is then the order things happened in. */
  const stamp = () => {
    lastStamp = Math.max(Date.now(), lastStamp + 1);
    return new Date(lastStamp).toISOString();
  };
  // Ids are given in order and never taken back, so the last one made has the highest.
  const nextOf = (items: { id: number }[]) => (items.at(-1)?.id ?? 0) + 1;
  /** The project's next iid of a kind: one more than the highest so far (a chosen one included). */
  const nextIid = (kind: 'issue' | 'merge_request' | 'pipeline', projectId: number) => (highestIids.get(`${kind}:${projectId}`) ?? 0) + 1;
  const takeIid = (kind: 'issue' | 'merge_request' | 'pipeline', projectId: number, iid: number) =>
    void highestIids.set(`${kind}:${projectId}`, Math.max(iid, highestIids.get(`${kind}:${projectId}`) ?? 0));
  const projectNamed = (path: string) => {
    const project = projectAt(path);
    if (!project) throw new Error(`fake GitLab: no project at ${path}`);
    return project;
  };
  const knownUser = (id: number, what: string) => {
    if (!users.has(id)) throw new Error(`fake GitLab: the ${what} ${id} is not a user from addUser()`);
  };
  const hasBranch = (project: FakeGitLabProject, name: string) => name === project.default_branch || (branches.get(project.id)?.has(name) ?? false);
  const addBranchTo = (project: FakeGitLabProject, name: string) => {
    if (!branches.has(project.id)) branches.set(project.id, new Set());
    if (name !== project.default_branch) branches.get(project.id)!.add(name);
  };
  const branchKey = (projectId: number, branch: string) => `${projectId}:${branch}`;
  const mergeRequestKey = (projectId: number, iid: number) => `${projectId}!${iid}`;
  /** The branch's head: the last commit push() put there, else a made-up one, the same every time for one project's branch. */
  const headOf = (project: FakeGitLabProject, branch: string) =>
    heads.get(branchKey(project.id, branch)) ?? createHash('sha1').update(`${project.id}:${branch}`).digest('hex');
  const issueAt = (project: FakeGitLabProject, iid: number) => issuesByIid.get(`${project.id}#${iid}`);
  const mergeRequestAt = (project: FakeGitLabProject, iid: number) => mergeRequestsByIid.get(mergeRequestKey(project.id, iid));

  /** The caller's role in the project: 0 for anonymous callers and non-members. */
  const roleIn = (project: FakeGitLabProject, userId: number | undefined) => (userId === undefined ? 0 : projectAccess(userId, project));
  /**
   * ProjectFeature#feature_available?: a `private` feature is for members with at least the feature's
   * minimum role (PRIVATE_FEATURES_MIN_ACCESS_LEVEL: Reporter for merge requests and environments,
   * else Guest); `disabled` is for nobody.
   */
  const featureOpen = (project: FakeGitLabProject, feature: FakeGitLabFeature, userId: number | undefined) => {
    const level = project.features[feature];
    if (level === 'disabled') return false;
    return level === 'enabled' || roleIn(project, userId) >= (feature === 'merge_requests' || feature === 'environments' ? 20 : 10);
  };
  const isAuthorOrAssignee = (issuable: { authorId: number; assigneeIds: number[] }, userId: number | undefined) =>
    userId !== undefined && (issuable.authorId === userId || issuable.assigneeIds.includes(userId));
  /**
   * IssuePolicy's read_issue: whoever sees the project (guests of a private one too), but a confidential
   * issue only its author and assignees, and Planners and above.
   */
  const canReadIssue = (issue: FakeGitLabIssue, userId: number | undefined) => {
    const project = projects.get(issue.projectId)!;
    return canSeeProject(project, userId) && featureOpen(project, 'issues', userId) && (!issue.confidential || isAuthorOrAssignee(issue, userId) || roleIn(project, userId) >= 15);
  };
  /** update_issue: Planners and above (ProjectPolicy), and the author and assignees (IssuablePolicy). */
  const canUpdateIssue = (issue: StoredIssue, userId: number) =>
    canReadIssue(issue, userId) && (roleIn(projects.get(issue.projectId)!, userId) >= 15 || isAuthorOrAssignee(issue, userId));
  /** read_merge_request: whoever sees a public or internal project; in a private one, Planners and above (not guests). */
  const canReadMergeRequest = (mergeRequest: FakeGitLabMergeRequest, userId: number | undefined) => {
    const project = projects.get(mergeRequest.projectId)!;
    return canSeeProject(project, userId) && featureOpen(project, 'merge_requests', userId) && (project.visibility !== 'private' || roleIn(project, userId) >= 15);
  };
  /**
   * download_code and read_pipeline, one rule here: whoever sees a public or internal project; in a
   * private one, Reporters and above (not Guests or Planners).
   */
  const canReadCode = (project: FakeGitLabProject, userId: number | undefined) =>
    canSeeProject(project, userId) && featureOpen(project, 'repository', userId) && (project.visibility !== 'private' || roleIn(project, userId) >= 20);
  /** The project :id names, if the caller may see it: GitLab's user_project, which answers 404 otherwise. */
  const userProject = (segment: string, userId: number | undefined) => {
    const project = find(segment, projects, projectAt);
    return project && canSeeProject(project, userId) ? project : undefined;
  };
  /**
   * The assignees GitLab keeps: users who can see the project, and only the first of them unless multiple
   * assignees are licensed (Premium), as IssuableBaseService#filter_assignees does, silently.
   */
  const assignable = (project: FakeGitLabProject, ids: number[]) => {
    const kept = [...new Set(ids)].filter((id) => users.has(id) && canSeeProject(project, id));
    return edition === 'premium' ? kept : kept.slice(0, 1);
  };

  // GitLab's UserBasic.
  const userJson = (id: number) => {
    const user = users.get(id)!;
    return { id: user.id, username: user.username, name: user.name, state: 'active', avatar_url: null, web_url: `${base}/${user.username}` };
  };
  /** GitLab's Entities::Issue (with `subscribed` when one issue is shown). */
  const issueJson = (issue: StoredIssue, shown = false) => {
    const { path_with_namespace: path } = projects.get(issue.projectId)!;
    const api = `${base}/api/v4/projects/${issue.projectId}`;
    return {
      id: issue.id,
      iid: issue.iid,
      project_id: issue.projectId,
      title: issue.title,
      description: issue.description,
      state: issue.state,
      created_at: issue.createdAt,
      updated_at: issue.updatedAt,
      closed_at: issue.closedAt,
      closed_by: issue.closedById === null ? null : userJson(issue.closedById),
      // Issuable#label_names: ordered by title.
      labels: [...issue.labels].sort(),
      milestone: null,
      assignees: issue.assigneeIds.map((id) => userJson(id)),
      author: userJson(issue.authorId),
      type: 'ISSUE',
      assignee: issue.assigneeIds.length > 0 ? userJson(issue.assigneeIds[0]!) : null,
      user_notes_count: issue.notes.length,
      merge_requests_count: 0,
      upvotes: 0,
      downvotes: 0,
      due_date: null,
      confidential: issue.confidential,
      discussion_locked: issue.discussionLocked,
      issue_type: 'issue',
      web_url: `${base}/${path}/-/issues/${issue.iid}`,
      time_stats: { time_estimate: 0, total_time_spent: 0, human_time_estimate: null, human_total_time_spent: null },
      task_completion_status: { count: 0, completed_count: 0 },
      ...(shown ? { subscribed: false } : {}),
      _links: { self: `${api}/issues/${issue.iid}`, notes: `${api}/issues/${issue.iid}/notes`, award_emoji: `${api}/issues/${issue.iid}/award_emoji`, project: api },
      references: { short: `#${issue.iid}`, relative: `#${issue.iid}`, full: `${path}#${issue.iid}` },
      severity: 'UNKNOWN',
      moved_to_id: null,
      imported: false,
      imported_from: 'none',
      service_desk_reply_to: null,
    };
  };
  const noteableOf = (on: Noteable) => (on.kind === 'Issue' ? on.issue : on.mergeRequest);
  /** Entities::Note, which the notes routes answer too (fake-gitlab-conversations.ts). */
  const noteJson = (note: StoredNote, on: Noteable) => conversations.noteJson(note, on);
  const approvalsLeft = (mergeRequest: StoredMergeRequest) => Math.max(0, mergeRequest.approvalsRequired - mergeRequest.approvedBy.length);

  // Merge requests: who may do what (MergeRequestPolicy, IssuablePolicy), and GitLab's merge checks.
  /**
   * MergeRequest#can_be_merged_by? (Gitlab::UserAccess#can_update_branch?): push or merge access to the target
   * branch. Developers push to unprotected branches; the default branch is protected, merging Maintainers only
   * unless the project lets Developers. Other protected branches are not modelled.
   */
  const canMergeInto = (project: FakeGitLabProject, branch: string, userId: number | undefined) =>
    roleIn(project, userId) >= (branch === project.default_branch && !project.developersCanMerge ? 40 : 30);
  /** update_merge_request: Developers and above (ProjectPolicy), and the author and assignees who may read it (IssuablePolicy). */
  const canUpdateMergeRequest = (mergeRequest: StoredMergeRequest, userId: number) =>
    canReadMergeRequest(mergeRequest, userId) && (roleIn(projects.get(mergeRequest.projectId)!, userId) >= 30 || isAuthorOrAssignee(mergeRequest, userId));
  /** approve_merge_request: update_merge_request, for members of the project only (MergeRequestPolicy#can_approve?). */
  const canApproveMergeRequest = (mergeRequest: StoredMergeRequest, userId: number) =>
    canUpdateMergeRequest(mergeRequest, userId) && roleIn(projects.get(mergeRequest.projectId)!, userId) > 0;
  /**
   * What ApprovalService checks beyond the policy: one approval per user, and with Premium's approval settings
   * (ee ApprovalState#can_approve?) not the author unless the project allows it. The sources read check no state:
   * a merged or closed merge request takes approvals.
   */
  const eligibleToApprove = (mergeRequest: StoredMergeRequest, userId: number) =>
    canApproveMergeRequest(mergeRequest, userId) &&
    !mergeRequest.approvedBy.includes(userId) &&
    !(edition === 'premium' && mergeRequest.authorId === userId && !projects.get(mergeRequest.projectId)!.mergeRequestsAuthorApproval);
  /** MergeRequest#diff_head_pipeline: the head pipeline, if it ran on the source branch as it is now. */
  const diffHeadPipelineOf = (mergeRequest: StoredMergeRequest) => {
    const head = headPipelineOf(mergeRequest);
    return head && head.sha === headOf(projects.get(mergeRequest.projectId)!, mergeRequest.sourceBranch) ? head : undefined;
  };
  const COMPLETE_STATUSES: FakeGitLabPipelineStatus[] = ['success', 'failed', 'canceled', 'skipped'];
  /**
   * MergeRequest#diff_head_pipeline_considered_in_progress?: not complete where pipelines must succeed (a manual,
   * blocked pipeline counts), else created or active.
   */
  const pipelineInProgress = (mergeRequest: StoredMergeRequest) => {
    const pipeline = diffHeadPipelineOf(mergeRequest);
    if (!pipeline) return false;
    return projects.get(mergeRequest.projectId)!.onlyAllowMergeIfPipelineSucceeds ? !COMPLETE_STATUSES.includes(pipeline.status) : ['created', 'pending', 'running'].includes(pipeline.status);
  };
  /**
   * Mergeability::CheckCiStatusService: a successful pipeline on the head is wanted where pipelines must succeed,
   * and under auto-merge when the merge request has CI at all.
   */
  const ciCheckFails = (mergeRequest: StoredMergeRequest) => {
    const mustSucceed = projects.get(mergeRequest.projectId)!.onlyAllowMergeIfPipelineSucceeds || (mergeRequest.autoMergeUserId !== null && headPipelineOf(mergeRequest) !== undefined);
    return mustSucceed && diffHeadPipelineOf(mergeRequest)?.status !== 'success';
  };
  type MergeCheck = 'not_approved' | 'not_open' | 'draft_status' | 'discussions_not_resolved' | 'ci_must_pass' | 'conflict';
  /**
   * The merge checks that fail, in GitLab's order (MergeRequest.all_mergeability_checks: EE's, approvals among
   * them, before CE's open, draft, threads and CI checks; the git checks, conflicts, last), less those skipped.
   * Approvals are checked only where they are licensed (Premium).
   */
  const failingChecks = (mergeRequest: StoredMergeRequest, skip: readonly MergeCheck[] = []): MergeCheck[] => {
    const project = projects.get(mergeRequest.projectId)!;
    const checks: [MergeCheck, boolean][] = [
      ['not_approved', edition === 'premium' && approvalsLeft(mergeRequest) > 0],
      ['not_open', mergeRequest.state !== 'opened'],
      ['draft_status', mergeRequest.draft],
      ['discussions_not_resolved', project.onlyAllowMergeIfAllDiscussionsAreResolved && mergeRequest.unresolvedDiscussions > 0],
      ['ci_must_pass', ciCheckFails(mergeRequest)],
      ['conflict', mergeRequest.conflicts],
    ];
    return checks.flatMap(([check, fails]) => (fails && !skip.includes(check) ? [check] : []));
  };
  /** MergeRequest#mergeable?: every check passes. */
  const mergeable = (mergeRequest: StoredMergeRequest) => failingChecks(mergeRequest).length === 0;
  /**
   * Mergeability::DetailedMergeStatusService: the first failing check but CI's; then CI's, told apart as
   * ci_still_running while the pipeline is in progress. The fake is never preparing, checking or unchecked.
   */
  const detailedMergeStatus = (mergeRequest: StoredMergeRequest): string => {
    const [first] = failingChecks(mergeRequest, ['ci_must_pass']);
    if (first) return first;
    if (!ciCheckFails(mergeRequest)) return 'mergeable';
    return pipelineInProgress(mergeRequest) ? 'ci_still_running' : 'ci_must_pass';
  };
  /** MergeRequest#mergeable_discussions_state?: threads block only where the project wants them all resolved. */
  const discussionsResolved = (mergeRequest: StoredMergeRequest) =>
    !projects.get(mergeRequest.projectId)!.onlyAllowMergeIfAllDiscussionsAreResolved || mergeRequest.unresolvedDiscussions === 0;

  /** GitLab's Entities::MergeRequestBasic, what lists answer. */
  const mergeRequestJson = (mergeRequest: StoredMergeRequest) => {
    const project = projects.get(mergeRequest.projectId)!;
    const path = project.path_with_namespace;
    return {
      id: mergeRequest.id,
      iid: mergeRequest.iid,
      project_id: mergeRequest.projectId,
      title: mergeRequest.title,
      description: mergeRequest.description,
      state: mergeRequest.state,
      created_at: mergeRequest.createdAt,
      updated_at: mergeRequest.updatedAt,
      merged_by: mergeRequest.mergedById === null ? null : userJson(mergeRequest.mergedById),
      // Who merged it, else who set auto-merge (metrics.merged_by || merge_user).
      merge_user: mergeRequest.mergedById !== null ? userJson(mergeRequest.mergedById) : mergeRequest.autoMergeUserId !== null ? userJson(mergeRequest.autoMergeUserId) : null,
      merged_at: mergeRequest.mergedAt,
      closed_by: mergeRequest.closedById === null ? null : userJson(mergeRequest.closedById),
      closed_at: mergeRequest.closedAt,
      target_branch: mergeRequest.targetBranch,
      source_branch: mergeRequest.sourceBranch,
      user_notes_count: mergeRequest.notes.length,
      upvotes: 0,
      downvotes: 0,
      author: userJson(mergeRequest.authorId),
      assignees: mergeRequest.assigneeIds.map((id) => userJson(id)),
      assignee: mergeRequest.assigneeIds.length > 0 ? userJson(mergeRequest.assigneeIds[0]!) : null,
      reviewers: mergeRequest.reviewerIds.map((id) => userJson(id)),
      source_project_id: project.id,
      target_project_id: project.id,
      labels: [...mergeRequest.labels].sort(),
      draft: mergeRequest.draft,
      work_in_progress: mergeRequest.draft,
      milestone: null,
      imported: false,
      imported_from: 'none',
      // The column auto_merge_enabled is an alias of; REST has no auto_merge field (gitlab-org/gitlab#547634).
      merge_when_pipeline_succeeds: mergeRequest.autoMergeUserId !== null,
      merge_status: mergeRequest.conflicts ? 'cannot_be_merged' : 'can_be_merged',
      detailed_merge_status: detailedMergeStatus(mergeRequest),
      merge_after: null,
      sha: headOf(project, mergeRequest.sourceBranch),
      merge_commit_sha: mergeRequest.mergeCommitSha,
      // The fake makes no squash commit.
      squash_commit_sha: null,
      discussion_locked: mergeRequest.discussionLocked,
      should_remove_source_branch: mergeRequest.shouldRemoveSourceBranch,
      force_remove_source_branch: mergeRequest.forceRemoveSourceBranch,
      prepared_at: mergeRequest.createdAt,
      reference: `!${mergeRequest.iid}`,
      references: { short: `!${mergeRequest.iid}`, relative: `!${mergeRequest.iid}`, full: `${path}!${mergeRequest.iid}` },
      web_url: `${base}/${path}/-/merge_requests/${mergeRequest.iid}`,
      time_stats: { time_estimate: 0, total_time_spent: 0, human_time_estimate: null, human_total_time_spent: null },
      squash: mergeRequest.squash,
      // The project's squash option is GitLab's default ("Allow", off), so the merge request's own choice decides.
      squash_on_merge: mergeRequest.squash,
      task_completion_status: { count: 0, completed_count: 0 },
      has_conflicts: mergeRequest.conflicts,
      blocking_discussions_resolved: discussionsResolved(mergeRequest),
    };
  };
  /** GitLab's Entities::MergeRequest, what GET …/merge_requests/:iid answers. */
  const mergeRequestDetailJson = (mergeRequest: StoredMergeRequest, userId: number | undefined) => {
    const project = projects.get(mergeRequest.projectId)!;
    const head = headPipelineOf(mergeRequest);
    const sha = headOf(project, mergeRequest.sourceBranch);
    return {
      ...mergeRequestJson(mergeRequest),
      subscribed: false,
      changes_count: null,
      latest_build_started_at: head?.startedAt ?? null,
      latest_build_finished_at: head?.finishedAt ?? null,
      first_deployed_to_production_at: null,
      pipeline: head ? pipelineBasicJson(head) : null,
      head_pipeline: head ? pipelineJson(head) : null,
      diff_refs: { base_sha: headOf(project, mergeRequest.targetBranch), head_sha: sha, start_sha: headOf(project, mergeRequest.targetBranch) },
      merge_error: null,
      first_contribution: false,
      // Entities::MergeRequest: can_be_merged_by? for the caller, whatever the state.
      user: { can_merge: canMergeInto(project, mergeRequest.targetBranch, userId) },
      approvals_before_merge: null,
    };
  };
  const PIPELINE_STATUS_TEXT: Record<FakeGitLabPipelineStatus, [text: string, label: string]> = {
    created: ['Created', 'created'],
    pending: ['Pending', 'pending'],
    running: ['Running', 'running'],
    success: ['Passed', 'passed'],
    failed: ['Failed', 'failed'],
    canceled: ['Canceled', 'canceled'],
    skipped: ['Skipped', 'skipped'],
    manual: ['Blocked', 'manual action'],
  };
  /** GitLab's Entities::Ci::PipelineBasic, what lists answer. */
  const pipelineBasicJson = (pipeline: FakeGitLabPipeline) => ({
    id: pipeline.id,
    iid: pipeline.iid,
    project_id: pipeline.projectId,
    sha: pipeline.sha,
    ref: pipeline.ref,
    status: pipeline.status,
    source: pipeline.source,
    created_at: pipeline.createdAt,
    updated_at: pipeline.updatedAt,
    web_url: `${base}/${projects.get(pipeline.projectId)!.path_with_namespace}/-/pipelines/${pipeline.id}`,
  });
  /** GitLab's Entities::Ci::Pipeline, what one pipeline is answered as. */
  const pipelineJson = (pipeline: FakeGitLabPipeline) => {
    const path = projects.get(pipeline.projectId)!.path_with_namespace;
    const [text, label] = PIPELINE_STATUS_TEXT[pipeline.status];
    const duration = pipeline.startedAt !== null && pipeline.finishedAt !== null ? Math.round((Date.parse(pipeline.finishedAt) - Date.parse(pipeline.startedAt)) / 1000) : null;
    return {
      ...pipelineBasicJson(pipeline),
      // A pipeline made through the API has no push before it.
      before_sha: '0'.repeat(40),
      tag: false,
      yaml_errors: null,
      user: userJson(pipeline.userId),
      started_at: pipeline.startedAt,
      finished_at: pipeline.finishedAt,
      committed_at: null,
      duration,
      queued_duration: null,
      coverage: null,
      detailed_status: {
        icon: `status_${pipeline.status}`,
        text,
        label,
        group: pipeline.status,
        tooltip: label,
        has_details: true,
        details_path: `/${path}/-/pipelines/${pipeline.id}`,
        illustration: null,
        favicon: `/assets/ci_favicons/favicon_status_${pipeline.status}.png`,
      },
    };
  };
  /** The head pipeline of a merge request: the latest on its source branch or run for it, whichever came last. */
  const headPipelineOf = (mergeRequest: FakeGitLabMergeRequest) => {
    const onBranch = latestPipelines.get(branchKey(mergeRequest.projectId, mergeRequest.sourceBranch));
    const forIt = latestPipelines.get(mergeRequestKey(mergeRequest.projectId, mergeRequest.iid));
    return !onBranch || (forIt && forIt.id > onBranch.id) ? forIt : onBranch;
  };
  const commitJson = (commit: FakeGitLabCommit) => {
    const title = commit.message.split(/\r?\n/)[0]!;
    return {
      id: commit.sha,
      short_id: commit.sha.slice(0, 8),
      created_at: commit.createdAt,
      parent_ids: [...commit.parentIds],
      title,
      message: commit.message,
      author_name: commit.authorName,
      author_email: commit.authorEmail,
      authored_date: commit.createdAt,
      committer_name: commit.authorName,
      committer_email: commit.authorEmail,
      committed_date: commit.createdAt,
      trailers: {},
      extended_trailers: {},
      web_url: `${base}/${projects.get(commit.projectId)!.path_with_namespace}/-/commit/${commit.sha}`,
    };
  };
  /** GitLab's Entities::Event: a note's with the note, a push's with push_data. */
  const eventJson = (event: StoredEvent) => {
    const { subject } = event;
    const title = subject.kind === 'push' ? null : subject.kind === 'Note' ? noteableOf(subject.on).title : noteableOf(subject).title;
    return {
      id: event.id,
      project_id: event.projectId,
      action_name: event.actionName,
      target_id: event.targetId,
      target_iid: event.targetIid,
      target_type: event.targetType,
      author_id: event.authorId,
      target_title: title,
      created_at: event.createdAt,
      ...(subject.kind === 'Note' ? { note: noteJson(subject.note, subject.on) } : {}),
      author: userJson(event.authorId),
      imported: false,
      imported_from: 'none',
      ...(event.pushData ? { push_data: { ...event.pushData } } : {}),
      author_username: users.get(event.authorId)!.username,
    };
  };
  /** Event#visible_to_user?: a push wants the code, anything else its target (a note's, its noteable). */
  const canSeeEvent = (event: StoredEvent, userId: number | undefined) => {
    const { subject } = event;
    const noteable = subject.kind === 'Note' ? subject.on : subject;
    if (noteable.kind === 'push') return canReadCode(projects.get(event.projectId)!, userId);
    // Event#visible_to_user? reads the note itself: an internal one is for Planners and above.
    if (subject.kind === 'Note' && !conversations.noteReadable(subject.note, projects.get(event.projectId)!, userId)) return false;
    return noteable.kind === 'Issue' ? canReadIssue(noteable.issue, userId) : canReadMergeRequest(noteable.mergeRequest, userId);
  };
  const todoTarget = (todo: FakeGitLabTodo) => {
    const project = projects.get(todo.projectId)!;
    return todo.targetType === 'Issue'
      ? { issue: issueAt(project, todo.targetIid)!, mergeRequest: undefined }
      : { issue: undefined, mergeRequest: mergeRequestAt(project, todo.targetIid)! };
  };
  /** The comment a to-do item came from, if it came from one. */
  const todoNote = (todo: FakeGitLabTodo) => {
    if (todo.noteId === null) return undefined;
    const { issue, mergeRequest } = todoTarget(todo);
    return (issue ?? mergeRequest!).notes.find((note) => note.id === todo.noteId);
  };
  const todoJson = (todo: FakeGitLabTodo) => {
    const project = projects.get(todo.projectId)!;
    const { issue, mergeRequest } = todoTarget(todo);
    const target = issue ? issueJson(issue) : mergeRequestJson(mergeRequest!);
    const note = todoNote(todo);
    return {
      id: todo.id,
      project: { id: project.id, name: project.name, name_with_namespace: `${namePath(project.namespace)} / ${project.name}`, path: project.path, path_with_namespace: project.path_with_namespace },
      author: userJson(todo.authorId),
      action_name: todo.actionName,
      target_type: todo.targetType,
      target,
      // A comment's to-do item links to the comment.
      target_url: note ? `${target.web_url}#note_${note.id}` : target.web_url,
      // Todo#body: the note's text when there is one, else the target's title.
      body: todo.body ?? note?.body ?? target.title,
      state: todo.state,
      created_at: todo.createdAt,
      updated_at: todo.updatedAt,
    };
  };

  /**
   * One page of a list, with GitLab's offset pagination headers: Kaminari's numbers (no next or previous
   * page beyond the last), at least one page in X-Total-Pages, and Link with the request's query sorted as
   * Rails' to_query sorts it.
   */
  const pageOf = (items: unknown[], { page, perPage }: Paging, url: URL): Answer => {
    const pages = Math.ceil(items.length / perPage);
    const inRange = page <= pages;
    const next = inRange && page < pages ? page + 1 : undefined;
    const prev = inRange && page > 1 ? page - 1 : undefined;
    const last = Math.max(pages, 1);
    const href = (number: number) => {
      const query = new URLSearchParams(url.searchParams);
      query.set('page', String(number));
      query.set('per_page', String(perPage));
      query.sort();
      return `<${base}${url.pathname}?${query}>`;
    };
    const links = [...(prev ? [`${href(prev)}; rel="prev"`] : []), ...(next ? [`${href(next)}; rel="next"`] : []), `${href(1)}; rel="first"`, `${href(last)}; rel="last"`];
    const headers = {
      'X-Page': String(page),
      'X-Per-Page': String(perPage),
      'X-Total': String(items.length),
      'X-Total-Pages': String(last),
      'X-Next-Page': next === undefined ? '' : String(next),
      'X-Prev-Page': prev === undefined ? '' : String(prev),
      Link: links.join(', '),
    };
    return [200, items.slice((page - 1) * perPage, page * perPage), headers];
  };
  /** By `order_by` (times and titles; GitLab's other orders fall back to created_at here), ties broken by id as GitLab does. */
  const ordered = <T extends { id: number; createdAt: string; updatedAt: string; title: string }>(items: T[], orderBy: string, sort: string) => {
    const key = (item: T) => (orderBy === 'updated_at' ? item.updatedAt : orderBy === 'title' ? item.title : item.createdAt);
    const direction = sort === 'asc' ? 1 : -1;
    return [...items].sort((a, b) => direction * (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.id - b.id));
  };
  /** IssuableFinder's user filters: an id, or the wildcards none and any. */
  const byUsers = (ids: number[], wanted: number | 'none' | 'any' | undefined) =>
    wanted === undefined || (wanted === 'none' ? ids.length === 0 : wanted === 'any' ? ids.length > 0 : ids.includes(wanted));
  const userNamed = (username: string) => usersByName.get(username.toLowerCase()) ?? -1;
  const searched = (search: string | undefined, { title, description }: { title: string; description: string | null }) =>
    search === undefined || `${title}\n${description ?? ''}`.toLowerCase().includes(search.toLowerCase());

  /**
   * The issue and merge request routes check as GitLab's Grape endpoints do, in its order: a write needs a
   * signed-in caller (authenticate_non_get!), then the declared parameters (400), then the project (404),
   * then the thing, then the permission (403).
   */
  const showIssue = (call: ApiCall, [segment, iidSegment]: string[]): Answer => {
    const declared = new Declared({ ...call.params, issue_iid: iidSegment });
    const iid = declared.integer('issue_iid', { required: true });
    if (declared.refusal) return declared.refusal;
    const project = userProject(segment!, call.userId);
    if (!project) return PROJECT_NOT_FOUND;
    const issue = issueAt(project, iid!);
    // IssuesFinder does not find what the caller may not read: a hidden confidential issue is as missing as one that never was.
    return issue && canReadIssue(issue, call.userId) ? [200, issueJson(issue, true)] : NOT_FOUND;
  };

  const createIssue = (call: ApiCall, [segment]: string[]): Answer => {
    if (call.userId === undefined) return UNAUTHORIZED;
    const declared = new Declared(call.params);
    const title = declared.string('title', { required: true });
    const description = declared.string('description');
    const assigneeIds = declared.integers('assignee_ids');
    const labels = declared.strings('labels');
    const confidential = declared.boolean('confidential');
    const discussionLocked = declared.boolean('discussion_locked');
    const iid = declared.integer('iid');
    if (declared.refusal) return declared.refusal;
    const project = userProject(segment!, call.userId);
    if (!project) return PROJECT_NOT_FOUND;
    // create_issue comes with guest access, which every signed-in user who sees the project has: its members,
    // and anyone at all on a public or internal project. So there is no 403 to give here.
    if (title!.trim() === '') return [400, { message: { title: ["can't be blank"] } }];
    const role = roleIn(project, call.userId);
    // Only an Owner may choose the iid (set_issue_iid); anyone else's is ignored.
    const chosenIid = role >= 50 ? iid : undefined;
    if (chosenIid !== undefined && issueAt(project, chosenIid)) return [409, { message: 'Duplicated issue' }];
    // Assignees and locking are metadata, which members may set on a new issue and others may not: GitLab
    // drops theirs without a word (IssuableBaseService#filter_params). Confidentiality anyone may ask for.
    const member = role >= 10;
    const issue = newIssue(project, {
      iid: chosenIid,
      title: title!,
      description: description ?? null,
      state: 'opened',
      confidential: confidential ?? false,
      authorId: call.userId,
      assigneeIds: member ? assignable(project, assigneeIds ?? []) : [],
      labels: labels ?? [],
      discussionLocked: member ? (discussionLocked ?? null) : null,
    });
    return [201, issueJson(issue)];
  };

  const updateIssue = (call: ApiCall, [segment, iidSegment]: string[]): Answer => {
    if (call.userId === undefined) return UNAUTHORIZED;
    const declared = new Declared({ ...call.params, issue_iid: iidSegment });
    const iid = declared.integer('issue_iid', { required: true });
    const title = declared.string('title');
    const stateEvent = declared.string('state_event', { values: ['reopen', 'close'] });
    const description = declared.string('description');
    const assigneeIds = declared.integers('assignee_ids');
    const labels = declared.strings('labels');
    const confidential = declared.boolean('confidential');
    const discussionLocked = declared.boolean('discussion_locked');
    declared.atLeastOneOf(ISSUE_UPDATE_PARAMS);
    if (declared.refusal) return declared.refusal;
    const project = userProject(segment!, call.userId);
    if (!project) return PROJECT_NOT_FOUND;
    // find_by!, then authorize!: an issue the caller may not read is found, and refused.
    const issue = issueAt(project, iid!);
    if (!issue) return NOT_FOUND;
    if (!canUpdateIssue(issue, call.userId)) return FORBIDDEN;
    if (title !== undefined && title.trim() === '') return [400, { message: { title: ["can't be blank"] } }];
    const before = JSON.stringify(issue);
    let closing = false;
    let reopening = false;
    // The state first, as Issues::UpdateService does. Closing a closed issue (or reopening an open one) does
    // nothing; and a locked discussion keeps a closed issue closed (IssuePolicy prevents reopen_issue, which
    // Issues::ReopenService checks without a word).
    if (stateEvent === 'close' && issue.state === 'opened') {
      issue.state = 'closed';
      issue.closedById = call.userId;
      closing = true;
    } else if (stateEvent === 'reopen' && issue.state === 'closed' && issue.discussionLocked !== true) {
      issue.state = 'opened';
      issue.closedAt = null;
      issue.closedById = null;
      reopening = true;
    }
    if (title !== undefined) issue.title = title;
    if (description !== undefined) issue.description = description;
    if (labels !== undefined) issue.labels = labels;
    // Metadata and confidentiality of an existing issue are for Planners and above; others' is dropped.
    if (roleIn(project, call.userId) >= 15) {
      if (assigneeIds !== undefined) {
        issue.assigneeIds = assignable(project, assigneeIds.filter((id) => id !== 0));
        involve(issuesByAssignee, issue.assigneeIds, issue);
      }
      if (confidential !== undefined) issue.confidential = confidential;
      if (discussionLocked !== undefined) issue.discussionLocked = discussionLocked;
    }
    if (JSON.stringify(issue) !== before) {
      issue.updatedAt = stamp();
      if (closing) issue.closedAt = issue.updatedAt;
    }
    if (closing || reopening) recordEvent(project.id, closing ? 'closed' : 'reopened', call.userId, { kind: 'Issue', issue }, issue.updatedAt);
    return [200, issueJson(issue)];
  };

  /** GET …/merge_requests/:merge_request_iid: find_by! first (404), then read_merge_request (403). */
  const showMergeRequest = (call: ApiCall, [segment, iidSegment]: string[]): Answer => {
    const declared = new Declared({ ...call.params, merge_request_iid: iidSegment });
    const iid = declared.integer('merge_request_iid', { required: true });
    if (declared.refusal) return declared.refusal;
    const project = userProject(segment!, call.userId);
    if (!project) return PROJECT_NOT_FOUND;
    const mergeRequest = mergeRequestAt(project, iid!);
    if (!mergeRequest) return NOT_FOUND;
    return canReadMergeRequest(mergeRequest, call.userId) ? [200, mergeRequestDetailJson(mergeRequest, call.userId)] : FORBIDDEN;
  };

  /** Grape's Date: YYYY-MM-DD, as the day's first and last millisecond in UTC (GitLab's default time zone). */
  const dayOf = (declared: Declared, name: string) => {
    const value = declared.string(name);
    if (value === undefined) return undefined;
    const day = /^\d{4}-\d{2}-\d{2}$/.test(value.trim()) ? Date.parse(`${value.trim()}T00:00:00.000Z`) : NaN;
    if (Number.isNaN(day)) {
      declared.errors.push(`${name} is invalid`);
      return undefined;
    }
    return day;
  };
  const EVENT_ACTIONS: Record<string, FakeGitLabEventAction[]> = {
    created: ['opened'],
    closed: ['closed'],
    reopened: ['reopened'],
    pushed: ['pushed to', 'pushed new'],
    commented: ['commented on'],
    merged: ['accepted'],
    approved: ['approved'],
  };
  const EVENT_TARGETS: Record<string, FakeGitLabEvent['targetType']> = { issue: 'Issue', merge_request: 'MergeRequest', note: 'Note' };

  /** GET /projects/:id/events: EventsFinder, day-granular `after` and `before` (both exclusive), newest first unless asked. */
  const listEvents = (call: ApiCall, [segment]: string[]): Answer => {
    const declared = new Declared(call.params);
    const action = declared.string('action', { values: ['created', 'updated', 'closed', 'reopened', 'pushed', 'commented', 'merged', 'joined', 'left', 'destroyed', 'expired', 'approved'] });
    const targetType = declared.string('target_type', { values: ['issue', 'milestone', 'merge_request', 'note', 'project', 'snippet', 'user', 'wiki', 'design'] });
    const before = dayOf(declared, 'before');
    const after = dayOf(declared, 'after');
    const sort = declared.string('sort', { values: ['asc', 'desc'], default: 'desc' });
    const paging = declared.pagination();
    if (declared.refusal) return declared.refusal;
    const project = userProject(segment!, call.userId);
    if (!project) return PROJECT_NOT_FOUND;
    const DAY = 86_400_000;
    const found = (events.get(project.id) ?? []).filter((event) => {
      const at = Date.parse(event.createdAt);
      return (
        // After the end of the `after` day, before the start of the `before` day.
        (after === undefined || at >= after + DAY) &&
        (before === undefined || at < before) &&
        (action === undefined || (EVENT_ACTIONS[action] ?? []).includes(event.actionName)) &&
        (targetType === undefined || event.targetType === EVENT_TARGETS[targetType]) &&
        canSeeEvent(event, call.userId)
      );
    });
    if (sort === 'desc') found.reverse();
    return pageOf(found.map(eventJson), paging, call.url);
  };

  /** A commit by sha, full or at least 7 hex digits, or a branch's head. */
  const commitAt = (project: FakeGitLabProject, ref: string) => {
    const pushed = heads.get(branchKey(project.id, ref));
    if (pushed) return commits.get(pushed);
    const exact = commits.get(ref.toLowerCase());
    if (exact) return exact.projectId === project.id ? exact : undefined;
    if (!/^[0-9a-f]{7,40}$/i.test(ref)) return undefined;
    for (const commit of commits.values()) if (commit.projectId === project.id && commit.sha.startsWith(ref.toLowerCase())) return commit;
    return undefined;
  };

  /** GET /projects/:id/repository/commits/:sha: Entities::CommitDetail, for those who may read the code. */
  const showCommit = (call: ApiCall, [segment, shaSegment]: string[]): Answer => {
    const project = userProject(segment!, call.userId);
    if (!project) return PROJECT_NOT_FOUND;
    if (!canReadCode(project, call.userId)) return FORBIDDEN;
    const commit = commitAt(project, decodeURIComponent(shaSegment!));
    if (!commit) return [404, { message: '404 Commit Not Found' }];
    const pipeline = [...(pipelinesByProject.get(project.id) ?? [])].reverse().find((candidate) => candidate.sha === commit.sha);
    return [200, { ...commitJson(commit), stats: { additions: 0, deletions: 0, total: 0 }, status: pipeline?.status ?? null, project_id: project.id, last_pipeline: pipeline ? pipelineBasicJson(pipeline) : null }];
  };

  /** The shas reachable from `sha` through the pushed commits (a made-up head has no parents). */
  const ancestry = (sha: string) => {
    const reached = new Set<string>();
    for (const queue = [sha]; queue.length > 0; ) {
      const next = queue.pop()!;
      if (reached.has(next)) continue;
      reached.add(next);
      queue.push(...(commits.get(next)?.parentIds ?? []));
    }
    return reached;
  };

  /** GET /projects/:id/repository/compare: the commits of `to` that `from` lacks (git's from...to), oldest first. */
  const compareCommits = (call: ApiCall, [segment]: string[]): Answer => {
    const declared = new Declared(call.params);
    const from = declared.string('from', { required: true });
    const to = declared.string('to', { required: true });
    declared.boolean('straight');
    if (declared.refusal) return declared.refusal;
    const project = userProject(segment!, call.userId);
    if (!project) return PROJECT_NOT_FOUND;
    if (!canReadCode(project, call.userId)) return FORBIDDEN;
    const [start, end] = [commitAt(project, from!)?.sha ?? (hasBranch(project, from!) ? headOf(project, from!) : undefined), commitAt(project, to!)];
    if (start === undefined || end === undefined) return [404, { message: '404 Ref Not Found' }];
    const known = ancestry(start);
    const between = [...ancestry(end.sha)].flatMap((sha) => (known.has(sha) ? [] : (commits.get(sha) ?? []))).sort((a, b) => (a.createdAt < b.createdAt ? -1 : 1));
    const path = project.path_with_namespace;
    return [
      200,
      {
        commit: commitJson(end),
        commits: between.map(commitJson),
        diffs: [],
        compare_timeout: false,
        compare_same_ref: start === end.sha,
        web_url: `${base}/${path}/-/compare/${start}...${end.sha}`,
      },
    ];
  };


  /** GET /projects/:id/pipelines: Ci::PipelinesFinder, by id unless told another order, newest first. */
  const listPipelines = (call: ApiCall, [segment]: string[]): Answer => {
    const declared = new Declared(call.params);
    const scope = declared.string('scope', { values: ['running', 'pending', 'finished', 'branches', 'tags'] });
    const status = declared.string('status', { values: ['created', 'waiting_for_resource', 'preparing', 'waiting_for_callback', 'pending', 'running', 'success', 'failed', 'canceled', 'canceling', 'skipped', 'manual', 'scheduled'] });
    const source = declared.string('source');
    const ref = declared.string('ref');
    const sha = declared.string('sha');
    const username = declared.string('username');
    const updatedAfter = timeOf(declared, 'updated_after');
    const updatedBefore = timeOf(declared, 'updated_before');
    const orderBy = declared.string('order_by', { values: ['id', 'status', 'ref', 'updated_at', 'user_id'], default: 'id' });
    const sort = declared.string('sort', { values: ['asc', 'desc'], default: 'desc' });
    const paging = declared.pagination();
    if (declared.refusal) return declared.refusal;
    const project = userProject(segment!, call.userId);
    if (!project) return PROJECT_NOT_FOUND;
    if (!canReadCode(project, call.userId)) return FORBIDDEN;
    const userId = username === undefined ? undefined : userNamed(username);
    const finished = ['success', 'failed', 'canceled', 'skipped'];
    const found = (pipelinesByProject.get(project.id) ?? []).filter(
      (pipeline) =>
        (scope === undefined ||
          (scope === 'finished' ? finished.includes(pipeline.status) : scope === 'tags' ? false : scope === 'branches' ? pipeline.mergeRequestIid === null : pipeline.status === scope)) &&
        (status === undefined || pipeline.status === status) &&
        (source === undefined || pipeline.source === source) &&
        (ref === undefined || pipeline.ref === ref) &&
        (sha === undefined || pipeline.sha === sha) &&
        (userId === undefined || pipeline.userId === userId) &&
        // updated_after and updated_before are exclusive (Ci::Pipeline.updated_after).
        (updatedAfter === undefined || Date.parse(pipeline.updatedAt) > updatedAfter) &&
        (updatedBefore === undefined || Date.parse(pipeline.updatedAt) < updatedBefore),
    );
    const key = (pipeline: FakeGitLabPipeline): string | number =>
      orderBy === 'updated_at' ? pipeline.updatedAt : orderBy === 'status' ? pipeline.status : orderBy === 'ref' ? pipeline.ref : orderBy === 'user_id' ? pipeline.userId : pipeline.id;
    const direction = sort === 'asc' ? 1 : -1;
    found.sort((a, b) => direction * (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.id - b.id));
    return pageOf(found.map(pipelineBasicJson), paging, call.url);
  };

  /** GET /projects/:id/pipelines/:pipeline_id. */
  const showPipeline = (call: ApiCall, [segment, idSegment]: string[]): Answer => {
    const declared = new Declared({ ...call.params, pipeline_id: idSegment });
    const id = declared.integer('pipeline_id', { required: true });
    if (declared.refusal) return declared.refusal;
    const project = userProject(segment!, call.userId);
    if (!project) return PROJECT_NOT_FOUND;
    if (!canReadCode(project, call.userId)) return FORBIDDEN;
    const pipeline = (pipelinesByProject.get(project.id) ?? []).find((candidate) => candidate.id === id);
    return pipeline ? [200, pipelineJson(pipeline)] : NOT_FOUND;
  };

  /** GET /issues, and GET /projects/:id/issues when `segment` names the project. */
  const listIssues = (call: ApiCall, [segment]: string[]): Answer => {
    const declared = new Declared(call.params);
    const state = declared.string('state', { values: ['opened', 'closed', 'all'], default: 'all' });
    const orderBy = declared.string('order_by', { values: ISSUE_ORDERS, default: 'created_at' });
    const sort = declared.string('sort', { values: ['asc', 'desc'], default: 'desc' });
    const labels = declared.strings('labels');
    const search = declared.string('search');
    const authorId = declared.integer('author_id');
    const authorUsername = declared.string('author_username');
    declared.mutuallyExclusive('author_id', 'author_username');
    const assigneeId = declared.integerOrWildcard('assignee_id');
    const confidential = declared.boolean('confidential');
    const iids = declared.integers('iids');
    // A project's list is all of its issues unless a scope is asked for (IssuableFinder's default).
    const scope = declared
      .string('scope', { values: ['created-by-me', 'assigned-to-me', 'created_by_me', 'assigned_to_me', 'all'], default: segment === undefined ? 'created_by_me' : 'all' })
      ?.replace(/-/g, '_');
    const paging = declared.pagination();
    if (declared.refusal) return declared.refusal;
    const project = segment === undefined ? undefined : userProject(segment, call.userId);
    if (segment !== undefined && !project) return PROJECT_NOT_FOUND;
    // Across projects, only scope=all may be asked for without signing in: the default, created_by_me, needs a user.
    if (segment === undefined && scope !== 'all' && call.userId === undefined) return UNAUTHORIZED;
    const { userId } = call;
    const author = authorUsername === undefined ? authorId : userNamed(authorUsername);
    const found = issues.filter(
      (issue) =>
        canReadIssue(issue, userId) &&
        (project === undefined || issue.projectId === project.id) &&
        (scope === 'all' || (userId !== undefined && (scope === 'created_by_me' ? issue.authorId === userId : issue.assigneeIds.includes(userId)))) &&
        (state === 'all' || issue.state === state) &&
        (author === undefined || issue.authorId === author) &&
        byUsers(issue.assigneeIds, assigneeId) &&
        (confidential === undefined || issue.confidential === confidential) &&
        labelsMatch(issue.labels, labels) &&
        (iids === undefined || iids.includes(issue.iid)) &&
        searched(search, issue),
    );
    return pageOf(ordered(found, orderBy!, sort!).map((issue) => issueJson(issue)), paging, call.url);
  };

  const listMergeRequests = (call: ApiCall): Answer => {
    const declared = new Declared(call.params);
    const authorId = declared.integer('author_id');
    const authorUsername = declared.string('author_username');
    declared.mutuallyExclusive('author_id', 'author_username');
    const assigneeId = declared.integerOrWildcard('assignee_id');
    const reviewerUsername = declared.string('reviewer_username');
    const reviewerId = declared.integerOrWildcard('reviewer_id');
    declared.mutuallyExclusive('reviewer_id', 'reviewer_username');
    const state = declared.string('state', { values: ['opened', 'closed', 'locked', 'merged', 'all'], default: 'all' });
    const orderBy = declared.string('order_by', { values: MERGE_REQUEST_ORDERS, default: 'created_at' });
    const sort = declared.string('sort', { values: ['asc', 'desc'], default: 'desc' });
    const sourceBranch = declared.string('source_branch');
    const targetBranch = declared.string('target_branch');
    const search = declared.string('search');
    const draft = declared.boolean('draft');
    const scope = declared
      .string('scope', { values: ['created-by-me', 'assigned-to-me', 'created_by_me', 'assigned_to_me', 'reviews_for_me', 'all'], default: 'created_by_me' })
      ?.replace(/-/g, '_');
    const paging = declared.pagination();
    if (declared.refusal) return declared.refusal;
    if (scope !== 'all' && call.userId === undefined) return UNAUTHORIZED;
    const { userId } = call;
    const author = authorUsername === undefined ? authorId : userNamed(authorUsername);
    // reviewer_username takes the wildcards too.
    const reviewer = reviewerUsername === undefined ? reviewerId : /^(none|any)$/i.test(reviewerUsername) ? (reviewerUsername.toLowerCase() as 'none' | 'any') : userNamed(reviewerUsername);
    // The scope and the filters all apply: the default scope with reviewer_id lists the caller's own merge
    // requests that user reviews, which is seldom what was meant, but is what GitLab answers.
    const inScope = (mergeRequest: FakeGitLabMergeRequest) =>
      scope === 'all' ||
      (scope === 'created_by_me'
        ? mergeRequest.authorId === userId
        : scope === 'assigned_to_me'
          ? mergeRequest.assigneeIds.includes(userId!)
          : mergeRequest.reviewerIds.includes(userId!));
    const found = mergeRequests.filter(
      (mergeRequest) =>
        canReadMergeRequest(mergeRequest, userId) &&
        inScope(mergeRequest) &&
        // The fake never locks one: 'locked' (a merge under way) finds nothing.
        (state === 'all' || mergeRequest.state === state) &&
        (author === undefined || mergeRequest.authorId === author) &&
        byUsers(mergeRequest.assigneeIds, assigneeId) &&
        byUsers(mergeRequest.reviewerIds, reviewer) &&
        (sourceBranch === undefined || mergeRequest.sourceBranch === sourceBranch) &&
        (targetBranch === undefined || mergeRequest.targetBranch === targetBranch) &&
        (draft === undefined || mergeRequest.draft === draft) &&
        searched(search, mergeRequest),
    );
    return pageOf(ordered(found, orderBy!, sort!).map(mergeRequestJson), paging, call.url);
  };

  const listTodos = (call: ApiCall): Answer => {
    if (call.userId === undefined) return UNAUTHORIZED;
    const declared = new Declared(call.params);
    const action = declared.string('action', { values: TODO_ACTIONS });
    const authorId = declared.integer('author_id');
    const projectId = declared.integer('project_id');
    const state = declared.string('state', { values: ['pending', 'done'], default: 'pending' });
    const type = declared.string('type');
    const paging = declared.pagination();
    if (declared.refusal) return declared.refusal;
    const { userId } = call;
    const found = (todosByUser.get(userId) ?? []).filter((todo) => {
      const { issue, mergeRequest } = todoTarget(todo);
      // GitLab takes away to-do items whose target the user can no longer read.
      const readable = issue ? canReadIssue(issue, userId) : canReadMergeRequest(mergeRequest!, userId);
      return (
        todo.userId === userId &&
        readable &&
        todo.state === state &&
        (action === undefined || todo.actionName === action) &&
        (authorId === undefined || todo.authorId === authorId) &&
        (projectId === undefined || todo.projectId === projectId) &&
        (type === undefined || todo.targetType === type)
      );
    });
    // Newest first, as TodosFinder sorts them.
    return pageOf([...found].sort((a, b) => b.id - a.id).map(todoJson), paging, call.url);
  };

  /** POST /todos/:id/mark_as_done: the caller's own to-do only (any state), like `current_user.todos.find`; 201 with it. */
  const markTodoDone = (call: ApiCall, [idSegment]: string[]): Answer => {
    if (call.userId === undefined) return UNAUTHORIZED;
    const declared = new Declared({ ...call.params, id: idSegment });
    const id = declared.integer('id', { required: true });
    if (declared.refusal) return declared.refusal;
    const todo = (todosByUser.get(call.userId) ?? []).find((candidate) => candidate.id === id);
    if (!todo) return NOT_FOUND;
    if (todo.state !== 'done') {
      todo.state = 'done';
      todo.updatedAt = stamp();
    }
    return [201, todoJson(todo)];
  };

  /** GET /users: everyone, newest first (GitLab's id desc), by `username` (any case) or `search` in usernames and names. */
  const listUsers = (call: ApiCall): Answer => {
    const declared = new Declared(call.params);
    const username = declared.string('username');
    const search = declared.string('search');
    const paging = declared.pagination();
    if (declared.refusal) return declared.refusal;
    const found = [...users.values()]
      .filter(
        (candidate) =>
          (username === undefined || candidate.username.toLowerCase() === username.toLowerCase()) &&
          (search === undefined || `${candidate.username}\n${candidate.name}`.toLowerCase().includes(search.toLowerCase())),
      )
      .sort((a, b) => b.id - a.id);
    return pageOf(
      found.map((candidate) => userJson(candidate.id)),
      paging,
      call.url,
    );
  };

  const createPipeline = (call: ApiCall, [segment]: string[]): Answer => {
    if (call.userId === undefined) return UNAUTHORIZED;
    const declared = new Declared(call.params);
    const ref = declared.string('ref', { required: true });
    const variables = declared.variables('variables');
    // Pipeline inputs are taken and ignored: the fake runs no CI configuration.
    declared.hash('inputs');
    if (declared.refusal) return declared.refusal;
    const project = userProject(segment!, call.userId);
    if (!project) return PROJECT_NOT_FOUND;
    // create_pipeline: Developers and above (protected branches are not modelled).
    if (roleIn(project, call.userId) < 30) return FORBIDDEN;
    // A variable needs a key (Ci::PipelineVariable validates it); the fake words the refusal as ActiveModel
    // would, which may not be GitLab's exact text.
    if (variables?.some((variable) => variable.key === '')) return [400, { message: { 'variables.key': ["can't be blank"] } }];
    const branch = ref!.replace(/^refs\/heads\//, '');
    // Ci::CreatePipelineService's first check, answered by render_validation_error! on the unsaved pipeline.
    if (!hasBranch(project, branch)) return [400, { message: { base: ['Reference not found'] } }];
    const pipeline = newPipeline(project, { ref: branch, status: 'created', source: 'api', userId: call.userId, variables: variables ?? [], mergeRequestIid: null });
    return [201, pipelineJson(pipeline)];
  };

  /**
   * The pipeline :pipeline_id names in the project: user_project.all_pipelines.find first (another project's
   * pipeline is not there: 404), then update_pipeline or cancel_pipeline, Developers and above (403). Pipelines
   * of protected refs, which GitLab keeps to those who may push or merge there, are not modelled.
   */
  const writablePipeline = (call: ApiCall & { userId: number }, [segment, idSegment]: string[]): Answer | FakeGitLabPipeline => {
    const declared = new Declared({ ...call.params, pipeline_id: idSegment });
    const id = declared.integer('pipeline_id', { required: true });
    if (declared.refusal) return declared.refusal;
    const project = userProject(segment!, call.userId);
    if (!project) return PROJECT_NOT_FOUND;
    const pipeline = pipelines.find((candidate) => candidate.projectId === project.id && candidate.id === id);
    if (!pipeline) return NOT_FOUND;
    return roleIn(project, call.userId) < 30 ? FORBIDDEN : pipeline;
  };

  /**
   * POST …/pipelines/:pipeline_id/retry: Ci::RetryPipelineService runs the latest failed and canceled jobs again,
   * as the retrier. With nothing to retry it still succeeds: 201 and the pipeline as it was. A pipeline without
   * jobs in the fake is retried by its own status.
   */
  const retryPipeline = (call: ApiCall, segments: string[]): Answer => {
    if (call.userId === undefined) return UNAUTHORIZED;
    const pipeline = writablePipeline({ ...call, userId: call.userId }, segments);
    if (Array.isArray(pipeline)) return pipeline;
    const own = jobs.filter((job) => job.pipelineId === pipeline.id);
    const retryable = own.filter((job) => !job.retried && (job.status === 'failed' || job.status === 'canceled'));
    if (own.length === 0 ? pipeline.status === 'failed' || pipeline.status === 'canceled' : retryable.length > 0) {
      for (const job of retryable) retryJob(job, call.userId);
      if (own.length === 0) setStatus(pipeline, 'running', stamp());
      pipeline.retriedBy.push(call.userId);
    }
    return [201, pipelineJson(pipeline)];
  };

  /**
   * POST …/pipelines/:pipeline_id/cancel: Ci::CancelPipelineService cancels the cancelable jobs (created, pending,
   * running). A pipeline with nothing to cancel is answered as it is, 200, not refused (the API's own TODO,
   * gitlab-org/gitlab#519143).
   */
  const cancelPipeline = (call: ApiCall, segments: string[]): Answer => {
    if (call.userId === undefined) return UNAUTHORIZED;
    const pipeline = writablePipeline({ ...call, userId: call.userId }, segments);
    if (Array.isArray(pipeline)) return pipeline;
    const own = jobs.filter((job) => job.pipelineId === pipeline.id);
    if (own.length === 0 && ACTIVE_STATUSES.includes(pipeline.status)) setPipelineStatusTo(pipeline, 'canceled');
    for (const job of own) if (ACTIVE_STATUSES.includes(job.status)) setJobStatusTo(job, 'canceled');
    return [200, pipelineJson(pipeline)];
  };

  const newIssue = (project: FakeGitLabProject, fields: Omit<StoredIssue, 'id' | 'iid' | 'projectId' | 'createdAt' | 'updatedAt' | 'closedAt' | 'closedById' | 'notes'> & { iid: number | undefined }) => {
    const now = stamp();
    const issue: StoredIssue = {
      ...fields,
      id: nextOf(issues),
      iid: fields.iid ?? nextIid('issue', project.id),
      projectId: project.id,
      createdAt: now,
      updatedAt: now,
      closedAt: fields.state === 'closed' ? now : null,
      closedById: null,
      notes: [],
    };
    issues.push(issue);
    issuesByIid.set(`${project.id}#${issue.iid}`, issue);
    involve(issuesByAssignee, issue.assigneeIds, issue);
    takeIid('issue', project.id, issue.iid);
    recordEvent(project.id, 'opened', issue.authorId, { kind: 'Issue', issue }, now);
    if (issue.state === 'closed') recordEvent(project.id, 'closed', issue.authorId, { kind: 'Issue', issue }, now);
    return issue;
  };
  /** Keeps an event; its target comes from what it is about. */
  const recordEvent = (projectId: number, actionName: FakeGitLabEventAction, authorId: number, subject: StoredEvent['subject'], createdAt: string, pushData: FakeGitLabPushData | null = null) => {
    const target =
      subject.kind === 'push'
        ? { type: null, id: null, iid: null }
        : subject.kind === 'Note'
          ? { type: 'Note' as const, id: subject.note.id, iid: subject.note.id }
          : { type: subject.kind, id: noteableOf(subject).id, iid: noteableOf(subject).iid };
    const event: StoredEvent = { id: ++lastEventId, projectId, actionName, targetType: target.type, targetId: target.id, targetIid: target.iid, authorId, createdAt, pushData, subject };
    if (!events.has(projectId)) events.set(projectId, []);
    events.get(projectId)!.push(event);
  };
  const FINISHED: FakeGitLabPipelineStatus[] = ['success', 'failed', 'canceled', 'skipped'];
  /** Ci::Pipeline's transitions as far as times go: running (again) starts it, a finished status finishes it. */
  const setStatus = (pipeline: FakeGitLabPipeline, status: FakeGitLabPipelineStatus, now: string) => {
    if (status === 'running' && pipeline.status !== 'running') [pipeline.startedAt, pipeline.finishedAt] = [now, null];
    if (FINISHED.includes(status)) [pipeline.startedAt, pipeline.finishedAt] = [pipeline.startedAt ?? now, now];
    if (status === 'created' || status === 'pending') pipeline.finishedAt = null;
    pipeline.status = status;
    pipeline.updatedAt = now;
  };
  /** Ci::HasStatus: what a job or pipeline may still be canceled in (Ci::Build#cancelable?: active or created). */
  const ACTIVE_STATUSES: string[] = ['created', 'pending', 'running'];
  /** A pipeline's status set by the fake, which then merges what waited for it to succeed. */
  const setPipelineStatusTo = (pipeline: FakeGitLabPipeline, status: FakeGitLabPipelineStatus) => {
    setStatus(pipeline, status, stamp());
    for (const mergeRequest of mergeRequests) if (mergeRequest.projectId === pipeline.projectId) tryAutoMerge(mergeRequest);
  };
  /**
   * Gitlab::Ci::Status::Composite, simplified: the latest jobs decide, a failure allowed to fail counting as a
   * success; all created is created, all pending is pending, anything else still active is running; then
   * failed, canceled, manual (blocked), all skipped, and success.
   */
  const compositeStatus = (own: FakeGitLabJob[]): FakeGitLabPipelineStatus => {
    const statuses = own.filter((job) => !job.retried).map((job) => (job.status === 'failed' && job.allowFailure ? 'success' : job.status));
    const active = statuses.filter((status) => ACTIVE_STATUSES.includes(status));
    if (active.length > 0) return active.length === statuses.length && active.every((status) => status === active[0]) && active[0] !== 'running' ? (active[0] as FakeGitLabPipelineStatus) : 'running';
    for (const status of ['failed', 'canceled', 'manual'] as const) if (statuses.includes(status)) return status;
    return statuses.length > 0 && statuses.every((status) => status === 'skipped') ? 'skipped' : 'success';
  };
  /** A job's new status, with its times, and its pipeline's status following (Ci::ProcessPipelineService). */
  const setJobStatusTo = (job: FakeGitLabJob, status: FakeGitLabJobStatus) => {
    const now = stamp();
    if (status === 'running') [job.startedAt, job.finishedAt] = [now, null];
    if ((FINISHED as string[]).includes(status)) [job.startedAt, job.finishedAt] = [job.startedAt ?? now, now];
    job.status = status;
    if (status !== 'failed') job.failureReason = null;
    const pipeline = pipelines.find((candidate) => candidate.id === job.pipelineId)!;
    const next = compositeStatus(jobs.filter((candidate) => candidate.pipelineId === pipeline.id));
    if (next !== pipeline.status) setPipelineStatusTo(pipeline, next);
  };
  const newJob = (pipeline: FakeGitLabPipeline, fields: Pick<FakeGitLabJob, 'name' | 'stage' | 'userId' | 'allowFailure' | 'retryOfId'>) => {
    const job: FakeGitLabJob = {
      ...fields,
      id: nextOf(jobs),
      projectId: pipeline.projectId,
      pipelineId: pipeline.id,
      status: 'created',
      failureReason: null,
      retried: false,
      createdAt: stamp(),
      startedAt: null,
      finishedAt: null,
    };
    jobs.push(job);
    return job;
  };
  /** Ci::RetryJobService#clone!: a new pending job of the same name, run by the retrier; the old one is retried. */
  const retryJob = (job: FakeGitLabJob, userId: number) => {
    job.retried = true;
    const pipeline = pipelines.find((candidate) => candidate.id === job.pipelineId)!;
    const retried = newJob(pipeline, { name: job.name, stage: job.stage, userId, allowFailure: job.allowFailure, retryOfId: job.id });
    setJobStatusTo(retried, 'pending');
    return retried;
  };
  const newPipeline = (
    project: FakeGitLabProject,
    fields: Pick<FakeGitLabPipeline, 'ref' | 'status' | 'source' | 'userId' | 'variables' | 'mergeRequestIid'> & { sha?: string },
  ) => {
    const now = stamp();
    const pipeline: FakeGitLabPipeline = {
      ...fields,
      id: nextOf(pipelines),
      iid: nextIid('pipeline', project.id),
      projectId: project.id,
      sha: fields.sha ?? headOf(project, fields.ref),
      status: 'created',
      retriedBy: [],
      createdAt: now,
      updatedAt: now,
      startedAt: null,
      finishedAt: null,
    };
    setStatus(pipeline, fields.status, now);
    pipelines.push(pipeline);
    takeIid('pipeline', project.id, pipeline.iid);
    if (!pipelinesByProject.has(project.id)) pipelinesByProject.set(project.id, []);
    pipelinesByProject.get(project.id)!.push(pipeline);
    latestPipelines.set(pipeline.mergeRequestIid === null ? branchKey(project.id, pipeline.ref) : mergeRequestKey(project.id, pipeline.mergeRequestIid), pipeline);
    return pipeline;
  };
  const issueCopy = ({ notes, ...issue }: StoredIssue): FakeGitLabIssue => ({
    ...issue,
    assigneeIds: [...issue.assigneeIds],
    labels: [...issue.labels],
    notes: notes.map(({ id, body, authorId }) => ({ id, body, authorId })),
  });
  const mergeRequestCopy = ({ notes, ...mergeRequest }: StoredMergeRequest): FakeGitLabMergeRequest => ({
    ...mergeRequest,
    assigneeIds: [...mergeRequest.assigneeIds],
    reviewerIds: [...mergeRequest.reviewerIds],
    labels: [...mergeRequest.labels],
    approvedBy: [...mergeRequest.approvedBy],
    notes: notes.map(({ id, body, authorId }) => ({ id, body, authorId })),
  });
  const pipelineCopy = (pipeline: FakeGitLabPipeline): FakeGitLabPipeline => ({
    ...pipeline,
    variables: pipeline.variables.map((variable) => ({ ...variable })),
    retriedBy: [...pipeline.retriedBy],
  });

  // What the test helpers share: they act as GitLab's services do, without the API's permission checks.
  const issueNamed = (projectPath: string, iid: number) => {
    const issue = issueAt(projectNamed(projectPath), iid);
    if (!issue) throw new Error(`fake GitLab: ${projectPath} has no issue #${iid}`);
    return issue;
  };
  const mergeRequestNamed = (projectPath: string, iid: number) => {
    const mergeRequest = mergeRequestAt(projectNamed(projectPath), iid);
    if (!mergeRequest) throw new Error(`fake GitLab: ${projectPath} has no merge request !${iid}`);
    return mergeRequest;
  };
  const openMergeRequestNamed = (projectPath: string, iid: number, what: string) => {
    const mergeRequest = mergeRequestNamed(projectPath, iid);
    if (mergeRequest.state !== 'opened') throw new Error(`fake GitLab: cannot ${what} !${iid} of ${projectPath}, which is ${mergeRequest.state}`);
    return mergeRequest;
  };
  /** Closes or reopens an issue (an event), or leaves one already so as it is. */
  const setIssueState = (issue: StoredIssue, state: 'opened' | 'closed', byUserId: number) => {
    knownUser(byUserId, 'user');
    if (issue.state === state) return issue;
    const now = stamp();
    Object.assign(issue, { state, updatedAt: now, closedAt: state === 'closed' ? now : null, closedById: state === 'closed' ? byUserId : null });
    recordEvent(issue.projectId, state === 'closed' ? 'closed' : 'reopened', byUserId, { kind: 'Issue', issue }, now);
    return issue;
  };
  const newTodo = (
    userId: number,
    projectId: number,
    fields: Pick<FakeGitLabTodo, 'targetType' | 'targetIid' | 'actionName' | 'authorId'> & { body?: string; state?: 'pending' | 'done'; noteId?: number },
  ) => {
    const now = stamp();
    const todo: FakeGitLabTodo = {
      id: nextOf(todos),
      userId,
      projectId,
      targetType: fields.targetType,
      targetIid: fields.targetIid,
      actionName: fields.actionName,
      authorId: fields.authorId,
      body: fields.body ?? null,
      noteId: fields.noteId ?? null,
      state: fields.state ?? 'pending',
      createdAt: now,
      updatedAt: now,
    };
    todos.push(todo);
    if (!todosByUser.has(userId)) todosByUser.set(userId, []);
    todosByUser.get(userId)!.push(todo);
    return todo;
  };
  /**
   * Commits on a branch (made when new), as `userId` pushes them: 'pushed to', or 'pushed new' for a new
   * branch. `mergeParent` makes the first commit a merge commit of that head too.
   */
  const pushTo = (project: FakeGitLabProject, branch: string, userId: number, pushed: { message: string; authorName?: string; authorEmail?: string }[], mergeParent?: string) => {
    const isNew = !hasBranch(project, branch);
    if (!isNew && pushed.length === 0) throw new Error(`fake GitLab: a push to ${branch}, which exists, needs commits`);
    // A new branch starts where the default branch is.
    const before = isNew ? null : headOf(project, branch);
    const user = users.get(userId)!;
    let parent = before ?? headOf(project, project.default_branch);
    const made = pushed.map(({ message, authorName, authorEmail }, index) => {
      const parentIds = index === 0 && mergeParent !== undefined ? [parent, mergeParent] : [parent];
      const commit: FakeGitLabCommit = {
        sha: createHash('sha1').update(`${project.id}\n${branch}\n${parentIds.join(' ')}\n${message}`).digest('hex'),
        projectId: project.id,
        message,
        authorName: authorName ?? user.name,
        authorEmail: authorEmail ?? `${user.username}@example.com`,
        parentIds,
        createdAt: stamp(),
      };
      commits.set(commit.sha, commit);
      parent = commit.sha;
      return commit;
    });
    addBranchTo(project, branch);
    heads.set(branchKey(project.id, branch), parent);
    const last = made.at(-1)?.message;
    const firstLine = last === undefined ? null : last.split(/\r?\n/)[0]!.slice(0, 70);
    recordEvent(project.id, isNew ? 'pushed new' : 'pushed to', userId, { kind: 'push' }, stamp(), {
      commit_count: made.length,
      action: isNew ? 'created' : 'pushed',
      ref_type: 'branch',
      commit_from: before,
      commit_to: parent,
      ref: branch,
      commit_title: firstLine,
      ref_count: null,
    });
    return { before, after: parent, commits: made };
  };

  /**
   * One commit on a branch (made from the default branch when new): a push by `userId` when given, else a commit
   * GitLab itself made, with no push event (there is nobody to record it as).
   */
  const commitTo = (project: FakeGitLabProject, branch: string, message: string, userId: number | undefined) => {
    if (userId !== undefined) return pushTo(project, branch, userId, [{ message }]).after;
    const parent = headOf(project, hasBranch(project, branch) ? branch : project.default_branch);
    const commit: FakeGitLabCommit = {
      sha: createHash('sha1').update(`${project.id}\n${branch}\n${parent}\n${message}`).digest('hex'),
      projectId: project.id,
      message,
      authorName: 'Administrator',
      authorEmail: 'admin@example.com',
      parentIds: [parent],
      createdAt: stamp(),
    };
    commits.set(commit.sha, commit);
    addBranchTo(project, branch);
    heads.set(branchKey(project.id, branch), commit.sha);
    return commit.sha;
  };

  /**
   * MergeService: an 'accepted' event, then GitLab's default merge commit on the target branch, pushed by the
   * merger. With `removeSourceBranch`, the source branch goes too (never the default branch), as
   * PostMergeService deletes it. Auto-merge stays recorded, as GitLab leaves merge_when_pipeline_succeeds set.
   */
  const mergeNow = (mergeRequest: StoredMergeRequest, byUserId: number, removeSourceBranch = false) => {
    const project = projects.get(mergeRequest.projectId)!;
    const now = stamp();
    Object.assign(mergeRequest, { state: 'merged', mergedAt: now, mergedById: byUserId, updatedAt: now });
    recordEvent(project.id, 'accepted', byUserId, { kind: 'MergeRequest', mergeRequest }, now);
    const message = `Merge branch '${mergeRequest.sourceBranch}' into '${mergeRequest.targetBranch}'\n\n${mergeRequest.title}\n\nSee merge request ${project.path_with_namespace}!${mergeRequest.iid}`;
    const pushed = pushTo(project, mergeRequest.targetBranch, byUserId, [{ message }], headOf(project, mergeRequest.sourceBranch));
    mergeRequest.mergeCommitSha = pushed.after;
    if (removeSourceBranch && mergeRequest.sourceBranch !== project.default_branch) branches.get(project.id)?.delete(mergeRequest.sourceBranch);
  };
  /**
   * AutoMerge::MergeWhenChecksPassService#process: with CI, wait for a successful pipeline on the head; then
   * merge as the user who set it, once every check passes. Run when a pipeline, an approval or a check changes.
   */
  const tryAutoMerge = (mergeRequest: StoredMergeRequest) => {
    if (mergeRequest.autoMergeUserId === null || mergeRequest.state !== 'opened') return;
    if (headPipelineOf(mergeRequest) && diffHeadPipelineOf(mergeRequest)?.status !== 'success') return;
    if (!mergeable(mergeRequest)) return;
    mergeNow(mergeRequest, mergeRequest.autoMergeUserId, (mergeRequest.shouldRemoveSourceBranch ?? false) || mergeRequest.forceRemoveSourceBranch);
  };
  /**
   * ApprovalService: the approval, an 'approved' event (EventService#approve_mr), the approver's pending to-do
   * items on it done (resolve_todos_for_target), and an auto-merge that waited for it.
   */
  const addApproval = (mergeRequest: StoredMergeRequest, userId: number) => {
    const now = stamp();
    mergeRequest.approvedBy.push(userId);
    mergeRequest.updatedAt = now;
    recordEvent(mergeRequest.projectId, 'approved', userId, { kind: 'MergeRequest', mergeRequest }, now);
    for (const todo of todosByUser.get(userId) ?? []) {
      if (todo.state === 'pending' && todo.targetType === 'MergeRequest' && todo.projectId === mergeRequest.projectId && todo.targetIid === mergeRequest.iid) {
        Object.assign(todo, { state: 'done', updatedAt: now });
      }
    }
    tryAutoMerge(mergeRequest);
  };

  // Picker look-ups: projects, groups, labels, milestones, members, branches; and a merge request's approvals.
  const labelsByProject = new Map<number, { id: number; name: string; color: string; description: string | null }[]>();
  const milestonesByProject = new Map<number, { id: number; iid: number; title: string; dueDate: string | null; state: 'active' | 'closed'; createdAt: string }[]>();
  let nextLabelId = 1;
  let nextMilestoneId = 1;
  const contains = (search: string | undefined, ...texts: string[]) => search === undefined || texts.some((text) => text.toLowerCase().includes(search.toLowerCase()));

  /** GET /projects: what the caller sees; `membership` narrows to their projects (through a group too); `search` matches name or path. */
  const listProjects = (call: ApiCall): Answer => {
    const declared = new Declared(call.params);
    const membership = declared.boolean('membership');
    const archived = declared.boolean('archived');
    const search = declared.string('search');
    const orderBy = declared.string('order_by', { values: ['id', 'name', 'path', 'created_at', 'updated_at', 'last_activity_at', 'similarity', 'star_count'], default: 'created_at' });
    const sort = declared.string('sort', { values: ['asc', 'desc'], default: 'desc' });
    const paging = declared.pagination();
    if (declared.refusal) return declared.refusal;
    void archived; // no project is archived here
    const { userId } = call;
    const found = [...projects.values()].filter(
      (project) => canSeeProject(project, userId) && (!membership || (userId !== undefined && roleIn(project, userId) > 0)) && contains(search, project.name, project.path),
    );
    // Activity is not modelled: newest first stands in for it.
    const key = (project: FakeGitLabProject) => (orderBy === 'name' ? project.name : orderBy === 'path' ? project.path : project.id);
    found.sort((a, b) => (sort === 'asc' ? 1 : -1) * (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    return pageOf(found.map((project) => projectJson(project, userId)), paging, call.url);
  };

  /** GET /groups: for a user, the groups they belong to (directly or through an ancestor), unless all_available. */
  const listGroups = (call: ApiCall): Answer => {
    const declared = new Declared(call.params);
    const allAvailable = declared.boolean('all_available');
    const search = declared.string('search');
    const orderBy = declared.string('order_by', { values: ['name', 'path', 'id', 'similarity'], default: 'name' });
    const sort = declared.string('sort', { values: ['asc', 'desc'], default: 'asc' });
    const paging = declared.pagination();
    if (declared.refusal) return declared.refusal;
    const { userId } = call;
    const found = [...groups.values()].filter(
      (group) => canSeeGroup(group, userId) && (allAvailable === true || userId === undefined || groupAccess(userId, group) !== undefined) && contains(search, group.name, group.path),
    );
    const key = (group: FakeGitLabGroup) => (orderBy === 'path' ? group.full_path : orderBy === 'id' ? group.id : group.name);
    found.sort((a, b) => (sort === 'asc' ? 1 : -1) * (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.id - b.id));
    return pageOf(found.map(groupJson), paging, call.url);
  };

  /** Black or white text, whichever reads better on the label's colour (as GitLab computes text_color). */
  const textColorOf = (color: string) => {
    const [r, g, b] = [1, 3, 5].map((at) => parseInt(color.slice(at, at + 2), 16) || 0);
    return r! * 0.299 + g! * 0.587 + b! * 0.114 > 186 ? '#333333' : '#FFFFFF';
  };
  const listLabels = (call: ApiCall, [segment]: string[]): Answer => {
    const declared = new Declared(call.params);
    const search = declared.string('search');
    const paging = declared.pagination();
    if (declared.refusal) return declared.refusal;
    const project = userProject(segment!, call.userId);
    if (!project) return PROJECT_NOT_FOUND;
    const found = (labelsByProject.get(project.id) ?? []).filter((label) => contains(search, label.name)).sort((a, b) => a.name.localeCompare(b.name));
    return pageOf(
      found.map((label) => ({
        id: label.id,
        name: label.name,
        description: label.description,
        description_html: label.description ?? '',
        text_color: textColorOf(label.color),
        color: label.color,
        subscribed: false,
        priority: null,
        is_project_label: true,
      })),
      paging,
      call.url,
    );
  };

  const listMilestones = (call: ApiCall, [segment]: string[]): Answer => {
    const declared = new Declared(call.params);
    const state = declared.string('state', { values: ['active', 'closed'] });
    const search = declared.string('search');
    const paging = declared.pagination();
    if (declared.refusal) return declared.refusal;
    const project = userProject(segment!, call.userId);
    if (!project) return PROJECT_NOT_FOUND;
    const found = (milestonesByProject.get(project.id) ?? []).filter((milestone) => (state === undefined || milestone.state === state) && contains(search, milestone.title));
    return pageOf(
      // Newest first, as MilestonesFinder sorts by default here.
      [...found].reverse().map((milestone) => ({
        id: milestone.id,
        iid: milestone.iid,
        project_id: project.id,
        title: milestone.title,
        description: null,
        state: milestone.state,
        created_at: milestone.createdAt,
        updated_at: milestone.createdAt,
        due_date: milestone.dueDate,
        start_date: null,
        expired: milestone.dueDate !== null && milestone.dueDate < new Date().toISOString().slice(0, 10),
        web_url: `${base}/${project.path_with_namespace}/-/milestones/${milestone.iid}`,
      })),
      paging,
      call.url,
    );
  };

  /** GET …/members/all: direct and inherited members; `query` matches username or name. */
  const listProjectMembers = (call: ApiCall, [segment]: string[]): Answer => {
    const declared = new Declared(call.params);
    const query = declared.string('query');
    const paging = declared.pagination();
    if (declared.refusal) return declared.refusal;
    const project = userProject(segment!, call.userId);
    if (!project) return PROJECT_NOT_FOUND;
    const found = [...users.values()].filter((user) => roleIn(project, user.id) > 0 && contains(query, user.username, user.name));
    return pageOf(
      found.map((user) => ({ ...userJson(user.id), access_level: roleIn(project, user.id), created_at: '2024-01-01T00:00:00.000Z', expires_at: null, membership_state: 'active' })),
      paging,
      call.url,
    );
  };

  /** GET …/repository/branches: for those who may read the code; `search` matches part of the name. */
  const listBranches = (call: ApiCall, [segment]: string[]): Answer => {
    const declared = new Declared(call.params);
    const search = declared.string('search');
    const paging = declared.pagination();
    if (declared.refusal) return declared.refusal;
    const project = userProject(segment!, call.userId);
    if (!project) return PROJECT_NOT_FOUND;
    if (!canReadCode(project, call.userId)) return FORBIDDEN;
    const names = [project.default_branch, ...(branches.get(project.id) ?? [])].filter((name) => contains(search, name)).sort();
    return pageOf(
      names.map((name) => {
        const sha = headOf(project, name);
        const commit = commits.get(sha);
        return {
          name,
          merged: false,
          protected: name === project.default_branch,
          default: name === project.default_branch,
          developers_can_push: false,
          developers_can_merge: name === project.default_branch ? project.developersCanMerge : false,
          can_push: roleIn(project, call.userId) >= 30,
          web_url: `${base}/${project.path_with_namespace}/-/tree/${name}`,
          commit: commit ? commitJson(commit) : { id: sha, short_id: sha.slice(0, 8) },
        };
      }),
      paging,
      call.url,
    );
  };

  /** Entities::MergeRequestApprovals: who approved, how many approvals it needs, and what the caller may do. */
  const approvalsJson = (mergeRequest: StoredMergeRequest, userId: number | undefined) => ({
    id: mergeRequest.id,
    iid: mergeRequest.iid,
    project_id: mergeRequest.projectId,
    title: mergeRequest.title,
    state: mergeRequest.state,
    approved: approvalsLeft(mergeRequest) === 0,
    approvals_required: mergeRequest.approvalsRequired,
    approvals_left: approvalsLeft(mergeRequest),
    require_password_to_approve: false,
    approved_by: mergeRequest.approvedBy.map((id) => ({ user: userJson(id) })),
    user_has_approved: userId !== undefined && mergeRequest.approvedBy.includes(userId),
    user_can_approve: userId !== undefined && eligibleToApprove(mergeRequest, userId),
    has_approval_rules: mergeRequest.approvalsRequired > 0,
    merge_request_approvers_available: edition === 'premium',
    multiple_approval_rules_available: edition === 'premium',
  });
  /** GET …/merge_requests/:iid/approvals: find_merge_request_with_access, 404 then 403. */
  const showApprovals = (call: ApiCall, [segment, iidSegment]: string[]): Answer => {
    const declared = new Declared({ ...call.params, merge_request_iid: iidSegment });
    const iid = declared.integer('merge_request_iid', { required: true });
    if (declared.refusal) return declared.refusal;
    const project = userProject(segment!, call.userId);
    if (!project) return PROJECT_NOT_FOUND;
    const mergeRequest = mergeRequestAt(project, iid!);
    if (!mergeRequest) return NOT_FOUND;
    if (!canReadMergeRequest(mergeRequest, call.userId)) return FORBIDDEN;
    return [200, approvalsJson(mergeRequest, call.userId)];
  };

  /** The merge request :merge_request_iid names in a project the caller sees (user_project.merge_requests.find_by!). */
  const mergeRequestIn = (call: ApiCall, segment: string, iid: number): Answer | { project: FakeGitLabProject; mergeRequest: StoredMergeRequest } => {
    const project = userProject(segment, call.userId);
    if (!project) return PROJECT_NOT_FOUND;
    const mergeRequest = mergeRequestAt(project, iid);
    return mergeRequest ? { project, mergeRequest } : NOT_FOUND;
  };
  /** check_sha_param!: a sha given must be the source branch's head. */
  const shaMismatch = (project: FakeGitLabProject, mergeRequest: StoredMergeRequest, sha: string | undefined): Answer | undefined => {
    const head = headOf(project, mergeRequest.sourceBranch);
    return sha === undefined || sha === head ? undefined : [409, { message: `SHA does not match HEAD of source branch: ${head}` }];
  };

  /**
   * POST …/merge_requests/:iid/approve (lib/api/merge_request_approvals.rb): find_merge_request_with_access with
   * approve_merge_request (404, then 403), the sha (409), then ApprovalService, whose refusal (approved already,
   * or an author where authors may not approve) is a bare 401 (gitlab-org/gitlab#526532). 201 and the approvals.
   */
  const approveMergeRequestApi = (call: ApiCall, [segment, iidSegment]: string[]): Answer => {
    if (call.userId === undefined) return UNAUTHORIZED;
    const declared = new Declared({ ...call.params, merge_request_iid: iidSegment });
    const iid = declared.integer('merge_request_iid', { required: true });
    const sha = declared.string('sha');
    declared.string('approval_password');
    if (declared.refusal) return declared.refusal;
    const found = mergeRequestIn(call, segment!, iid!);
    if (Array.isArray(found)) return found;
    if (!canApproveMergeRequest(found.mergeRequest, call.userId)) return FORBIDDEN;
    const mismatch = shaMismatch(found.project, found.mergeRequest, sha);
    if (mismatch) return mismatch;
    if (!eligibleToApprove(found.mergeRequest, call.userId)) return UNAUTHORIZED;
    addApproval(found.mergeRequest, call.userId);
    return [201, approvalsJson(found.mergeRequest, call.userId)];
  };

  /**
   * POST …/merge_requests/:iid/unapprove: approve_merge_request as above (403), then RemoveApprovalService, which
   * does nothing for one who had not approved, or on a merged merge request: not_found!, "404 Not Found".
   */
  const unapproveMergeRequestApi = (call: ApiCall, [segment, iidSegment]: string[]): Answer => {
    if (call.userId === undefined) return UNAUTHORIZED;
    const declared = new Declared({ ...call.params, merge_request_iid: iidSegment });
    const iid = declared.integer('merge_request_iid', { required: true });
    if (declared.refusal) return declared.refusal;
    const found = mergeRequestIn(call, segment!, iid!);
    if (Array.isArray(found)) return found;
    const { mergeRequest } = found;
    if (!canApproveMergeRequest(mergeRequest, call.userId)) return FORBIDDEN;
    if (!mergeRequest.approvedBy.includes(call.userId) || mergeRequest.state === 'merged') return [404, { message: '404 Not Found' }];
    mergeRequest.approvedBy = mergeRequest.approvedBy.filter((id) => id !== call.userId);
    mergeRequest.updatedAt = stamp();
    return [201, approvalsJson(mergeRequest, call.userId)];
  };

  /** The merge checks an auto-merge may wait for (MergeRequest#skipped_mergeable_checks for merge_when_checks_pass). */
  const AUTO_MERGE_WAITS_FOR: MergeCheck[] = ['ci_must_pass', 'not_approved', 'draft_status', 'discussions_not_resolved'];
  /**
   * AutoMerge::MergeWhenChecksPassService#available_for? (the default strategy): the caller may merge, only
   * checks it may wait for fail, and there is something to wait for (the merge request is not mergeable now,
   * or its pipeline is in progress).
   */
  const autoMergeAvailable = (project: FakeGitLabProject, mergeRequest: StoredMergeRequest, userId: number) =>
    canMergeInto(project, mergeRequest.targetBranch, userId) &&
    failingChecks(mergeRequest, AUTO_MERGE_WAITS_FOR).length === 0 &&
    !(mergeable(mergeRequest) && !pipelineInProgress(mergeRequest));
  const METHOD_NOT_ALLOWED: Answer = [405, { message: '405 Method Not Allowed' }];
  const CANNOT_BE_MERGED: Answer = [422, { message: 'Branch cannot be merged' }];

  /**
   * PUT …/merge_requests/:iid/merge (lib/api/merge_requests.rb, GitLab 18): the merge request as the caller
   * finds it (404), can_be_merged_by? (401), the sha (409), then execute_merge. Without auto-merge: mergeable?
   * or 405 (not open, draft, threads, CI, approvals and conflicts alike). With merge_when_pipeline_succeeds or
   * its newer name auto_merge: auto-merge when available (200, still open); else an immediate merge where no
   * pipeline stands in the way, else 405. An immediate merge that finds the merge request unmergeable is 422.
   * Answers the merge request (Entities::MergeRequest), 200.
   */
  const mergeMergeRequestApi = (call: ApiCall, [segment, iidSegment]: string[]): Answer => {
    if (call.userId === undefined) return UNAUTHORIZED;
    const declared = new Declared({ ...call.params, merge_request_iid: iidSegment });
    const iid = declared.integer('merge_request_iid', { required: true });
    declared.string('merge_commit_message');
    declared.string('squash_commit_message');
    const shouldRemove = declared.boolean('should_remove_source_branch');
    const whenPipelineSucceeds = declared.boolean('merge_when_pipeline_succeeds');
    const sha = declared.string('sha');
    const squash = declared.boolean('squash');
    const autoMerge = declared.boolean('auto_merge');
    if (declared.refusal) return declared.refusal;
    const found = mergeRequestIn(call, segment!, iid!);
    if (Array.isArray(found)) return found;
    const { project, mergeRequest } = found;
    // MergeRequestsFinder does not find what the caller may not read.
    if (!canReadMergeRequest(mergeRequest, call.userId)) return NOT_FOUND;
    if (!canMergeInto(project, mergeRequest.targetBranch, call.userId)) return UNAUTHORIZED;
    const mismatch = shaMismatch(project, mergeRequest, sha);
    if (mismatch) return mismatch;
    // `merge_request.update(squash:) if params[:squash]`: only a true squash is kept.
    if (squash) mergeRequest.squash = true;
    if (whenPipelineSucceeds === true || autoMerge === true) {
      if (autoMergeAvailable(project, mergeRequest, call.userId)) {
        Object.assign(mergeRequest, { autoMergeUserId: call.userId, shouldRemoveSourceBranch: shouldRemove ?? null, updatedAt: stamp() });
        return [200, mergeRequestDetailJson(mergeRequest, call.userId)];
      }
      // pipeline_allows_merge?: no pipeline at all, or a successful one on the head.
      const head = diffHeadPipelineOf(mergeRequest);
      if (headPipelineOf(mergeRequest) && head?.status !== 'success') return METHOD_NOT_ALLOWED;
    } else if (!mergeable(mergeRequest)) {
      return METHOD_NOT_ALLOWED;
    }
    if (!mergeable(mergeRequest)) return CANNOT_BE_MERGED;
    mergeRequest.shouldRemoveSourceBranch = shouldRemove ?? null;
    mergeNow(mergeRequest, call.userId, (shouldRemove ?? false) || mergeRequest.forceRemoveSourceBranch);
    return [200, mergeRequestDetailJson(mergeRequest, call.userId)];
  };

  /** PUT …/merge_requests/:iid wants one of these (Grape's at_least_one_of, in GitLab's order). */
  const MERGE_REQUEST_UPDATE_PARAMS = [
    'assignee_id',
    'assignee_ids',
    'reviewer_ids',
    'description',
    'labels',
    'add_labels',
    'remove_labels',
    'milestone_id',
    'milestone',
    'remove_source_branch',
    'allow_collaboration',
    'allow_maintainer_to_push',
    'squash',
    'target_branch',
    'title',
    'state_event',
    'discussion_locked',
    'merge_after',
  ];
  /**
   * Who may be an assignee or reviewer (IssuableBaseService#filter_assignees and #filter_reviewers): users who may
   * read the merge request, silently, and only the first unless Premium allows several.
   */
  const mergeRequestPeople = (mergeRequest: StoredMergeRequest, ids: number[]) => {
    const kept = [...new Set(ids)].filter((id) => id !== 0 && users.has(id) && canReadMergeRequest(mergeRequest, id));
    return edition === 'premium' ? kept : kept.slice(0, 1);
  };
  /** Sets assignees or reviewers; those new to it get a to-do item from the caller (TodoService). */
  const setPeople = (mergeRequest: StoredMergeRequest, kind: 'assigneeIds' | 'reviewerIds', ids: number[], byUserId: number) => {
    const added = ids.filter((id) => !mergeRequest[kind].includes(id));
    mergeRequest[kind] = ids;
    involve(mergeRequestsByUser, added, mergeRequest);
    const actionName = kind === 'assigneeIds' ? 'assigned' : 'review_requested';
    for (const id of added) newTodo(id, mergeRequest.projectId, { targetType: 'MergeRequest', targetIid: mergeRequest.iid, actionName, authorId: byUserId });
  };

  /**
   * PUT …/merge_requests/:iid: find_merge_request_with_access with update_merge_request (404, then 403:
   * Developers and above, the author and assignees), then MergeRequests::UpdateService. Assignees, reviewers,
   * labels and locking are metadata (admin_merge_request, Developers and above): others' are dropped without a
   * word. Reopening a locked merge request is ignored, as the policy prevents it. The bridge sends whole lists;
   * GitLab has add_/remove_ variants for labels only.
   */
  const updateMergeRequestApi = (call: ApiCall, [segment, iidSegment]: string[]): Answer => {
    if (call.userId === undefined) return UNAUTHORIZED;
    const declared = new Declared({ ...call.params, merge_request_iid: iidSegment });
    const iid = declared.integer('merge_request_iid', { required: true });
    const title = declared.string('title');
    declared.string('target_branch');
    const stateEvent = declared.string('state_event', { values: ['close', 'reopen'] });
    const discussionLocked = declared.boolean('discussion_locked');
    const assigneeId = declared.integer('assignee_id');
    const assigneeIds = declared.integers('assignee_ids');
    const reviewerIds = declared.integers('reviewer_ids');
    const description = declared.string('description');
    const labels = declared.strings('labels');
    const addLabels = declared.strings('add_labels');
    const removeLabels = declared.strings('remove_labels');
    const removeSourceBranch = declared.boolean('remove_source_branch');
    const squash = declared.boolean('squash');
    // Grape's allow_blank: false.
    if (title !== undefined && title.trim() === '') declared.errors.push('title is empty');
    declared.atLeastOneOf(MERGE_REQUEST_UPDATE_PARAMS);
    if (declared.refusal) return declared.refusal;
    const found = mergeRequestIn(call, segment!, iid!);
    if (Array.isArray(found)) return found;
    const { project, mergeRequest } = found;
    if (!canUpdateMergeRequest(mergeRequest, call.userId)) return FORBIDDEN;
    const before = JSON.stringify(mergeRequest);
    const event = changeMergeRequestState(mergeRequest, stateEvent);
    if (title !== undefined) Object.assign(mergeRequest, { title, draft: DRAFT_PREFIX.test(title) });
    if (description !== undefined) mergeRequest.description = description;
    if (squash !== undefined) mergeRequest.squash = squash;
    if (removeSourceBranch !== undefined) mergeRequest.forceRemoveSourceBranch = removeSourceBranch;
    if (roleIn(project, call.userId) >= 30) {
      // convert_parameters_from_legacy_format: assignee_id becomes assignee_ids (0 for none).
      const assignees = assigneeIds ?? (assigneeId === undefined ? undefined : [assigneeId]);
      if (assignees !== undefined) setPeople(mergeRequest, 'assigneeIds', mergeRequestPeople(mergeRequest, assignees), call.userId);
      if (reviewerIds !== undefined) setPeople(mergeRequest, 'reviewerIds', mergeRequestPeople(mergeRequest, reviewerIds), call.userId);
      if (labels !== undefined) mergeRequest.labels = [...new Set(labels)];
      if (addLabels !== undefined) mergeRequest.labels = [...new Set([...mergeRequest.labels, ...addLabels])];
      if (removeLabels !== undefined) mergeRequest.labels = mergeRequest.labels.filter((label) => !removeLabels.includes(label));
      if (discussionLocked !== undefined) mergeRequest.discussionLocked = discussionLocked;
    }
    if (JSON.stringify(mergeRequest) !== before) mergeRequest.updatedAt = stamp();
    if (event) {
      if (event === 'closed') Object.assign(mergeRequest, { closedAt: mergeRequest.updatedAt, closedById: call.userId });
      recordEvent(project.id, event, call.userId, { kind: 'MergeRequest', mergeRequest }, mergeRequest.updatedAt);
    }
    return [200, mergeRequestDetailJson(mergeRequest, call.userId)];
  };
  /** CloseService and ReopenService: open to closed, closed to opened unless locked; a merged one stays merged. */
  const changeMergeRequestState = (mergeRequest: StoredMergeRequest, stateEvent: string | undefined): 'closed' | 'reopened' | undefined => {
    if (stateEvent === 'close' && mergeRequest.state === 'opened') {
      mergeRequest.state = 'closed';
      return 'closed';
    }
    if (stateEvent === 'reopen' && mergeRequest.state === 'closed' && mergeRequest.discussionLocked !== true) {
      Object.assign(mergeRequest, { state: 'opened', closedAt: null, closedById: null });
      return 'reopened';
    }
    return undefined;
  };

  /** read_build: whoever reads the code (the fake's read_pipeline rule), while the project's CI/CD is open to them. */
  const canReadBuilds = (project: FakeGitLabProject, userId: number | undefined) => canReadCode(project, userId) && featureOpen(project, 'builds', userId);
  /** Entities::Ci::Job. */
  const jobJson = (job: FakeGitLabJob) => {
    const pipeline = pipelines.find((candidate) => candidate.id === job.pipelineId)!;
    const project = projects.get(job.projectId)!;
    const duration = job.startedAt !== null && job.finishedAt !== null ? (Date.parse(job.finishedAt) - Date.parse(job.startedAt)) / 1000 : null;
    const commit = commits.get(pipeline.sha);
    return {
      id: job.id,
      status: job.status,
      stage: job.stage,
      name: job.name,
      ref: pipeline.ref,
      tag: false,
      coverage: null,
      allow_failure: job.allowFailure,
      created_at: job.createdAt,
      started_at: job.startedAt,
      finished_at: job.finishedAt,
      erased_at: null,
      duration,
      queued_duration: null,
      user: userJson(job.userId),
      commit: commit ? commitJson(commit) : { id: pipeline.sha, short_id: pipeline.sha.slice(0, 8) },
      pipeline: pipelineBasicJson(pipeline),
      // Only a failed job says why.
      ...(job.status === 'failed' ? { failure_reason: job.failureReason ?? 'script_failure' } : {}),
      web_url: `${base}/${project.path_with_namespace}/-/jobs/${job.id}`,
      project: { ci_job_token_scope_enabled: false },
      artifacts: [],
      runner: null,
      runner_manager: null,
      artifacts_expire_at: null,
      archived: false,
      tag_list: [],
    };
  };
  /**
   * The job :job_id names (lib/api/ci/jobs.rb, where every route authenticates, GETs too): the project (404), the
   * ability on the project first (read_build, or update_build and cancel_build for Developers and above: 403),
   * then user_project.builds.find (404).
   */
  const jobIn = (call: ApiCall, [segment, idSegment]: string[], write: boolean): Answer | FakeGitLabJob => {
    if (call.userId === undefined) return UNAUTHORIZED;
    const declared = new Declared({ ...call.params, job_id: idSegment });
    const id = declared.integer('job_id', { required: true });
    if (declared.refusal) return declared.refusal;
    const project = userProject(segment!, call.userId);
    if (!project) return PROJECT_NOT_FOUND;
    if (write ? roleIn(project, call.userId) < 30 : !canReadBuilds(project, call.userId)) return FORBIDDEN;
    return jobs.find((job) => job.projectId === project.id && job.id === id) ?? NOT_FOUND;
  };
  /** GET …/jobs/:job_id. */
  const showJob = (call: ApiCall, segments: string[]): Answer => {
    const job = jobIn(call, segments, false);
    return Array.isArray(job) ? job : [200, jobJson(job)];
  };
  /**
   * POST …/jobs/:job_id/retry: RetryJobService, for a retryable job only (Ci::Processable#retryable?: finished,
   * not retried already, not a rejected deployment), else forbidden!('Job is not retryable'). 201 and the new job.
   */
  const retryJobApi = (call: ApiCall, segments: string[]): Answer => {
    const job = jobIn(call, segments, true);
    if (Array.isArray(job)) return job;
    const retryable = !job.retried && job.failureReason !== 'deployment_rejected' && ['success', 'failed', 'canceled'].includes(job.status);
    if (!retryable) return [403, { message: '403 Forbidden - Job is not retryable' }];
    return [201, jobJson(retryJob(job, call.userId!))];
  };
  /** POST …/jobs/:job_id/cancel: build.cancel, which leaves a job that is not cancelable as it is; 201 either way. */
  const cancelJobApi = (call: ApiCall, segments: string[]): Answer => {
    const job = jobIn(call, segments, true);
    if (Array.isArray(job)) return job;
    if (ACTIVE_STATUSES.includes(job.status)) setJobStatusTo(job, 'canceled');
    return [201, jobJson(job)];
  };

  const protectedEnvironmentOf = (projectId: number, name: string) => protectedEnvironments.find((environment) => environment.projectId === projectId && environment.name === name);
  const environmentIdOf = (projectId: number, name: string) => {
    const key = `${projectId}:${name}`;
    if (!environmentIds.has(key)) environmentIds.set(key, environmentIds.size + 1);
    return environmentIds.get(key)!;
  };
  /** ProtectedEnvironments::Authorizable#check_access: the user, a direct member of the group, or the role and above. */
  const ruleAdmits = (project: FakeGitLabProject, rule: FakeGitLabAccessRule, userId: number) =>
    rule.userId !== undefined
      ? rule.userId === userId
      : rule.groupId !== undefined
        ? directAccess(userId, groups.get(rule.groupId)!) !== undefined
        : roleIn(project, userId) >= (rule.accessLevel ?? 40);
  /** Authorizable#humanize: the user's or group's name, else the role. */
  const ruleDescription = (rule: FakeGitLabAccessRule) =>
    rule.userId !== undefined
      ? users.get(rule.userId)!.name
      : rule.groupId !== undefined
        ? groups.get(rule.groupId)!.name
        : { 30: 'Developers + Maintainers', 40: 'Maintainers', 60: 'Administrators' }[rule.accessLevel ?? 40];
  const ruleJson = (rule: FakeGitLabAccessRule, id: number) => ({
    id,
    access_level: rule.accessLevel ?? null,
    access_level_description: ruleDescription(rule),
    user_id: rule.userId ?? null,
    group_id: rule.groupId ?? null,
    group_inheritance_type: 0,
  });
  /** Entities::ProtectedEnvironment. Rule ids are made up, stable for one environment. */
  const protectedEnvironmentJson = (environment: FakeGitLabProtectedEnvironment) => ({
    name: environment.name,
    deploy_access_levels: environment.deployAccessLevels.map((rule, index) => ruleJson(rule, index + 1)),
    required_approval_count: environment.requiredApprovalCount,
    approval_rules: environment.approvalRules.map((rule, index) => {
      const { group_inheritance_type, ...json } = ruleJson(rule, index + 1);
      return { ...json, required_approvals: rule.requiredApprovals, group_inheritance_type };
    }),
  });
  /**
   * GET …/protected_environments/:name (ee/lib/api/protected_environments.rb): admin_protected_environments on
   * the project, Maintainers and above with the licence (403 for Developers, and on an unlicensed EE), then
   * find_by_name! (404). CE has no such route.
   */
  const showProtectedEnvironment = (call: ApiCall, [segment, nameSegment]: string[]): Answer => {
    const project = userProject(segment!, call.userId);
    if (!project) return PROJECT_NOT_FOUND;
    if (edition !== 'premium' || roleIn(project, call.userId) < 40) return FORBIDDEN;
    const environment = protectedEnvironmentOf(project.id, decodeURIComponent(nameSegment!));
    return environment ? [200, protectedEnvironmentJson(environment)] : NOT_FOUND;
  };

  /** Environment#protected?: a protected environment of that name, with the licence. */
  const protectionOf = (deployment: FakeGitLabDeployment) => (edition === 'premium' ? protectedEnvironmentOf(deployment.projectId, deployment.environment) : undefined);
  /** Per approval rule, the approvals given for it (ApprovalSummary). */
  const approvalsFor = (deployment: FakeGitLabDeployment, ruleIndex: number) => deployment.approvals.filter((approval) => approval.ruleIndex === ruleIndex && approval.status === 'approved');
  /**
   * Deployment#pending_approval_count: nothing while not blocked; else what each approval rule still wants, or
   * with no rules what the deprecated count wants.
   */
  const pendingApprovals = (deployment: FakeGitLabDeployment) => {
    const environment = protectionOf(deployment);
    if (deployment.status !== 'blocked' || !environment) return 0;
    if (environment.approvalRules.length === 0) return Math.max(0, environment.requiredApprovalCount - deployment.approvals.filter((approval) => approval.status === 'approved').length);
    return environment.approvalRules.reduce((sum, rule, index) => sum + Math.max(0, rule.requiredApprovals - approvalsFor(deployment, index).length), 0);
  };
  /** Entities::Deployments::Approval. */
  const deploymentApprovalJson = (approval: FakeGitLabDeploymentApproval) => ({
    user: userJson(approval.userId),
    status: approval.status,
    created_at: approval.createdAt,
    comment: approval.comment,
  });
  /** Entities::DeploymentExtended; on Premium with its approvals, and an approval_summary where approval rules are set. */
  const deploymentJson = (deployment: FakeGitLabDeployment) => {
    const project = projects.get(deployment.projectId)!;
    const job = deployment.jobId === null ? undefined : jobs.find((candidate) => candidate.id === deployment.jobId);
    const environment = protectionOf(deployment);
    const environmentName = deployment.environment;
    return {
      id: deployment.id,
      iid: deployment.iid,
      ref: deployment.ref,
      sha: deployment.sha,
      created_at: deployment.createdAt,
      updated_at: deployment.updatedAt,
      status: deployment.status,
      user: userJson(deployment.userId),
      environment: {
        id: environmentIdOf(project.id, environmentName),
        name: environmentName,
        slug: environmentName.toLowerCase().replace(/[^a-z0-9]+/g, '-'),
        external_url: null,
        created_at: deployment.createdAt,
        updated_at: deployment.updatedAt,
      },
      deployable: job ? jobJson(job) : null,
      ...(edition === 'premium' ? { pending_approval_count: pendingApprovals(deployment), approvals: deployment.approvals.map(deploymentApprovalJson) } : {}),
      ...(environment && environment.approvalRules.length > 0
        ? {
            approval_summary: {
              rules: environment.approvalRules.map((rule, index) => ({
                user_id: rule.userId ?? null,
                group_id: rule.groupId ?? null,
                access_level: rule.accessLevel ?? null,
                access_level_description: ruleDescription(rule),
                required_approvals: rule.requiredApprovals,
                deployment_approvals: deployment.approvals.filter((approval) => approval.ruleIndex === index).map(deploymentApprovalJson),
              })),
            },
          }
        : {}),
    };
  };
  /** read_deployment: Reporters and above (ProjectPolicy), while the project's environments are open to them. */
  const canReadDeployments = (project: FakeGitLabProject, userId: number | undefined) => roleIn(project, userId) >= 20 && featureOpen(project, 'environments', userId);
  /** GET …/deployments/:deployment_id: signed-in callers, read_deployment (403), then the deployment (404). */
  const showDeployment = (call: ApiCall, [segment, idSegment]: string[]): Answer => {
    if (call.userId === undefined) return UNAUTHORIZED;
    const declared = new Declared({ ...call.params, deployment_id: idSegment });
    const id = declared.integer('deployment_id', { required: true });
    if (declared.refusal) return declared.refusal;
    const project = userProject(segment!, call.userId);
    if (!project) return PROJECT_NOT_FOUND;
    if (!canReadDeployments(project, call.userId)) return FORBIDDEN;
    const deployment = deployments.find((candidate) => candidate.projectId === project.id && candidate.id === id);
    return deployment ? [200, deploymentJson(deployment)] : NOT_FOUND;
  };
  /**
   * Environment#find_approval_rule_for: the first rule that admits the user, or with `represented_as` the one so
   * named (its user's, group's or role's name).
   */
  const approvalRuleFor = (project: FakeGitLabProject, environment: FakeGitLabProtectedEnvironment, userId: number, representedAs: string | undefined) =>
    environment.approvalRules.findIndex((rule) => ruleAdmits(project, rule, userId) && (representedAs === undefined || ruleDescription(rule) === representedAs));
  /**
   * Deployments::ApprovalService#validate, in its order; each refusal is a 400 with its sentence.
   * approve_deployment (ee DeploymentPolicy): with approval rules, one that admits the user; without, whoever may
   * deploy (update_deployment: Developers and above whom the deploy access levels admit).
   */
  const deploymentApprovalRefusal = (project: FakeGitLabProject, deployment: FakeGitLabDeployment, userId: number, status: string, representedAs: string | undefined) => {
    const environment = protectionOf(deployment);
    if (!environment) return 'This environment is not protected.';
    if (deployment.userId === userId && status === 'approved' && !environment.allowPipelineTriggerApproveDeployment) {
      return 'You cannot approve your own deployment. This configuration can be adjusted in the protected environment settings.';
    }
    const rules = environment.approvalRules;
    const required = rules.length > 0 ? rules.reduce((sum, rule) => sum + rule.requiredApprovals, 0) : environment.requiredApprovalCount;
    if (required === 0) return 'Deployment approvals is not configured for this environment.';
    if (pendingApprovals(deployment) === 0) return 'This deployment is not waiting for approvals.';
    const allowed =
      rules.length > 0
        ? approvalRuleFor(project, environment, userId, undefined) >= 0
        : roleIn(project, userId) >= 30 && environment.deployAccessLevels.some((rule) => ruleAdmits(project, rule, userId));
    if (!allowed) return "You don't have permission to approve this deployment. Contact the project or group owner for help.";
    if (rules.length > 0 && representedAs !== undefined && approvalRuleFor(project, environment, userId, representedAs) < 0) {
      return 'There are no approval rules for the given `represent_as` parameter. Use a valid User/Group/Role name instead.';
    }
    return undefined;
  };
  /**
   * POST …/deployments/:deployment_id/approval (EE): read_deployment (403), the deployment (404), then
   * Deployments::ApprovalService: a refusal is 400 {message}. The same answer again changes nothing; another one
   * replaces it. A rejection drops the deploy job (failure_reason deployment_rejected), failing the deployment.
   * With approval rules the last approval leaves the deployment blocked, its manual job waiting to be run (no-op
   * in process_build!); with the deprecated count it enqueues the job, and the deployment leaves blocked
   * (created). 201 and the approval.
   */
  const approveDeployment = (call: ApiCall, [segment, idSegment]: string[]): Answer => {
    if (call.userId === undefined) return UNAUTHORIZED;
    const declared = new Declared({ ...call.params, deployment_id: idSegment });
    const id = declared.integer('deployment_id', { required: true });
    const status = declared.string('status', { required: true, values: ['approved', 'rejected'] }) as 'approved' | 'rejected' | undefined;
    const comment = declared.string('comment');
    const representedAs = declared.string('represented_as');
    if (declared.refusal) return declared.refusal;
    const project = userProject(segment!, call.userId);
    if (!project) return PROJECT_NOT_FOUND;
    if (!canReadDeployments(project, call.userId)) return FORBIDDEN;
    const deployment = deployments.find((candidate) => candidate.projectId === project.id && candidate.id === id);
    if (!deployment) return NOT_FOUND;
    const refusal = deploymentApprovalRefusal(project, deployment, call.userId, status!, representedAs);
    if (refusal) return [400, { message: refusal }];
    const environment = protectionOf(deployment)!;
    const ruleIndex = environment.approvalRules.length > 0 ? approvalRuleFor(project, environment, call.userId, representedAs) : null;
    const approval = upsertDeploymentApproval(deployment, call.userId, ruleIndex, status!, comment ?? null);
    settleDeployment(deployment, approval, environment);
    return [201, deploymentApprovalJson(approval)];
  };
  const upsertDeploymentApproval = (deployment: FakeGitLabDeployment, userId: number, ruleIndex: number | null, status: 'approved' | 'rejected', comment: string | null) => {
    const existing = deployment.approvals.find((approval) => approval.userId === userId && approval.ruleIndex === ruleIndex);
    if (existing) {
      if (existing.status !== status) Object.assign(existing, { status, comment });
      return existing;
    }
    const approval: FakeGitLabDeploymentApproval = { userId, status, comment, ruleIndex, createdAt: stamp() };
    deployment.approvals.push(approval);
    return approval;
  };
  /** process_build!: only a deployment with a deploy job moves. */
  const settleDeployment = (deployment: FakeGitLabDeployment, approval: FakeGitLabDeploymentApproval, environment: FakeGitLabProtectedEnvironment) => {
    const job = deployment.jobId === null ? undefined : jobs.find((candidate) => candidate.id === deployment.jobId);
    if (!job) return;
    if (approval.status === 'rejected') {
      setJobStatusTo(job, 'failed');
      job.failureReason = 'deployment_rejected';
      Object.assign(deployment, { status: 'failed', updatedAt: stamp() });
    } else if (environment.approvalRules.length === 0 && pendingApprovals(deployment) === 0) {
      setJobStatusTo(job, 'pending');
      Object.assign(deployment, { status: 'created', updatedAt: stamp() });
    }
  };

  /** The data and rules the conversation routes read, and what they act through. */
  const conversationsWorld: FakeGitLabConversationsWorld = {
    get base() {
      return base;
    },
    version: VERSION,
    users,
    projects,
    projectAt,
    userProject,
    issueAt,
    mergeRequestAt,
    roleIn,
    canReadIssue,
    canReadMergeRequest,
    canReadCode,
    stamp,
    nextNoteId: () => ++lastNoteId,
    commented: (on, note) => {
      const noteable = noteableOf(on);
      noteable.updatedAt = note.createdAt;
      recordEvent(noteable.projectId, 'commented on', note.authorId, { kind: 'Note', note, on }, note.createdAt);
    },
    // Group hooks fire for every project below the group, where they are licensed (ee Project#execute_hooks).
    hooksFor: (project) => hooks.filter((hook) => hook.project_id === project.id || (edition === 'premium' && ancestors(project.namespace).some((group) => group.id === hook.group_id))),
    userJson,
    detailedMergeStatus,
    hasBranch,
    headOf,
    commitAt,
    commitTo: (project, branch, message, userId) => commitTo(project, branch, message, userId),
    parentsOf: (sha) => commits.get(sha)?.parentIds ?? [],
    declared: (params) => new Declared(params),
    pageOf,
  };
  const conversations = createConversations(conversationsWorld);
  // Tags, releases and the deployments list (fake-gitlab-releases.ts).
  const releases = createReleases({
    get base() {
      return base;
    },
    projectAt,
    userProject,
    knownUser: (id) => knownUser(id, 'user'),
    canReadCode,
    canReadReleases: (project, userId) => canSeeProject(project, userId) && featureOpen(project, 'releases', userId),
    canReadDeployments,
    userJson,
    commitJson: (sha) => {
      const commit = commits.get(sha);
      return commit ? commitJson(commit) : { id: sha, short_id: sha.slice(0, 8) };
    },
    addTagRef: (project, name, ref) => conversations.helpers.addTag(project.id, name, ref),
    recordPush: (project, actionName, userId, pushData) => recordEvent(project.id, actionName, userId, { kind: 'push' }, stamp(), pushData),
    deployments,
    deploymentJson,
    stamp,
    declared: (params) => new Declared(params),
    pageOf,
  });
  // A group's projects, archived and removed projects (fake-gitlab-groups.ts).
  const groupProjects = createGroups({
    groups,
    projects,
    hooks,
    findGroup: (segment) => find(segment, groups, groupAt),
    projectAt,
    canSeeGroup,
    canSeeProject,
    roleIn,
    projectJson,
    declared: (params) => new Declared(params),
    pageOf,
  });

  /** `scopes`: those an OAuth token needs, any one of them; reads take read_api by default, writes want api. */
  /** `editions`: where the route exists at all (elsewhere the catch-all answers 404); every edition unless given. */
  const apiRoutes: { method: string; pattern: RegExp; handle: (call: ApiCall, segments: string[]) => Answer; scopes?: string[]; editions?: FakeGitLabEdition[] }[] = [
    { method: 'GET', pattern: /^\/api\/v4\/projects\/([^/]+)\/issues\/([^/]+)$/, handle: showIssue },
    { method: 'GET', pattern: /^\/api\/v4\/projects\/([^/]+)\/issues$/, handle: listIssues },
    { method: 'POST', pattern: /^\/api\/v4\/projects\/([^/]+)\/issues$/, handle: createIssue },
    { method: 'PUT', pattern: /^\/api\/v4\/projects\/([^/]+)\/issues\/([^/]+)$/, handle: updateIssue },
    { method: 'GET', pattern: /^\/api\/v4\/projects\/([^/]+)\/merge_requests\/([^/]+)$/, handle: showMergeRequest },
    { method: 'GET', pattern: /^\/api\/v4\/projects\/([^/]+)\/events$/, handle: listEvents },
    { method: 'GET', pattern: /^\/api\/v4\/projects\/([^/]+)\/repository\/commits\/([^/]+)$/, handle: showCommit },
    { method: 'GET', pattern: /^\/api\/v4\/projects\/([^/]+)\/repository\/compare$/, handle: compareCommits },
    { method: 'GET', pattern: /^\/api\/v4\/projects\/([^/]+)\/pipelines$/, handle: listPipelines },
    { method: 'GET', pattern: /^\/api\/v4\/projects\/([^/]+)\/pipelines\/([^/]+)$/, handle: showPipeline },
    { method: 'GET', pattern: /^\/api\/v4\/issues$/, handle: listIssues },
    { method: 'GET', pattern: /^\/api\/v4\/merge_requests$/, handle: listMergeRequests },
    { method: 'GET', pattern: /^\/api\/v4\/todos$/, handle: listTodos },
    { method: 'POST', pattern: /^\/api\/v4\/todos\/([^/]+)\/mark_as_done$/, handle: markTodoDone },
    // The users API takes read_user for reading, as /user does.
    { method: 'GET', pattern: /^\/api\/v4\/users$/, handle: listUsers, scopes: ['api', 'read_api', 'read_user'] },
    { method: 'POST', pattern: /^\/api\/v4\/projects\/([^/]+)\/pipeline$/, handle: createPipeline },
    { method: 'POST', pattern: /^\/api\/v4\/projects\/([^/]+)\/pipelines\/([^/]+)\/retry$/, handle: retryPipeline },
    { method: 'GET', pattern: /^\/api\/v4\/projects$/, handle: listProjects },
    { method: 'GET', pattern: /^\/api\/v4\/groups$/, handle: listGroups },
    { method: 'GET', pattern: /^\/api\/v4\/projects\/([^/]+)\/labels$/, handle: listLabels },
    { method: 'GET', pattern: /^\/api\/v4\/projects\/([^/]+)\/milestones$/, handle: listMilestones },
    { method: 'GET', pattern: /^\/api\/v4\/projects\/([^/]+)\/members\/all$/, handle: listProjectMembers },
    { method: 'GET', pattern: /^\/api\/v4\/projects\/([^/]+)\/repository\/branches$/, handle: listBranches },
    { method: 'GET', pattern: /^\/api\/v4\/projects\/([^/]+)\/merge_requests\/([^/]+)\/approvals$/, handle: showApprovals },
    { method: 'POST', pattern: /^\/api\/v4\/projects\/([^/]+)\/merge_requests\/([^/]+)\/approve$/, handle: approveMergeRequestApi },
    { method: 'POST', pattern: /^\/api\/v4\/projects\/([^/]+)\/merge_requests\/([^/]+)\/unapprove$/, handle: unapproveMergeRequestApi },
    { method: 'PUT', pattern: /^\/api\/v4\/projects\/([^/]+)\/merge_requests\/([^/]+)\/merge$/, handle: mergeMergeRequestApi },
    { method: 'PUT', pattern: /^\/api\/v4\/projects\/([^/]+)\/merge_requests\/([^/]+)$/, handle: updateMergeRequestApi },
    { method: 'POST', pattern: /^\/api\/v4\/projects\/([^/]+)\/pipelines\/([^/]+)\/cancel$/, handle: cancelPipeline },
    { method: 'GET', pattern: /^\/api\/v4\/projects\/([^/]+)\/jobs\/([^/]+)$/, handle: showJob },
    { method: 'POST', pattern: /^\/api\/v4\/projects\/([^/]+)\/jobs\/([^/]+)\/retry$/, handle: retryJobApi },
    { method: 'POST', pattern: /^\/api\/v4\/projects\/([^/]+)\/jobs\/([^/]+)\/cancel$/, handle: cancelJobApi },
    { method: 'GET', pattern: /^\/api\/v4\/projects\/([^/]+)\/deployments\/([^/]+)$/, handle: showDeployment },
    // Deployment approvals and protected environments are EE's (ee/lib): CE has no such routes.
    { method: 'POST', pattern: /^\/api\/v4\/projects\/([^/]+)\/deployments\/([^/]+)\/approval$/, handle: approveDeployment, editions: ['ee-free', 'premium'] },
    { method: 'GET', pattern: /^\/api\/v4\/projects\/([^/]+)\/protected_environments\/([^/]+)$/, handle: showProtectedEnvironment, editions: ['ee-free', 'premium'] },
    // Notes, threads, award emoji and repository files.
    ...conversations.routes,
    ...releases.routes,
    ...groupProjects.routes,
  ];

  const oauth = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL, bearer: string | undefined) => {
    const at = Date.now();
    const send = ([status, body]: Reply) => void res.writeHead(status, { 'Cache-Control': 'no-store', Pragma: 'no-cache' }).end(JSON.stringify(body));
    if (req.method === 'GET' && url.pathname === '/oauth/authorize') {
      const { status, location, html } = authorize(url.searchParams);
      if (html !== undefined) return void res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8' }).end(html);
      return void res.writeHead(status, { Location: location }).end();
    }
    if (req.method === 'GET' && url.pathname === '/oauth/token/info') return send(tokenInfo(bearer ?? url.searchParams.get('access_token') ?? undefined));
    if (req.method !== 'POST' || (url.pathname !== '/oauth/token' && url.pathname !== '/oauth/revoke')) return send([404, { message: '404 Not Found' }]);
    const params = await readParams(req, url);
    if (url.pathname === '/oauth/revoke') return send(revoke(req, params));
    // Waiting before looking at anything: as with Doorkeeper's row lock, of two concurrent refreshes of one
    // token the first wins and the second finds it revoked.
    if (tokenDelay > 0) await sleep(tokenDelay);
    const reply = tokenEndpoint(req, params);
    oauthRequests.push({ grantType: params.grant_type ?? '', status: reply[0], at });
    send(reply);
  };

  /** The user a token acts as; undefined for no token or one GitLab does not accept. */
  const callerId = (privateToken: string | undefined, bearer: string | undefined): number | undefined => {
    const caller = authenticate(privateToken, bearer);
    return 'reply' in caller ? undefined : caller.userId;
  };

  /**
   * What stands before GitLab's API: the failures failNextRequests() asked for (a proxy's, or a 429), then
   * Rack::Attack's throttle, per user or, without one, per IP, counted in fixed windows. False when it
   * answered the request itself.
   */
  const admit = (req: http.IncomingMessage, res: http.ServerResponse, privateToken: string | undefined, bearer: string | undefined): boolean => {
    const failing = failures && (failures.userId === undefined || callerId(privateToken, bearer) === failures.userId) ? failures : undefined;
    if (failing) {
      const { status, retryAfterSeconds, userId } = failing;
      if (--failing.count <= 0) failures = undefined;
      // Rack::Attack names the throttle on a refusal; authenticated API limits are per user
      // (doc/administration/settings/user_and_ip_rate_limits.md, "Response headers").
      if (userId !== undefined) res.setHeader('RateLimit-Name', 'throttle_authenticated_api');
      if (retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(retryAfterSeconds));
      if (status === 429) res.writeHead(429, { 'Content-Type': 'text/plain' }).end(RETRY_LATER);
      else res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8' }).end(proxyPage(status));
      return false;
    }
    if (!rateLimit) return true;
    const userId = callerId(privateToken, bearer);
    const key = userId === undefined ? `ip:${req.socket.remoteAddress}` : `user:${userId}`;
    // Rack::Attack's fixed window, in whole epoch seconds, and GitLab's headers for it.
    const { limit, windowSeconds } = rateLimit;
    const now = Math.floor(Date.now() / 1000);
    const window = Math.floor(now / windowSeconds);
    const counted = throttleCounts.get(key)?.window === window ? throttleCounts.get(key)! : { window, count: 0 };
    counted.count += 1;
    throttleCounts.set(key, counted);
    const retryAfter = windowSeconds - (now % windowSeconds);
    res.setHeader('RateLimit-Name', userId === undefined ? 'throttle_unauthenticated_api' : 'throttle_authenticated_api');
    // Gitlab::RackAttack: the limit as a rate per minute, rounded up; what remains of the window's own.
    res.setHeader('RateLimit-Limit', String(Math.ceil((limit * 60) / windowSeconds)));
    res.setHeader('RateLimit-Observed', String(counted.count));
    res.setHeader('RateLimit-Remaining', String(Math.max(0, limit - counted.count)));
    res.setHeader('RateLimit-Reset', String(now + retryAfter));
    res.setHeader('RateLimit-ResetTime', new Date((now + retryAfter) * 1000).toUTCString());
    if (counted.count <= limit) return true;
    res.setHeader('Retry-After', String(retryAfter));
    res.writeHead(429, { 'Content-Type': 'text/plain' }).end(RETRY_LATER);
    return false;
  };

  /** The data and rules the GraphQL endpoint reads, live. */
  const graphQLWorld: FakeGitLabGraphQLWorld = {
    get base() {
      return base;
    },
    users,
    projects,
    issues,
    mergeRequestsOf: (userId) => mergeRequestsByUser.get(userId) ?? [],
    issuesAssignedTo: (userId) => issuesByAssignee.get(userId) ?? [],
    todosOf: (userId) => todosByUser.get(userId) ?? [],
    userNamed: (username) => users.get(userNamed(username)),
    projectAt,
    issueAt: (projectId, iid) => issueAt(projects.get(projectId)!, iid),
    mergeRequestAt: (projectId, iid) => mergeRequestAt(projects.get(projectId)!, iid),
    noteOf: todoNote,
    headPipeline: headPipelineOf,
    canSeeProject,
    canReadIssue,
    canReadMergeRequest,
    featureOpen,
    canReadCode,
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname;
    const privateToken = typeof req.headers['private-token'] === 'string' && req.headers['private-token'] !== '' ? req.headers['private-token'] : undefined;
    const bearer = /^bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const token = privateToken ?? bearer;
    const record: FakeGitLabRequest = { method: req.method ?? 'GET', path, ...(token === undefined ? {} : { token }) };
    requests.push(record);
    // Every answer goes through writeHead (res.end calls it when nobody did): the one place to see its status.
    const writeHead = res.writeHead.bind(res);
    res.writeHead = ((...args: Parameters<typeof res.writeHead>) => {
      record.status = args[0];
      return writeHead(...args);
    }) as typeof res.writeHead;
    res.setHeader('Content-Type', 'application/json');
    const send = (status: number, body: unknown) => void res.writeHead(status).end(JSON.stringify(body));
    if ((path.startsWith('/api/v4/') || path === '/api/graphql') && !admit(req, res, privateToken, bearer)) return;
    if (path.startsWith('/oauth/')) {
      return void oauth(req, res, url, bearer).catch(() => {
        if (!res.headersSent) send(500, { message: '500 Internal Server Error' });
      });
    }
    if (path === '/api/v4/version') {
      // Like GitLab: the version needs a token (any will do here: the fake does not check it).
      if (!req.headers.authorization && !req.headers['private-token']) return void res.writeHead(401).end('{"message":"401 Unauthorized"}');
      return void res.end(JSON.stringify({ version: VERSION, revision: 'fake' }));
    }
    const refuse = (refusal: Refusal) => {
      if (refusal.header) res.setHeader('WWW-Authenticate', refusal.header);
      send(...refusal.reply);
    };
    if (path === '/api/graphql' && (req.method === 'POST' || req.method === 'GET')) {
      const caller = authenticate(privateToken, bearer);
      // GraphqlController: a token that makes nobody the current user (unknown, expired, revoked, or an OAuth
      // token without api or read_api) is refused as one; no token at all is an anonymous caller.
      if ('reply' in caller || (caller.scopes && !caller.scopes.some((scope) => scope === 'api' || scope === 'read_api'))) {
        return send(401, { errors: [{ message: 'Invalid token' }] });
      }
      return void readApiParams(req, url)
        .then((params) => {
          const { status, body } = answerGraphQL(graphQLWorld, edition === 'ce' ? 'ce' : 'ee', caller.userId, params);
          send(status, body);
        })
        .catch(() => {
          if (!res.headersSent) send(500, { errors: [{ message: 'Internal server error' }] });
        });
    }
    const hookRoute = /^\/api\/v4\/(projects|groups)\/([^/]+)\/hooks(?:\/([^/]+)\/test\/([^/]+))?$/.exec(path);
    if (hookRoute && (req.method === 'POST' || (req.method === 'GET' && hookRoute[3] === undefined))) {
      // In CE the group hook routes do not exist (ee/lib/api/group_hooks.rb): the catch-all answers before any
      // authentication, as a CE 18.1 did to POST /groups/:id/hooks (mattermost-plugin-gitlab issue 587).
      if (hookRoute[1] === 'groups' && edition === 'ce') return send(404, { message: '404 Not Found' });
      const caller = apiCaller(privateToken, bearer, req.method === 'GET' ? ['api', 'read_api'] : ['api']);
      if ('reply' in caller) return refuse(caller);
      return void webhooks(req, url, caller.userId, hookRoute)
        .then((reply) => send(...reply))
        .catch(() => {
          if (!res.headersSent) send(500, { message: '500 Internal Server Error' });
        });
    }
    for (const route of apiRoutes) {
      const match = req.method === route.method && (route.editions ?? [edition]).includes(edition) ? route.pattern.exec(path) : null;
      if (!match) continue;
      const caller = apiCaller(privateToken, bearer, route.scopes ?? (req.method === 'GET' ? ['api', 'read_api'] : ['api']));
      if ('reply' in caller) return refuse(caller);
      return void readApiParams(req, url)
        .then(async (params) => {
          const [status, body, headers] = route.handle({ userId: caller.userId, url, params }, match.slice(1));
          // The webhooks it triggered go out around the answer, as setHookTiming() says; a request carrying
          // X-Gitlab-Event-UUID passes it on to them (Gitlab::WebHooks::RecursionDetection.set_from_headers).
          const eventUuid = req.headers['x-gitlab-event-uuid'];
          const hooks = conversations.releaseHooks(typeof eventUuid === 'string' && eventUuid !== '' ? eventUuid : undefined);
          await hooks.beforeAnswer();
          for (const [name, value] of Object.entries(headers ?? {})) res.setHeader(name, value);
          if (body instanceof FakeGitLabRawBody) res.writeHead(status).end(body.data);
          else send(status, body);
          hooks.afterAnswer();
        })
        .catch(() => {
          if (!res.headersSent) send(500, { message: '500 Internal Server Error' });
        });
    }
    const projectRoute = /^\/api\/v4\/projects\/([^/]+)$/.exec(path);
    const groupRoute = /^\/api\/v4\/groups\/([^/]+)$/.exec(path);
    // GET /groups/:id/members/all/:user_id: a member, direct or through an ancestor group.
    const memberRoute = /^\/api\/v4\/groups\/([^/]+)\/members\/all\/(\d+)$/.exec(path);
    if (req.method === 'GET' && (projectRoute || groupRoute || memberRoute || path === '/api/v4/user')) {
      // A token GitLab does not know (or no longer accepts) is refused, even where no token is needed; an
      // OAuth token needs a scope that covers the endpoint too (read_user covers /user only).
      const caller = apiCaller(privateToken, bearer, path === '/api/v4/user' ? ['api', 'read_api', 'read_user'] : ['api', 'read_api']);
      if ('reply' in caller) return refuse(caller);
      const { userId } = caller;
      if (projectRoute) {
        const project = find(projectRoute[1]!, projects, projectAt);
        // Like GitLab, a project the caller may not see does not exist.
        return project && canSeeProject(project, userId) ? send(200, projectJson(project, userId)) : send(404, { message: '404 Project Not Found' });
      }
      if (memberRoute) {
        const group = find(memberRoute[1]!, groups, groupAt);
        if (!group || !canSeeGroup(group, userId)) return send(404, { message: '404 Group Not Found' });
        const member = users.get(Number(memberRoute[2]));
        const level = member ? groupAccess(member.id, group) : undefined;
        return member && level !== undefined ? send(200, { id: member.id, username: member.username, name: member.name, state: 'active', access_level: level }) : send(404, { message: '404 Not found' });
      }
      if (groupRoute) {
        const group = find(groupRoute[1]!, groups, groupAt);
        return group && canSeeGroup(group, userId) ? send(200, groupJson(group)) : send(404, { message: '404 Group Not Found' });
      }
      const user = userId === undefined ? undefined : users.get(userId);
      if (!user) return send(401, { message: '401 Unauthorized' });
      return send(200, { id: user.id, username: user.username, name: user.name, state: 'active', web_url: `${base}/${user.username}` });
    }
    res.writeHead(404).end('{"message":"404 Not Found"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    ...conversations.helpers,
    ...releases.helpers,
    ...groupProjects.helpers,
    url: base,
    requests,
    projects,
    groups,
    addGroup(fullPath, { visibility, id }) {
      return ensureGroup(fullPath, visibility, id ?? nextId(groups));
    },
    addProject(pathWithNamespace, { visibility, id, defaultBranch, features, publicJobs, ...mergeSettings }) {
      const slash = pathWithNamespace.lastIndexOf('/');
      if (slash < 0) throw new Error(`fake GitLab: ${pathWithNamespace} needs a group`);
      const namespace = ensureGroup(pathWithNamespace.slice(0, slash), visibility);
      const name = pathWithNamespace.slice(slash + 1);
      const project: FakeGitLabProject = {
        id: id ?? nextId(projects),
        name,
        path: name,
        path_with_namespace: pathWithNamespace,
        visibility,
        default_branch: defaultBranch ?? 'main',
        namespace,
        features: { ...ALL_FEATURES_ENABLED, ...features },
        publicJobs: publicJobs ?? true,
        onlyAllowMergeIfPipelineSucceeds: mergeSettings.onlyAllowMergeIfPipelineSucceeds ?? false,
        onlyAllowMergeIfAllDiscussionsAreResolved: mergeSettings.onlyAllowMergeIfAllDiscussionsAreResolved ?? false,
        mergeRequestsAuthorApproval: mergeSettings.mergeRequestsAuthorApproval ?? false,
        developersCanMerge: mergeSettings.developersCanMerge ?? false,
      };
      claim(pathWithNamespace, project.id, projects);
      checkVisibility(visibility, namespace, `project ${pathWithNamespace}`);
      projects.set(project.id, project);
      return project;
    },
    addUser(user) {
      const token = `glpat-${randomBytes(10).toString('hex')}`;
      const before = users.get(user.id);
      if (before && usersByName.get(before.username.toLowerCase()) === user.id) usersByName.delete(before.username.toLowerCase());
      users.set(user.id, { ...user });
      usersByName.set(user.username.toLowerCase(), user.id);
      personalTokens.set(token, user.id);
      return { token };
    },
    grant(token, path, accessLevel) {
      const userId = personalTokens.get(token) ?? liveToken(oauthTokens.find((candidate) => candidate.accessToken === token))?.userId;
      if (userId === undefined) throw new Error('fake GitLab: grant() needs a token from addUser() or a live OAuth access token');
      const target = projectAt(path) ?? groupAt(path);
      if (!target) throw new Error(`fake GitLab: no project or group at ${path}`);
      if (!grants.has(userId)) grants.set(userId, new Map());
      grants.get(userId)!.set(target, accessLevel);
    },
    oauthRequests,
    applications,
    registerApplication({ clientId, clientSecret, redirectUri, scopes }) {
      const application: FakeGitLabApplication = { clientId, clientSecret, redirectUri, scopes: scopes ?? DEFAULT_SCOPES };
      applications.set(clientId, application);
      return application;
    },
    signIn(userId) {
      if (!users.has(userId)) throw new Error(`fake GitLab: signIn() needs a user from addUser(), not ${userId}`);
      signedIn = userId;
    },
    signOut() {
      signedIn = undefined;
    },
    setTokenLifetime(seconds) {
      tokenLifetime = seconds;
    },
    setTokenDelay(ms) {
      tokenDelay = ms;
    },
    expireAccessTokens() {
      const now = Date.now();
      for (const issued of oauthTokens) issued.expiresAt = Math.min(issued.expiresAt, now);
    },
    revokeAuthorization(userId) {
      for (const code of codes.values()) if (code.userId === userId) code.revoked = true;
      for (const issued of oauthTokens) if (issued.userId === userId) issued.revoked = true;
    },
    tokensOf(userId) {
      return oauthTokens.filter((issued) => issued.userId === userId).flatMap((issued) => [issued.accessToken, issued.refreshToken]);
    },
    setEdition(next) {
      edition = next;
    },
    hooksOf(path) {
      const target = projectAt(path) ?? groupAt(path);
      if (!target) throw new Error(`fake GitLab: no project or group at ${path}`);
      const isProject = 'namespace' in target;
      return hooks.filter((hook) => (isProject ? hook.project_id === target.id : hook.group_id === target.id)).map((hook) => ({ ...hook }));
    },
    disableHook(hookId, { until } = {}) {
      const hook = hooks.find((candidate) => candidate.id === hookId);
      if (!hook) throw new Error(`fake GitLab: no hook ${hookId}`);
      hook.alert_status = until ? 'temporarily_disabled' : 'disabled';
      hook.disabled_until = until ? until.toISOString() : null;
    },
    hookTests,
    addBranch(projectPath, name) {
      addBranchTo(projectNamed(projectPath), name);
    },
    addLabel(projectPath, { name, color, description }) {
      const project = projectNamed(projectPath);
      const list = labelsByProject.get(project.id) ?? [];
      list.push({ id: nextLabelId++, name, color, description: description ?? null });
      labelsByProject.set(project.id, list);
    },
    addMilestone(projectPath, { title, dueDate, state }) {
      const project = projectNamed(projectPath);
      const list = milestonesByProject.get(project.id) ?? [];
      const milestone = { id: nextMilestoneId++, iid: list.length + 1, title, dueDate: dueDate ?? null, state: state ?? 'active', createdAt: stamp() };
      list.push(milestone);
      milestonesByProject.set(project.id, list);
      return { id: milestone.id };
    },
    addIssue(projectPath, { iid, title, description, state, confidential, authorId, assigneeIds, labels, discussionLocked }) {
      const project = projectNamed(projectPath);
      knownUser(authorId, 'author');
      for (const id of assigneeIds ?? []) knownUser(id, 'assignee');
      if (iid !== undefined && issueAt(project, iid)) throw new Error(`fake GitLab: ${projectPath} has an issue #${iid} already`);
      const issue = newIssue(project, {
        iid,
        title,
        description: description ?? null,
        state: state ?? 'opened',
        confidential: confidential ?? false,
        authorId,
        assigneeIds: [...(assigneeIds ?? [])],
        labels: [...(labels ?? [])],
        discussionLocked: discussionLocked ?? null,
      });
      return issueCopy(issue);
    },
    issuesOf(projectPath) {
      const project = projectNamed(projectPath);
      return issues.filter((issue) => issue.projectId === project.id).map(issueCopy);
    },
    closeIssue(projectPath, iid, byUserId) {
      return issueCopy(setIssueState(issueNamed(projectPath, iid), 'closed', byUserId));
    },
    reopenIssue(projectPath, iid, byUserId) {
      return issueCopy(setIssueState(issueNamed(projectPath, iid), 'opened', byUserId));
    },
    assignIssue(projectPath, iid, assigneeId, byUserId) {
      const issue = issueNamed(projectPath, iid);
      knownUser(assigneeId, 'assignee');
      knownUser(byUserId, 'user');
      if (!issue.assigneeIds.includes(assigneeId)) {
        issue.assigneeIds.push(assigneeId);
        involve(issuesByAssignee, [assigneeId], issue);
        issue.updatedAt = stamp();
        newTodo(assigneeId, issue.projectId, { targetType: 'Issue', targetIid: issue.iid, actionName: 'assigned', authorId: byUserId });
      }
      return issueCopy(issue);
    },
    addMergeRequest(projectPath, { iid, title, description, state, draft, authorId, assigneeIds, reviewerIds, sourceBranch, targetBranch, labels, approvalsRequired, approvedBy, conflicts, ...more }) {
      const project = projectNamed(projectPath);
      knownUser(authorId, 'author');
      for (const id of [...(assigneeIds ?? []), ...(reviewerIds ?? []), ...(approvedBy ?? [])]) knownUser(id, 'assignee, reviewer or approver');
      const mergeRequestIid = iid ?? nextIid('merge_request', project.id);
      if (mergeRequestAt(project, mergeRequestIid)) throw new Error(`fake GitLab: ${projectPath} has a merge request !${mergeRequestIid} already`);
      // In GitLab a draft is one whose title starts with Draft: (or [Draft], (Draft)); the fake keeps the title as
      // given, and without `draft` takes it from the title.
      const isDraft = draft ?? DRAFT_PREFIX.test(title);
      const now = stamp();
      const finalState = state ?? 'opened';
      const mergeRequest: StoredMergeRequest = {
        id: nextOf(mergeRequests),
        iid: mergeRequestIid,
        projectId: project.id,
        title,
        description: description ?? null,
        state: finalState,
        draft: isDraft,
        authorId,
        assigneeIds: [...(assigneeIds ?? [])],
        reviewerIds: [...(reviewerIds ?? [])],
        sourceBranch: sourceBranch ?? `feature-${mergeRequestIid}`,
        targetBranch: targetBranch ?? project.default_branch,
        labels: [...(labels ?? [])],
        createdAt: now,
        updatedAt: now,
        mergedAt: finalState === 'merged' ? now : null,
        mergedById: null,
        mergeCommitSha: null,
        closedAt: finalState === 'closed' ? now : null,
        closedById: null,
        approvalsRequired: approvalsRequired ?? 0,
        approvedBy: [...new Set(approvedBy ?? [])],
        conflicts: conflicts ?? false,
        unresolvedDiscussions: more.unresolvedDiscussions ?? 0,
        squash: more.squash ?? false,
        forceRemoveSourceBranch: more.forceRemoveSourceBranch ?? false,
        shouldRemoveSourceBranch: null,
        discussionLocked: more.discussionLocked ?? null,
        autoMergeUserId: null,
        notes: [],
      };
      addBranchTo(project, mergeRequest.sourceBranch);
      addBranchTo(project, mergeRequest.targetBranch);
      mergeRequests.push(mergeRequest);
      mergeRequestsByIid.set(mergeRequestKey(project.id, mergeRequest.iid), mergeRequest);
      involve(mergeRequestsByUser, [authorId, ...mergeRequest.assigneeIds, ...mergeRequest.reviewerIds], mergeRequest);
      takeIid('merge_request', project.id, mergeRequest.iid);
      recordEvent(project.id, 'opened', authorId, { kind: 'MergeRequest', mergeRequest }, now);
      if (finalState !== 'opened') recordEvent(project.id, finalState === 'merged' ? 'accepted' : 'closed', authorId, { kind: 'MergeRequest', mergeRequest }, now);
      return mergeRequestCopy(mergeRequest);
    },
    mergeRequestsOf(projectPath) {
      const project = projectNamed(projectPath);
      return mergeRequests.filter((mergeRequest) => mergeRequest.projectId === project.id).map(mergeRequestCopy);
    },
    mergeRequest(projectPath, iid) {
      return mergeRequestCopy(mergeRequestNamed(projectPath, iid));
    },
    updateMergeRequest(projectPath, iid, changes) {
      const mergeRequest = mergeRequestNamed(projectPath, iid);
      Object.assign(mergeRequest, changes, { updatedAt: stamp() });
      tryAutoMerge(mergeRequest);
      return mergeRequestCopy(mergeRequest);
    },
    mergeMergeRequest(projectPath, iid, byUserId) {
      const mergeRequest = openMergeRequestNamed(projectPath, iid, 'merge');
      knownUser(byUserId, 'user');
      mergeNow(mergeRequest, byUserId);
      return mergeRequestCopy(mergeRequest);
    },
    closeMergeRequest(projectPath, iid, byUserId) {
      const mergeRequest = openMergeRequestNamed(projectPath, iid, 'close');
      knownUser(byUserId, 'user');
      const now = stamp();
      Object.assign(mergeRequest, { state: 'closed', closedAt: now, closedById: byUserId, updatedAt: now });
      recordEvent(mergeRequest.projectId, 'closed', byUserId, { kind: 'MergeRequest', mergeRequest }, now);
      return mergeRequestCopy(mergeRequest);
    },
    approveMergeRequest(projectPath, iid, byUserId) {
      const mergeRequest = mergeRequestNamed(projectPath, iid);
      knownUser(byUserId, 'user');
      if (!mergeRequest.approvedBy.includes(byUserId)) addApproval(mergeRequest, byUserId);
      return mergeRequestCopy(mergeRequest);
    },
    requestReview(projectPath, iid, reviewerId, byUserId) {
      const mergeRequest = mergeRequestNamed(projectPath, iid);
      knownUser(reviewerId, 'reviewer');
      knownUser(byUserId, 'user');
      if (!mergeRequest.reviewerIds.includes(reviewerId)) {
        mergeRequest.reviewerIds.push(reviewerId);
        involve(mergeRequestsByUser, [reviewerId], mergeRequest);
        mergeRequest.updatedAt = stamp();
        newTodo(reviewerId, mergeRequest.projectId, { targetType: 'MergeRequest', targetIid: mergeRequest.iid, actionName: 'review_requested', authorId: byUserId });
      }
      return mergeRequestCopy(mergeRequest);
    },
    assignMergeRequest(projectPath, iid, assigneeId, byUserId) {
      const mergeRequest = mergeRequestNamed(projectPath, iid);
      knownUser(assigneeId, 'assignee');
      knownUser(byUserId, 'user');
      if (!mergeRequest.assigneeIds.includes(assigneeId)) {
        mergeRequest.assigneeIds.push(assigneeId);
        involve(mergeRequestsByUser, [assigneeId], mergeRequest);
        mergeRequest.updatedAt = stamp();
        newTodo(assigneeId, mergeRequest.projectId, { targetType: 'MergeRequest', targetIid: mergeRequest.iid, actionName: 'assigned', authorId: byUserId });
      }
      return mergeRequestCopy(mergeRequest);
    },
    push(projectPath, { ref, userId, commits: pushed }) {
      knownUser(userId, 'user');
      const result = pushTo(projectNamed(projectPath), ref.replace(/^refs\/heads\//, ''), userId, pushed);
      return { ...result, commits: result.commits.map((commit) => ({ ...commit, parentIds: [...commit.parentIds] })) };
    },
    eventsOf(projectPath) {
      const project = projectNamed(projectPath);
      return (events.get(project.id) ?? []).map(({ subject: _subject, ...event }) => ({ ...event, pushData: event.pushData && { ...event.pushData } }));
    },
    addTodo(userId, { projectPath, targetType, targetIid, actionName, authorId, body, state, noteId }) {
      knownUser(userId, 'user');
      knownUser(authorId, 'author');
      const project = projectNamed(projectPath);
      const target = targetType === 'Issue' ? issueAt(project, targetIid) : mergeRequestAt(project, targetIid);
      if (!target) throw new Error(`fake GitLab: ${projectPath} has no ${targetType === 'Issue' ? `issue #${targetIid}` : `merge request !${targetIid}`}`);
      if (noteId !== undefined && !target.notes.some((note) => note.id === noteId)) throw new Error(`fake GitLab: no note ${noteId} on that ${targetType === 'Issue' ? 'issue' : 'merge request'}`);
      return { ...newTodo(userId, project.id, { targetType, targetIid, actionName, authorId, body, state, noteId }) };
    },
    addPipeline(projectPath, { ref, status, userId, variables, source, mergeRequestIid }) {
      const project = projectNamed(projectPath);
      knownUser(userId, 'user');
      const mergeRequest = mergeRequestIid === undefined ? undefined : mergeRequestAt(project, mergeRequestIid);
      if (mergeRequestIid !== undefined && !mergeRequest) throw new Error(`fake GitLab: ${projectPath} has no merge request !${mergeRequestIid}`);
      if (ref === undefined && !mergeRequest) throw new Error('fake GitLab: addPipeline() needs a ref, or a mergeRequestIid');
      const kept = (variables ?? []).map(({ key, value, variable_type }) => ({ key, value, variable_type: variable_type ?? ('env_var' as const) }));
      return pipelineCopy(
        newPipeline(project, {
          ref: ref?.replace(/^refs\/heads\//, '') ?? `refs/merge-requests/${mergeRequestIid}/head`,
          status,
          source: source ?? (mergeRequest ? 'merge_request_event' : 'push'),
          userId,
          variables: kept,
          mergeRequestIid: mergeRequestIid ?? null,
          // A merge request pipeline runs on the head of its source branch.
          ...(mergeRequest ? { sha: headOf(project, mergeRequest.sourceBranch) } : {}),
        }),
      );
    },
    pipelinesOf(projectPath) {
      const project = projectNamed(projectPath);
      return (pipelinesByProject.get(project.id) ?? []).map(pipelineCopy);
    },
    setPipelineStatus(pipelineId, status) {
      const pipeline = pipelines.find((candidate) => candidate.id === pipelineId);
      if (!pipeline) throw new Error(`fake GitLab: no pipeline ${pipelineId}`);
      setPipelineStatusTo(pipeline, status);
      return pipelineCopy(pipeline);
    },
    addJob(projectPath, { pipelineId, name, stage, status, userId, allowFailure, failureReason }) {
      const project = projectNamed(projectPath);
      const pipeline = pipelines.find((candidate) => candidate.id === pipelineId && candidate.projectId === project.id);
      if (!pipeline) throw new Error(`fake GitLab: ${projectPath} has no pipeline ${pipelineId}`);
      if (userId !== undefined) knownUser(userId, 'user');
      const job = newJob(pipeline, { name, stage: stage ?? 'test', userId: userId ?? pipeline.userId, allowFailure: allowFailure ?? false, retryOfId: null });
      setJobStatusTo(job, status);
      if (status === 'failed') job.failureReason = failureReason ?? 'script_failure';
      return { ...job };
    },
    jobsOf(projectPath) {
      const project = projectNamed(projectPath);
      return jobs.filter((job) => job.projectId === project.id).map((job) => ({ ...job }));
    },
    setJobStatus(jobId, status) {
      const job = jobs.find((candidate) => candidate.id === jobId);
      if (!job) throw new Error(`fake GitLab: no job ${jobId}`);
      setJobStatusTo(job, status);
      return { ...job };
    },
    addProtectedEnvironment(projectPath, { name, deployAccessLevels, approvalRules, requiredApprovalCount, allowPipelineTriggerApproveDeployment }) {
      const project = projectNamed(projectPath);
      if (protectedEnvironmentOf(project.id, name)) throw new Error(`fake GitLab: ${name} of ${projectPath} is protected already`);
      const rules = [...(deployAccessLevels ?? []), ...(approvalRules ?? [])];
      for (const rule of rules) {
        if (rule.userId !== undefined) knownUser(rule.userId, 'user of a rule');
        if (rule.groupId !== undefined && !groups.has(rule.groupId)) throw new Error(`fake GitLab: no group ${rule.groupId}`);
      }
      const environment: FakeGitLabProtectedEnvironment = {
        projectId: project.id,
        name,
        deployAccessLevels: (deployAccessLevels ?? [{ accessLevel: 40 }]).map((rule) => ({ ...rule })),
        approvalRules: (approvalRules ?? []).map((rule) => ({ ...rule, requiredApprovals: rule.requiredApprovals ?? 1 })),
        requiredApprovalCount: requiredApprovalCount ?? 0,
        allowPipelineTriggerApproveDeployment: allowPipelineTriggerApproveDeployment ?? false,
      };
      protectedEnvironments.push(environment);
      return structuredClone(environment);
    },
    addDeployment(projectPath, { environment, status, userId, ref, jobId }) {
      const project = projectNamed(projectPath);
      knownUser(userId, 'user');
      if (jobId !== undefined && !jobs.some((job) => job.id === jobId && job.projectId === project.id)) throw new Error(`fake GitLab: ${projectPath} has no job ${jobId}`);
      const branch = ref ?? project.default_branch;
      const now = stamp();
      const deployment: FakeGitLabDeployment = {
        id: nextOf(deployments),
        iid: deployments.filter((candidate) => candidate.projectId === project.id).length + 1,
        projectId: project.id,
        environment,
        ref: branch,
        sha: headOf(project, branch),
        status,
        userId,
        jobId: jobId ?? null,
        approvals: [],
        createdAt: now,
        updatedAt: now,
      };
      environmentIdOf(project.id, environment);
      deployments.push(deployment);
      return structuredClone(deployment);
    },
    deploymentsOf(projectPath) {
      const project = projectNamed(projectPath);
      return deployments.filter((deployment) => deployment.projectId === project.id).map((deployment) => structuredClone(deployment));
    },
    setRateLimit(next) {
      if (next && (!(next.limit >= 0) || !(next.windowSeconds > 0))) throw new Error('fake GitLab: a rate limit needs a limit of 0 or more and a window of more than 0 seconds');
      rateLimit = next && { ...next };
      throttleCounts.clear();
    },
    failNextRequests(count, failure) {
      failures = count > 0 ? { count, ...failure } : undefined;
    },
    close: () =>
      new Promise((resolve) => {
        conversations.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The parameters of an OAuth request: the query string, then a form or JSON body over it (Rails merges them). */
async function readParams(req: http.IncomingMessage, url: URL): Promise<Record<string, string>> {
  const raw = await readBody(req);
  const contentType = req.headers['content-type'] ?? '';
  let body: Record<string, string> = {};
  if (/json/i.test(contentType)) {
    try {
      const parsed = JSON.parse(raw) as unknown;
      if (parsed && typeof parsed === 'object') body = Object.fromEntries(Object.entries(parsed).map(([name, value]) => [name, String(value)]));
    } catch {
      // Left empty: the request then lacks its parameters, as a Rails app would see it.
    }
  } else if (/x-www-form-urlencoded/i.test(contentType)) {
    body = Object.fromEntries(new URLSearchParams(raw));
  }
  return { ...Object.fromEntries(url.searchParams), ...body };
}

function formDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}

/** Grape's Boolean coercion of a parameter (dry-types' Params::Bool); undefined when it is neither. */
function grapeBoolean(value: string): boolean | undefined {
  if (['1', 'on', 't', 'true', 'y', 'yes'].includes(value.toLowerCase())) return true;
  if (['0', 'off', 'f', 'false', 'n', 'no'].includes(value.toLowerCase())) return false;
  return undefined;
}

function urlProtocol(value: string): string {
  try {
    return new URL(value).protocol;
  } catch {
    return '';
  }
}

/**
 * The parameters of an API request as Grape gets them: the query string, then a JSON or form body over it.
 * Unlike readParams(), JSON values keep their types (pipeline variables are an array of objects), and
 * `name[]=…` gathers into an array, as Rack reads a query or form.
 */
async function readApiParams(req: http.IncomingMessage, url: URL): Promise<Record<string, unknown>> {
  const raw = await readBody(req);
  const contentType = req.headers['content-type'] ?? '';
  let body: Record<string, unknown> = {};
  if (/json/i.test(contentType)) {
    try {
      const parsed = JSON.parse(raw) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
    } catch {
      // Left empty, as readParams() does: the request then lacks its parameters.
    }
  } else if (/x-www-form-urlencoded/i.test(contentType)) {
    body = rackParams(new URLSearchParams(raw));
  }
  return { ...rackParams(url.searchParams), ...body };
}

function rackParams(pairs: URLSearchParams): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const [name, value] of pairs) {
    if (!name.endsWith('[]')) {
      params[name] = value;
      continue;
    }
    const key = name.slice(0, -2);
    const list = params[key];
    params[key] = Array.isArray(list) ? [...list, value] : [value];
  }
  return params;
}

/** Grape's Integer coercion: a whole number, or a string of one. */
function integerOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) ? value : undefined;
  if (typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value)) return Number(value);
  return undefined;
}

/**
 * Declared parameters as Grape checks them: each reader coerces one, noting "x is missing", "x is invalid"
 * or "x does not have a valid value" in the order they are read (declare them in GitLab's order), and
 * `refusal` answers them all at once, as Grape does.
 */
export class Declared {
  readonly errors: string[] = [];

  /** `scope` names nested parameters as Grape does: variables[0][key]. */
  constructor(
    private readonly params: Record<string, unknown>,
    private readonly scope?: string,
  ) {}

  /** Present: a JSON null counts as absent, as Grape's optional parameters take it. */
  given(name: string): boolean {
    return this.params[name] !== undefined && this.params[name] !== null;
  }

  private fail(name: string, problem: string): undefined {
    this.errors.push(`${this.scope === undefined ? name : `${this.scope}[${name}]`} ${problem}`);
    return undefined;
  }

  string(name: string, options: { required?: boolean; values?: readonly string[]; default?: string } = {}): string | undefined {
    if (!this.given(name)) return options.required ? this.fail(name, 'is missing') : options.default;
    const value = this.params[name];
    if (typeof value === 'object') return this.fail(name, 'is invalid');
    const text = String(value);
    if (options.values && !options.values.includes(text)) return this.fail(name, 'does not have a valid value');
    return text;
  }

  integer(name: string, options: { required?: boolean; default?: number } = {}): number | undefined {
    if (!this.given(name)) return options.required ? this.fail(name, 'is missing') : options.default;
    return integerOf(this.params[name]) ?? this.fail(name, 'is invalid');
  }

  /** GitLab's integer_none_any: a user id, or the wildcards None and Any in any case. */
  integerOrWildcard(name: string): number | 'none' | 'any' | undefined {
    if (!this.given(name)) return undefined;
    const value = this.params[name];
    if (typeof value === 'string' && /^(none|any)$/i.test(value)) return value.toLowerCase() as 'none' | 'any';
    return integerOf(value) ?? this.fail(name, `should be an integer, none, or any, however got ${String(value)}`);
  }

  /** Grape's Boolean (see grapeBoolean), JSON's true and false too. */
  boolean(name: string): boolean | undefined {
    if (!this.given(name)) return undefined;
    const value = this.params[name];
    const parsed = typeof value === 'boolean' ? value : typeof value === 'string' || typeof value === 'number' ? grapeBoolean(String(value)) : undefined;
    return parsed ?? this.fail(name, 'is invalid');
  }

  /** Array[Integer] through GitLab's CommaSeparatedToIntegerArray: an array, or "1,2". */
  integers(name: string): number[] | undefined {
    if (!this.given(name)) return undefined;
    const value = this.params[name];
    const parts = (Array.isArray(value) ? value : [value]).flatMap((part) => (typeof part === 'string' ? part.split(',').filter((text) => text.trim() !== '') : [part]));
    const numbers = parts.map(integerOf);
    return numbers.every((number) => number !== undefined) ? numbers : this.fail(name, 'is invalid');
  }

  /** Array[String] through GitLab's CommaSeparatedToArray: an array, or "a,b", each name trimmed, blanks dropped. */
  strings(name: string): string[] | undefined {
    if (!this.given(name)) return undefined;
    const value = this.params[name];
    const parts = Array.isArray(value) ? value : [value];
    if (parts.some((part) => typeof part === 'object' && part !== null)) return this.fail(name, 'is invalid');
    return parts.flatMap((part) => String(part).split(',')).map((text) => text.trim()).filter((text) => text !== '');
  }

  /** A Hash parameter: a JSON object. */
  hash(name: string): Record<string, unknown> | undefined {
    if (!this.given(name)) return undefined;
    const value = this.params[name];
    return typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : this.fail(name, 'is invalid');
  }

  /** POST …/pipeline's `variables`: an array of objects with key, value and variable_type (env_var by default, or file). */
  variables(name: string): FakeGitLabPipelineVariable[] | undefined {
    if (!this.given(name)) return undefined;
    const value = this.params[name];
    if (!Array.isArray(value) || value.some((item) => typeof item !== 'object' || item === null || Array.isArray(item))) return this.fail(name, 'is invalid');
    return (value as Record<string, unknown>[]).map((item, index) => {
      const nested = new Declared(item, `${name}[${index}]`);
      const variable = {
        key: nested.string('key') ?? '',
        value: nested.string('value') ?? '',
        variable_type: nested.string('variable_type', { values: ['env_var', 'file'], default: 'env_var' }) as FakeGitLabPipelineVariable['variable_type'],
      };
      this.errors.push(...nested.errors);
      return variable;
    });
  }

  mutuallyExclusive(...names: string[]): void {
    const present = names.filter((name) => this.given(name));
    if (present.length > 1) this.errors.push(`${present.join(', ')} are mutually exclusive`);
  }

  atLeastOneOf(names: string[]): void {
    if (!names.some((name) => this.given(name))) this.errors.push(`${names.join(', ')} are missing, at least one parameter must be provided`);
  }

  /** GitLab's pagination parameters: page 1 and 20 a page unless asked, never more than 100 (Kaminari's max_per_page). */
  pagination(): Paging {
    const page = this.integer('page', { default: 1 }) ?? 1;
    const perPage = this.integer('per_page', { default: 20 }) ?? 20;
    return { page: Math.max(1, page), perPage: perPage < 1 ? 20 : Math.min(100, perPage) };
  }

  /** Grape's 400, every problem in one message; undefined when all is well. */
  get refusal(): Answer | undefined {
    return this.errors.length > 0 ? [400, { error: this.errors.join(', ') }] : undefined;
  }
}

/** IssuableFinder's label filter: every label named, or the wildcards None and Any. */
function labelsMatch(labels: string[], wanted: string[] | undefined): boolean {
  if (wanted === undefined || wanted.length === 0) return true;
  if (wanted.length === 1 && /^none$/i.test(wanted[0]!)) return labels.length === 0;
  if (wanted.length === 1 && /^any$/i.test(wanted[0]!)) return labels.length > 0;
  return wanted.every((label) => labels.includes(label));
}

/**
 * The GitLab REST API objects the polling fallback reads, as GitLab documents
 * them (Events, Projects, Merge requests, Issues, Notes, Commits, Pipelines,
 * Jobs, MR approvals, Users, Tags, Releases, Deployments). Only the fields the hook builders use are typed;
 * most are optional because older GitLab versions lack them.
 */

/** Users API basic user (also `author`, `assignees`, `reviewers`, a pipeline's `user`). */
export interface RestUser {
  id: number;
  username: string;
  name: string;
  state?: string;
  avatar_url?: string | null;
  web_url?: string;
}

/** GET /projects/:id. */
export interface RestProject {
  id: number;
  name: string;
  description?: string | null;
  path_with_namespace: string;
  web_url: string;
  avatar_url?: string | null;
  ssh_url_to_repo?: string;
  http_url_to_repo?: string;
  default_branch?: string | null;
  /** Absent from some answers to unauthenticated or minimal requests: the payload then leaves the level out. */
  visibility?: 'private' | 'internal' | 'public';
  namespace?: { id?: number; name: string; path?: string; full_path?: string };
  ci_config_path?: string | null;
}

/** `push_data` of a push event (Events API). */
export interface RestPushData {
  commit_count: number;
  /** `pushed`, `created` or `removed`. */
  action: string;
  /** `branch` or `tag`. */
  ref_type: string;
  /** Null when the ref was created. */
  commit_from: string | null;
  /** Null when the ref was removed. */
  commit_to: string | null;
  /** Short name (`main`); null for a bulk push, which sets `ref_count` instead. */
  ref: string | null;
  commit_title: string | null;
  ref_count?: number | null;
}

/** Notes API note; also the `note` of a `commented on` event. */
export interface RestNote {
  id: number;
  /** `null`, `DiffNote`, `DiscussionNote`. */
  type?: string | null;
  body: string;
  attachment?: string | null;
  author: RestUser;
  created_at: string;
  updated_at?: string;
  system: boolean;
  noteable_id: number;
  /** `Issue`, `MergeRequest`, `Commit`, `Snippet`… */
  noteable_type: string;
  noteable_iid?: number | null;
  project_id?: number;
  commit_id?: string | null;
  /** GitLab 13.x–15.x name of an internal note. */
  confidential?: boolean;
  /** GitLab 15.5+. */
  internal?: boolean;
}

/** Events API event (GET /projects/:id/events). */
export interface RestEvent {
  id: number;
  project_id: number;
  /** `opened`, `closed`, `reopened`, `accepted`, `approved`, `pushed to`, `pushed new`, `deleted`, `commented on`, … */
  action_name: string;
  target_id: number | null;
  target_iid: number | null;
  /** `MergeRequest`, `Issue`, `WorkItem`, `Note`, `DiffNote`, `DiscussionNote`, `Milestone`, `WikiPage::Meta`, … or null (pushes). */
  target_type: string | null;
  target_title: string | null;
  author_id: number;
  author: RestUser;
  author_username?: string;
  created_at: string;
  push_data?: RestPushData;
  note?: RestNote;
}

/** A label: MR and issue answers give titles, or objects with `with_labels_details=true`. */
export type RestLabel = string | { id?: number; name: string; color?: string; description?: string | null };

/** GET /projects/:id/merge_requests/:merge_request_iid. */
export interface RestMergeRequest {
  id: number;
  iid: number;
  project_id: number;
  title: string;
  description: string | null;
  state: 'opened' | 'closed' | 'locked' | 'merged';
  created_at: string;
  updated_at: string;
  target_branch: string;
  source_branch: string;
  source_project_id: number;
  target_project_id: number;
  author: RestUser;
  assignees?: RestUser[];
  reviewers?: RestUser[];
  labels: RestLabel[];
  draft?: boolean;
  work_in_progress?: boolean;
  milestone?: { id: number } | null;
  merge_status?: string;
  detailed_merge_status?: string;
  merge_commit_sha?: string | null;
  sha?: string | null;
  blocking_discussions_resolved?: boolean;
  first_contribution?: boolean;
  web_url: string;
}

/** GET /projects/:id/issues/:issue_iid. */
export interface RestIssue {
  id: number;
  iid: number;
  project_id: number;
  title: string;
  description: string | null;
  state: 'opened' | 'closed';
  created_at: string;
  updated_at: string;
  closed_at?: string | null;
  author: RestUser;
  assignees?: RestUser[];
  labels: RestLabel[];
  milestone?: { id: number } | null;
  confidential: boolean;
  discussion_locked?: boolean | null;
  due_date?: string | null;
  /** `issue`, `incident`, `test_case`, `task`… */
  issue_type?: string;
  /** GitLab 15.x+: `ISSUE`, `INCIDENT`, `TEST_CASE`, `TASK`… */
  type?: string;
  weight?: number | null;
  health_status?: string | null;
  severity?: string;
  web_url: string;
}

/** Commits API commit (single commit, commit list, `commits` of a compare). */
export interface RestCommit {
  id: string;
  short_id?: string;
  title: string;
  message: string;
  author_name: string;
  author_email: string;
  authored_date?: string;
  committed_date: string;
  web_url: string;
}

/** GET /projects/:id/pipelines/:pipeline_id (the list answer lacks `user`, `duration` and `finished_at`). */
export interface RestPipeline {
  id: number;
  iid?: number;
  project_id: number;
  name?: string | null;
  status: string;
  source?: string;
  ref: string;
  sha: string;
  before_sha?: string | null;
  tag: boolean;
  user?: RestUser | null;
  created_at: string;
  updated_at?: string;
  started_at?: string | null;
  finished_at?: string | null;
  duration?: number | null;
  queued_duration?: number | null;
  web_url: string;
}

/** GET /projects/:id/pipelines/:pipeline_id/jobs. */
export interface RestJob {
  id: number;
  name: string;
  stage: string;
  status: string;
  allow_failure: boolean;
  created_at: string;
  started_at?: string | null;
  finished_at?: string | null;
  duration?: number | null;
  queued_duration?: number | null;
  failure_reason?: string | null;
  user?: RestUser | null;
  runner?: { id: number; description?: string; active?: boolean; runner_type?: string; is_shared?: boolean; tags?: string[] } | null;
  tag_list?: string[];
  web_url?: string;
}

/** GET /projects/:id/merge_requests/:merge_request_iid/approvals (Premium fields absent on Free). */
export interface RestApprovals {
  approved?: boolean;
  approvals_required?: number;
  approvals_left?: number;
  approved_by?: Array<{ user: RestUser }>;
}

/** GET /projects/:id/repository/tags/:tag_name (Entities::Tag). */
export interface RestTag {
  name: string;
  /** An annotated tag's message; null or empty for a lightweight tag. */
  message: string | null;
  /** What the ref points at: the tag object of an annotated tag, else the commit. */
  target: string;
  /** The commit the tag points at, through any tag object. */
  commit: RestCommit | null;
  protected?: boolean;
}

/**
 * GET /projects/:id/releases (Entities::Release). It has no id and no `updated_at`; `tag_name` and
 * `commit` only for callers who may read the code.
 */
export interface RestRelease {
  name: string | null;
  tag_name?: string;
  description: string | null;
  created_at: string;
  released_at: string | null;
  author?: RestUser;
  commit?: RestCommit | null;
  upcoming_release?: boolean;
  assets?: {
    count?: number;
    sources?: Array<{ format: string; url: string }>;
    links?: Array<{ id: number; name: string; url: string; link_type?: string; external?: boolean; direct_asset_url?: string }>;
  };
  /** `self`: the release's page (GitLab 12.x+). */
  _links?: { self?: string };
}

/** GET /projects/:id/deployments (Entities::Deployment). */
export interface RestDeployment {
  id: number;
  iid: number;
  ref: string;
  sha: string;
  created_at: string;
  updated_at: string;
  /** `created`, `running`, `success`, `failed`, `canceled`, `skipped`, `blocked`. */
  status: string;
  user?: RestUser | null;
  environment: { id: number; name: string; slug?: string; external_url?: string | null; tier?: string | null };
  /** The deploy job; null for a deployment made through the API. */
  deployable?: (RestJob & { commit?: Partial<RestCommit> | null; web_url?: string }) | null;
}

/** A GitLab server on loopback for tests; it grows with the endpoints the bridge uses. */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

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

export interface FakeGitLabProject {
  id: number;
  name: string;
  path: string;
  path_with_namespace: string;
  visibility: Visibility;
  default_branch: string;
  /** Always a group: the fake has no personal namespaces. */
  namespace: FakeGitLabGroup;
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

/** A comment on an issue (the fake keeps no system notes). */
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
  createdAt: string;
  updatedAt: string;
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
  /** null when none was given: then, like GitLab's Todo#body, the target's title is answered. */
  body: string | null;
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

/** A pipeline; addPipeline() and pipelinesOf() answer copies. */
export interface FakeGitLabPipeline {
  /** Global. */
  id: number;
  /** Per project. */
  iid: number;
  projectId: number;
  /** A branch name, without refs/heads/. */
  ref: string;
  /** The branch's head, made up by the fake (the same for one project and branch every time). */
  sha: string;
  status: FakeGitLabPipelineStatus;
  /** 'api' when made through POST …/pipeline, 'push' when added by a test. */
  source: 'api' | 'push';
  /** Who made it: the API's `user`, which a retry does not change. */
  userId: number;
  /** As created, in order. */
  variables: FakeGitLabPipelineVariable[];
  /** Who retried it, in order: each retry through the API that had failed or canceled jobs to run again. */
  retriedBy: number[];
  createdAt: string;
  updatedAt: string;
}

export interface FakeGitLab {
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
  /** A project in a group (made as addGroup would when missing); default branch 'main' unless given. */
  addProject(pathWithNamespace: string, options: { visibility: Visibility; id?: number; defaultBranch?: string }): FakeGitLabProject;
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
  /**
   * A merge request in the project at `projectPath`, its title as given. Without `draft`, the title
   * decides, as in GitLab, whose drafts' titles start with Draft: (give one so for a faithful draft). The
   * source branch defaults to 'feature-<iid>' and the target to the default branch; both are added to the
   * project's branches.
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
    },
  ): FakeGitLabMergeRequest;
  /** A to-do item on the list of the user `userId`, about an issue or merge request added before. */
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
    },
  ): FakeGitLabTodo;
  /** A pipeline GitLab ran on `ref` (not checked: pipelines outlive their branches), made by `userId`. */
  addPipeline(
    projectPath: string,
    pipeline: { ref: string; status: FakeGitLabPipelineStatus; userId: number; variables?: { key: string; value: string; variable_type?: 'env_var' | 'file' }[] },
  ): FakeGitLabPipeline;
  /** The project's pipelines in the order made, those made through the API included. */
  pipelinesOf(projectPath: string): FakeGitLabPipeline[];
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

/** A note as kept: its times stay inside the fake (FakeGitLabNote is what tests see). */
interface StoredNote extends FakeGitLabNote {
  createdAt: string;
  updatedAt: string;
}
interface StoredIssue extends Omit<FakeGitLabIssue, 'notes'> {
  notes: StoredNote[];
}
/** An API request to one of the issue, merge request, to-do or pipeline routes, once authenticated. */
interface ApiCall {
  /** Undefined for an anonymous caller. */
  userId: number | undefined;
  url: URL;
  /** The query string and the body, merged (readApiParams). */
  params: Record<string, unknown>;
}
interface Paging {
  page: number;
  perPage: number;
}

const UNAUTHORIZED: Answer = [401, { message: '401 Unauthorized' }];
const FORBIDDEN: Answer = [403, { message: '403 Forbidden' }];
const PROJECT_NOT_FOUND: Answer = [404, { message: '404 Project Not Found' }];
/** What ActiveRecord::RecordNotFound becomes in GitLab's API (note the lower-case "found"). */
const NOT_FOUND: Answer = [404, { message: '404 Not found' }];
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
  const mergeRequests: FakeGitLabMergeRequest[] = [];
  const todos: FakeGitLabTodo[] = [];
  const pipelines: FakeGitLabPipeline[] = [];
  // By project id, the branches besides the default one.
  const branches = new Map<number, Set<string>>();
  let lastStamp = 0;

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
  const nextOf = (items: { id: number }[]) => Math.max(0, ...items.map((item) => item.id)) + 1;
  const nextIid = (items: { projectId: number; iid: number }[], projectId: number) =>
    Math.max(0, ...items.filter((item) => item.projectId === projectId).map((item) => item.iid)) + 1;
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
  /** A made-up head commit: the same every time for one project's branch. */
  const headOf = (project: FakeGitLabProject, branch: string) => createHash('sha1').update(`${project.id}:${branch}`).digest('hex');
  const issueAt = (project: FakeGitLabProject, iid: number) => issues.find((issue) => issue.projectId === project.id && issue.iid === iid);
  const mergeRequestAt = (project: FakeGitLabProject, iid: number) => mergeRequests.find((mergeRequest) => mergeRequest.projectId === project.id && mergeRequest.iid === iid);

  /** The caller's role in the project: 0 for anonymous callers and non-members. */
  const roleIn = (project: FakeGitLabProject, userId: number | undefined) => (userId === undefined ? 0 : projectAccess(userId, project));
  const isAuthorOrAssignee = (issuable: { authorId: number; assigneeIds: number[] }, userId: number | undefined) =>
    userId !== undefined && (issuable.authorId === userId || issuable.assigneeIds.includes(userId));
  /**
   * IssuePolicy's read_issue: whoever sees the project (guests of a private one too), but a confidential
   * issue only its author and assignees, and Planners and above.
   */
  const canReadIssue = (issue: StoredIssue, userId: number | undefined) => {
    const project = projects.get(issue.projectId)!;
    return canSeeProject(project, userId) && (!issue.confidential || isAuthorOrAssignee(issue, userId) || roleIn(project, userId) >= 15);
  };
  /** update_issue: Planners and above (ProjectPolicy), and the author and assignees (IssuablePolicy). */
  const canUpdateIssue = (issue: StoredIssue, userId: number) =>
    canReadIssue(issue, userId) && (roleIn(projects.get(issue.projectId)!, userId) >= 15 || isAuthorOrAssignee(issue, userId));
  /** read_merge_request: whoever sees a public or internal project; in a private one, Planners and above (not guests). */
  const canReadMergeRequest = (mergeRequest: FakeGitLabMergeRequest, userId: number | undefined) => {
    const project = projects.get(mergeRequest.projectId)!;
    return canSeeProject(project, userId) && (project.visibility !== 'private' || roleIn(project, userId) >= 15);
  };
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
  const issueJson = (issue: StoredIssue) => {
    const { path_with_namespace: path } = projects.get(issue.projectId)!;
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
      references: { short: `#${issue.iid}`, relative: `#${issue.iid}`, full: `${path}#${issue.iid}` },
    };
  };
  const noteJson = (note: StoredNote, issue: StoredIssue) => ({
    id: note.id,
    type: null,
    body: note.body,
    attachment: null,
    author: userJson(note.authorId),
    created_at: note.createdAt,
    updated_at: note.updatedAt,
    system: false,
    noteable_id: issue.id,
    noteable_type: 'Issue',
    project_id: issue.projectId,
    resolvable: false,
    confidential: false,
    internal: false,
    imported: false,
    imported_from: 'none',
    noteable_iid: issue.iid,
    commands_changes: {},
  });
  const mergeRequestJson = (mergeRequest: FakeGitLabMergeRequest) => {
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
      merged_at: mergeRequest.state === 'merged' ? mergeRequest.updatedAt : null,
      closed_at: mergeRequest.state === 'closed' ? mergeRequest.updatedAt : null,
      target_branch: mergeRequest.targetBranch,
      source_branch: mergeRequest.sourceBranch,
      user_notes_count: 0,
      upvotes: 0,
      downvotes: 0,
      author: userJson(mergeRequest.authorId),
      assignees: mergeRequest.assigneeIds.map((id) => userJson(id)),
      assignee: mergeRequest.assigneeIds.length > 0 ? userJson(mergeRequest.assigneeIds[0]!) : null,
      reviewers: mergeRequest.reviewerIds.map((id) => userJson(id)),
      source_project_id: project.id,
      target_project_id: project.id,
      labels: [],
      draft: mergeRequest.draft,
      work_in_progress: mergeRequest.draft,
      milestone: null,
      merge_when_pipeline_succeeds: false,
      merge_status: 'can_be_merged',
      // What GitLab says of one that cannot be merged as it is: not open, or a draft.
      detailed_merge_status: mergeRequest.state !== 'opened' ? 'not_open' : mergeRequest.draft ? 'draft_status' : 'mergeable',
      sha: headOf(project, mergeRequest.sourceBranch),
      web_url: `${base}/${path}/-/merge_requests/${mergeRequest.iid}`,
      references: { short: `!${mergeRequest.iid}`, relative: `!${mergeRequest.iid}`, full: `${path}!${mergeRequest.iid}` },
    };
  };
  const pipelineJson = (pipeline: FakeGitLabPipeline) => ({
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
    // A pipeline made through the API has no push before it.
    before_sha: '0'.repeat(40),
    tag: false,
    yaml_errors: null,
    user: userJson(pipeline.userId),
    started_at: null,
    finished_at: null,
    committed_at: null,
    duration: null,
    queued_duration: null,
    coverage: null,
  });
  const todoTarget = (todo: FakeGitLabTodo) => {
    const project = projects.get(todo.projectId)!;
    return todo.targetType === 'Issue'
      ? { issue: issueAt(project, todo.targetIid)!, mergeRequest: undefined }
      : { issue: undefined, mergeRequest: mergeRequestAt(project, todo.targetIid)! };
  };
  const todoJson = (todo: FakeGitLabTodo) => {
    const project = projects.get(todo.projectId)!;
    const { issue, mergeRequest } = todoTarget(todo);
    const target = issue ? issueJson(issue) : mergeRequestJson(mergeRequest!);
    return {
      id: todo.id,
      project: { id: project.id, name: project.name, name_with_namespace: `${namePath(project.namespace)} / ${project.name}`, path: project.path, path_with_namespace: project.path_with_namespace },
      author: userJson(todo.authorId),
      action_name: todo.actionName,
      target_type: todo.targetType,
      target,
      target_url: target.web_url,
      // Todo#body: the note's text when there is one, else the target's title.
      body: todo.body ?? target.title,
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
  const userNamed = (username: string) => [...users.values()].find((user) => user.username.toLowerCase() === username.toLowerCase())?.id ?? -1;
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
    return issue && canReadIssue(issue, call.userId) ? [200, issueJson(issue)] : NOT_FOUND;
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
    }
    if (title !== undefined) issue.title = title;
    if (description !== undefined) issue.description = description;
    if (labels !== undefined) issue.labels = labels;
    // Metadata and confidentiality of an existing issue are for Planners and above; others' is dropped.
    if (roleIn(project, call.userId) >= 15) {
      if (assigneeIds !== undefined) issue.assigneeIds = assignable(project, assigneeIds.filter((id) => id !== 0));
      if (confidential !== undefined) issue.confidential = confidential;
      if (discussionLocked !== undefined) issue.discussionLocked = discussionLocked;
    }
    if (JSON.stringify(issue) !== before) {
      issue.updatedAt = stamp();
      if (closing) issue.closedAt = issue.updatedAt;
    }
    return [200, issueJson(issue)];
  };

  const createNote = (call: ApiCall, [segment, iidSegment]: string[]): Answer => {
    // The notes API wants a signed-in caller for reading too (authenticate!).
    if (call.userId === undefined) return UNAUTHORIZED;
    const declared = new Declared({ ...call.params, noteable_id: iidSegment });
    const iid = declared.integer('noteable_id', { required: true });
    const body = declared.string('body', { required: true });
    if (declared.refusal) return declared.refusal;
    const project = userProject(segment!, call.userId);
    if (!project) return PROJECT_NOT_FOUND;
    const issue = issueAt(project, iid!);
    // find_noteable: not_found!(Issue), for a missing issue and one the caller may not read alike.
    if (!issue || !canReadIssue(issue, call.userId)) return [404, { message: '404 Issue Not Found' }];
    // IssuablePolicy: on a locked discussion only members of the project (any role) may comment.
    if (issue.discussionLocked === true && roleIn(project, call.userId) < 10) return FORBIDDEN;
    // Grape takes an empty body; the Note model does not, and the API words that as bad_request!.
    if (body!.trim() === '') return [400, { message: `400 Bad request - Note {:note=>["can't be blank"]}` }];
    const now = stamp();
    const note: StoredNote = { id: nextOf(issues.flatMap((candidate) => candidate.notes)), body: body!, authorId: call.userId, createdAt: now, updatedAt: now };
    issue.notes.push(note);
    // A note touches its noteable.
    issue.updatedAt = now;
    return [201, noteJson(note, issue)];
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
        searched(search, issue),
    );
    return pageOf(ordered(found, orderBy!, sort!).map(issueJson), paging, call.url);
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
    const found = todos.filter((todo) => {
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
    const pipeline = newPipeline(project, { ref: branch, status: 'created', source: 'api', userId: call.userId, variables: variables ?? [] });
    return [201, pipelineJson(pipeline)];
  };

  const retryPipeline = (call: ApiCall, [segment, idSegment]: string[]): Answer => {
    if (call.userId === undefined) return UNAUTHORIZED;
    const declared = new Declared({ ...call.params, pipeline_id: idSegment });
    const id = declared.integer('pipeline_id', { required: true });
    if (declared.refusal) return declared.refusal;
    const project = userProject(segment!, call.userId);
    if (!project) return PROJECT_NOT_FOUND;
    // user_project.all_pipelines.find first (another project's pipeline is not there), then update_pipeline.
    const pipeline = pipelines.find((candidate) => candidate.projectId === project.id && candidate.id === id);
    if (!pipeline) return NOT_FOUND;
    if (roleIn(project, call.userId) < 30) return FORBIDDEN;
    // Ci::RetryPipelineService runs failed and canceled jobs again. With nothing to retry it still
    // succeeds: 201 and the pipeline as it was.
    if (pipeline.status === 'failed' || pipeline.status === 'canceled') {
      pipeline.status = 'running';
      pipeline.updatedAt = stamp();
      pipeline.retriedBy.push(call.userId);
    }
    return [201, pipelineJson(pipeline)];
  };

  const newIssue = (project: FakeGitLabProject, fields: Omit<StoredIssue, 'id' | 'iid' | 'projectId' | 'createdAt' | 'updatedAt' | 'closedAt' | 'closedById' | 'notes'> & { iid: number | undefined }) => {
    const now = stamp();
    const issue: StoredIssue = {
      ...fields,
      id: nextOf(issues),
      iid: fields.iid ?? nextIid(issues, project.id),
      projectId: project.id,
      createdAt: now,
      updatedAt: now,
      closedAt: fields.state === 'closed' ? now : null,
      closedById: null,
      notes: [],
    };
    issues.push(issue);
    return issue;
  };
  const newPipeline = (project: FakeGitLabProject, fields: Pick<FakeGitLabPipeline, 'ref' | 'status' | 'source' | 'userId' | 'variables'>) => {
    const now = stamp();
    const pipeline: FakeGitLabPipeline = {
      ...fields,
      id: nextOf(pipelines),
      iid: nextIid(pipelines, project.id),
      projectId: project.id,
      sha: headOf(project, fields.ref),
      retriedBy: [],
      createdAt: now,
      updatedAt: now,
    };
    pipelines.push(pipeline);
    return pipeline;
  };
  const issueCopy = ({ notes, ...issue }: StoredIssue): FakeGitLabIssue => ({
    ...issue,
    assigneeIds: [...issue.assigneeIds],
    labels: [...issue.labels],
    notes: notes.map(({ id, body, authorId }) => ({ id, body, authorId })),
  });
  const pipelineCopy = (pipeline: FakeGitLabPipeline): FakeGitLabPipeline => ({
    ...pipeline,
    variables: pipeline.variables.map((variable) => ({ ...variable })),
    retriedBy: [...pipeline.retriedBy],
  });

  /** `scopes`: those an OAuth token needs, any one of them; reads take read_api by default, writes want api. */
  const apiRoutes: { method: string; pattern: RegExp; handle: (call: ApiCall, segments: string[]) => Answer; scopes?: string[] }[] = [
    { method: 'GET', pattern: /^\/api\/v4\/projects\/([^/]+)\/issues\/([^/]+)$/, handle: showIssue },
    { method: 'GET', pattern: /^\/api\/v4\/projects\/([^/]+)\/issues$/, handle: listIssues },
    { method: 'POST', pattern: /^\/api\/v4\/projects\/([^/]+)\/issues$/, handle: createIssue },
    { method: 'PUT', pattern: /^\/api\/v4\/projects\/([^/]+)\/issues\/([^/]+)$/, handle: updateIssue },
    { method: 'POST', pattern: /^\/api\/v4\/projects\/([^/]+)\/issues\/([^/]+)\/notes$/, handle: createNote },
    { method: 'GET', pattern: /^\/api\/v4\/issues$/, handle: listIssues },
    { method: 'GET', pattern: /^\/api\/v4\/merge_requests$/, handle: listMergeRequests },
    { method: 'GET', pattern: /^\/api\/v4\/todos$/, handle: listTodos },
    // The users API takes read_user for reading, as /user does.
    { method: 'GET', pattern: /^\/api\/v4\/users$/, handle: listUsers, scopes: ['api', 'read_api', 'read_user'] },
    { method: 'POST', pattern: /^\/api\/v4\/projects\/([^/]+)\/pipeline$/, handle: createPipeline },
    { method: 'POST', pattern: /^\/api\/v4\/projects\/([^/]+)\/pipelines\/([^/]+)\/retry$/, handle: retryPipeline },
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

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname;
    const privateToken = typeof req.headers['private-token'] === 'string' && req.headers['private-token'] !== '' ? req.headers['private-token'] : undefined;
    const bearer = /^bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const token = privateToken ?? bearer;
    requests.push({ method: req.method ?? 'GET', path, ...(token === undefined ? {} : { token }) });
    res.setHeader('Content-Type', 'application/json');
    const send = (status: number, body: unknown) => void res.writeHead(status).end(JSON.stringify(body));
    if (path.startsWith('/oauth/')) {
      return void oauth(req, res, url, bearer).catch(() => {
        if (!res.headersSent) send(500, { message: '500 Internal Server Error' });
      });
    }
    if (path === '/api/v4/version') {
      // Like GitLab: the version needs a token (any will do here: the fake does not check it).
      if (!req.headers.authorization && !req.headers['private-token']) return void res.writeHead(401).end('{"message":"401 Unauthorized"}');
      return void res.end('{"version":"18.6.0","revision":"fake"}');
    }
    const refuse = (refusal: Refusal) => {
      if (refusal.header) res.setHeader('WWW-Authenticate', refusal.header);
      send(...refusal.reply);
    };
    const hookRoute = /^\/api\/v4\/(projects|groups)\/([^/]+)\/hooks(?:\/([^/]+)\/test\/([^/]+))?$/.exec(path);
    if (hookRoute && (req.method === 'POST' || (req.method === 'GET' && hookRoute[3] === undefined))) {
      // In CE the group hook routes do not exist: the catch-all answers before any authentication.
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
      const match = req.method === route.method ? route.pattern.exec(path) : null;
      if (!match) continue;
      const caller = apiCaller(privateToken, bearer, route.scopes ?? (req.method === 'GET' ? ['api', 'read_api'] : ['api']));
      if ('reply' in caller) return refuse(caller);
      return void readApiParams(req, url)
        .then((params) => {
          const [status, body, headers] = route.handle({ userId: caller.userId, url, params }, match.slice(1));
          for (const [name, value] of Object.entries(headers ?? {})) res.setHeader(name, value);
          send(status, body);
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
    url: base,
    requests,
    projects,
    groups,
    addGroup(fullPath, { visibility, id }) {
      return ensureGroup(fullPath, visibility, id ?? nextId(groups));
    },
    addProject(pathWithNamespace, { visibility, id, defaultBranch }) {
      const slash = pathWithNamespace.lastIndexOf('/');
      if (slash < 0) throw new Error(`fake GitLab: ${pathWithNamespace} needs a group`);
      const namespace = ensureGroup(pathWithNamespace.slice(0, slash), visibility);
      const name = pathWithNamespace.slice(slash + 1);
      const project: FakeGitLabProject = { id: id ?? nextId(projects), name, path: name, path_with_namespace: pathWithNamespace, visibility, default_branch: defaultBranch ?? 'main', namespace };
      claim(pathWithNamespace, project.id, projects);
      checkVisibility(visibility, namespace, `project ${pathWithNamespace}`);
      projects.set(project.id, project);
      return project;
    },
    addUser(user) {
      const token = `glpat-${randomBytes(10).toString('hex')}`;
      users.set(user.id, { ...user });
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
    addMergeRequest(projectPath, { iid, title, description, state, draft, authorId, assigneeIds, reviewerIds, sourceBranch, targetBranch }) {
      const project = projectNamed(projectPath);
      knownUser(authorId, 'author');
      for (const id of [...(assigneeIds ?? []), ...(reviewerIds ?? [])]) knownUser(id, 'assignee or reviewer');
      const mergeRequestIid = iid ?? nextIid(mergeRequests, project.id);
      if (mergeRequestAt(project, mergeRequestIid)) throw new Error(`fake GitLab: ${projectPath} has a merge request !${mergeRequestIid} already`);
      // In GitLab a draft is one whose title starts with Draft: (or [Draft], (Draft)); the fake keeps the title as
      // given, and without `draft` takes it from the title.
      const isDraft = draft ?? DRAFT_PREFIX.test(title);
      const now = stamp();
      const mergeRequest: FakeGitLabMergeRequest = {
        id: nextOf(mergeRequests),
        iid: mergeRequestIid,
        projectId: project.id,
        title,
        description: description ?? null,
        state: state ?? 'opened',
        draft: isDraft,
        authorId,
        assigneeIds: [...(assigneeIds ?? [])],
        reviewerIds: [...(reviewerIds ?? [])],
        sourceBranch: sourceBranch ?? `feature-${mergeRequestIid}`,
        targetBranch: targetBranch ?? project.default_branch,
        createdAt: now,
        updatedAt: now,
      };
      addBranchTo(project, mergeRequest.sourceBranch);
      addBranchTo(project, mergeRequest.targetBranch);
      mergeRequests.push(mergeRequest);
      return { ...mergeRequest, assigneeIds: [...mergeRequest.assigneeIds], reviewerIds: [...mergeRequest.reviewerIds] };
    },
    addTodo(userId, { projectPath, targetType, targetIid, actionName, authorId, body, state }) {
      knownUser(userId, 'user');
      knownUser(authorId, 'author');
      const project = projectNamed(projectPath);
      const target = targetType === 'Issue' ? issueAt(project, targetIid) : mergeRequestAt(project, targetIid);
      if (!target) throw new Error(`fake GitLab: ${projectPath} has no ${targetType === 'Issue' ? `issue #${targetIid}` : `merge request !${targetIid}`}`);
      const now = stamp();
      const todo: FakeGitLabTodo = {
        id: nextOf(todos),
        userId,
        projectId: project.id,
        targetType,
        targetIid,
        actionName,
        authorId,
        body: body ?? null,
        state: state ?? 'pending',
        createdAt: now,
        updatedAt: now,
      };
      todos.push(todo);
      return { ...todo };
    },
    addPipeline(projectPath, { ref, status, userId, variables }) {
      const project = projectNamed(projectPath);
      knownUser(userId, 'user');
      const kept = (variables ?? []).map(({ key, value, variable_type }) => ({ key, value, variable_type: variable_type ?? ('env_var' as const) }));
      return pipelineCopy(newPipeline(project, { ref: ref.replace(/^refs\/heads\//, ''), status, source: 'push', userId, variables: kept }));
    },
    pipelinesOf(projectPath) {
      const project = projectNamed(projectPath);
      return pipelines.filter((pipeline) => pipeline.projectId === project.id).map(pipelineCopy);
    },
    close: () =>
      new Promise((resolve) => {
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
class Declared {
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

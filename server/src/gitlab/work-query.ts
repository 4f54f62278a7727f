/**
 * One GraphQL request that tells the bridge everything it polls about a user:
 * review requests, assigned and own merge requests, assigned issues and pending
 * to-dos, each with its total. `readWork` turns the answer into the snapshot the
 * poller, the reminder and the webapp read (pure).
 */
import { z } from 'zod';

/** How many items of each list are fetched; totals come from `count`. */
export const LIST_SIZE = 20;
/** Pending to-dos fetched per poll; more than this and the total comes from REST. */
export const TODO_PAGE = 100;

const MERGE_REQUEST_FIELDS = (approvals: boolean) => `iid title webUrl reference(full: true) draft createdAt updatedAt
  author { id username name }
  project { id fullPath visibility }
  labels(first: 20) { nodes { title color textColor } }
  headPipeline { status }
  ${approvals ? 'approvalsRequired approvalsLeft' : ''}
  conflicts`;

const ISSUE_FIELDS = `iid title webUrl reference(full: true) createdAt updatedAt projectId
  author { id username name }
  labels(first: 20) { nodes { title color textColor } }`;

/** The query; `approvals: false` for GitLab CE, whose schema has no approval fields (EE has them, gitlab.com included). */
export function workQuery({ approvals }: { approvals: boolean }): string {
  const fields = MERGE_REQUEST_FIELDS(approvals);
  return `query GitLabBridgeWork($username: String!) {
  currentUser {
    id
    username
    reviewRequestedMergeRequests(state: opened, first: ${LIST_SIZE}, sort: UPDATED_DESC) { count nodes { ${fields} } }
    assignedMergeRequests(state: opened, first: ${LIST_SIZE}, sort: UPDATED_DESC) { count nodes { ${fields} } }
    authoredMergeRequests(state: opened, first: ${LIST_SIZE}, sort: UPDATED_DESC) { count nodes { ${fields} } }
    todos(state: [pending], first: ${TODO_PAGE}) {
      pageInfo { hasNextPage }
      nodes {
        id action body createdAt targetType targetUrl
        author { id username name }
        project { id fullPath visibility }
        note { id }
        target { ... on MergeRequest { iid title } ... on Issue { iid title } }
      }
    }
  }
  issues(assigneeUsernames: [$username], state: opened, first: ${LIST_SIZE}, sort: UPDATED_DESC) { count nodes { ${ISSUE_FIELDS} } }
}`;
}

export const WORK_QUERY = workQuery({ approvals: true });

/** GitLab refused the query because its schema lacks the approval fields: a CE server. */
export function lacksApprovalFields(message: string): boolean {
  return /approvals(Required|Left)/.test(message);
}

/** `gid://gitlab/Project/12` → 12. */
export function gidNumber(gid: string | number | null | undefined): number | null {
  if (typeof gid === 'number') return gid;
  const match = /\/(\d+)$/.exec(gid ?? '');
  return match ? Number(match[1]) : null;
}

const person = z.object({ id: z.union([z.string(), z.number()]), username: z.string(), name: z.string() }).nullable();
const labels = z.object({ nodes: z.array(z.object({ title: z.string(), color: z.string().nullish(), textColor: z.string().nullish() })) }).nullish();
const mergeRequest = z.object({
  iid: z.union([z.string(), z.number()]),
  title: z.string(),
  webUrl: z.string(),
  reference: z.string(),
  draft: z.boolean().nullish(),
  createdAt: z.string(),
  updatedAt: z.string(),
  author: person.nullish(),
  project: z.object({ id: z.union([z.string(), z.number()]), fullPath: z.string(), visibility: z.string().nullish() }),
  labels,
  headPipeline: z.object({ status: z.string() }).nullish(),
  approvalsRequired: z.number().nullish(),
  approvalsLeft: z.number().nullish(),
  conflicts: z.boolean().nullish(),
});
const issue = z.object({
  iid: z.union([z.string(), z.number()]),
  title: z.string(),
  webUrl: z.string(),
  reference: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  projectId: z.union([z.string(), z.number()]),
  author: person.nullish(),
  labels,
});
const connection = <T extends z.ZodType>(node: T) => z.object({ count: z.number(), nodes: z.array(node) });
const todo = z.object({
  id: z.string(),
  action: z.string(),
  body: z.string().nullish(),
  createdAt: z.string(),
  targetType: z.string(),
  targetUrl: z.string().nullish(),
  author: person.nullish(),
  project: z.object({ id: z.union([z.string(), z.number()]), fullPath: z.string(), visibility: z.string().nullish() }).nullish(),
  note: z.object({ id: z.string() }).nullish(),
  target: z.object({ iid: z.union([z.string(), z.number()]).optional(), title: z.string().optional() }).nullish(),
});
const answer = z.object({
  currentUser: z.object({
    id: z.union([z.string(), z.number()]),
    username: z.string(),
    reviewRequestedMergeRequests: connection(mergeRequest),
    assignedMergeRequests: connection(mergeRequest),
    authoredMergeRequests: connection(mergeRequest),
    todos: z.object({ pageInfo: z.object({ hasNextPage: z.boolean() }), nodes: z.array(todo) }),
  }),
  issues: connection(issue),
});

export interface WorkPerson {
  id: number | null;
  username: string;
  name: string;
}

export interface WorkLabel {
  title: string;
  color: string | null;
  textColor: string | null;
}

export interface WorkItem {
  type: 'merge_request' | 'issue';
  projectId: number | null;
  /** `group/project!12` or `group/project#34`. */
  reference: string;
  iid: number;
  title: string;
  url: string;
  author: WorkPerson | null;
  labels: WorkLabel[];
  createdAt: string;
  updatedAt: string;
  /** Merge requests only; null for issues or when GitLab does not say. */
  draft: boolean | null;
  pipelineStatus: string | null;
  approvals: { required: number; given: number } | null;
  conflicts: boolean | null;
}

export interface WorkTodo {
  id: number;
  /** GitLab's TodoActionEnum: review_requested, assigned, mentioned, directly_addressed, build_failed… */
  action: string;
  body: string;
  createdAt: string;
  targetType: 'merge_request' | 'issue' | 'other';
  targetIid: number | null;
  targetTitle: string;
  url: string | null;
  author: WorkPerson | null;
  projectId: number | null;
  projectPath: string | null;
  /** The comment that made it, for mentions in comments. */
  noteId: number | null;
}

export interface WorkList<T> {
  total: number;
  items: T[];
}

/** What a user has on their plate, as of one poll. */
export interface WorkSnapshot {
  gitlabUserId: number | null;
  reviews: WorkList<WorkItem>;
  assignedMergeRequests: WorkList<WorkItem>;
  myMergeRequests: WorkList<WorkItem>;
  assignedIssues: WorkList<WorkItem>;
  todos: WorkList<WorkTodo>;
  /** True when there are more pending to-dos than one page: `todos.total` must come from elsewhere. */
  moreTodos: boolean;
}

type MergeRequestNode = z.infer<typeof mergeRequest>;
type IssueNode = z.infer<typeof issue>;

const readPerson = (value: z.infer<typeof person> | undefined): WorkPerson | null =>
  value ? { id: gidNumber(value.id), username: value.username, name: value.name } : null;
const readLabels = (value: z.infer<typeof labels>): WorkLabel[] =>
  (value?.nodes ?? []).map((label) => ({ title: label.title, color: label.color ?? null, textColor: label.textColor ?? null }));

/** What merge requests and issues have in common; the MR-only facts start empty. */
function readItem(type: WorkItem['type'], projectId: string | number, node: MergeRequestNode | IssueNode): WorkItem {
  return {
    type,
    projectId: gidNumber(projectId),
    reference: node.reference,
    iid: Number(node.iid),
    title: node.title,
    url: node.webUrl,
    author: readPerson(node.author),
    labels: readLabels(node.labels),
    createdAt: node.createdAt,
    updatedAt: node.updatedAt,
    draft: null,
    pipelineStatus: null,
    approvals: null,
    conflicts: null,
  };
}

function readMergeRequest(node: MergeRequestNode): WorkItem {
  const required = node.approvalsRequired ?? null;
  const left = node.approvalsLeft ?? null;
  return {
    ...readItem('merge_request', node.project.id, node),
    draft: node.draft ?? null,
    pipelineStatus: node.headPipeline?.status.toLowerCase() ?? null,
    approvals: required !== null && left !== null ? { required, given: Math.max(0, required - left) } : null,
    conflicts: node.conflicts ?? null,
  };
}

function readIssue(node: IssueNode): WorkItem {
  return readItem('issue', node.projectId, node);
}

function readTodo(node: z.infer<typeof todo>): WorkTodo {
  const type = node.targetType.toUpperCase().replace(/_/g, '');
  const iid = node.target?.iid;
  return {
    id: gidNumber(node.id) ?? 0,
    action: node.action.toLowerCase(),
    body: node.body ?? '',
    createdAt: node.createdAt,
    targetType: type === 'MERGEREQUEST' ? 'merge_request' : type === 'ISSUE' || type === 'WORKITEM' ? 'issue' : 'other',
    targetIid: iid === undefined ? null : Number(iid),
    targetTitle: node.target?.title ?? '',
    url: node.targetUrl ?? null,
    author: readPerson(node.author),
    projectId: gidNumber(node.project?.id),
    projectPath: node.project?.fullPath ?? null,
    noteId: gidNumber(node.note?.id),
  };
}

/** GraphQL `data` → snapshot; throws (zod) when GitLab answered something else. */
export function readWork(data: unknown): WorkSnapshot {
  const parsed = answer.parse(data);
  const user = parsed.currentUser;
  const list = <N, T>(found: { count: number; nodes: N[] }, read: (node: N) => T): WorkList<T> => ({ total: found.count, items: found.nodes.map(read) });
  return {
    gitlabUserId: gidNumber(user.id),
    reviews: list(user.reviewRequestedMergeRequests, readMergeRequest),
    assignedMergeRequests: list(user.assignedMergeRequests, readMergeRequest),
    myMergeRequests: list(user.authoredMergeRequests, readMergeRequest),
    assignedIssues: list(parsed.issues, readIssue),
    todos: { total: user.todos.nodes.length, items: user.todos.nodes.map(readTodo) },
    moreTodos: user.todos.pageInfo.hasNextPage,
  };
}

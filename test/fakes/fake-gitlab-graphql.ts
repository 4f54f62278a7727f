/**
 * POST /api/graphql for the fake GitLab: a faithful subset of GitLab's GraphQL schema (its type, field,
 * argument and enum names), validated and executed by graphql-js over the fake's data, which the fake
 * passes in with its permission rules. The merge requests and to-do items of a user, the issues across
 * projects, and what the bridge reads of each.
 */
import { buildSchema, executeSync, GraphQLError, parse, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { FakeGitLabFeature, FakeGitLabIssue, FakeGitLabMergeRequest, FakeGitLabPipeline, FakeGitLabProject, FakeGitLabTodo, FakeGitLabUser } from './fake-gitlab.js';

/** A comment with its times, as the fake keeps it. */
export interface FakeGitLabGraphQLNote {
  id: number;
  body: string;
  authorId: number;
  createdAt: string;
  updatedAt: string;
}

/** What the resolvers read: the fake's data and rules, passed in so that this module keeps no state of its own. */
export interface FakeGitLabGraphQLWorld {
  /** The fake's URL, for webUrl. */
  base: string;
  users: ReadonlyMap<number, FakeGitLabUser>;
  projects: ReadonlyMap<number, FakeGitLabProject>;
  issues: readonly FakeGitLabIssue[];
  /** Every merge request the user ever authored, was assigned or asked to review (the filters check which). */
  mergeRequestsOf(userId: number): Iterable<FakeGitLabMergeRequest>;
  /** Every issue the user was ever assigned (the filters check it still is). */
  issuesAssignedTo(userId: number): Iterable<FakeGitLabIssue>;
  /** The user's to-do items, in the order made. */
  todosOf(userId: number): readonly FakeGitLabTodo[];
  userNamed(username: string): FakeGitLabUser | undefined;
  projectAt(fullPath: string): FakeGitLabProject | undefined;
  issueAt(projectId: number, iid: number): FakeGitLabIssue | undefined;
  mergeRequestAt(projectId: number, iid: number): FakeGitLabMergeRequest | undefined;
  /** The comment a to-do item came from, if it came from one. */
  noteOf(todo: FakeGitLabTodo): FakeGitLabGraphQLNote | undefined;
  /** MergeRequest#actual_head_pipeline: the latest pipeline of its source branch, or one run for it. */
  headPipeline(mergeRequest: FakeGitLabMergeRequest): FakeGitLabPipeline | undefined;
  canSeeProject(project: FakeGitLabProject, userId: number | undefined): boolean;
  canReadIssue(issue: FakeGitLabIssue, userId: number | undefined): boolean;
  canReadMergeRequest(mergeRequest: FakeGitLabMergeRequest, userId: number | undefined): boolean;
  /** Project#feature_available?(feature, user). */
  featureOpen(project: FakeGitLabProject, feature: FakeGitLabFeature, userId: number | undefined): boolean;
  /** read_code (download_code). */
  canReadCode(project: FakeGitLabProject, userId: number | undefined): boolean;
}

/** The fields of a GraphQL request (a JSON body, or the query string of a GET). */
export interface FakeGitLabGraphQLRequest {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
}

/** CE lacks the approval fields, which come with EE (licensed or not). */
export type FakeGitLabSchemaEdition = 'ce' | 'ee';

/** GraphqlController::MAX_QUERY_SIZE. */
const MAX_QUERY_SIZE = 10_000;
/** GitLab's default_max_page_size: the page when `first` is not given, and the most a page holds. */
const MAX_PAGE_SIZE = 100;

const MERGE_REQUEST_SORTS = [
  'UPDATED_DESC',
  'UPDATED_ASC',
  'CREATED_DESC',
  'CREATED_ASC',
  'PRIORITY_ASC',
  'PRIORITY_DESC',
  'LABEL_PRIORITY_ASC',
  'LABEL_PRIORITY_DESC',
  'MILESTONE_DUE_ASC',
  'MILESTONE_DUE_DESC',
  'MERGED_AT_ASC',
  'MERGED_AT_DESC',
  'CLOSED_AT_ASC',
  'CLOSED_AT_DESC',
  'TITLE_ASC',
  'TITLE_DESC',
  'POPULARITY_ASC',
  'POPULARITY_DESC',
];
const ISSUE_SORTS = [
  'UPDATED_DESC',
  'UPDATED_ASC',
  'CREATED_DESC',
  'CREATED_ASC',
  'PRIORITY_ASC',
  'PRIORITY_DESC',
  'LABEL_PRIORITY_ASC',
  'LABEL_PRIORITY_DESC',
  'MILESTONE_DUE_ASC',
  'MILESTONE_DUE_DESC',
  'DUE_DATE_ASC',
  'DUE_DATE_DESC',
  'RELATIVE_POSITION_ASC',
  'POPULARITY_ASC',
  'POPULARITY_DESC',
  'TITLE_ASC',
  'TITLE_DESC',
  'CLOSED_AT_ASC',
  'CLOSED_AT_DESC',
];
/** The base Sort enum's old lower-case values, deprecated since 13.5 and still accepted. */
const OLD_SORTS = ['updated_desc', 'updated_asc', 'created_desc', 'created_asc'].map((value) => `${value} @deprecated(reason: "This was renamed. Please use \`${value.toUpperCase()}\`. Deprecated in GitLab 13.5.")`);

const PAGING_ARGS = 'after: String, before: String, first: Int, last: Int';
const MERGE_REQUEST_ARGS = `iids: [String!], sourceBranches: [String!], targetBranches: [String!], state: MergeRequestState, draft: Boolean,
  labels: [String!], createdAfter: Time, createdBefore: Time, updatedAfter: Time, updatedBefore: Time, projectPath: String,
  sort: MergeRequestSort = created_desc, ${PAGING_ARGS}`;
const USER_FIELDS = `
  id: UserID!
  username: String!
  name: String!
  state: UserState!
  avatarUrl: String
  webUrl: String!
  webPath: String!
  bot: Boolean!
  publicEmail: String
  todos(action: [TodoActionEnum!], authorId: [ID!], projectId: [ID!], state: [TodoStateEnum!], type: [TodoTargetEnum!], ${PAGING_ARGS}): TodoConnection
  authoredMergeRequests(${MERGE_REQUEST_ARGS}, assigneeUsername: String, reviewerUsername: String): MergeRequestConnection
  assignedMergeRequests(${MERGE_REQUEST_ARGS}, authorUsername: String, reviewerUsername: String): MergeRequestConnection
  reviewRequestedMergeRequests(${MERGE_REQUEST_ARGS}, authorUsername: String, assigneeUsername: String): MergeRequestConnection
`;
const connectionOf = (node: string, connection = `${node}Connection`) => `
type ${connection} {
  count: Int!
  nodes: [${node}]
  edges: [${node}Edge]
  pageInfo: PageInfo!
}
type ${node}Edge {
  cursor: String!
  node: ${node}
}`;
const userType = (name: string) => `type ${name} implements User & Todoable {${USER_FIELDS}}`;

/** GitLab's schema, as far as the fake goes; `ee` adds the fields EE adds. */
const schemaSource = (edition: FakeGitLabSchemaEdition) => `
"""Time, as an ISO 8601 string."""
scalar Time
"""A global id of a user: gid://gitlab/User/1."""
scalar UserID
"""A global id of a note: gid://gitlab/Note/1."""
scalar NoteID
"""A global id of a pipeline: gid://gitlab/Ci::Pipeline/1."""
scalar CiPipelineID

type Query {
  currentUser: CurrentUser
  user(id: UserID, username: String): UserCore
  project(fullPath: ID!): Project
  issues(iid: String, iids: [String!], state: IssuableState, labelName: [String], authorUsername: String, assigneeUsername: String,
    assigneeUsernames: [String!], search: String, confidential: Boolean, createdAfter: Time, createdBefore: Time, updatedAfter: Time,
    updatedBefore: Time, includeArchived: Boolean = false, sort: IssueSort = created_desc, ${PAGING_ARGS}): IssueConnection
}

type PageInfo {
  hasNextPage: Boolean!
  hasPreviousPage: Boolean!
  startCursor: String
  endCursor: String
}

interface Todoable {
  webUrl: String
  name: String
}

interface User implements Todoable {${USER_FIELDS}}
${userType('UserCore')}
${userType('CurrentUser')}
${userType('MergeRequestAuthor')}
${userType('MergeRequestAssignee')}
${userType('MergeRequestReviewer')}
${connectionOf('UserCore')}
${connectionOf('MergeRequestAssignee')}
${connectionOf('MergeRequestReviewer')}

enum UserState { active blocked deactivated banned ldap_blocked blocked_pending_approval }
enum MergeRequestState { merged opened closed locked all }
enum IssuableState { opened closed locked all }
enum IssueState { opened closed locked all }
enum MergeRequestSort { ${[...OLD_SORTS, ...MERGE_REQUEST_SORTS].join(' ')} }
enum IssueSort { ${[...OLD_SORTS, ...ISSUE_SORTS].join(' ')} }
enum TodoStateEnum { pending done }
enum TodoActionEnum {
  assigned mentioned build_failed marked approval_required unmergeable directly_addressed merge_train_removed review_requested
  member_access_requested review_submitted okr_checkin_requested added_approver ssh_key_expired ssh_key_expiring_soon
}
enum TodoTargetEnum { COMMIT ISSUE WORKITEM DESIGN ALERT MERGEREQUEST EPIC USER PROJECT KEY WIKIPAGEMETA GROUP }
enum PipelineStatusEnum { CREATED WAITING_FOR_RESOURCE PREPARING WAITING_FOR_CALLBACK PENDING RUNNING FAILED SUCCESS CANCELED CANCELING SKIPPED MANUAL SCHEDULED }

type Project {
  id: ID!
  name: String!
  path: String!
  fullPath: ID!
  nameWithNamespace: String!
  description: String
  visibility: String
  webUrl: String
  archived: Boolean
  issuesEnabled: Boolean
  mergeRequestsEnabled: Boolean
  wikiEnabled: Boolean
  snippetsEnabled: Boolean
  jobsEnabled: Boolean
  publicJobs: Boolean
  repository: Repository
}

type Repository {
  exists: Boolean!
  empty: Boolean!
  rootRef: String
}

type Label {
  title: String!
  description: String
  color: String!
  textColor: String!
}
${connectionOf('Label')}

type Pipeline {
  id: CiPipelineID!
  iid: String!
  status: PipelineStatusEnum!
  ref: String
  sha: String
  source: String
  path: String
  active: Boolean!
  complete: Boolean!
  duration: Int
  createdAt: Time!
  updatedAt: Time!
  startedAt: Time
  finishedAt: Time
  user: UserCore
  project: Project
}

type Note {
  id: NoteID!
  body: String!
  author: UserCore
  system: Boolean!
  internal: Boolean
  confidential: Boolean
  url: String
  createdAt: Time!
  updatedAt: Time!
}

type MergeRequest implements Todoable {
  id: ID!
  iid: String!
  title: String!
  name: String
  description: String
  state: MergeRequestState!
  draft: Boolean!
  createdAt: Time!
  updatedAt: Time!
  mergedAt: Time
  closedAt: Time
  webUrl: String
  webPath: String!
  reference(full: Boolean = false): String!
  sourceBranch: String!
  targetBranch: String!
  project: Project!
  projectId: Int!
  author: MergeRequestAuthor
  assignees(${PAGING_ARGS}): MergeRequestAssigneeConnection
  reviewers(${PAGING_ARGS}): MergeRequestReviewerConnection
  labels(${PAGING_ARGS}): LabelConnection
  headPipeline: Pipeline
  conflicts: Boolean!
  mergeCommitSha: String
  userNotesCount: Int
  approvedBy(${PAGING_ARGS}): UserCoreConnection
${
  edition === 'ee'
    ? `  approved: Boolean!
  approvalsRequired: Int
  approvalsLeft: Int`
    : ''
}
}
${connectionOf('MergeRequest')}

type Issue implements Todoable {
  id: ID!
  iid: String!
  title: String!
  name: String
  description: String
  state: IssueState!
  confidential: Boolean!
  discussionLocked: Boolean!
  createdAt: Time!
  updatedAt: Time!
  closedAt: Time
  webUrl: String!
  webPath: String!
  reference(full: Boolean = false): String!
  projectId: Int!
  author: UserCore!
  assignees(${PAGING_ARGS}): UserCoreConnection
  labels(${PAGING_ARGS}): LabelConnection
  userNotesCount: Int!
}
${connectionOf('Issue')}

type Todo {
  id: ID!
  action: TodoActionEnum!
  body: String!
  state: TodoStateEnum!
  createdAt: Time!
  author: UserCore!
  project: Project
  note: Note
  target: Todoable! @deprecated(reason: "Under certain circumstances, the \`target\` field on a to-do item can be \`null\`. The GraphQL schema currently declares \`target\` field as non-nullable. Use the new \`target_entity\` field instead. Deprecated in GitLab 17.4.")
  targetEntity: Todoable
  targetType: TodoTargetEnum!
  targetUrl: String
}
${connectionOf('Todo')}
`;

const schemas = new Map<FakeGitLabSchemaEdition, GraphQLSchema>();
const schemaOf = (edition: FakeGitLabSchemaEdition) => {
  if (!schemas.has(edition)) schemas.set(edition, buildSchema(schemaSource(edition)));
  return schemas.get(edition)!;
};

/** Parsed and validated queries by edition and text: a poller sends the same query again and again. */
const checked = new Map<string, { document: DocumentNode } | { errors: readonly GraphQLError[] }>();
const CHECKED_MAX = 200;
const check = (edition: FakeGitLabSchemaEdition, query: string) => {
  const key = `${edition}\n${query}`;
  let known = checked.get(key);
  if (!known) {
    try {
      const document = parse(query);
      const errors = validate(schemaOf(edition), document);
      known = errors.length > 0 ? { errors } : { document };
    } catch (error) {
      known = { errors: [error instanceof GraphQLError ? error : new GraphQLError(String(error))] };
    }
    if (checked.size >= CHECKED_MAX) checked.clear();
    checked.set(key, known);
  }
  return known;
};

/** graphql-ruby's wording where it differs most visibly from graphql-js's: an unknown field. */
const inGitLabWords = (error: GraphQLError) => {
  const json = error.toJSON();
  const unknownField = /^Cannot query field "([^"]+)" on type "([^"]+)"\./.exec(error.message);
  if (!unknownField) return json;
  const [, fieldName, typeName] = unknownField;
  return { ...json, message: `Field '${fieldName}' doesn't exist on type '${typeName}'`, extensions: { code: 'undefinedField', typeName, fieldName } };
};

/** A label colour as GitLab would suggest one: the same for a name every time. */
export function labelColor(title: string): { color: string; textColor: string } {
  const palette = ['#009966', '#8fbc8f', '#3cb371', '#00b140', '#013220', '#6699cc', '#0000ff', '#e6e6fa', '#9400d3', '#330066', '#808080', '#36454f', '#f7e7ce', '#c21e56', '#cc338b', '#dc143c', '#ff0000', '#cd5b45', '#eee600', '#ed9121', '#c39953'];
  let hash = 0;
  for (const character of title) hash = (hash * 31 + character.codePointAt(0)!) >>> 0;
  const color = palette[hash % palette.length]!;
  // LabelsHelper#text_color_for_bg: dark text on light colours.
  const [red, green, blue] = [1, 3, 5].map((start) => parseInt(color.slice(start, start + 2), 16)) as [number, number, number];
  return { color, textColor: red + green + blue > 500 ? '#1F1E24' : '#FFFFFF' };
}

/**
 * One request to /api/graphql, already authenticated (`viewer` undefined: anonymous), answered as GitLab's
 * GraphqlController does: 200 with `errors` for a query that does not parse or validate, 422 for bad
 * variables or a query over GitLab's size limit.
 */
export function answerGraphQL(world: FakeGitLabGraphQLWorld, edition: FakeGitLabSchemaEdition, viewer: number | undefined, request: FakeGitLabGraphQLRequest): { status: number; body: unknown } {
  const query = typeof request.query === 'string' ? request.query : '';
  if (query.length > MAX_QUERY_SIZE) return { status: 422, body: { errors: [{ message: 'Query too large' }] } };
  if (query.trim() === '') return { status: 200, body: { errors: [{ message: 'No query string was present' }] } };
  // Gitlab::Graphql::Variables: an object, a JSON string of one, or nothing.
  let variables: Record<string, unknown> = {};
  if (typeof request.variables === 'string' && request.variables.trim() !== '') {
    try {
      const parsed = JSON.parse(request.variables) as unknown;
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) variables = parsed as Record<string, unknown>;
    } catch (error) {
      return { status: 422, body: { errors: [{ message: (error as Error).message }] } };
    }
  } else if (request.variables !== null && typeof request.variables === 'object' && !Array.isArray(request.variables)) {
    variables = request.variables as Record<string, unknown>;
  } else if (request.variables !== undefined && request.variables !== null && request.variables !== '') {
    return { status: 422, body: { errors: [{ message: `Unexpected parameter: ${JSON.stringify(request.variables)}` }] } };
  }
  const known = check(edition, query);
  if ('errors' in known) return { status: 200, body: { errors: known.errors.map(inGitLabWords) } };
  const result = executeSync({
    schema: schemaOf(edition),
    document: known.document,
    rootValue: rootOf(world, viewer),
    variableValues: variables,
    operationName: typeof request.operationName === 'string' ? request.operationName : undefined,
  });
  return { status: 200, body: { ...(result.errors ? { errors: result.errors.map((error) => error.toJSON()) } : {}), ...('data' in result ? { data: result.data } : {}) } };
}

interface Paging {
  after?: string | null;
  before?: string | null;
  first?: number | null;
  last?: number | null;
}
interface MergeRequestArgs extends Paging {
  iids?: string[] | null;
  sourceBranches?: string[] | null;
  targetBranches?: string[] | null;
  state?: string | null;
  draft?: boolean | null;
  labels?: string[] | null;
  createdAfter?: string | null;
  createdBefore?: string | null;
  updatedAfter?: string | null;
  updatedBefore?: string | null;
  projectPath?: string | null;
  sort: string;
  authorUsername?: string | null;
  assigneeUsername?: string | null;
  reviewerUsername?: string | null;
}
interface IssueArgs extends Paging {
  iid?: string | null;
  iids?: string[] | null;
  state?: string | null;
  labelName?: (string | null)[] | null;
  authorUsername?: string | null;
  assigneeUsername?: string | null;
  assigneeUsernames?: string[] | null;
  search?: string | null;
  confidential?: boolean | null;
  createdAfter?: string | null;
  createdBefore?: string | null;
  updatedAfter?: string | null;
  updatedBefore?: string | null;
  includeArchived?: boolean | null;
  sort: string;
}
interface TodoArgs extends Paging {
  action?: string[] | null;
  authorId?: string[] | null;
  projectId?: string[] | null;
  state?: string[] | null;
  type?: string[] | null;
}

const gid = (type: string, id: number) => `gid://gitlab/${type}/${id}`;
/** An ID argument: a global id or a bare number. */
const idNumber = (value: string) => Number(/(\d+)$/.exec(value)?.[1] ?? NaN);
const cursorOf = (offset: number) => Buffer.from(JSON.stringify({ offset })).toString('base64');
const offsetOf = (cursor: string) => {
  try {
    const { offset } = JSON.parse(Buffer.from(cursor, 'base64').toString('utf8')) as { offset?: unknown };
    return typeof offset === 'number' && Number.isInteger(offset) && offset >= 0 ? offset : undefined;
  } catch {
    return undefined;
  }
};
/** A Time argument as a number of milliseconds; an error as GitLab's coercion gives one when it is no time. */
const timeOf = (value: string, name: string) => {
  const time = Date.parse(value);
  if (Number.isNaN(time)) throw new GraphQLError(`Argument '${name}' has an invalid value (${JSON.stringify(value)}). Expected type 'Time'.`);
  return time;
};
const within = (at: string, after: string | null | undefined, before: string | null | undefined, names: [string, string]) => {
  const time = Date.parse(at);
  return (after == null || time >= timeOf(after, names[0])) && (before == null || time <= timeOf(before, names[1]));
};

/** One page of a connection, with GitLab's total in `count`; nodes are made for that page only. */
function connection<T>(items: T[], paging: Paging, node: (item: T) => unknown) {
  let start = paging.after == null ? 0 : (offsetOf(paging.after) ?? -1) + 1;
  let end = paging.before == null ? items.length : (offsetOf(paging.before) ?? items.length);
  end = Math.min(end, items.length);
  if (paging.first != null) end = Math.min(end, start + Math.max(0, Math.min(paging.first, MAX_PAGE_SIZE)));
  else if (paging.last != null) start = Math.max(start, end - Math.max(0, Math.min(paging.last, MAX_PAGE_SIZE)));
  else end = Math.min(end, start + MAX_PAGE_SIZE);
  start = Math.min(Math.max(start, 0), end);
  const page = items.slice(start, end).map((item, index) => ({ cursor: cursorOf(start + index), node: node(item) }));
  return {
    count: items.length,
    nodes: page.map((edge) => edge.node),
    edges: page,
    pageInfo: { hasNextPage: end < items.length, hasPreviousPage: start > 0, startCursor: page[0]?.cursor ?? null, endCursor: page.at(-1)?.cursor ?? null },
  };
}

/** Sorts as GitLab's sort enums name it (FIELD_ASC or FIELD_DESC); orders the fake does not keep fall back to the creation time. */
function sortedBy<T extends { id: number; title: string; createdAt: string; updatedAt: string; closedAt: string | null; mergedAt?: string | null }>(items: T[], sort: string): T[] {
  const match = /^(.*)_(asc|desc)$/i.exec(sort);
  const field = match?.[1]!.toUpperCase() ?? 'CREATED';
  const direction = match?.[2]!.toLowerCase() === 'asc' ? 1 : -1;
  const key = (item: T): string | null =>
    field === 'UPDATED' ? item.updatedAt : field === 'TITLE' ? item.title : field === 'MERGED_AT' ? (item.mergedAt ?? null) : field === 'CLOSED_AT' ? item.closedAt : item.createdAt;
  return [...items].sort((a, b) => {
    const [first, second] = [key(a), key(b)];
    // Nulls last, whichever the direction.
    if (first === null || second === null) return first === second ? direction * (a.id - b.id) : first === null ? 1 : -1;
    return first === second ? direction * (a.id - b.id) : direction * (first < second ? -1 : 1);
  });
}

const PIPELINE_ACTIVE = ['created', 'waiting_for_resource', 'preparing', 'pending', 'running', 'scheduled'];
const PIPELINE_COMPLETE = ['success', 'failed', 'canceled', 'skipped'];

/** The root value: each field a function of its arguments, each node an object of values and such functions. */
function rootOf(world: FakeGitLabGraphQLWorld, viewer: number | undefined) {
  const project = (id: number) => world.projects.get(id)!;

  const userNode = (typename: string, user: FakeGitLabUser) => ({
    __typename: typename,
    id: gid('User', user.id),
    username: user.username,
    name: user.name,
    state: 'active',
    avatarUrl: null,
    webUrl: `${world.base}/${user.username}`,
    webPath: `/${user.username}`,
    bot: false,
    publicEmail: null,
    // TodosResolver: another user's to-do items are nobody's business.
    todos: (args: TodoArgs) => connection(user.id === viewer ? todosOf(user.id, args) : [], args, todoNode),
    authoredMergeRequests: (args: MergeRequestArgs) => mergeRequestConnection(user.id, (mergeRequest) => mergeRequest.authorId === user.id, args),
    assignedMergeRequests: (args: MergeRequestArgs) => mergeRequestConnection(user.id, (mergeRequest) => mergeRequest.assigneeIds.includes(user.id), args),
    reviewRequestedMergeRequests: (args: MergeRequestArgs) => mergeRequestConnection(user.id, (mergeRequest) => mergeRequest.reviewerIds.includes(user.id), args),
  });
  const userById = (typename: string) => (id: number) => userNode(typename, world.users.get(id)!);
  const usersConnection = (typename: string, ids: number[]) => (args: Paging) => connection(ids, args, userById(typename));

  const projectNode = (found: FakeGitLabProject) => ({
    __typename: 'Project',
    id: gid('Project', found.id),
    name: found.name,
    path: found.path,
    fullPath: found.path_with_namespace,
    nameWithNamespace: `${[...found.path_with_namespace.split('/').slice(0, -1), found.name].join(' / ')}`,
    description: null,
    visibility: found.visibility,
    webUrl: `${world.base}/${found.path_with_namespace}`,
    archived: false,
    // ProjectType: `<feature>Enabled` is feature_available?(feature, current_user), for anonymous callers too;
    // `repository` is null to whoever may not read the code (RepositoryType authorizes :read_code).
    issuesEnabled: world.featureOpen(found, 'issues', viewer),
    mergeRequestsEnabled: world.featureOpen(found, 'merge_requests', viewer),
    wikiEnabled: world.featureOpen(found, 'wiki', viewer),
    snippetsEnabled: world.featureOpen(found, 'snippets', viewer),
    jobsEnabled: world.featureOpen(found, 'builds', viewer),
    publicJobs: found.publicJobs,
    repository: world.canReadCode(found, viewer) ? { exists: true, empty: false, rootRef: found.default_branch } : null,
  });
  const labelsConnection = (labels: string[]) => (args: Paging) =>
    connection([...labels].sort(), args, (title) => ({ __typename: 'Label', title, description: null, ...labelColor(title) }));

  const pipelineNode = (pipeline: FakeGitLabPipeline) => {
    const path = project(pipeline.projectId).path_with_namespace;
    const seconds = (time: string | null) => (time === null ? null : Date.parse(time) / 1000);
    const [started, finished] = [seconds(pipeline.startedAt), seconds(pipeline.finishedAt)];
    return {
      __typename: 'Pipeline',
      id: gid('Ci::Pipeline', pipeline.id),
      iid: String(pipeline.iid),
      status: pipeline.status.toUpperCase(),
      ref: pipeline.ref,
      sha: pipeline.sha,
      source: pipeline.source,
      path: `/${path}/-/pipelines/${pipeline.id}`,
      active: PIPELINE_ACTIVE.includes(pipeline.status),
      complete: PIPELINE_COMPLETE.includes(pipeline.status),
      duration: started !== null && finished !== null ? Math.round(finished - started) : null,
      createdAt: pipeline.createdAt,
      updatedAt: pipeline.updatedAt,
      startedAt: pipeline.startedAt,
      finishedAt: pipeline.finishedAt,
      user: () => userNode('UserCore', world.users.get(pipeline.userId)!),
      project: () => projectNode(project(pipeline.projectId)),
    };
  };

  const mergeRequestNode = (mergeRequest: FakeGitLabMergeRequest) => {
    const path = project(mergeRequest.projectId).path_with_namespace;
    const approvalsLeft = Math.max(0, mergeRequest.approvalsRequired - mergeRequest.approvedBy.length);
    return {
      __typename: 'MergeRequest',
      id: gid('MergeRequest', mergeRequest.id),
      iid: String(mergeRequest.iid),
      title: mergeRequest.title,
      name: mergeRequest.title,
      description: mergeRequest.description,
      state: mergeRequest.state,
      draft: mergeRequest.draft,
      createdAt: mergeRequest.createdAt,
      updatedAt: mergeRequest.updatedAt,
      mergedAt: mergeRequest.mergedAt,
      closedAt: mergeRequest.closedAt,
      webUrl: `${world.base}/${path}/-/merge_requests/${mergeRequest.iid}`,
      webPath: `/${path}/-/merge_requests/${mergeRequest.iid}`,
      reference: ({ full }: { full: boolean }) => `${full ? path : ''}!${mergeRequest.iid}`,
      sourceBranch: mergeRequest.sourceBranch,
      targetBranch: mergeRequest.targetBranch,
      project: () => projectNode(project(mergeRequest.projectId)),
      projectId: mergeRequest.projectId,
      author: () => userNode('MergeRequestAuthor', world.users.get(mergeRequest.authorId)!),
      assignees: usersConnection('MergeRequestAssignee', mergeRequest.assigneeIds),
      reviewers: usersConnection('MergeRequestReviewer', mergeRequest.reviewerIds),
      labels: labelsConnection(mergeRequest.labels),
      headPipeline: () => {
        const pipeline = world.headPipeline(mergeRequest);
        return pipeline ? pipelineNode(pipeline) : null;
      },
      conflicts: mergeRequest.conflicts,
      mergeCommitSha: mergeRequest.mergeCommitSha,
      userNotesCount: mergeRequest.notes.length,
      approvedBy: usersConnection('UserCore', mergeRequest.approvedBy),
      approved: approvalsLeft === 0,
      approvalsRequired: mergeRequest.approvalsRequired,
      approvalsLeft,
    };
  };

  const issueNode = (issue: FakeGitLabIssue) => {
    const path = project(issue.projectId).path_with_namespace;
    return {
      __typename: 'Issue',
      id: gid('Issue', issue.id),
      iid: String(issue.iid),
      title: issue.title,
      name: issue.title,
      description: issue.description,
      state: issue.state,
      confidential: issue.confidential,
      discussionLocked: issue.discussionLocked === true,
      createdAt: issue.createdAt,
      updatedAt: issue.updatedAt,
      closedAt: issue.closedAt,
      webUrl: `${world.base}/${path}/-/issues/${issue.iid}`,
      webPath: `/${path}/-/issues/${issue.iid}`,
      reference: ({ full }: { full: boolean }) => `${full ? path : ''}#${issue.iid}`,
      projectId: issue.projectId,
      author: () => userNode('UserCore', world.users.get(issue.authorId)!),
      assignees: usersConnection('UserCore', issue.assigneeIds),
      labels: labelsConnection(issue.labels),
      userNotesCount: issue.notes.length,
    };
  };

  const todoTarget = (todo: FakeGitLabTodo) =>
    todo.targetType === 'Issue' ? { issue: world.issueAt(todo.projectId, todo.targetIid)!, mergeRequest: undefined } : { issue: undefined, mergeRequest: world.mergeRequestAt(todo.projectId, todo.targetIid)! };
  const todoNode = (todo: FakeGitLabTodo) => {
    const { issue, mergeRequest } = todoTarget(todo);
    const target = issue ? issueNode(issue) : mergeRequestNode(mergeRequest!);
    const note = world.noteOf(todo);
    return {
      __typename: 'Todo',
      id: gid('Todo', todo.id),
      action: todo.actionName,
      // Todo#body: the note's text when there is one, else the target's title.
      body: todo.body ?? note?.body ?? target.title,
      state: todo.state,
      createdAt: todo.createdAt,
      author: () => userNode('UserCore', world.users.get(todo.authorId)!),
      project: () => projectNode(project(todo.projectId)),
      note: () =>
        note
          ? {
              __typename: 'Note',
              id: gid('Note', note.id),
              body: note.body,
              author: () => userNode('UserCore', world.users.get(note.authorId)!),
              system: false,
              internal: false,
              confidential: false,
              url: `${target.webUrl}#note_${note.id}`,
              createdAt: note.createdAt,
              updatedAt: note.updatedAt,
            }
          : null,
      target,
      targetEntity: target,
      targetType: issue ? 'ISSUE' : 'MERGEREQUEST',
      targetUrl: note ? `${target.webUrl}#note_${note.id}` : target.webUrl,
    };
  };
  /** TodosFinder: the user's, pending unless asked, newest first; gone when the target is out of the user's sight. */
  const todosOf = (userId: number, args: TodoArgs) => {
    const states = args.state && args.state.length > 0 ? args.state : ['pending'];
    const types = args.type?.map((type) => (type === 'MERGEREQUEST' ? 'MergeRequest' : type === 'ISSUE' ? 'Issue' : type));
    const authors = args.authorId?.map(idNumber);
    const projects = args.projectId?.map(idNumber);
    return world
      .todosOf(userId)
      .filter((todo) => {
        if (!states.includes(todo.state)) return false;
        if (args.action && args.action.length > 0 && !args.action.includes(todo.actionName)) return false;
        if (types && types.length > 0 && !types.includes(todo.targetType)) return false;
        if (authors && authors.length > 0 && !authors.includes(todo.authorId)) return false;
        if (projects && projects.length > 0 && !projects.includes(todo.projectId)) return false;
        const { issue, mergeRequest } = todoTarget(todo);
        return issue ? world.canReadIssue(issue, userId) : world.canReadMergeRequest(mergeRequest!, userId);
      })
      .sort((a, b) => b.id - a.id);
  };

  /** MergeRequestsFinder for one of a user's roles, with the filters the fake keeps; only what the caller may read. */
  const mergeRequestConnection = (userId: number, role: (mergeRequest: FakeGitLabMergeRequest) => boolean, args: MergeRequestArgs) => {
    const person = (username: string | null | undefined) => (username == null ? undefined : (world.userNamed(username)?.id ?? -1));
    const [author, assignee, reviewer] = [person(args.authorUsername), person(args.assigneeUsername), person(args.reviewerUsername)];
    const inProject = args.projectPath == null ? undefined : (world.projectAt(args.projectPath)?.id ?? -1);
    const found = [...world.mergeRequestsOf(userId)].filter(
      (mergeRequest) =>
        role(mergeRequest) &&
        (args.state == null || args.state === 'all' || mergeRequest.state === args.state) &&
        (args.draft == null || mergeRequest.draft === args.draft) &&
        (args.iids == null || args.iids.includes(String(mergeRequest.iid))) &&
        (args.sourceBranches == null || args.sourceBranches.includes(mergeRequest.sourceBranch)) &&
        (args.targetBranches == null || args.targetBranches.includes(mergeRequest.targetBranch)) &&
        (args.labels == null || args.labels.every((label) => mergeRequest.labels.includes(label))) &&
        (inProject === undefined || mergeRequest.projectId === inProject) &&
        (author === undefined || mergeRequest.authorId === author) &&
        (assignee === undefined || mergeRequest.assigneeIds.includes(assignee)) &&
        (reviewer === undefined || mergeRequest.reviewerIds.includes(reviewer)) &&
        within(mergeRequest.createdAt, args.createdAfter, args.createdBefore, ['createdAfter', 'createdBefore']) &&
        within(mergeRequest.updatedAt, args.updatedAfter, args.updatedBefore, ['updatedAfter', 'updatedBefore']) &&
        world.canReadMergeRequest(mergeRequest, viewer),
    );
    return connection(sortedBy(found, args.sort), args, mergeRequestNode);
  };

  return {
    currentUser: () => (viewer === undefined ? null : userNode('CurrentUser', world.users.get(viewer)!)),
    user: ({ id, username }: { id?: string | null; username?: string | null }) => {
      const found = id != null ? world.users.get(idNumber(id)) : username != null ? world.userNamed(username) : undefined;
      return found ? userNode('UserCore', found) : null;
    },
    project: ({ fullPath }: { fullPath: string }) => {
      const found = world.projectAt(fullPath);
      return found && world.canSeeProject(found, viewer) ? projectNode(found) : null;
    },
    issues: (args: IssueArgs) => {
      // Issuables::RootArguments: at least one filter; the order and includeArchived are none.
      const { sort: _sort, includeArchived: _includeArchived, after: _after, before: _before, first: _first, last: _last, ...filters } = args;
      if (!Object.values(filters).some((value) => value === false || (value != null && value !== '' && (!Array.isArray(value) || value.length > 0)))) {
        throw new GraphQLError('You must provide at least one filter argument for this query');
      }
      const person = (username: string) => world.userNamed(username)?.id ?? -1;
      const assignees = [...(args.assigneeUsernames ?? []), ...(args.assigneeUsername == null ? [] : [args.assigneeUsername])].map(person);
      const author = args.authorUsername == null ? undefined : person(args.authorUsername);
      const labels = args.labelName?.filter((label): label is string => label !== null);
      const search = args.search?.toLowerCase();
      // The first assignee's issues when one is asked for (every issue that matches is among them), else all.
      const candidates = assignees.length > 0 ? [...world.issuesAssignedTo(assignees[0]!)] : world.issues;
      const found = candidates.filter(
        (issue) =>
          (args.state == null || args.state === 'all' || issue.state === args.state) &&
          (args.iid == null || String(issue.iid) === args.iid) &&
          (args.iids == null || args.iids.includes(String(issue.iid))) &&
          assignees.every((id) => issue.assigneeIds.includes(id)) &&
          (author === undefined || issue.authorId === author) &&
          (labels === undefined || labels.every((label) => issue.labels.includes(label))) &&
          (args.confidential == null || issue.confidential === args.confidential) &&
          (search === undefined || `${issue.title}\n${issue.description ?? ''}`.toLowerCase().includes(search)) &&
          within(issue.createdAt, args.createdAfter, args.createdBefore, ['createdAfter', 'createdBefore']) &&
          within(issue.updatedAt, args.updatedAfter, args.updatedBefore, ['updatedAfter', 'updatedBefore']) &&
          world.canReadIssue(issue, viewer),
      );
      return connection(sortedBy(found, args.sort), args, issueNode);
    },
  };
}

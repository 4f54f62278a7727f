/**
 * The bridge's HTTP API as the webapp calls it: same origin as Mattermost, its session cookie, and for
 * anything that changes state the CSRF headers Mattermost's own Client4 sends. Errors come back as
 * `ApiError`s whose `code` is the bridge's, or `unreachable` when no bridge answered.
 */
import { PLUGIN_ID } from '../manifest';
import type {
  ChannelSubscriptions,
  Counts,
  ExplainReport,
  IssueOption,
  ListName,
  Me,
  Preview,
  ProjectOption,
  Subscription,
  SubscriptionInput,
  Webhook,
  WorkListAnswer,
  Label,
} from './types';

/** GET /code-preview: the lines of a GitLab code link, as the viewer's GitLab account may read them. */
export interface CodePreview {
  project: string;
  path: string;
  fileName: string;
  ref: string;
  commitId: string;
  /** Mattermost's name for the language ('' when unknown). */
  language: string;
  startLine: number;
  endLine: number;
  lines: string[];
  moreLines: number;
  /** The lines asked for, at `commitId`. */
  permalink: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The bridge did not answer: the reverse proxy is missing, or the bridge is down. */
export const UNREACHABLE = 'unreachable';

export function isUnreachable(error: unknown): boolean {
  return error instanceof ApiError && error.code === UNREACHABLE;
}

export function pluginBase(siteUrl: string): string {
  return `${siteUrl.replace(/\/+$/, '')}/plugins/${PLUGIN_ID}`;
}

export function apiBase(siteUrl: string): string {
  return `${pluginBase(siteUrl)}/api/v1`;
}

/** The value of one cookie, or '' (the MMCSRF cookie is readable by scripts on purpose). */
export function readCookie(cookies: string, name: string): string {
  for (const part of cookies.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return decodeURIComponent(rest.join('='));
  }
  return '';
}

export interface ApiClientOptions {
  siteUrl: () => string;
  fetch?: typeof fetch;
  cookies?: () => string;
  /** Told after every call whether a bridge answered, so the panel can say when it cannot be reached. */
  onReachability?: (reachable: boolean) => void;
}

type Query = Record<string, string | undefined>;

function withQuery(path: string, query?: Query): string {
  const params = new URLSearchParams();
  // An empty search means "anything": leave it out rather than send `search=`.
  for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined && value !== '') params.set(key, value);
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

/** The bridge's `{error, code}`, or an `unreachable` error when the answer is not the bridge's. */
async function decodeError(response: Response): Promise<ApiError> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  const fields = body as { error?: unknown; code?: unknown } | undefined;
  if (fields && typeof fields.code === 'string') {
    return new ApiError(response.status, fields.code, typeof fields.error === 'string' ? fields.error : fields.code);
  }
  // A proxy's or Mattermost's own page: the request never reached the bridge.
  return new ApiError(response.status, UNREACHABLE, `The GitLab bridge did not answer (HTTP ${response.status}).`);
}

export function createApiClient(options: ApiClientOptions) {
  const doFetch = options.fetch ?? ((input, init) => window.fetch(input, init));
  const cookies = options.cookies ?? (() => document.cookie);
  const report = options.onReachability ?? (() => undefined);

  async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json', 'X-Requested-With': 'XMLHttpRequest' };
    if (method !== 'GET') headers['X-CSRF-Token'] = readCookie(cookies(), 'MMCSRF');
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let response: Response;
    try {
      response = await doFetch(apiBase(options.siteUrl()) + path, {
        method,
        headers,
        credentials: 'include',
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      report(false);
      throw new ApiError(0, UNREACHABLE, 'The GitLab bridge could not be reached.');
    }
    if (!response.ok) {
      const error = await decodeError(response);
      report(error.code !== UNREACHABLE);
      throw error;
    }
    let data: T;
    try {
      data = (await response.json()) as T;
    } catch {
      report(false);
      throw new ApiError(response.status, UNREACHABLE, 'The GitLab bridge did not answer with JSON.');
    }
    report(true);
    return data;
  }

  const channelPath = (channelId: string) => `/channels/${encodeURIComponent(channelId)}/subscriptions`;

  return {
    me: () => request<Me>('GET', '/me'),
    gitlabUserOf: (userId: string) => request<{ username: string; webUrl: string }>('GET', `/users/${encodeURIComponent(userId)}/gitlab`),
    sidebar: () => request<{ counts: Counts; updatedAt: string }>('GET', '/sidebar'),
    list: (list: ListName) => request<WorkListAnswer>('GET', `/lists/${list}`),
    markTodoDone: (id: number, instance?: string) =>
      request<{ ok: true; counts: Counts }>('POST', withQuery(`/todos/${encodeURIComponent(String(id))}/done`, instance ? { instance } : {})),
    preview: (url: string) => request<Preview>('GET', withQuery('/preview', { url })),
    codePreview: (url: string) => request<CodePreview>('GET', withQuery('/code-preview', { url })),
    subscriptions: (channelId: string) => request<ChannelSubscriptions>('GET', channelPath(channelId)),
    addSubscription: (channelId: string, input: SubscriptionInput) =>
      request<{ subscription: Subscription; notice?: string }>('POST', channelPath(channelId), input),
    editSubscription: (channelId: string, id: Subscription['id'], input: Partial<SubscriptionInput>) =>
      request<{ subscription: Subscription }>('PATCH', `${channelPath(channelId)}/${encodeURIComponent(String(id))}`, input),
    deleteSubscription: (channelId: string, id: Subscription['id']) =>
      request<{ ok: true }>('DELETE', `${channelPath(channelId)}/${encodeURIComponent(String(id))}`),
    createWebhook: (channelId: string, id: Subscription['id']) =>
      request<{ webhook: Webhook }>('POST', `${channelPath(channelId)}/${encodeURIComponent(String(id))}/webhook`),
    /** The last events of the subscription's project or group, and what happened to each here. */
    explainSubscription: (channelId: string, id: Subscription['id']) =>
      request<ExplainReport>('GET', `${channelPath(channelId)}/${encodeURIComponent(String(id))}/explain`),
    /** System admins: the same for a whole project, across every channel subscribed to it. */
    explainProject: (path: string, instance?: string) => request<ExplainReport>('GET', withQuery('/explain/project', { path, instance })),
    lookupProjects: (search: string, instance?: string) => request<{ items: ProjectOption[] }>('GET', withQuery('/lookup/projects', { search, instance })),
    lookupGroups: (search: string, instance?: string) => request<{ items: ProjectOption[] }>('GET', withQuery('/lookup/groups', { search, instance })),
    lookupLabels: (project: string, search: string) =>
      request<{ items: Label[] }>('GET', withQuery('/lookup/labels', { project, search })),
    lookupMilestones: (project: string, search: string) =>
      request<{ items: { id: number; title: string }[] }>('GET', withQuery('/lookup/milestones', { project, search })),
    lookupMembers: (project: string, search: string) =>
      request<{ items: { id: number; username: string; name: string }[] }>('GET', withQuery('/lookup/members', { project, search })),
    lookupBranches: (project: string, search: string) =>
      request<{ items: { name: string }[] }>('GET', withQuery('/lookup/branches', { project, search })),
    lookupIssues: (project: string, search: string) =>
      request<{ items: IssueOption[] }>('GET', withQuery('/lookup/issues', { project, search })),
    createIssue: (input: {
      postId: string;
      project: string;
      title: string;
      description?: string;
      labels?: string[];
      milestoneId?: number;
      assigneeIds?: number[];
    }) => request<{ reference: string; url: string; iid: number }>('POST', '/issues', input),
    attachToIssue: (ref: string, input: { postId: string; comment?: string }) =>
      request<{ url: string }>('POST', `/issues/${encodeURIComponent(ref)}/notes`, input),
  };
}

export type ApiClient = ReturnType<typeof createApiClient>;

/** GitLab's project and group webhook API, with the user's own token (their role decides what GitLab allows). */
import type { GitLabTarget } from './find-target.js';

export class GitLabApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'GitLabApiError';
  }
}

export interface GitLabHook {
  id: number;
  url: string;
  /** The event flags that are on, e.g. push_events. */
  events: string[];
  alertStatus: 'executable' | 'temporarily_disabled' | 'disabled' | string;
  disabledUntil: string | null;
}

/** Our event kinds → GitLab's hook flags. */
export const HOOK_FLAGS: Record<string, string[]> = {
  push: ['push_events'],
  tag_push: ['tag_push_events'],
  issue: ['issues_events', 'confidential_issues_events'],
  note: ['note_events', 'confidential_note_events'],
  merge_request: ['merge_requests_events'],
  pipeline: ['pipeline_events'],
  job: ['job_events'],
  deployment: ['deployment_events'],
  release: ['releases_events'],
  wiki_page: ['wiki_page_events'],
  feature_flag: ['feature_flag_events'],
  emoji: ['emoji_events'],
};
const ALL_FLAGS = [...new Set(Object.values(HOOK_FLAGS).flat())];
const TIMEOUT_MS = 10_000;

const route = (gitlabUrl: string, target: Pick<GitLabTarget, 'kind' | 'id'>): string => `${gitlabUrl.replace(/\/+$/, '')}/api/v4/${target.kind}s/${target.id}/hooks`;

async function call<T>(url: string, token: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    headers: { Authorization: `Bearer ${token}`, ...(init.body ? { 'Content-Type': 'application/json' } : {}) },
    body: init.body ? JSON.stringify(init.body) : undefined,
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  const body = (await response.json().catch(() => ({}))) as { message?: unknown; error?: unknown };
  if (!response.ok) throw new GitLabApiError(response.status, String(body.message ?? body.error ?? response.statusText));
  return body as T;
}

export type HookJson = { id: number; url: string; alert_status?: string; disabled_until?: string | null } & Record<string, unknown>;
export const toHook = (hook: HookJson): GitLabHook => ({
  id: hook.id,
  url: hook.url,
  events: ALL_FLAGS.filter((flag) => hook[flag] === true),
  alertStatus: hook.alert_status ?? 'executable',
  disabledUntil: hook.disabled_until ?? null,
});

export async function listHooks(gitlabUrl: string, token: string, target: Pick<GitLabTarget, 'kind' | 'id'>): Promise<GitLabHook[]> {
  return (await call<HookJson[]>(route(gitlabUrl, target), token)).map(toHook);
}

/** `kinds` are our event kinds; every flag they need is switched on, every other one off. */
export async function createHook(gitlabUrl: string, token: string, target: Pick<GitLabTarget, 'kind' | 'id'>, hook: { url: string; secret: string; kinds: string[] }): Promise<GitLabHook> {
  return toHook(await call<HookJson>(route(gitlabUrl, target), token, { method: 'POST', body: hookBody(hook) }));
}

/** POST …/hooks's parameters for a hook to the bridge that carries `kinds` (our event kinds) and nothing else. */
export function hookBody(hook: { url: string; secret: string; kinds: string[] }): Record<string, unknown> {
  const on = new Set(hook.kinds.flatMap((kind) => HOOK_FLAGS[kind] ?? []));
  const body: Record<string, unknown> = { url: hook.url, token: hook.secret, name: 'Mattermost (gitlab-bridge)', enable_ssl_verification: true };
  for (const flag of ALL_FLAGS) body[flag] = on.has(flag);
  return body;
}

export async function testHook(gitlabUrl: string, token: string, target: Pick<GitLabTarget, 'kind' | 'id'>, hookId: number, trigger: string): Promise<void> {
  await call(`${route(gitlabUrl, target)}/${hookId}/test/${trigger}`, token, { method: 'POST' });
}

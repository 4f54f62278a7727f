/**
 * The pieces every webhook payload shares (project, repository, user, labels,
 * timestamps), built from REST API objects in the shape GitLab's own hook
 * builders give them, so the webhook parsers read polled data unchanged.
 */
import type { RestLabel, RestProject, RestUser } from './rest-shapes.js';

export type HookPayload = Record<string, unknown>;

const VISIBILITY_LEVELS: Record<string, number> = { private: 0, internal: 10, public: 20 };

/** `visibility` as the `visibility_level` hooks carry (0/10/20); undefined when the API answer had none, so the event's visibility stays unknown. */
export function visibilityLevel(visibility: RestProject['visibility']): number | undefined {
  return visibility === undefined ? undefined : VISIBILITY_LEVELS[visibility];
}

/** A project's `hook_attrs`. */
export function projectAttributes(project: RestProject): HookPayload {
  return {
    id: project.id,
    name: project.name,
    description: project.description ?? '',
    web_url: project.web_url,
    avatar_url: project.avatar_url ?? null,
    git_ssh_url: project.ssh_url_to_repo ?? null,
    git_http_url: project.http_url_to_repo ?? null,
    namespace: project.namespace?.name ?? project.path_with_namespace.split('/').slice(0, -1).join('/'),
    visibility_level: visibilityLevel(project.visibility),
    path_with_namespace: project.path_with_namespace,
    default_branch: project.default_branch ?? null,
    ci_config_path: project.ci_config_path ?? null,
    homepage: project.web_url,
    url: project.ssh_url_to_repo ?? null,
    ssh_url: project.ssh_url_to_repo ?? null,
    http_url: project.http_url_to_repo ?? null,
  };
}

/** The deprecated `repository` object most hooks still carry. */
export function repositoryAttributes(project: RestProject): HookPayload {
  return {
    name: project.name,
    url: project.ssh_url_to_repo ?? null,
    description: project.description ?? '',
    homepage: project.web_url,
    git_http_url: project.http_url_to_repo ?? null,
    git_ssh_url: project.ssh_url_to_repo ?? null,
    visibility_level: visibilityLevel(project.visibility),
  };
}

/**
 * A user's `hook_attrs`. No `web_url`: hooks carry none, and leaving it out
 * lets the parser build the profile link from the project URL as it does for webhooks.
 */
export function userAttributes(user: RestUser): HookPayload {
  return { id: user.id, name: user.name, username: user.username, avatar_url: user.avatar_url ?? null };
}

/** Label objects as hooks send them; the API gives titles only unless asked for details. */
export function labelAttributes(labels: readonly RestLabel[]): HookPayload[] {
  return labels.map((label) =>
    typeof label === 'string' ? { title: label } : { id: label.id, title: label.name, color: label.color, description: label.description ?? null },
  );
}

/**
 * `2013-12-03T17:23:34Z`, the form MR and issue hooks use. Hooks carry whole
 * seconds and the API milliseconds: cutting them keeps times (and keys built
 * from them) equal to the webhook's.
 */
export function isoSeconds(value: string | null | undefined): string | null {
  const time = toDate(value);
  return time ? `${time.toISOString().slice(0, 19)}Z` : null;
}

/** `2015-05-17 18:21:36 UTC`, the form note and pipeline hooks use. */
export function utcSeconds(value: string | null | undefined): string | null {
  const time = toDate(value);
  return time ? `${time.toISOString().slice(0, 19).replace('T', ' ')} UTC` : null;
}

function toDate(value: string | null | undefined): Date | null {
  if (!value) return null;
  const time = new Date(value);
  return Number.isNaN(time.getTime()) ? null : time;
}

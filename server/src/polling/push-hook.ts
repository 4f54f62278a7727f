/**
 * Push Hook payloads from a polled push event (`pushed to`, `pushed new`,
 * `deleted` on a branch): refs and counts from its `push_data`, commits from
 * the Commits API. Tag pushes and bulk pushes (more refs than GitLab runs push
 * hooks for, recorded as one event without a ref) are not branch pushes.
 */
import { projectAttributes, repositoryAttributes, type HookPayload } from './hook-attributes.js';
import type { RestCommit, RestEvent, RestProject, RestPushData } from './rest-shapes.js';

/** GitLab puts at most this many (the latest) commits in a push hook. */
export const HOOK_COMMIT_LIMIT = 20;

const ZERO_SHA = '0'.repeat(40);

/** The push data of a branch push the fallback handles, else null. */
export function branchPush(event: RestEvent): RestPushData | null {
  return pushOf(event, 'branch');
}

/** The push data of a push of one ref (a branch or a tag) to, of or deleting it; null for anything else. */
export function pushOf(event: RestEvent, refType: 'branch' | 'tag'): RestPushData | null {
  const data = event.push_data;
  if (!data || data.ref_type !== refType || !data.ref) return null;
  if (!['pushed to', 'pushed new', 'deleted'].includes(event.action_name)) return null;
  return data;
}

/**
 * The commits request a push needs, or null when the event itself says all
 * (a deleted branch, a branch created at an existing commit). One commit is
 * fetched alone; more with one page of the commit list over `from..to`
 * (newest first, so the page holds the latest ones, as the hook does).
 */
export function pushCommitsLookup(data: RestPushData): { commit: string } | { commits: { from: string | null; to: string; perPage: number } } | null {
  if (!data.commit_to || data.commit_count <= 0) return null;
  if (data.commit_count === 1) return { commit: data.commit_to };
  return { commits: { from: data.commit_from, to: data.commit_to, perPage: Math.min(data.commit_count, HOOK_COMMIT_LIMIT) } };
}

/** Who pushed, as push and tag push hooks name them. */
export function pusherAttributes(event: RestEvent): HookPayload {
  return { user_id: event.author.id, user_name: event.author.name, user_username: event.author.username, user_avatar: event.author.avatar_url ?? null };
}

/** `commits`: the pushed commits newest first, as the Commits API lists them; the hook lists the latest ones oldest first. */
export function pushHook(event: RestEvent, data: RestPushData, project: RestProject, commits: readonly RestCommit[]): HookPayload {
  const after = data.commit_to ?? ZERO_SHA;
  const listed = commits.slice(0, HOOK_COMMIT_LIMIT).reverse();
  return {
    object_kind: 'push',
    event_name: 'push',
    before: data.commit_from ?? ZERO_SHA,
    after,
    ref: `refs/heads/${data.ref}`,
    checkout_sha: data.commit_to,
    message: null,
    ...pusherAttributes(event),
    project_id: project.id,
    project: projectAttributes(project),
    commits: listed.map(commitAttributes),
    total_commits_count: Math.max(data.commit_count, listed.length),
    push_options: {},
    repository: repositoryAttributes(project),
  };
}

/** A commit's `hook_attrs`, without the changed files (the Commits API would need a diff request per commit). */
export function commitAttributes(commit: RestCommit): HookPayload {
  return {
    id: commit.id,
    message: commit.message,
    title: commit.title,
    timestamp: commit.committed_date,
    url: commit.web_url,
    author: { name: commit.author_name, email: commit.author_email },
  };
}

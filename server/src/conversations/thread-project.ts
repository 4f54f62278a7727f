/**
 * Before a thread's first comment or award, the project it names is looked up
 * in GitLab as the person acting, and must be one the thread's subscription
 * follows. A thread's key takes the project's id from the webhook that opened
 * it, while subscriptions are matched by path: someone holding the webhook
 * secret could otherwise open a thread in a private channel that names their
 * own project's id under a followed path, and collect what people reply there.
 * A confirmed thread is remembered, so this costs one GitLab request a thread.
 * The project is asked of the thread's own instance (the caller's `gitlab`
 * there), and must be on the subscription's instance.
 */
import type { GitLabAsUser } from '../actions/gitlab-as-user.js';
import { subscriptionTarget } from '../store/subscriptions.js';
import type { Queryable } from '../store/queryable.js';
import type { ThreadTarget } from './thread-target.js';

const REMEMBERED = 10_000;

export type ThreadProjectCheck = (gitlab: GitLabAsUser, target: ThreadTarget, threadKey: string, subscriptionId: string | null) => Promise<boolean>;

export function createThreadProjectCheck(db: Queryable): ThreadProjectCheck {
  const confirmed = new Set<string>();
  return async (gitlab, target, threadKey, subscriptionId) => {
    if (!subscriptionId) return false;
    const key = `${subscriptionId}\n${threadKey}`;
    if (confirmed.has(key)) return true;
    const followed = await subscriptionTarget(db, subscriptionId);
    // A subscription follows a path on one GitLab: the same path (or project id) on another is not it.
    if (!followed || followed.instance !== target.instance) return false;
    // Rejects when the person cannot see the project: they could not comment on it either.
    const project = await gitlab.get<{ id: number; path_with_namespace: string }>(`/projects/${encodeURIComponent(target.project)}`);
    const path = project.path_with_namespace.toLowerCase();
    const covered =
      followed.kind === 'project' ? (followed.id !== null ? followed.id === project.id : path === followed.path) : path.startsWith(`${followed.path}/`);
    if (covered) {
      if (confirmed.size >= REMEMBERED) confirmed.clear();
      confirmed.add(key);
    }
    return covered;
  };
}

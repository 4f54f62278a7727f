/**
 * Whether a connected user may see what a direct message is about, asked of
 * GitLab with their own token and remembered for a while, so a burst of DMs
 * about one private project costs one request per person.
 */
import { GitLabHttpError, type PollClient } from '../gitlab/poll-client.js';
import type { Queryable } from '../store/queryable.js';

/** A yes is trusted this long; a no for less, so a new member starts getting DMs soon. */
const VISIBLE_TTL_SECONDS = 15 * 60;
const HIDDEN_TTL_SECONDS = 2 * 60;
const REPORTER = 20;

export type AccessAnswer = 'visible' | 'hidden' | 'not_connected';

export interface AccessCheckerDeps {
  db: Queryable;
  /** The GitLab instance asked (its users' ids are its own). */
  instance?: string;
  /** GitLab's API, within the request budget polling uses too. */
  client: PollClient;
  /** The user's GitLab id and a usable token, or null when they are not connected. */
  callerFor(mattermostUserId: string): Promise<{ token: string; gitlabUserId: number } | null>;
}

export function createAccessChecker(deps: AccessCheckerDeps) {
  return async function canSee(mattermostUserId: string, probe: string): Promise<AccessAnswer> {
    const caller = await deps.callerFor(mattermostUserId);
    if (!caller) return 'not_connected';
    const { rows } = await deps.db.query<{ visible: boolean }>(
      `SELECT visible FROM gitlab_access_cache WHERE gitlab_user_id = $1 AND probe = $2 AND instance = $5
         AND checked_at > now() - CASE WHEN visible THEN $3::int ELSE $4::int END * interval '1 second'`,
      [caller.gitlabUserId, probe, VISIBLE_TTL_SECONDS, HIDDEN_TTL_SECONDS, deps.instance ?? 'default'],
    );
    if (rows[0]) return rows[0].visible ? 'visible' : 'hidden';
    const visible = await ask(deps, caller.token, probe);
    await deps.db.query(
      `INSERT INTO gitlab_access_cache (gitlab_user_id, probe, visible, instance) VALUES ($1, $2, $3, $4)
       ON CONFLICT (instance, gitlab_user_id, probe) DO UPDATE SET visible = $3, checked_at = now()`,
      [caller.gitlabUserId, probe, visible, deps.instance ?? 'default'],
    );
    return visible ? 'visible' : 'hidden';
  };
}

/** `project:<id>`, `issue:<project>:<iid>`, `merge_request:<project>:<iid>` or `reporter:<project>`. */
async function ask(deps: AccessCheckerDeps, token: string, probe: string): Promise<boolean> {
  const [kind, project, iid] = probe.split(':');
  const path =
    kind === 'issue' ? `/projects/${project}/issues/${iid}` : kind === 'merge_request' ? `/projects/${project}/merge_requests/${iid}` : `/projects/${project}`;
  let body: unknown;
  try {
    ({ body } = await deps.client.get(token, path));
  } catch (error) {
    if (error instanceof GitLabHttpError && (error.status === 404 || error.status === 403)) return false;
    throw error;
  }
  if (kind !== 'reporter') return true;
  const permissions = (body as { permissions?: Record<string, { access_level?: number } | null> } | null)?.permissions ?? {};
  return Math.max(permissions.project_access?.access_level ?? 0, permissions.group_access?.access_level ?? 0) >= REPORTER;
}

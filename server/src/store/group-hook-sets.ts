/**
 * Groups kept in step with a webhook on each of their projects (migration 0023): who asked (whose
 * GitLab token makes the hooks), the projects as last seen, and a lease so that a command and the
 * job never work on one group at once. Every change is announced to the webapp's panels of the
 * channels subscribed to the group.
 */
import type { ProjectHookState, StoredProjectHook } from '../subscriptions/plan-group-hooks.js';
import { publishLiveEvent } from './live-events.js';
import type { Queryable } from './queryable.js';

export const GROUP_HOOKS_JOB = 'group_hooks';

export interface GroupHookSet {
  instance: string;
  groupId: number;
  groupPath: string;
  /** The Mattermost user whose GitLab account makes the hooks. */
  requestedBy: string;
  /** Projects they were Maintainer of at the last look. */
  maintainable: number;
  kinds: string[];
  listedAt: Date | null;
  wantedAt: Date | null;
  lastError: string | null;
  /** Whether `requestedBy` is connected to GitLab (on the set's instance) now. */
  requesterConnected: boolean;
}

interface SetRow {
  instance: string;
  group_id: string;
  group_path: string;
  requested_by: string;
  maintainable: number;
  kinds: string[];
  listed_at: Date | null;
  wanted_at: Date | null;
  last_error: string | null;
  connected: boolean;
}

const SET_COLUMNS = `s.instance, s.group_id, s.group_path, s.requested_by, s.maintainable, s.kinds, s.listed_at, s.wanted_at, s.last_error,
  EXISTS (SELECT 1 FROM gitlab_accounts a WHERE a.mattermost_user_id = s.requested_by AND a.instance = s.instance AND a.disconnected_at IS NULL) AS connected`;

const toSet = (row: SetRow): GroupHookSet => ({
  instance: row.instance,
  groupId: Number(row.group_id),
  groupPath: row.group_path,
  requestedBy: row.requested_by,
  maintainable: row.maintainable,
  kinds: row.kinds,
  listedAt: row.listed_at,
  wantedAt: row.wanted_at,
  lastError: row.last_error,
  requesterConnected: row.connected,
});

export async function readGroupHookSet(db: Queryable, instance: string, groupId: number): Promise<GroupHookSet | null> {
  const { rows } = await db.query<SetRow>(`SELECT ${SET_COLUMNS} FROM group_hook_sets s WHERE s.instance = $1 AND s.group_id = $2`, [instance, groupId]);
  return rows[0] ? toSet(rows[0]) : null;
}

export async function readGroupHookSets(db: Queryable, instance: string, groupIds: readonly number[]): Promise<Map<number, GroupHookSet>> {
  if (groupIds.length === 0) return new Map();
  const { rows } = await db.query<SetRow>(`SELECT ${SET_COLUMNS} FROM group_hook_sets s WHERE s.instance = $1 AND s.group_id = ANY($2::bigint[])`, [instance, groupIds]);
  return new Map(rows.map((row) => [Number(row.group_id), toSet(row)]));
}

/** Creates the set, or changes who keeps it, its kinds and its path (the group may have been renamed). */
export async function saveGroupHookSet(db: Queryable, set: { instance: string; groupId: number; groupPath: string; requestedBy: string; maintainable: number; kinds: string[] }): Promise<void> {
  await db.query(
    `INSERT INTO group_hook_sets (instance, group_id, group_path, requested_by, maintainable, kinds) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (instance, group_id) DO UPDATE SET group_path = EXCLUDED.group_path, requested_by = EXCLUDED.requested_by,
       maintainable = EXCLUDED.maintainable, kinds = EXCLUDED.kinds, updated_at = now()`,
    [set.instance, set.groupId, set.groupPath.toLowerCase(), set.requestedBy, set.maintainable, set.kinds],
  );
  await announce(db, set.instance, set.groupPath);
}

/**
 * Takes the set for one reconcile, unless another holds it (a command and the job, or two replicas):
 * two at once would each find a project without the hook and both add one. False when taken.
 */
export async function leaseGroupHookSet(db: Queryable, instance: string, groupId: number, seconds: number): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE group_hook_sets SET lease_until = now() + $3 * interval '1 second'
      WHERE instance = $1 AND group_id = $2 AND (lease_until IS NULL OR lease_until <= now())`,
    [instance, groupId, seconds],
  );
  return rowCount === 1;
}

export async function releaseGroupHookSet(db: Queryable, instance: string, groupId: number): Promise<void> {
  await db.query('UPDATE group_hook_sets SET lease_until = NULL WHERE instance = $1 AND group_id = $2', [instance, groupId]);
}

/** What a reconcile learnt: GitLab listed the projects at `listedAt`, or could not (`error`). */
export async function recordGroupHookCheck(db: Queryable, set: Pick<GroupHookSet, 'instance' | 'groupId' | 'groupPath'>, outcome: { listedAt: Date; maintainable: number } | { error: string }): Promise<void> {
  if ('error' in outcome) {
    await db.query('UPDATE group_hook_sets SET last_error = $3, updated_at = now() WHERE instance = $1 AND group_id = $2', [set.instance, set.groupId, outcome.error.slice(0, 500)]);
  } else {
    await db.query('UPDATE group_hook_sets SET listed_at = $3, maintainable = $4, last_error = NULL, updated_at = now() WHERE instance = $1 AND group_id = $2', [
      set.instance,
      set.groupId,
      outcome.listedAt,
      outcome.maintainable,
    ]);
  }
  await announce(db, set.instance, set.groupPath);
}

interface ProjectRow {
  project_id: string;
  project_path: string;
  visibility: string;
  state: ProjectHookState;
  hook_id: string | null;
  error: string | null;
  verified_at: Date | null;
}

export async function readGroupHookProjects(db: Queryable, instance: string, groupId: number): Promise<StoredProjectHook[]> {
  const { rows } = await db.query<ProjectRow>(
    'SELECT project_id, project_path, visibility, state, hook_id, error, verified_at FROM group_hook_projects WHERE instance = $1 AND group_id = $2 ORDER BY project_path',
    [instance, groupId],
  );
  return rows.map((row) => ({
    projectId: Number(row.project_id),
    path: row.project_path,
    visibility: row.visibility,
    state: row.state,
    hookId: row.hook_id === null ? null : Number(row.hook_id),
    error: row.error,
    verifiedAt: row.verified_at,
  }));
}

/** Records one project's state (as each is done, so a reconcile cut short keeps what it did). */
export async function saveGroupHookProject(db: Queryable, set: Pick<GroupHookSet, 'instance' | 'groupId'>, project: StoredProjectHook): Promise<void> {
  await db.query(
    `INSERT INTO group_hook_projects (instance, group_id, project_id, project_path, visibility, state, hook_id, error, verified_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (instance, group_id, project_id) DO UPDATE SET project_path = EXCLUDED.project_path, visibility = EXCLUDED.visibility,
       state = EXCLUDED.state, hook_id = EXCLUDED.hook_id, error = EXCLUDED.error, verified_at = EXCLUDED.verified_at`,
    [set.instance, set.groupId, project.projectId, project.path, project.visibility, project.state, project.hookId, project.error, project.verifiedAt],
  );
}

/** Projects that left the group's list (archived, removed, moved away). */
export async function dropGroupHookProjects(db: Queryable, set: Pick<GroupHookSet, 'instance' | 'groupId'>, projectIds: readonly number[]): Promise<void> {
  if (projectIds.length === 0) return;
  await db.query('DELETE FROM group_hook_projects WHERE instance = $1 AND group_id = $2 AND project_id = ANY($3::bigint[])', [set.instance, set.groupId, projectIds]);
}

/**
 * A delivery said projects were created, removed, archived, renamed or moved: the sets of groups
 * above `paths`, and of groups that had one of `projectIds`, reconcile soon. At most every 30
 * seconds each, so that a burst (a group imported, 200 projects at once) costs a few runs, not
 * 200; `wanted_at` tells a run under way to look again. How many sets were marked.
 */
export async function reconcileGroupHooksSoon(db: Queryable, change: { paths: readonly string[]; projectIds: readonly number[] }, instance = 'default'): Promise<number> {
  if (change.paths.length === 0 && change.projectIds.length === 0) return 0;
  const { rows } = await db.query<{ subject: string }>(
    `UPDATE group_hook_sets s SET wanted_at = clock_timestamp()
      WHERE s.instance = $3 AND (s.group_path = ANY($1::text[])
        OR EXISTS (SELECT 1 FROM group_hook_projects p WHERE p.instance = s.instance AND p.group_id = s.group_id AND p.project_id = ANY($2::bigint[])))
      RETURNING s.group_id::text AS subject`,
    [change.paths.map((path) => path.toLowerCase()), change.projectIds, instance],
  );
  if (rows.length === 0) return 0;
  await db.query(
    `UPDATE poll_jobs SET next_run_at = LEAST(next_run_at, GREATEST(clock_timestamp(), last_run_at + interval '30 seconds'))
      WHERE kind = $1 AND instance = $3 AND subject = ANY($2::text[])`,
    [GROUP_HOOKS_JOB, rows.map((row) => row.subject), instance],
  );
  return rows.length;
}

/** The webapp's panels of channels subscribed to the group show its coverage. */
async function announce(db: Queryable, instance: string, groupPath: string): Promise<void> {
  const { rows } = await db.query<{ channel_id: string }>(
    "SELECT DISTINCT channel_id FROM subscriptions WHERE instance = $1 AND target_kind = 'group' AND target_path = $2",
    [instance, groupPath.toLowerCase()],
  );
  for (const row of rows) await publishLiveEvent(db, { kind: 'subscriptions', channelId: row.channel_id });
}

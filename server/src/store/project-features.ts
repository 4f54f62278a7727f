/**
 * Public projects' feature levels as GitLab last gave them (migration 0014),
 * shared by every replica: a good answer is used for a few minutes, a failed
 * lookup is remembered for less, so a GitLab that is down is not asked again
 * for every batch of webhooks.
 */
import type { FeatureLevels } from '../rules/feature-visibility.js';
import type { Queryable } from './queryable.js';

/** A project that keeps a feature to members from now on is treated so within this time. */
export const FEATURE_LEVELS_TTL_SECONDS = 5 * 60;
/** After a failed lookup, its project's events are members-only for this long before GitLab is asked again. */
export const FAILED_LOOKUP_TTL_SECONDS = 60;
/** Rows nobody looked at for this long belong to projects no longer heard of. */
const FORGET_AFTER = '1 day';
const PRUNE_BATCH = 100;

/** The projects with an answer still in force: their levels, or null after a failed lookup. */
export async function readFeatureLevels(db: Queryable, projectIds: readonly number[], instance = 'default'): Promise<Map<number, FeatureLevels | null>> {
  if (projectIds.length === 0) return new Map();
  const { rows } = await db.query<{ project_id: string; levels: FeatureLevels | null }>({
    // Named: asked for every batch of webhooks about public projects.
    name: 'project-features-read',
    text: `SELECT project_id, levels FROM project_features
            WHERE project_id = ANY($1::bigint[]) AND instance = $4
              AND checked_at > now() - CASE WHEN levels IS NULL THEN $3::int ELSE $2::int END * interval '1 second'`,
    values: [projectIds, FEATURE_LEVELS_TTL_SECONDS, FAILED_LOOKUP_TTL_SECONDS, instance],
  });
  return new Map(rows.map((row) => [Number(row.project_id), row.levels]));
}

/** Records what the lookups found (null: failed), and forgets a few long-unused rows. */
export async function saveFeatureLevels(db: Queryable, found: ReadonlyMap<number, FeatureLevels | null>, instance = 'default'): Promise<void> {
  if (found.size === 0) return;
  const ids = [...found.keys()];
  await db.query(
    `INSERT INTO project_features (instance, project_id, levels, checked_at)
     SELECT $3, id, levels, now() FROM unnest($1::bigint[], $2::jsonb[]) AS found (id, levels)
     ON CONFLICT (instance, project_id) DO UPDATE SET levels = excluded.levels, checked_at = excluded.checked_at`,
    [ids, ids.map((id) => (found.get(id) ? JSON.stringify(found.get(id)) : null)), instance],
  );
  await db.query(
    `DELETE FROM project_features WHERE (instance, project_id) IN (
       SELECT instance, project_id FROM project_features WHERE checked_at < now() - $1::interval ORDER BY checked_at LIMIT $2)`,
    [FORGET_AFTER, PRUNE_BATCH],
  );
}

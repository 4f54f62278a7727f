/** Per-object state folded from events (migration 0004): MR/issue status, last pipeline per ref. */
import type { ObjectStatus } from '../delivery/object-status.js';
import type { Queryable } from './queryable.js';

export async function readObjectStatus(db: Queryable, key: string): Promise<ObjectStatus | null> {
  return (await readObjectStatuses(db, [key])).get(key) ?? null;
}

/** The stored statuses of these objects (those that have one), each row locked until the transaction ends. */
export async function readObjectStatuses(db: Queryable, keys: readonly string[]): Promise<Map<string, ObjectStatus>> {
  if (keys.length === 0) return new Map();
  const result = await db.query<{ object_key: string; state: ObjectStatus }>({
    name: 'tracked-objects-read',
    text: 'SELECT object_key, state FROM tracked_objects WHERE object_key = ANY($1::text[]) ORDER BY object_key FOR UPDATE',
    values: [keys],
  });
  return new Map(result.rows.map((row) => [row.object_key, row.state]));
}

/** Stores these statuses in one statement; a null status is left out (an event that tracks nothing). */
export async function writeObjectStatuses(db: Queryable, statuses: ReadonlyMap<string, ObjectStatus | null>): Promise<void> {
  const known = [...statuses].filter((entry): entry is [string, ObjectStatus] => entry[1] !== null);
  if (known.length === 0) return;
  await db.query({
    name: 'tracked-objects-write',
    text: `INSERT INTO tracked_objects (object_key, state)
           SELECT key, state FROM unnest($1::text[], $2::jsonb[]) AS written (key, state)
           ON CONFLICT (object_key) DO UPDATE SET state = excluded.state, updated_at = now()`,
    values: [known.map(([key]) => key), known.map(([, status]) => JSON.stringify(status))],
  });
}

export async function writeObjectStatus(db: Queryable, key: string, status: ObjectStatus): Promise<void> {
  await writeObjectStatuses(db, new Map([[key, status]]));
}

/**
 * Records a finished pipeline for its ref and returns the status of the ref's
 * previous finished pipeline. An older pipeline finishing late changes nothing.
 */
export async function recordRefPipeline(
  db: Queryable,
  projectKey: string,
  ref: string,
  pipelineId: number,
  status: string,
): Promise<{ previous: string | null; latest: boolean }> {
  const before = await db.query<{ pipeline_id: string; status: string }>(
    'SELECT pipeline_id, status FROM ref_pipelines WHERE project_key = $1 AND ref = $2 FOR UPDATE',
    [projectKey, ref],
  );
  const row = before.rows[0];
  if (row && Number(row.pipeline_id) > pipelineId) return { previous: null, latest: false };
  if (row && Number(row.pipeline_id) === pipelineId) return { previous: null, latest: true };
  await db.query(
    `INSERT INTO ref_pipelines (project_key, ref, pipeline_id, status) VALUES ($1, $2, $3, $4)
     ON CONFLICT (project_key, ref) DO UPDATE SET pipeline_id = $3, status = $4, updated_at = now()`,
    [projectKey, ref, pipelineId, status],
  );
  return { previous: row?.status ?? null, latest: true };
}

/**
 * What the bridge forgets, and when: one step per kind of finished state, each
 * deleting at most `limit` rows per call, so that the runner (jobs/run-pruning.ts)
 * can pause between batches and no statement holds locks for long. Rows are
 * chosen by an index on their age (migration 0015) and deleted by ctid; a row
 * changed since it was chosen is left for the next run.
 *
 * Never pruned: anything still to be done (unprocessed deliveries, pending posts
 * and DMs), the thread roots those pending posts and DMs reply under, and the
 * thread roots of MRs and issues still open and active, and the newest
 * explanations of each project or group path (`subscriptions explain`). Tables
 * not here are bounded by what they describe (one row per user, team,
 * subscription, poll subject) or pruned where they are written (live_events,
 * gitlab_request_budget, gitlab_caller_rate_pause).
 */
import type { RetentionSettings } from '../config.js';
import type { Queryable } from './queryable.js';

/** Most rows gitlab_access_cache keeps, whatever their age: the newest answers win. */
export const ACCESS_CACHE_MAX_ROWS = 100_000;
/**
 * Access answers older than this are of no use: the longest one is trusted for
 * 15 minutes (accounts/gitlab-access.ts).
 */
const ACCESS_CACHE_KEEP_SECONDS = 3600;
/** How long a button press is remembered (actions: a second press of the same button within it does nothing). */
const ACTION_PRESS_KEEP_SECONDS = 86_400;
/** Longer than the catch-up reads back (conversations/catch-up.ts, 7 days). */
const CODE_PREVIEW_KEEP_SECONDS = 8 * 86_400;

export interface PruneRules extends Omit<RetentionSettings, 'pruneIntervalSeconds'> {
  /** The clock the ages are measured against; null means the database's now() (tests pass a later one). */
  now: Date | null;
  accessCacheMaxRows?: number;
}

export interface PruneStep {
  /** The table the step is named for (it may delete from others too: see `tables`). */
  name: string;
  /** Tables this step deletes from, in the order `run` reports them. */
  tables: readonly string[];
  /** One batch: how many rows it deleted from each table. */
  run(db: Queryable, rules: PruneRules, limit: number): Promise<Record<string, number>>;
}

/** The cutoff "this many seconds before now" as SQL over parameters $1 (now or null) and the given one. */
const before = (seconds: string) => `coalesce($1::timestamptz, now()) - ${seconds}::double precision * interval '1 second'`;

/**
 * A step that deletes rows of one table chosen by `where` (over $1 = now, $2 = seconds), oldest first by
 * `order` when an index has them in that order, else in whatever order they are found.
 */
function deleteOld(table: string, where: string, order: string | null, seconds: (rules: PruneRules) => number): PruneStep {
  const sql = `DELETE FROM ${table} WHERE ctid = ANY(ARRAY(
      SELECT ctid FROM ${table} WHERE ${where} ${order ? `ORDER BY ${order} ` : ''}LIMIT $3))`;
  return {
    name: table,
    tables: [table],
    async run(db, rules, limit) {
      const result = await db.query(sql, [rules.now, seconds(rules), limit]);
      return { [table]: result.rowCount ?? 0 };
    },
  };
}

/**
 * MRs and issues closed or merged longer ago than DELIVERY_RETENTION, or with no
 * event at all for IDLE_THREAD_RETENTION: their status, their thread roots in
 * channels and DMs, and who took part. A later event about one starts afresh
 * (a new thread). Never while a post or DM about it is still pending. The object
 * row is taken first: an event being processed holds it FOR UPDATE, so the two
 * never cross.
 */
const forgetObjects: PruneStep = {
  name: 'tracked_objects',
  tables: ['tracked_objects', 'channel_threads', 'direct_threads', 'thread_participants'],
  async run(db, rules, limit) {
    const { rows } = await db.query<Record<string, string>>(
      `WITH gone AS (
         DELETE FROM tracked_objects WHERE ctid = ANY(ARRAY(
           SELECT ctid FROM tracked_objects
            WHERE updated_at < ${before('$3')}
              AND (state->>'state' IN ('closed', 'merged') OR updated_at < ${before('$2')})
              -- Posts and DMs still to be sent about it thread under its roots.
              AND object_key NOT IN (SELECT thread_key FROM channel_outbox WHERE state = 'pending' AND thread_key IS NOT NULL)
              AND object_key NOT IN (SELECT thread_key FROM direct_outbox WHERE state = 'pending' AND thread_key IS NOT NULL)
            ORDER BY updated_at LIMIT $4))
         RETURNING object_key),
       roots AS (DELETE FROM channel_threads WHERE thread_key IN (SELECT object_key FROM gone) RETURNING 1),
       direct AS (DELETE FROM direct_threads WHERE thread_key IN (SELECT object_key FROM gone) RETURNING 1),
       people AS (DELETE FROM thread_participants WHERE thread_key IN (SELECT object_key FROM gone) RETURNING 1)
       SELECT (SELECT count(*) FROM gone) AS tracked_objects, (SELECT count(*) FROM roots) AS channel_threads,
              (SELECT count(*) FROM direct) AS direct_threads, (SELECT count(*) FROM people) AS thread_participants`,
      [rules.now, rules.idleThreadSeconds, Math.min(rules.deliverySeconds, rules.idleThreadSeconds), limit],
    );
    const row = rows[0] ?? {};
    return Object.fromEntries(this.tables.map((table) => [table, Number(row[table] ?? 0)]));
  },
};

/**
 * Not tracked (no channel follows the project, so only DMs know of it): forgotten once idle. A thread
 * root stays while a post or DM still to be sent to its channel or person threads under it, as in
 * forgetObjects (`pending` names that outbox and the column it shares with `table`).
 */
const untracked = (table: string, at: string, indexed: boolean, pending?: { outbox: string; owner: string }): PruneStep =>
  deleteOld(
    table,
    `${at} < ${before('$2')} AND NOT EXISTS (SELECT 1 FROM tracked_objects o WHERE o.object_key = ${table}.thread_key)` +
      (pending
        ? ` AND NOT EXISTS (SELECT 1 FROM ${pending.outbox} p WHERE p.state = 'pending' AND p.thread_key = ${table}.thread_key AND p.${pending.owner} = ${table}.${pending.owner})`
        : ''),
    indexed ? at : null,
    (rules) => rules.idleThreadSeconds,
  );

/** Reactions taken back or refused go with the deliveries; an award stays removable from chat as long as an idle thread is kept. */
const forgetReactions: PruneStep = {
  name: 'chat_reactions',
  tables: ['chat_reactions'],
  async run(db, rules, limit) {
    const result = await db.query(
      `DELETE FROM chat_reactions WHERE ctid = ANY(ARRAY(
         SELECT ctid FROM chat_reactions
          WHERE (state IN ('removed', 'skipped', 'failed') AND updated_at < ${before('$2')}) OR (state = 'awarded' AND updated_at < ${before('$3')})
          ORDER BY updated_at LIMIT $4))`,
      [rules.now, rules.deliverySeconds, rules.idleThreadSeconds, limit],
    );
    return { chat_reactions: result.rowCount ?? 0 };
  },
};

/** How many explanations of each path stay, however old: "why did nothing arrive?" always has an answer. */
export const EXPLANATIONS_KEPT_PER_PATH = 20;

/**
 * What processing decided about deliveries (delivery_explanations), kept as long as the posts they
 * explain (DELIVERY_RETENTION), except the newest EXPLANATIONS_KEPT_PER_PATH of each project or group
 * path. A row goes once that many newer ones of its path exist: one index probe per row.
 */
const forgetExplanations: PruneStep = {
  name: 'delivery_explanations',
  tables: ['delivery_explanations'],
  async run(db, rules, limit) {
    const result = await db.query(
      `DELETE FROM delivery_explanations WHERE ctid = ANY(ARRAY(
         SELECT e.ctid FROM delivery_explanations e
          WHERE e.received_at < ${before('$2')}
            AND e.delivery_id < (SELECT k.delivery_id FROM delivery_explanations k WHERE k.instance = e.instance AND k.path = e.path
                                  ORDER BY k.delivery_id DESC OFFSET $4 LIMIT 1)
          ORDER BY e.received_at LIMIT $3))`,
      [rules.now, rules.deliverySeconds, limit, EXPLANATIONS_KEPT_PER_PATH - 1],
    );
    return { delivery_explanations: result.rowCount ?? 0 };
  },
};

/**
 * The newest rows of each path that forgetExplanations keeps past DELIVERY_RETENTION keep only what
 * happened (kind, action, rule codes): their GitLab content (summary, link, and the sentences naming
 * labels, branches and authors) goes with the retention, as the posts' own records do. Counted as
 * `delivery_explanations_content`: rows cleared, not deleted.
 */
const clearOldExplanations: PruneStep = {
  name: 'delivery_explanations_content',
  tables: ['delivery_explanations_content'],
  async run(db, rules, limit) {
    const result = await db.query(
      `UPDATE delivery_explanations
          SET summary = NULL, url = NULL,
              verdicts = (SELECT coalesce(jsonb_agg(verdict - 'm'), '[]'::jsonb) FROM jsonb_array_elements(verdicts) verdict)
        WHERE ctid = ANY(ARRAY(
          SELECT ctid FROM delivery_explanations
           WHERE received_at < ${before('$2')} AND (summary IS NOT NULL OR url IS NOT NULL OR jsonb_path_exists(verdicts, '$[*].m'))
           ORDER BY received_at LIMIT $3))`,
      [rules.now, rules.deliverySeconds, limit],
    );
    return { delivery_explanations_content: result.rowCount ?? 0 };
  },
};

/** Rows of gitlab_access_cache beyond the newest `accessCacheMaxRows`. */
const capAccessCache: PruneStep = {
  name: 'gitlab_access_cache_cap',
  tables: ['gitlab_access_cache'],
  async run(db, rules, limit) {
    const result = await db.query(
      `DELETE FROM gitlab_access_cache WHERE ctid = ANY(ARRAY(
         SELECT ctid FROM gitlab_access_cache ORDER BY checked_at DESC OFFSET $1 LIMIT $2))`,
      [rules.accessCacheMaxRows ?? ACCESS_CACHE_MAX_ROWS, limit],
    );
    return { gitlab_access_cache: result.rowCount ?? 0 };
  },
};

/** In the order they run: what frees the most space first. */
export const PRUNE_STEPS: readonly PruneStep[] = [
  // The dedupe window is exactly the retention of processed deliveries: a resend within it still finds its row.
  deleteOld('webhook_deliveries', `received_at < ${before('$2')} AND processed_at IS NOT NULL`, 'received_at', (rules) => rules.webhookDedupeSeconds),
  deleteOld('channel_outbox', `created_at < ${before('$2')} AND state <> 'pending'`, 'created_at', (rules) => rules.deliverySeconds),
  deleteOld('direct_outbox', `created_at < ${before('$2')} AND state <> 'pending'`, 'created_at', (rules) => rules.deliverySeconds),
  forgetExplanations,
  clearOldExplanations,
  forgetObjects,
  untracked('channel_threads', 'updated_at', false, { outbox: 'channel_outbox', owner: 'channel_id' }),
  untracked('direct_threads', 'created_at', false, { outbox: 'direct_outbox', owner: 'mattermost_user_id' }),
  untracked('thread_participants', 'seen_at', true),
  // The last pipeline of a branch: "fixed" needs the one before, however long ago; deleted branches go once idle.
  deleteOld('ref_pipelines', `updated_at < ${before('$2')}`, 'updated_at', (rules) => rules.idleThreadSeconds),
  deleteOld('gitlab_access_cache', `checked_at < ${before('$2')}`, 'checked_at', () => ACCESS_CACHE_KEEP_SECONDS),
  capAccessCache,
  deleteOld('audit_log', `at < ${before('$2')}`, 'at', (rules) => rules.auditSeconds),
  // Sign-ins and connect links nobody finished: gone once expired (0 seconds ago).
  deleteOld('oauth_states', `expires_at < ${before('$2')}`, null, () => 0),
  deleteOld('connect_links', `expires_at < ${before('$2')}`, null, () => 0),
  // A button press is remembered so that pressing twice does one thing; a day later a press is a new one.
  deleteOld('action_presses', `pressed_at < ${before('$2')}`, null, () => ACTION_PRESS_KEEP_SECONDS),
  // Replies done with (a comment made long ago can no longer be edited from chat, nor deleted once forgotten).
  deleteOld('chat_replies', `updated_at < ${before('$2')} AND change IS NULL AND state <> 'pending'`, 'updated_at', (rules) => rules.deliverySeconds),
  forgetReactions,
  // A code link answered: remembered only so that the catch-up after a gap does not answer it again.
  deleteOld('code_preview_replies', `created_at < ${before('$2')}`, 'created_at', () => CODE_PREVIEW_KEEP_SECONDS),
];

/** Every table some step deletes from, once each. */
export const PRUNED_TABLES: readonly string[] = [...new Set(PRUNE_STEPS.flatMap((step) => step.tables))];

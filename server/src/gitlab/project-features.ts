/**
 * Public projects' feature levels, asked of GitLab and kept in PostgreSQL for a
 * few minutes (store/project-features.ts), so processing can tell a public
 * project's public events from those of a feature it keeps to members. Webhook
 * payloads do not carry the levels.
 *
 * Which token: a public project's levels are the same for every signed-in
 * caller (lib/api/entities/project.rb exposes `*_access_level` from
 * ProjectFeature#string_access_level, unconditionally; GET /projects/:id gives
 * ProjectWithAccess to any signed-in user, lib/api/projects.rb). So any
 * connected user's token reads them: first the creators of subscriptions
 * covering the project (they asked for its events), else the connected users
 * most recently active, through the shared request budget.
 *
 * Nobody connected (or no token accepted): GitLab is asked without a token.
 * GET /projects/:id does not give anonymous callers the levels, in any version
 * (they get ProjectDetails: MR 152231, which would have, was closed for MR
 * 154289, which added only forked_from_project). GraphQL does say what a public
 * project shows someone not signed in, which is the question: `issuesEnabled`,
 * `mergeRequestsEnabled`, `wikiEnabled`, `snippetsEnabled`, `jobsEnabled` are
 * Project#feature_available?(feature, current_user), true for an anonymous
 * caller only at `enabled` or `public` (ProjectFeature#get_permission), and
 * `repository` is null unless they may read the code (RepositoryType
 * authorizes :read_code); app/graphql/types/project_type.rb. It says nothing
 * of environments, releases and feature flags: those stay unknown.
 *
 * GitLab down or refusing, or not saying: the answer is unknown, and unknown is
 * members-only.
 *
 * Never called inside a transaction: no database connection is held while
 * GitLab answers.
 */
import type pg from 'pg';
import type { Logger } from '../log.js';
import { PROJECT_FEATURES, type FeatureLevel, type FeatureLevels, type ProjectFeature } from '../rules/feature-visibility.js';
import { readFeatureLevels, saveFeatureLevels } from '../store/project-features.js';
import { findCandidates } from '../store/subscriptions.js';
import { coveringPaths } from '../rules/match-subscription.js';
import { GitLabHttpError, GitLabUnauthorizedError, type PollClient } from './poll-client.js';

/** What an anonymous caller is shown of a project's features (see above); `id` guards against a path now another project's. */
const ANONYMOUS_QUERY = `query ($path: ID!) {
  project(fullPath: $path) { id visibility issuesEnabled mergeRequestsEnabled wikiEnabled snippetsEnabled jobsEnabled publicJobs repository { exists } }
}`;
/** GitLab said the project is not public (any more), or not to us: its events are members-only. */
const MEMBERS_ONLY: FeatureLevels = { visibility: null, levels: {}, publicJobs: null };

/** Tokens tried per project before its levels count as unknown. */
const TOKENS_TRIED = 3;
/** Lookups at once: a batch of webhooks rarely names more than a few public projects. */
const CONCURRENT_LOOKUPS = 4;
const LEVELS: readonly string[] = ['disabled', 'private', 'enabled', 'public'] satisfies FeatureLevel[];

export interface FeatureLevelSource {
  /**
   * The levels of these public projects (id → path), from the cache or else from GitLab; null
   * for a project whose levels are unknown (not asked successfully).
   */
  levelsFor(projects: ReadonlyMap<number, string>): Promise<Map<number, FeatureLevels | null>>;
}

export interface FeatureLevelDeps {
  pool: pg.Pool;
  /** The GitLab instance asked; the cache and the stand-in tokens are its own. */
  instance?: string;
  client: PollClient;
  /** A usable token for the Mattermost user, or null when they are not connected. */
  callerFor(mattermostUserId: string): Promise<{ token: string } | null>;
  log: Logger;
}

export function createFeatureLevelSource(deps: FeatureLevelDeps): FeatureLevelSource {
  return {
    async levelsFor(projects) {
      const known = await readFeatureLevels(deps.pool, [...projects.keys()], deps.instance);
      const missing = [...projects].filter(([id]) => !known.has(id));
      if (missing.length === 0) return known;
      const fallback = await recentlyConnected(deps.pool, deps.instance);
      const found = new Map<number, FeatureLevels | null>();
      for (let start = 0; start < missing.length; start += CONCURRENT_LOOKUPS) {
        await Promise.all(
          missing.slice(start, start + CONCURRENT_LOOKUPS).map(async ([id, path]) => {
            found.set(id, await lookUp(deps, id, path, fallback));
          }),
        );
      }
      await saveFeatureLevels(deps.pool, found, deps.instance);
      for (const [id, levels] of found) known.set(id, levels);
      return known;
    },
  };
}

async function lookUp(deps: FeatureLevelDeps, projectId: number, path: string, fallback: string[]): Promise<FeatureLevels | null> {
  const creators = (await findCandidates(deps.pool, coveringPaths(path), projectId)).map((subscription) => subscription.creatorId);
  const users = [...new Set([...creators, ...fallback])];
  let tried = 0;
  for (const userId of users) {
    if (tried >= TOKENS_TRIED) break;
    // A connection that cannot be refreshed just now is skipped: another user's may do.
    const caller = await deps.callerFor(userId).catch(() => null);
    if (!caller) continue;
    tried += 1;
    try {
      const { body } = await deps.client.get<unknown>(caller.token, `/projects/${projectId}`);
      return readLevels(body);
    } catch (error) {
      // The token no longer works: another user's may.
      if (error instanceof GitLabUnauthorizedError) continue;
      // Gone, or no longer public (a public project answers every signed-in user): members-only.
      if (error instanceof GitLabHttpError && (error.status === 404 || error.status === 403)) return MEMBERS_ONLY;
      deps.log.warn({ err: error, project: projectId }, 'could not read the project’s feature levels from GitLab; its events count as members-only for now');
      return null;
    }
  }
  return askAnonymously(deps, projectId, path, tried);
}

/** Nobody connected could ask (`tried` tokens were refused): what GitLab shows someone not signed in. */
async function askAnonymously(deps: FeatureLevelDeps, projectId: number, path: string, tried: number): Promise<FeatureLevels | null> {
  try {
    const data = await deps.client.anonymousGraphql<{ project?: unknown } | null>(ANONYMOUS_QUERY, { path });
    if (!data?.project) {
      // Not public (any more), or the instance shows nothing to anonymous callers.
      deps.log.info({ project: projectId, tokensRefused: tried }, 'GitLab does not show the project to anonymous callers and nobody connected can ask; its events count as members-only');
      return MEMBERS_ONLY;
    }
    const found = readAnonymousLevels(data.project, projectId);
    if (!found) deps.log.warn({ project: projectId }, 'the project’s path now names another project in GitLab; its events count as members-only for now');
    return found;
  } catch (error) {
    // An instance that wants sign-in for its API (or hides the project): members-only.
    if (error instanceof GitLabUnauthorizedError || (error instanceof GitLabHttpError && (error.status === 403 || error.status === 404))) return MEMBERS_ONLY;
    deps.log.warn({ err: error, project: projectId, tokensRefused: tried }, 'nobody connected could read the project’s feature levels, nor could an anonymous request; its events count as members-only for now');
    return null;
  }
}

/**
 * The anonymous GraphQL answer as levels: a feature shown to someone not signed in is `enabled`;
 * one not shown, or not said, stays unknown (members-only). Null when the answer is about no
 * project, or another one than the payload's.
 */
export function readAnonymousLevels(node: unknown, projectId: number): FeatureLevels | null {
  if (!node || typeof node !== 'object') return null;
  const project = node as Record<string, unknown>;
  if (project.id !== `gid://gitlab/Project/${projectId}`) return null;
  const shown = (field: string) => project[field] === true;
  const levels: FeatureLevels['levels'] = {};
  const fields: [ProjectFeature, boolean][] = [
    ['issues', shown('issuesEnabled')],
    ['merge_requests', shown('mergeRequestsEnabled')],
    ['wiki', shown('wikiEnabled')],
    ['snippets', shown('snippetsEnabled')],
    ['builds', shown('jobsEnabled')],
    ['repository', project.repository !== null && typeof project.repository === 'object'],
  ];
  for (const [feature, open] of fields) if (open) levels[feature] = 'enabled';
  const visibility = project.visibility === 'public' || project.visibility === 'internal' || project.visibility === 'private' ? project.visibility : null;
  return { visibility, levels, publicJobs: typeof project.publicJobs === 'boolean' ? project.publicJobs : null };
}

/** GET /projects/:id's answer, as far as visibility goes; anything missing or odd stays unknown. */
export function readLevels(body: unknown): FeatureLevels {
  const project = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const levels: FeatureLevels['levels'] = {};
  for (const feature of PROJECT_FEATURES) {
    const level = project[`${feature}_access_level`];
    if (typeof level === 'string' && LEVELS.includes(level)) levels[feature] = level as FeatureLevel;
  }
  const visibility = project.visibility === 'public' || project.visibility === 'internal' || project.visibility === 'private' ? project.visibility : null;
  return { visibility, levels, publicJobs: typeof project.public_jobs === 'boolean' ? project.public_jobs : null };
}

/** Connected users, most recently active first: stand-ins when no subscriber of the project is connected. */
async function recentlyConnected(db: pg.Pool, instance = 'default'): Promise<string[]> {
  const { rows } = await db.query<{ mattermost_user_id: string }>(
    `SELECT mattermost_user_id FROM gitlab_accounts WHERE disconnected_at IS NULL AND access_token IS NOT NULL AND instance = $2
      ORDER BY greatest(connected_at, coalesce(refreshed_at, connected_at)) DESC LIMIT $1`,
    [TOKENS_TRIED, instance],
  );
  return rows.map((row) => row.mattermost_user_id);
}

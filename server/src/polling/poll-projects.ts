/**
 * Subscriptions without a webhook. For each subscribed project the bridge
 * asks, now and then, whether a hook points at it (through the hooks API, with
 * a subscription creator's token, when they may read hooks). Projects without
 * one, and subscriptions added with `--poll`, are polled: the events API
 * (day-granular `after`, deduplicated by event id; it brings branch and tag
 * pushes too) and pipelines (`updated_after`), and, when a subscription of the
 * project wants them, releases and deployments (one request each). What they
 * report is stored as the webhook GitLab would have sent, so the same
 * processing, rules and renderers apply.
 */
import type pg from 'pg';
import { DEFAULT_INSTANCE, type Config } from '../config.js';
import { BudgetExhaustedError, GitLabHttpError, GitLabRateLimitedError, type PollClient } from '../gitlab/poll-client.js';
import { webhookPathOf } from '../http/webhook-door.js';
import type { Logger } from '../log.js';
import type { IncomingDelivery, StoreOutcome } from '../store/webhook-inbox.js';
import { syncJobs, type PollJob } from '../store/poll-jobs.js';
import { DEFAULT_EVENTS, type SubscriptionFilters } from '../rules/subscription.js';
import { hookFromEvent, hookFromPipeline, lookupsFor, pipelineMergeRequestIid, POLLED_PIPELINE_STATUSES, type EventContext, type EventLookups } from './hooks-from-api.js';
import type { PollOutcome } from './poll-users.js';
import { pollDeployments, type DeploymentPollState } from './poll-deployments.js';
import { pollReleases, type KindPoll, type ReleasePollState } from './poll-releases.js';
import type { RestCommit, RestEvent, RestJob, RestMergeRequest, RestPipeline, RestProject, RestTag } from './rest-shapes.js';

export const PROJECT_JOB = 'project';

/** How often a project's hooks are looked at again. */
const HOOK_CHECK_MS = 10 * 60_000;
const PAGE = 100;
/** Pipelines remembered per project, to tell a new status from one already reported. */
const REMEMBERED_PIPELINES = 200;

export interface ProjectJobState extends Record<string, unknown> {
  /** What the hooks API said: a hook to us, none, or we may not look. */
  webhook?: { state: 'present' | 'missing' | 'unknown'; checkedAt: string };
  /** Why it is (or is not) polled, for `subscriptions list`. */
  polled?: boolean;
  project?: RestProject;
  /** The newest event id handled, and that event's day (for `after`). */
  lastEventId?: number;
  lastEventAt?: string;
  /** `updated_after` for the next pipelines request. */
  pipelinesSince?: string;
  pipelines?: Record<string, string>;
  /** Absent while no subscription of the project wants releases (the next that does starts afresh). */
  releases?: ReleasePollState;
  deployments?: DeploymentPollState;
  /** When GitLab last refused the subscriber's token a list (403): it is asked again after HOOK_CHECK_MS. */
  refused?: Partial<Record<ListedKind, string>>;
}

/** The kinds polled from lists of their own, only for projects whose subscriptions want them. */
type ListedKind = 'releases' | 'deployments';

export interface ProjectPollDeps {
  pool: pg.Pool;
  client: PollClient;
  callerFor(userId: string): Promise<{ token: string } | null>;
  store(delivery: IncomingDelivery): Promise<StoreOutcome>;
  publicUrl: string | undefined;
  polling: Config['polling'];
  log: Logger;
  /** The GitLab instance polled (its own jobs, budget and deliveries); default `default`. */
  instance?: string;
}

/** One job per subscribed project of the instance (by its GitLab id: ids are numbered per instance). */
export async function syncProjectJobs(db: pg.Pool, instance: string = DEFAULT_INSTANCE): Promise<void> {
  await syncJobs(db, PROJECT_JOB, `SELECT DISTINCT target_id::text FROM subscriptions WHERE target_kind = 'project' AND target_id IS NOT NULL AND instance = $2`, instance);
}

export async function pollProject(deps: ProjectPollDeps, job: PollJob<ProjectJobState>, now = new Date()): Promise<PollOutcome<ProjectJobState>> {
  const projectId = job.subject;
  const state: ProjectJobState = { ...job.state };
  const interval = new Date(now.getTime() + deps.polling.intervalSeconds * 1000 * (0.9 + 0.2 * Math.random()));
  try {
    const { rows } = await deps.pool.query<{ creator_id: string; poll: boolean; filters: SubscriptionFilters }>(
      `SELECT creator_id, poll, filters FROM subscriptions WHERE target_kind = 'project' AND target_id = $1 AND instance = $2 ORDER BY poll DESC, id`,
      [projectId, deps.instance ?? DEFAULT_INSTANCE],
    );
    const token = await firstToken(deps, rows.map((row) => row.creator_id));
    if (!token) return { nextRunAt: new Date(now.getTime() + HOOK_CHECK_MS), state: { ...state, polled: false }, error: 'no subscription creator is connected to GitLab' };
    const recheck = !state.webhook || now.getTime() - Date.parse(state.webhook.checkedAt) > HOOK_CHECK_MS;
    if (recheck) state.webhook = { state: await webhookState(deps, token, projectId), checkedAt: now.toISOString() };
    state.polled = rows.some((row) => row.poll) || state.webhook!.state === 'missing';
    if (!state.polled) return { nextRunAt: new Date(Date.parse(state.webhook!.checkedAt) + HOOK_CHECK_MS), state };

    // Read again with the hooks: a project made private must not be posted about as public.
    if (recheck || !state.project) state.project = (await deps.client.get<RestProject>(token, `/projects/${projectId}`)).body;
    await pollEvents(deps, token, projectId, state, now);
    await pollPipelines(deps, token, projectId, state, now);
    const kinds: KindPoll = { client: deps.client, token, projectId, project: state.project!, now, store: (hook, key) => storeHook(deps, hook, key) };
    await pollListed(state, 'releases', wantsKind(rows, 'release'), now, async () => (state.releases = await pollReleases(kinds, state.releases)));
    await pollListed(state, 'deployments', wantsKind(rows, 'deployment'), now, async () => (state.deployments = await pollDeployments(kinds, state.deployments)));
    return { nextRunAt: interval, state };
  } catch (error) {
    if (error instanceof GitLabRateLimitedError) return { nextRunAt: error.retryAt, state, error: error.message };
    if (error instanceof BudgetExhaustedError) return { nextRunAt: new Date(now.getTime() + error.retryInMs), state, error: error.message };
    deps.log.warn({ err: error, project: projectId }, 'polling a GitLab project failed; trying again next cycle');
    return { nextRunAt: interval, state, error: (error as Error).message };
  }
}

/** Whether any subscription of the project takes `kind` (its `--events`, else the default ones). */
function wantsKind(subscriptions: readonly { filters: SubscriptionFilters }[], kind: string): boolean {
  return subscriptions.some((subscription) => (subscription.filters.events ?? DEFAULT_EVENTS).some((entry) => entry.split(':')[0] === kind));
}

/**
 * Polls one listed kind when wanted; forgets it when not, so that a subscription wanting it later
 * starts from a fresh first poll instead of replaying what happened meanwhile. A token GitLab
 * refuses the list (a Guest and deployments, a feature kept to members) is not asked again for a while.
 */
async function pollListed(state: ProjectJobState, kind: ListedKind, wanted: boolean, now: Date, poll: () => Promise<unknown>): Promise<void> {
  if (!wanted) {
    delete state[kind];
    if (state.refused) delete state.refused[kind];
    return;
  }
  const refusedAt = state.refused?.[kind];
  if (refusedAt && now.getTime() - Date.parse(refusedAt) < HOOK_CHECK_MS) return;
  try {
    await poll();
    if (state.refused) delete state.refused[kind];
  } catch (error) {
    if (!(error instanceof GitLabHttpError && error.status === 403)) throw error;
    state.refused = { ...state.refused, [kind]: now.toISOString() };
  }
}

async function firstToken(deps: ProjectPollDeps, creators: string[]): Promise<string | null> {
  for (const creator of new Set(creators)) {
    const caller = await deps.callerFor(creator).catch(() => null);
    if (caller) return caller.token;
  }
  return null;
}

async function webhookState(deps: ProjectPollDeps, token: string, projectId: string): Promise<'present' | 'missing' | 'unknown'> {
  if (!deps.publicUrl) return 'unknown';
  // Each instance's hooks send to its own door (`/webhook`, `/webhook/<name>`).
  const ours = `${deps.publicUrl.replace(/\/+$/, '')}${webhookPathOf(deps.instance ?? DEFAULT_INSTANCE)}`;
  try {
    const { body } = await deps.client.get<{ url: string }[]>(token, `/projects/${projectId}/hooks`);
    return body.some((hook) => hook.url === ours || hook.url.startsWith(`${ours}?`)) ? 'present' : 'missing';
  } catch (error) {
    // Only Maintainers may read hooks: for others the bridge cannot tell.
    if (error instanceof GitLabHttpError && (error.status === 403 || error.status === 404)) return 'unknown';
    throw error;
  }
}

/** The first poll only notes where the project is: history is not replayed into channels. */
async function pollEvents(deps: ProjectPollDeps, token: string, projectId: string, state: ProjectJobState, now: Date): Promise<void> {
  if (state.lastEventId === undefined) {
    const { body } = await deps.client.get<RestEvent[]>(token, `/projects/${projectId}/events`, { sort: 'desc', per_page: 1 });
    state.lastEventId = body[0]?.id ?? 0;
    state.lastEventAt = body[0]?.created_at ?? now.toISOString();
    return;
  }
  // `after` is a day and exclusive: the day before the last event's covers everything since.
  const after = new Date(Date.parse(state.lastEventAt ?? now.toISOString()) - 24 * 60 * 60_000).toISOString().slice(0, 10);
  const { body } = await deps.client.get<RestEvent[]>(token, `/projects/${projectId}/events`, { after, sort: 'asc', per_page: PAGE });
  for (const event of body.filter((candidate) => candidate.id > state.lastEventId!).sort((a, b) => a.id - b.id)) {
    const lookups = lookupsFor(event);
    if (lookups) {
      const hook = hookFromEvent(event, await fetchContext(deps.client, token, projectId, state.project!, lookups));
      if (hook) await storeHook(deps, hook, `poll:${projectId}:event:${event.id}`);
    }
    state.lastEventId = event.id;
    state.lastEventAt = event.created_at;
  }
}

async function fetchContext(client: PollClient, token: string, projectId: string, project: RestProject, lookups: EventLookups): Promise<EventContext> {
  const base = `/projects/${projectId}`;
  const get = async <T>(path: string, query?: Record<string, string | number>): Promise<T | null> => {
    try {
      return (await client.get<T>(token, path, query)).body;
    } catch (error) {
      if (error instanceof GitLabHttpError && error.status === 404) return null;
      throw error;
    }
  };
  const context: EventContext = { project };
  if (lookups.mergeRequest !== undefined) context.mergeRequest = await get(`${base}/merge_requests/${lookups.mergeRequest}`);
  if (lookups.approvals !== undefined) context.approvals = await get(`${base}/merge_requests/${lookups.approvals}/approvals`);
  if (lookups.issue !== undefined) context.issue = await get(`${base}/issues/${lookups.issue}`);
  if (lookups.note) {
    const section = lookups.note.noteableType === 'MergeRequest' ? 'merge_requests' : 'issues';
    context.note = await get(`${base}/${section}/${lookups.note.noteableIid}/notes/${lookups.note.noteId}`);
  }
  if (lookups.commit !== undefined) context.commit = await get<RestCommit>(`${base}/repository/commits/${encodeURIComponent(lookups.commit)}`);
  if (lookups.commits) {
    const { from, to, perPage } = lookups.commits;
    context.commits = await get<RestCommit[]>(`${base}/repository/commits`, { ref_name: from ? `${from}..${to}` : to, per_page: perPage });
  }
  if (lookups.tag !== undefined) context.tag = await get<RestTag>(`${base}/repository/tags/${encodeURIComponent(lookups.tag)}`);
  return context;
}

async function pollPipelines(deps: ProjectPollDeps, token: string, projectId: string, state: ProjectJobState, now: Date): Promise<void> {
  const seen = { ...(state.pipelines ?? {}) };
  if (state.pipelinesSince === undefined) {
    state.pipelinesSince = now.toISOString();
    state.pipelines = seen;
    return;
  }
  const { body } = await deps.client.get<RestPipeline[]>(token, `/projects/${projectId}/pipelines`, {
    updated_after: state.pipelinesSince,
    order_by: 'updated_at',
    sort: 'asc',
    per_page: PAGE,
  });
  for (const listed of body) {
    const id = String(listed.id);
    if (seen[id] === listed.status) continue;
    seen[id] = listed.status;
    if (!POLLED_PIPELINE_STATUSES.includes(listed.status)) continue;
    const base = `/projects/${projectId}/pipelines/${listed.id}`;
    // The list leaves out who ran it, its duration and its tag flag.
    const pipeline = (await deps.client.get<RestPipeline>(token, base)).body;
    const iid = pipelineMergeRequestIid(pipeline);
    const hook = hookFromPipeline(pipeline, state.project!, {
      mergeRequest: iid === null ? null : (await deps.client.get<RestMergeRequest>(token, `/projects/${projectId}/merge_requests/${iid}`)).body,
      jobs: pipeline.status === 'failed' ? (await deps.client.get<RestJob[]>(token, `${base}/jobs`, { per_page: PAGE })).body : null,
    });
    if (hook) await storeHook(deps, hook, `poll:${projectId}:pipeline:${listed.id}:${listed.status}`);
  }
  const latest = body.reduce((max, pipeline) => (pipeline.updated_at && pipeline.updated_at > max ? pipeline.updated_at : max), state.pipelinesSince);
  state.pipelinesSince = latest;
  const ids = Object.keys(seen).map(Number).sort((a, b) => b - a).slice(0, REMEMBERED_PIPELINES);
  state.pipelines = Object.fromEntries(ids.map((id) => [String(id), seen[String(id)]!]));
}

async function storeHook(deps: ProjectPollDeps, hook: { event: string; payload: unknown }, key: string): Promise<void> {
  const instance = deps.instance ?? 'default';
  await deps.store({
    dedupeKey: instance === 'default' ? key : `${instance}~${key}`,
    event: hook.event,
    idempotencyKey: key,
    eventUuid: undefined,
    webhookUuid: undefined,
    instanceHeader: undefined,
    instance,
    signed: false,
    payload: JSON.stringify(hook.payload),
  });
}

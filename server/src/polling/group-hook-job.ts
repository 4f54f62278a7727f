/**
 * The job that keeps each group's project hooks in step (GitLab Free has no group webhooks): one
 * `poll_jobs` row per group, hourly, sooner when a system hook or group event said the group's
 * projects changed (store/group-hook-sets.ts reconcileGroupHooksSoon). It runs as the person who
 * asked for the set, with their token through the budgeted client; when they are no longer
 * connected it adds nothing (the coverage line says so) until someone asks again. Nor does it while
 * the instance is read-only (GITLAB_OAUTH_SCOPES=read_api): the keeper's token may still carry `api`
 * from before, but the admin's choice is that the bridge never writes (accounts/write-access.ts).
 */
import { refuseWrite, scopesVariable, type ScopeSetting } from '../accounts/write-access.js';
import type { HookSettings } from '../subscriptions/add-bridge-hook.js';
import type pg from 'pg';
import { BudgetExhaustedError, GitLabRateLimitedError, type PollClient } from '../gitlab/poll-client.js';
import type { Logger } from '../log.js';
import { GROUP_HOOKS_JOB, leaseGroupHookSet, readGroupHookSet, recordGroupHookCheck, releaseGroupHookSet, type GroupHookSet } from '../store/group-hook-sets.js';
import { syncJobs, type PollJob } from '../store/poll-jobs.js';
import { GroupNotVisibleError, reconcileGroupHooks } from '../subscriptions/reconcile-group-hooks.js';
import type { PollOutcome } from './poll-users.js';

export { GROUP_HOOKS_JOB };

const HOUR_MS = 60 * 60_000;
/** A run stops starting projects after this long; its lease (below) outlasts it. */
const RUN_MS = 90_000;
const LEASE_SECONDS = 150;
/** Soon again: a run that did not finish, or a set a command is working on. */
const SOON_MS = 30_000;
/** The GITLAB_* instance's name, when the pollers name none. */
const DEFAULT_INSTANCE = 'default';

export interface GroupHookJobDeps {
  pool: pg.Pool;
  /** The GitLab instance these pollers are for ('default' unless given). */
  instance?: string;
  /** The instance's GITLAB_*_OAUTH_SCOPES: with read_api no hook is made. */
  scopeSetting: ScopeSetting;
  client: PollClient;
  callerFor(userId: string): Promise<{ token: string; scopes?: string[] } | null>;
  /** Where hooks send (PUBLIC_URL) and the secret they carry; without both no hook can be made. */
  publicUrl: string | undefined;
  webhookSecret: string | undefined;
  gitlabUrl: string;
  log: Logger;
}

/** One job per group kept in step (the command that made the set ran its first pass and scheduled the next). */
export async function syncGroupHookJobs(db: pg.Pool, instance = DEFAULT_INSTANCE): Promise<void> {
  await syncJobs(db, GROUP_HOOKS_JOB, `SELECT group_id::text FROM group_hook_sets WHERE instance = '${instance.replaceAll("'", "''")}'`, instance);
}

export async function runGroupHookJob(deps: GroupHookJobDeps, job: PollJob, now = new Date()): Promise<PollOutcome<Record<string, unknown>>> {
  const state = job.state;
  const instance = deps.instance ?? DEFAULT_INSTANCE;
  // About hourly, spread so that many groups do not all come due in the same minute.
  const hourly = new Date(now.getTime() + HOUR_MS * (0.9 + 0.2 * Math.random()));
  const set = await readGroupHookSet(deps.pool, instance, Number(job.subject));
  if (!set) return { nextRunAt: hourly, state }; // stopped meanwhile: the next sync removes the job
  if (!deps.publicUrl || !deps.webhookSecret) return { nextRunAt: hourly, state, error: 'the bridge has no PUBLIC_URL or GITLAB_WEBHOOK_SECRET, so it can make no hooks' };
  // Read-only: asked before anyone's token, so an old `api` token writes nothing either. The set says
  // why (its coverage line), and the job looks again hourly in case the admin changes it back.
  if (refuseWrite(deps.scopeSetting, 'add webhooks')) {
    return refuse(deps, set, hourly, state, `not kept in step: this bridge connects to GitLab read-only (${scopesVariable(deps.scopeSetting)}=read_api), so it adds no webhooks`);
  }
  // Nothing is added without the keeper's own account: their role is what allows it.
  const caller = set.requesterConnected ? await deps.callerFor(set.requestedBy).catch(() => null) : null;
  if (!caller) return { nextRunAt: hourly, state, error: 'whoever keeps this group’s hooks is no longer connected to GitLab' };
  // A keeper's token GitLab granted only read_api (while the bridge was read-only) could add nothing.
  if (refuseWrite(deps.scopeSetting, 'add webhooks', caller.scopes)) {
    return refuse(deps, set, hourly, state, 'not kept in step: the GitLab connection of whoever keeps this group’s hooks may only read; they need to disconnect and connect again');
  }
  if (!(await leaseGroupHookSet(deps.pool, instance, set.groupId, LEASE_SECONDS))) return { nextRunAt: new Date(now.getTime() + SOON_MS), state };
  try {
    const outcome = await reconcileGroupHooks(
      { pool: deps.pool, client: deps.client, hooks: { gitlabUrl: deps.gitlabUrl, publicUrl: deps.publicUrl, webhookSecret: deps.webhookSecret } satisfies HookSettings },
      set,
      { userId: set.requestedBy, token: caller.token },
      { deadline: now.getTime() + RUN_MS },
    );
    if (outcome.created.length > 0) deps.log.info({ group: set.groupPath, created: outcome.created.length }, 'added webhooks to new projects of a group');
    // Work left, or a delivery said the projects changed while this run was reading them: again soon.
    const after = await readGroupHookSet(deps.pool, instance, set.groupId);
    const askedAgain = after?.wantedAt && (!after.listedAt || after.wantedAt > after.listedAt);
    return { nextRunAt: outcome.pending > 0 || askedAgain ? new Date(Date.now() + SOON_MS) : hourly, state };
  } catch (error) {
    if (error instanceof GitLabRateLimitedError) return { nextRunAt: error.retryAt, state, error: error.message };
    if (error instanceof BudgetExhaustedError) return { nextRunAt: new Date(now.getTime() + error.retryInMs), state, error: error.message };
    if (error instanceof GroupNotVisibleError) return { nextRunAt: hourly, state, error: error.message };
    deps.log.warn({ err: error, group: set.groupPath }, "keeping a group's project hooks in step failed; trying again in an hour");
    return { nextRunAt: hourly, state, error: (error as Error).message };
  } finally {
    await releaseGroupHookSet(deps.pool, instance, set.groupId);
  }
}

/** The job adds nothing: why, on the set (its coverage line) and on the job. */
async function refuse(deps: GroupHookJobDeps, set: GroupHookSet, nextRunAt: Date, state: Record<string, unknown>, why: string): Promise<PollOutcome<Record<string, unknown>>> {
  if (set.lastError !== why) await recordGroupHookCheck(deps.pool, set, { error: why });
  return { nextRunAt, state, error: why };
}

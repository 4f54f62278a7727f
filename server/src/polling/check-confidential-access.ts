/**
 * The daily re-check of confidential opt-ins: one job per subscription that
 * gets confidential issues and notes, run by one replica at a time (a leased
 * `poll_jobs` row, like the polls). It asks GitLab, with the token of whoever
 * turned `confidential` on, whether they still have Reporter access to the
 * project (or the group). When they do not, or are no longer connected, the
 * subscription stops getting confidential content and the channel is told once.
 * A GitLab that cannot answer changes nothing: the job tries again in an hour,
 * and delivery keeps refusing for anyone not connected meanwhile.
 */
import type pg from 'pg';
import { REPORTER } from '../gitlab/find-target.js';
import { BudgetExhaustedError, GitLabHttpError, GitLabRateLimitedError, type PollClient } from '../gitlab/poll-client.js';
import type { Logger } from '../log.js';
import { syncJobs, type PollJob } from '../store/poll-jobs.js';
import { markConfidentialChecked, readConfidentialOptIn, type ConfidentialOptIn } from '../store/subscriptions.js';
import { STOP_REASONS, stopConfidentialDelivery } from '../subscriptions/stop-confidential.js';
import type { PollOutcome } from './poll-users.js';

export const CONFIDENTIAL_JOB = 'confidential_access';

const CHECK_EVERY_MS = 24 * 60 * 60_000;
const RETRY_MS = 60 * 60_000;

export interface ConfidentialCheckDeps {
  pool: pg.Pool;
  client: PollClient;
  callerFor(userId: string): Promise<{ token: string; gitlabUserId: number } | null>;
  log: Logger;
  /** The GitLab instance `client` and `callerFor` talk to: only its subscriptions are checked here. */
  instance?: string;
}

/**
 * One job per opted-in subscription of the instance; a new opt-in (or one from before 0013) is
 * checked at once. Each instance's pollers check their own, with that GitLab and the accounts there.
 */
export async function syncConfidentialJobs(db: pg.Pool, instance = 'default'): Promise<void> {
  await syncJobs(db, CONFIDENTIAL_JOB, 'SELECT id::text FROM subscriptions WHERE confidential AND instance = $2', instance);
}

export async function checkConfidentialAccess(deps: ConfidentialCheckDeps, job: PollJob, now = new Date()): Promise<PollOutcome<Record<string, unknown>>> {
  const state = job.state;
  const tomorrow = new Date(now.getTime() + CHECK_EVERY_MS);
  try {
    const optIn = await readConfidentialOptIn(deps.pool, job.subject, deps.instance);
    if (!optIn) return { nextRunAt: tomorrow, state }; // turned off meanwhile: the next sync removes the job
    const stop = async (reason: string) => {
      await stopConfidentialDelivery(deps.pool, { subscriptionId: optIn.id, confidentialBy: optIn.confidentialBy }, reason, 'gitlab-bridge');
      return { nextRunAt: tomorrow, state };
    };
    if (!optIn.confidentialBy) return await stop(STOP_REASONS.nobody);
    const caller = await deps.callerFor(optIn.confidentialBy);
    if (!caller) return await stop(STOP_REASONS.disconnected);
    if ((await accessLevel(deps.client, caller, optIn)) < REPORTER) return await stop(STOP_REASONS.accessGone);
    await markConfidentialChecked(deps.pool, optIn.id, optIn.confidentialBy);
    return { nextRunAt: tomorrow, state };
  } catch (error) {
    if (error instanceof GitLabRateLimitedError) return { nextRunAt: error.retryAt, state, error: error.message };
    if (error instanceof BudgetExhaustedError) return { nextRunAt: new Date(now.getTime() + error.retryInMs), state, error: error.message };
    deps.log.warn({ err: error, subscription: job.subject }, 'could not re-check a confidential opt-in; trying again in an hour');
    return { nextRunAt: new Date(now.getTime() + RETRY_MS), state, error: (error as Error).message };
  }
}

/**
 * The caller's access level as GitLab reports it: a project's `permissions` (its own membership or
 * its group's), or for a group the membership `members/all` finds, inherited ones included (groups
 * carry no `permissions`). 0 when GitLab hides the target or the membership.
 */
async function accessLevel(client: PollClient, caller: { token: string; gitlabUserId: number }, optIn: ConfidentialOptIn): Promise<number> {
  const target = optIn.targetId ?? encodeURIComponent(optIn.targetPath);
  try {
    if (optIn.targetKind === 'project') {
      const { body } = await client.get<{ permissions?: Record<string, { access_level?: number } | null> }>(caller.token, `/projects/${target}`);
      return Math.max(body.permissions?.project_access?.access_level ?? 0, body.permissions?.group_access?.access_level ?? 0);
    }
    const { body } = await client.get<{ access_level?: number }>(caller.token, `/groups/${target}/members/all/${caller.gitlabUserId}`);
    return body.access_level ?? 0;
  } catch (error) {
    if (error instanceof GitLabHttpError && (error.status === 404 || error.status === 403)) return 0;
    throw error;
  }
}

/**
 * One poll of one connected user: a single GraphQL request for their review
 * requests, merge requests, issues and to-dos; the snapshot kept for the
 * reminder and the webapp (announced to open webapps when it changed); a DM
 * for each new to-do (the same notification from a webhook is sent once); and
 * the daily reminder when it is due.
 *
 * Each GitLab instance has its own runner (its jobs, request budget and rate-limit pauses), so a
 * person connected to two instances is polled twice, once per instance, with that instance's token,
 * into that instance's snapshot. The reminder is one per person: it is sent by the poll of the first
 * configured instance they are connected to (the default one for nearly everyone), which reads every
 * instance's snapshot. One sender, found from what is stored, needs no coordination between runners
 * and cannot send two; its own part is fresh and the others' are as of their last poll (minutes old,
 * or marked as old when their GitLab has not answered for hours).
 */
import type pg from 'pg';
import { DEFAULT_INSTANCE, type Config } from '../config.js';
import type { GitLabInstances } from '../gitlab/instances.js';
import { BudgetExhaustedError, GitLabHttpError, GitLabRateLimitedError, type PollClient } from '../gitlab/poll-client.js';
import { lacksApprovalFields, readWork, workQuery, type WorkSnapshot } from '../gitlab/work-query.js';
import type { Logger } from '../log.js';
import { renderTodoMessage } from '../render/direct-message.js';
import { combinedReminderDigest, renderCombinedReminder, type ReminderPart } from '../render/reminder.js';
import { reminderSender, stepReminder, type ReminderState } from '../rules/reminder-due.js';
import { todoNotice } from '../rules/todo-notices.js';
import { enqueueDirectMessages, type QueuedDirectMessage } from '../store/direct-outbox.js';
import { rescheduleJob, syncJobs, type PollJob } from '../store/poll-jobs.js';
import { findPolledRecipients, type PolledRecipient } from '../store/recipients.js';
import { publishLiveEvent } from '../store/live-events.js';
import { readWorkSnapshot, readWorkSnapshots, recordReminder, saveWorkSnapshot } from '../store/work-snapshots.js';
import { combinedCounts, workDigest } from './work-changes.js';

export const USER_JOB = 'user';

/** A user's timezone is asked of Mattermost again after this long. */
const TIME_ZONE_TTL_MS = 6 * 60 * 60_000;
const ACTIVE_WITHIN_MS = 60 * 60_000;
const IDLE_AFTER_MS = 7 * 24 * 60 * 60_000;

export interface UserJobState extends Record<string, unknown> {
  /** The highest to-do id seen: newer ones are news. Absent until the first poll (which only sets it). */
  lastTodoId?: number;
  reminder?: ReminderState;
  timeZone?: { zone: string; at: string };
}

/** Who a poll acts as: the user's token on this instance, with their GitLab identity. */
export type UserPollCaller = { token: string; gitlabUserId: number; gitlabUsername: string };

export interface UserPollDeps {
  pool: pg.Pool;
  client: PollClient;
  callerFor(userId: string): Promise<UserPollCaller | null>;
  /** callerFor for a batch of polls, in one query; users not connected map to null. */
  callersFor(userIds: readonly string[]): Promise<Map<string, UserPollCaller | null>>;
  /** The IANA zone of the user's Mattermost timezone setting. */
  timeZoneOf(userId: string): Promise<string>;
  gitlabUrl: string;
  polling: Config['polling'];
  log: Logger;
  random?: () => number;
  /** The GitLab instance these polls are for: its jobs, accounts and snapshots (default `default`). */
  instance?: string;
  /** Every configured instance: the reminder lists each one's items (labelled when there are several). */
  instances?: GitLabInstances;
}

export interface PollOutcome<S> {
  nextRunAt: Date;
  state: S;
  error?: string;
}

/** A job for every live connection to the instance, none for the others; new ones run at once. */
export async function syncUserJobs(db: pg.Pool, instance: string = DEFAULT_INSTANCE): Promise<void> {
  await syncJobs(db, USER_JOB, 'SELECT mattermost_user_id FROM gitlab_accounts WHERE disconnected_at IS NULL AND instance = $2', instance);
}

/** What a poll reads of its user before asking GitLab, read for a whole batch of polls at once (readUserPolls). */
export interface UserPollRead {
  caller: UserPollCaller | null;
  /** Null when the user is not connected (any more). */
  polled: PolledRecipient | null;
}

/**
 * Reads what the polls of these jobs need of their users, in two queries for the batch rather than
 * two for each poll: their tokens, and their settings, when they were last seen and the digest of
 * their saved work. Then each poll runs with its part.
 */
export async function readUserPolls(deps: UserPollDeps, jobs: readonly PollJob<UserJobState>[]): Promise<(job: PollJob<UserJobState>) => Promise<PollOutcome<UserJobState>>> {
  const userIds = jobs.map((job) => job.subject);
  const [callers, polled] = await Promise.all([deps.callersFor(userIds), findPolledRecipients(deps.pool, userIds, deps.instance ?? DEFAULT_INSTANCE)]);
  return (job) => pollUser(deps, job, { caller: callers.get(job.subject) ?? null, polled: polled.get(job.subject) ?? null });
}

export async function pollUser(deps: UserPollDeps, job: PollJob<UserJobState>, read: UserPollRead, now = new Date()): Promise<PollOutcome<UserJobState>> {
  const userId = job.subject;
  const instance = deps.instance ?? DEFAULT_INSTANCE;
  const state: UserJobState = { ...job.state };
  const first = state.lastTodoId === undefined;
  const seenAt = read.polled?.seenAt ?? null;
  const again = () => nextPollAt(deps.polling, seenAt, now, deps.random ?? Math.random, first);
  try {
    const { caller, polled } = read;
    if (!caller) return { nextRunAt: new Date(now.getTime() + deps.polling.idleIntervalSeconds * 1000), state, error: 'not connected' };
    const snapshot = await refreshWork(deps, userId, caller, instance, polled ? polled.workDigest : undefined);
    const recipient = polled?.recipient ?? null;
    const newest = Math.max(state.lastTodoId ?? 0, ...snapshot.todos.items.map((todo) => todo.id));
    if (recipient && state.lastTodoId !== undefined) {
      const fresh = snapshot.todos.items.filter((todo) => todo.id > state.lastTodoId!);
      const messages: QueuedDirectMessage[] = fresh.flatMap((todo) => {
        const notice = todoNotice(todo, recipient, instance);
        return notice ? [{ mattermostUserId: userId, ...notice, accessProbe: null, message: renderTodoMessage(todo, { gitlabUrl: deps.gitlabUrl }) }] : [];
      });
      const sent = await enqueueDirectMessages(deps.pool, messages);
      if (fresh.length > 0) deps.log.debug({ user: userId, todos: fresh.length, queued: sent }, 'new GitLab to-dos');
    }
    state.lastTodoId = newest;
    if (recipient && (await sendsReminder(deps, userId, instance))) await remind(deps, userId, recipient.settings.reminder, state, now);
    else delete state.reminder;
    // A webhook that says the user's lists changed while this poll ran brings the next one forward (finishJob).
    return { nextRunAt: again(), state };
  } catch (error) {
    if (error instanceof GitLabRateLimitedError) return { nextRunAt: error.retryAt, state, error: error.message };
    if (error instanceof BudgetExhaustedError) return { nextRunAt: new Date(now.getTime() + error.retryInMs), state, error: error.message };
    deps.log.warn({ err: error, user: userId }, 'polling GitLab for a user failed; trying again next cycle');
    return { nextRunAt: again(), state, error: (error as Error).message };
  }
}

/**
 * Asks the instance's GitLab for the user's work and saves it as that instance's, unless it is the
 * same as saved (`savedDigest`, when the caller read it already; else the write itself compares);
 * when it changed, announces it (a `work` live event with the counts of every instance added up,
 * as the sidebar shows them). Polls and the webapp's first look (no snapshot yet) both come here.
 */
export async function refreshWork(
  deps: Pick<UserPollDeps, 'pool' | 'client' | 'log'>,
  userId: string,
  caller: { token: string; gitlabUsername: string },
  instance: string = DEFAULT_INSTANCE,
  savedDigest?: string | null,
): Promise<WorkSnapshot> {
  const snapshot = await fetchWork(deps, caller, instance);
  const digest = workDigest(snapshot);
  if (digest === savedDigest) return snapshot;
  if (await saveWorkSnapshot(deps.pool, userId, snapshot, digest, instance)) {
    const counts = combinedCounts((await readWorkSnapshots(deps.pool, userId)).map((saved) => saved.snapshot));
    await publishLiveEvent(deps.pool, { kind: 'work', userId, data: { counts } });
  }
  return snapshot;
}

/** The instances whose GraphQL schema lacks approval fields (CE); learnt from the first refusal, once per process. */
const withoutApprovals = new Set<string>();

async function fetchWork(deps: Pick<UserPollDeps, 'client' | 'log'>, caller: { token: string; gitlabUsername: string }, instance: string): Promise<WorkSnapshot> {
  const ask = () => deps.client.graphql(caller.token, workQuery({ approvals: !withoutApprovals.has(instance) }), { username: caller.gitlabUsername });
  let data: unknown;
  try {
    data = await ask();
  } catch (error) {
    if (!(!withoutApprovals.has(instance) && error instanceof GitLabHttpError && lacksApprovalFields(error.gitlabMessage))) throw error;
    deps.log.info('GitLab has no merge request approval fields (Community Edition): polling without them');
    withoutApprovals.add(instance);
    data = await ask();
  }
  const snapshot = readWork(data);
  if (!snapshot.moreTodos) return snapshot;
  // More pending to-dos than one page: REST knows the total.
  const { headers } = await deps.client.get(caller.token, '/todos', { state: 'pending', per_page: 1 });
  const total = Number(headers.get('x-total'));
  return Number.isFinite(total) && total > 0 ? { ...snapshot, todos: { ...snapshot.todos, total } } : snapshot;
}

/** Whether this instance's poll is the one that sends the person's reminder (see the top of this file). */
async function sendsReminder(deps: UserPollDeps, userId: string, instance: string): Promise<boolean> {
  if (!deps.instances?.several) return true;
  const { rows } = await deps.pool.query<{ instance: string }>('SELECT instance FROM gitlab_accounts WHERE mattermost_user_id = $1 AND disconnected_at IS NULL', [userId]);
  return reminderSender(deps.instances.all.map((configured) => configured.name), rows.map((row) => row.instance)) === instance;
}

async function remind(deps: UserPollDeps, userId: string, settings: { enabled: boolean; time: string; onlyWhenChanged: boolean }, state: UserJobState, now: Date): Promise<void> {
  if (!state.timeZone || now.getTime() - Date.parse(state.timeZone.at) > TIME_ZONE_TTL_MS) {
    const zone = await deps.timeZoneOf(userId).catch(() => state.timeZone?.zone ?? 'UTC');
    state.timeZone = { zone, at: now.toISOString() };
  }
  const step = stepReminder(state.reminder ?? null, now, settings, state.timeZone.zone);
  const dueAt = state.reminder?.dueAt;
  state.reminder = step.state;
  if (!step.send || !dueAt) return;
  const instance = deps.instance ?? DEFAULT_INSTANCE;
  const parts = reminderParts(deps, await readWorkSnapshots(deps.pool, userId));
  const message = renderCombinedReminder(parts, { now });
  if (!message) return;
  // Kept on the sender's snapshot row; over every part, so a change on any instance counts.
  const digest = combinedReminderDigest(parts);
  if (settings.onlyWhenChanged && (await readWorkSnapshot(deps.pool, userId, instance))?.reminderDigest === digest) return;
  // One key per person and day, not per instance: there is one reminder.
  await enqueueDirectMessages(deps.pool, [{ mattermostUserId: userId, key: `reminder:${dueAt}`, family: null, kind: 'reminder', threadKey: null, accessProbe: null, message }]);
  await recordReminder(deps.pool, userId, digest, instance);
}

/** The person's snapshots of configured instances, in configuration order, labelled when the bridge has several. */
function reminderParts(deps: UserPollDeps, saved: Awaited<ReturnType<typeof readWorkSnapshots>>): ReminderPart[] {
  const own = deps.instance ?? DEFAULT_INSTANCE;
  if (!deps.instances) {
    return saved.filter((work) => work.instance === own).map((work) => ({ instance: own, label: null, snapshot: work.snapshot, gitlabUrl: deps.gitlabUrl, username: work.gitlabUsername, polledAt: work.polledAt }));
  }
  const { instances } = deps;
  return instances.all.flatMap((configured) => {
    const work = saved.find((candidate) => candidate.instance === configured.name);
    if (!work) return [];
    const label = instances.several ? instances.label(configured.name) : null;
    return [{ instance: configured.name, label, snapshot: work.snapshot, gitlabUrl: configured.url, username: work.gitlabUsername, polledAt: work.polledAt }];
  });
}

/**
 * When to poll the user next: active users more often, idle ones less, each with ±10 % jitter so
 * polls spread out. After a user's first poll, at a random point of one interval instead: people
 * connected together (an import, many at once) would otherwise stay bunched for many cycles, as
 * the jitter spreads them only a little each time (pure).
 */
export function nextPollAt(polling: Config['polling'], seenAt: Date | null, now: Date, random: () => number, first: boolean): Date {
  const { intervalSeconds, activeIntervalSeconds, idleIntervalSeconds } = polling;
  // Not known (the poll failed before it read the user): the usual pace.
  const since = seenAt === null ? ACTIVE_WITHIN_MS + 1 : now.getTime() - seenAt.getTime();
  const seconds = since <= ACTIVE_WITHIN_MS ? activeIntervalSeconds : since > IDLE_AFTER_MS ? idleIntervalSeconds : intervalSeconds;
  return new Date(now.getTime() + seconds * 1000 * (first ? random() : 0.9 + 0.2 * random()));
}

/**
 * The user was seen in Mattermost: from now on they are polled as active, and
 * a user who was idle is polled soon rather than at their slow pace. Being seen
 * is the person's, not an account's: every instance they are connected to counts it.
 */
export async function markActive(db: pg.Pool, userId: string, activeIntervalSeconds: number): Promise<void> {
  const { rows } = await db.query<{ instance: string }>(
    `UPDATE gitlab_accounts SET last_active_at = now()
     WHERE mattermost_user_id = $1 AND disconnected_at IS NULL AND (last_active_at IS NULL OR last_active_at < now() - interval '1 minute')
     RETURNING instance`,
    [userId],
  );
  for (const { instance } of rows) await rescheduleJob(db, USER_JOB, userId, new Date(Date.now() + activeIntervalSeconds * 1000), instance);
}

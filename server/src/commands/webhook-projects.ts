/**
 * `/gitlab webhook add <group> --projects`, and what `webhook add | list <group>` say where GitLab has
 * no group webhooks (Free, CE): a webhook on each project of the group and its subgroups where the
 * person asking is a Maintainer, kept in step afterwards by the `group_hooks` job as whoever keeps
 * the set (polling/group-hook-job.ts). Everything is done with the asker's own token, so GitLab's
 * roles decide; the asker is told only of projects GitLab shows them.
 */
import type pg from 'pg';
import { createDirectClient, type RestClient } from '../gitlab/direct-client.js';
import type { GitLabTarget } from '../gitlab/find-target.js';
import { GitLabHttpError, GitLabUnreachableError } from '../gitlab/poll-client.js';
import type { MattermostClient } from '../mattermost/client.js';
import { plural } from '../render/format.js';
import { code, inline } from '../render/text.js';
import { GROUP_HOOKS_JOB, leaseGroupHookSet, readGroupHookProjects, readGroupHookSet, releaseGroupHookSet, saveGroupHookSet } from '../store/group-hook-sets.js';
import { ensureJob, rescheduleJob } from '../store/poll-jobs.js';
import { describeCoverage } from '../subscriptions/describe-coverage.js';
import { chooseKeeper } from '../subscriptions/plan-group-hooks.js';
import { GroupNotVisibleError, readGroupListing, reconcileGroupHooks, type GroupListing } from '../subscriptions/reconcile-group-hooks.js';
import type { CommandCall } from './command-router.js';

export interface ProjectHookDeps {
  pool: pg.Pool;
  gitlabUrl: string;
  publicUrl: string | undefined;
  webhookSecret: string | undefined;
  /** For the keeper's name. */
  bot?: MattermostClient | null;
  /** The GitLab instance gitlabUrl and webhookSecret are of ('default' unless said). */
  instance?: string;
}

/** The GitLab instance of GITLAB_*, when the command names none. */
const DEFAULT_INSTANCE = 'default';
/** A command answers within Mattermost's patience; projects left over are the job's. */
const COMMAND_MS = 20_000;
const LEASE_SECONDS = 60;
const CONCURRENCY = 4;
const HOUR_MS = 60 * 60_000;
/** Projects named in an answer; the others are counted. */
const MAX_NAMED = 10;

const clientFor = (deps: ProjectHookDeps): RestClient => createDirectClient(deps.gitlabUrl);
const instanceOf = (deps: ProjectHookDeps): string => deps.instance ?? DEFAULT_INSTANCE;

/** "This GitLab has no group webhooks", and what `--projects` would do for this person now. */
export async function offerProjectHooks(call: CommandCall, target: GitLabTarget, token: string, deps: ProjectHookDeps): Promise<string> {
  const none = 'This GitLab has no group webhooks: they need GitLab Premium or Ultimate.';
  const command = `\`/${call.trigger} webhook add ${target.path} --projects\``;
  const set = await readGroupHookSet(deps.pool, instanceOf(deps), target.id);
  const listing = await readGroupListing(clientFor(deps), token, target).catch(() => null);
  if (set) {
    const coverage = await coverageFor(call, set.groupId, listing, deps);
    return `${none} The bridge keeps a webhook on each project of \`${target.path}\` instead.\n${coverage}\n${command} adds webhooks with your account too.`;
  }
  const reach = listing
    ? listing.maintained.length === 0
      ? ` (none of its ${plural(listing.all.length, 'project')} now)`
      : ` (${listing.maintained.length} of its ${plural(listing.all.length, 'project')})`
    : '';
  return `${none} Instead, the bridge can add one to each project of \`${target.path}\` and its subgroups where you are a Maintainer${reach}, and keep that set in step: new projects get one within the hour (at once when a GitLab system hook tells the bridge), archived and removed ones drop out. ${command} does it.`;
}

/** `--projects`: hooks on every project the asker maintains, now, and the set kept in step from then on. */
export async function addProjectHooks(call: CommandCall, target: GitLabTarget, token: string, kinds: string[], deps: ProjectHookDeps): Promise<string> {
  if (!deps.publicUrl || !deps.webhookSecret) return 'This bridge has no PUBLIC_URL or GITLAB_WEBHOOK_SECRET yet, so it cannot tell GitLab where to send webhooks. Ask your admin.';
  const client = clientFor(deps);
  let listing: GroupListing;
  try {
    listing = await readGroupListing(client, token, target);
  } catch (error) {
    return failure(error, target);
  }
  const existing = await readGroupHookSet(deps.pool, instanceOf(deps), target.id);
  const keeper = chooseKeeper(existing ? { requestedBy: existing.requestedBy, connected: existing.requesterConnected, maintainable: existing.maintainable } : null, {
    userId: call.userId,
    maintainable: listing.maintained.length,
  });
  const mine = keeper === call.userId;
  await saveGroupHookSet(deps.pool, {
    instance: instanceOf(deps),
    groupId: target.id,
    groupPath: target.path,
    requestedBy: keeper,
    maintainable: mine ? listing.maintained.length : existing!.maintainable,
    kinds: mine ? kinds : existing!.kinds,
  });
  // This pass is the first; the job's comes an hour later, or sooner when told.
  await ensureJob(deps.pool, GROUP_HOOKS_JOB, String(target.id), new Date(Date.now() + HOUR_MS), instanceOf(deps));
  if (!(await leaseGroupHookSet(deps.pool, instanceOf(deps), target.id, LEASE_SECONDS))) {
    return `The bridge is bringing the project hooks of \`${target.path}\` in step right now; \`/${call.trigger} webhook list ${target.path}\` shows them in a minute.`;
  }
  let outcome: Awaited<ReturnType<typeof reconcileGroupHooks>>;
  try {
    outcome = await reconcileGroupHooks(
      { pool: deps.pool, client, hooks: { gitlabUrl: deps.gitlabUrl, publicUrl: deps.publicUrl, webhookSecret: deps.webhookSecret } },
      { instance: instanceOf(deps), groupId: target.id, groupPath: target.path, kinds: mine ? kinds : existing!.kinds, requestedBy: keeper },
      { userId: call.userId, token },
      { deadline: Date.now() + COMMAND_MS, listing, concurrency: CONCURRENCY },
    );
  } catch (error) {
    await releaseGroupHookSet(deps.pool, instanceOf(deps), target.id);
    await rescheduleJob(deps.pool, GROUP_HOOKS_JOB, String(target.id), new Date(), instanceOf(deps));
    return `${failure(error, target)} What was done is kept; the bridge goes on in the background.`;
  }
  await releaseGroupHookSet(deps.pool, instanceOf(deps), target.id);
  if (outcome.pending > 0) await rescheduleJob(deps.pool, GROUP_HOOKS_JOB, String(target.id), new Date(), instanceOf(deps));

  const made = outcome.created.length;
  const shown = [...outcome.created].sort().slice(0, MAX_NAMED).map((path) => code(path));
  const lines = [
    made > 0
      ? `Added a webhook to ${plural(made, 'project')} of \`${target.path}\` (SSL verification on): ${shown.join(', ')}${made > shown.length ? ` and ${made - shown.length} more` : ''}.`
      : `No project of \`${target.path}\` that you maintain needed a new webhook.`,
    await coverageFor(call, target.id, listing, deps),
  ];
  if (outcome.pending > 0) lines.push(`The bridge goes on with the other ${plural(outcome.pending, 'project')} in the background.`);
  if (mine) {
    lines.push('New projects get a webhook within the hour (at once when a GitLab system hook tells the bridge), made with your GitLab account, so your role decides; archived and removed projects drop out.');
  } else {
    // Asking does not take the set over (chooseKeeper): its keeper's account and events stay.
    const name = (await keeperName(deps, keeper)) ?? 'a deleted user';
    lines.push(
      existing!.requesterConnected
        ? `The set stays kept in step with ${name}'s GitLab account, which can add webhooks to at least as many of its projects.`
        : `The set stays with ${name}, who is no longer connected to GitLab; someone who is a Maintainer of some of its projects takes it over by running this.`,
    );
    if ([...kinds].sort().join() !== [...existing!.kinds].sort().join()) lines.push(`Its webhooks carry the events its keeper chose (${existing!.kinds.join(', ')}), not those you asked for.`);
  }
  return lines.join('\n');
}

/** `webhook list <group>` where GitLab has no group webhooks: the set's coverage, or null when there is none. */
export async function listProjectHookCoverage(call: CommandCall, target: GitLabTarget, token: string, deps: ProjectHookDeps): Promise<string | null> {
  const set = await readGroupHookSet(deps.pool, instanceOf(deps), target.id);
  if (!set) return null;
  const listing = await readGroupListing(clientFor(deps), token, target).catch(() => null);
  return `#### Project webhooks of \`${target.path}\` to this bridge\n${await coverageFor(call, set.groupId, listing, deps)}`;
}

/**
 * The set's coverage line for this asker: projects are named only where GitLab lists them to the
 * asker (the set was read with the keeper's token, who may see more); without a listing, only
 * public ones.
 */
async function coverageFor(call: CommandCall, groupId: number, listing: GroupListing | null, deps: ProjectHookDeps): Promise<string> {
  const set = await readGroupHookSet(deps.pool, instanceOf(deps), groupId);
  if (!set) return '';
  const projects = await readGroupHookProjects(deps.pool, instanceOf(deps), groupId);
  const visible = listing ? new Set(listing.all.map((project) => project.id)) : null;
  const view = describeCoverage(set, projects, {
    mayName: (project) => (visible ? visible.has(project.projectId) : project.visibility === 'public'),
    keeperName: set.requestedBy === call.userId ? call.userName : await keeperName(deps, set.requestedBy),
    trigger: call.trigger,
    now: new Date(),
  });
  return `- ${view.markdown}`;
}

async function keeperName(deps: ProjectHookDeps, userId: string): Promise<string | null> {
  if (!deps.bot) return null;
  const [user] = await deps.bot.getProfilesByIds([userId]).catch(() => []);
  return user?.username ?? null;
}

function failure(error: unknown, target: GitLabTarget): string {
  if (error instanceof GroupNotVisibleError) return `GitLab no longer shows \`${target.path}\` to your account.`;
  if (error instanceof GitLabHttpError) return `GitLab answered ${error.status}: ${inline(error.gitlabMessage)}`;
  if (error instanceof GitLabUnreachableError) return error.message;
  throw error;
}

/**
 * Gathers what an explanation needs and hands it to explain-report.ts: the
 * recorded verdicts, the outbox rows of what was planned, the deliveries still
 * waiting (the newest WAITING_LOOK_BACK of the instance, read for their
 * project), the channels' names and types from Mattermost as the bot, and,
 * when nothing arrived or the target is polled, the webhooks GitLab shows the
 * viewer and polling's facts. Shared by `/gitlab subscriptions explain` and the
 * webapp's routes.
 */
import type { GitLabCaller } from '../accounts/gitlab-connections.js';
import { readHookReports } from '../subscriptions/hook-reports.js';
import { bridgeWebhookUrl, pointsAt, type HookReport } from '../commands/webhook-health.js';
import { findTarget } from '../gitlab/find-target.js';
import { listHooks } from '../gitlab/hooks-api.js';
import { isIgnored } from '../gitlab/events/event.js';
import { inInstance, type GitLabInstances } from '../gitlab/instances.js';
import { parseEvent } from '../gitlab/events/parse-event.js';
import type { MattermostClient } from '../mattermost/client.js';
import { PROJECT_JOB, type ProjectJobState } from '../polling/poll-projects.js';
import { postPermalink } from '../render/issue-from-post.js';
import { isOpenToAll } from '../rules/feature-visibility.js';
import { DEFAULT_EVENTS } from '../rules/subscription.js';
import { covers, eventPath } from '../rules/match-subscription.js';
import { jobFreshness } from '../store/poll-jobs.js';
import { readExplanations, readPostStates, readWaitingDeliveries, type StoredExplanation } from '../store/delivery-explanations.js';
import type { Queryable } from '../store/queryable.js';
import { listSubscriptionsAround, type ListedSubscription } from '../store/subscriptions.js';
import { sourceOf } from './delivery-record.js';
import { eventUrl, summarizeEvent } from './event-summary.js';
import { buildReport, EXPLAIN_EVENTS, type ExplainReport, type ExplainViewer, type WaitingEvent } from './explain-report.js';
import { hookHealth } from './hook-health.js';

/** How many of an instance's unprocessed deliveries are read to find those about the target. */
export const WAITING_LOOK_BACK = 200;

export interface ExplainDeps {
  pool: Queryable;
  /** Channel names, types and teams; without it channels are named by id and count as public. */
  bot: MattermostClient | null;
  /** MATTERMOST_SITE_URL, for permalinks; without it none are given. */
  siteUrl: string | undefined;
  instances: GitLabInstances;
  /** PUBLIC_URL: the hooks pointing at its webhook door are this bridge's. */
  publicUrl: string | undefined;
  /** The slash command's trigger, for the fixes (`gitlab`). */
  trigger: string;
}

export interface ChannelFacts {
  name: string | null;
  type: string | null;
  teamName: string | null;
}

/** One channel's subscription, as its members see it; `caller` is the viewer's account on its GitLab (for its webhooks). */
export async function explainSubscription(deps: ExplainDeps, subscription: ListedSubscription, caller: GitLabCaller | null): Promise<ExplainReport> {
  // The voucher of the confidential opt-in as delivery sees it now.
  const live = (await listSubscriptionsAround(deps.pool, subscription.targetPath, subscription.instance)).find((candidate) => candidate.id === subscription.id) ?? subscription;
  const [records, waiting, channels] = await Promise.all([
    readExplanations(deps.pool, { instance: subscription.instance, path: subscription.targetPath, below: subscription.targetKind === 'group', subscriptionId: subscription.id, limit: EXPLAIN_EVENTS }),
    readWaiting(deps, subscription.instance, (path) => covers(subscription, path), [subscription]),
    channelFacts(deps.bot, [subscription.channelId]),
  ]);
  const channel = channels.get(subscription.channelId)!;
  const viewer: ExplainViewer = { kind: 'channel', subscription: live, channelType: channel.type, channelName: channel.name };
  const report = buildReport({
    target: targetOf(deps, subscription.targetKind, subscription.targetPath, subscription.instance),
    viewer,
    records,
    waiting,
    posts: await postStatesOf(deps.pool, records),
    permalink: permalinkIn(deps, channels),
    hook: null,
  });
  const polled = await pollingOf(deps, [subscription]);
  if (report.nothingArrived || polled) {
    report.hook = await hookOf(deps, subscription.targetKind, subscription.targetPath, subscription.instance, [subscription], caller, polled, !report.nothingArrived);
  }
  return report;
}

/** A system admin's view of one path (a project, or a group and everything below it) across every channel; `caller` is the admin's account on its GitLab. */
export async function explainPath(deps: ExplainDeps, path: string, instance: string, caller: GitLabCaller | null): Promise<{ report: ExplainReport; subscriptions: number }> {
  const lower = path.toLowerCase();
  const subscriptions = await listSubscriptionsAround(deps.pool, lower, instance);
  const [records, waiting] = await Promise.all([
    readExplanations(deps.pool, { instance, path: lower, below: true, limit: EXPLAIN_EVENTS }),
    readWaiting(deps, instance, (at) => at === lower || at.startsWith(`${lower}/`), subscriptions),
  ]);
  const channelIds = [...new Set([...subscriptions.map((subscription) => subscription.channelId), ...records.flatMap((record) => record.verdicts.map((verdict) => verdict.c))])];
  const channels = await channelFacts(deps.bot, channelIds);
  const exact = subscriptions.find((subscription) => subscription.targetPath === lower);
  const below = subscriptions.some((subscription) => subscription.targetPath.startsWith(`${lower}/`)) || records.some((record) => record.path !== lower);
  const kind = exact?.targetKind ?? (below ? 'group' : 'project');
  const report = buildReport({
    target: targetOf(deps, kind, lower, instance),
    viewer: { kind: 'admin', channelNames: new Map([...channels].map(([id, facts]) => [id, facts.name])) },
    records,
    waiting,
    posts: await postStatesOf(deps.pool, records),
    permalink: permalinkIn(deps, channels),
    hook: null,
  });
  const covering = subscriptions.filter((subscription) => covers(subscription, lower));
  const polled = await pollingOf(deps, covering.filter((subscription) => subscription.targetPath === lower));
  if (report.nothingArrived || polled) report.hook = await hookOf(deps, kind, lower, instance, covering, caller, polled, !report.nothingArrived);
  return { report, subscriptions: subscriptions.length };
}

function targetOf(deps: ExplainDeps, kind: 'project' | 'group', path: string, instance: string): ExplainReport['target'] {
  return { kind, path, instance, label: deps.instances.byName(instance) ? deps.instances.label(instance) : null };
}

/** The instance's newest unprocessed deliveries about paths `wanted` accepts, with the subscriptions covering each. */
async function readWaiting(deps: ExplainDeps, instance: string, wanted: (path: string) => boolean, subscriptions: readonly ListedSubscription[]): Promise<WaitingEvent[]> {
  const rows = await readWaitingDeliveries(deps.pool, instance, WAITING_LOOK_BACK, EXPLAIN_EVENTS * 2, wanted);
  const waiting: WaitingEvent[] = [];
  for (const row of rows) {
    const parsed = parseEvent(row.event, row.payload);
    const event = isIgnored(parsed) ? null : inInstance(parsed, instance);
    const path = event ? eventPath(event) : isIgnored(parsed) ? (parsed.about?.path ?? null) : null;
    if (!path || !wanted(path)) continue;
    const covering = subscriptions.filter((subscription) => covers(subscription, path));
    if (covering.length === 0) continue;
    waiting.push({
      deliveryId: row.id,
      receivedAt: row.receivedAt,
      source: sourceOf(row.idempotencyKey),
      path,
      kind: event?.kind ?? (isIgnored(parsed) ? (parsed.about?.kind ?? 'unknown') : 'unknown'),
      action: event?.action ?? (isIgnored(parsed) ? (parsed.about?.action ?? '') : ''),
      summary: event ? summarizeEvent(event) : null,
      url: event ? eventUrl(event) : null,
      // Feature levels are looked up when it is processed: until then a public project's feature counts as members-only.
      openToAll: event ? isOpenToAll(event, null) : false,
      confidential: event ? event.confidential || event.internal : false,
      attempts: row.attempts,
      lastError: row.lastError,
      subscriptions: covering,
    });
  }
  return waiting;
}

function postStatesOf(pool: Queryable, records: readonly StoredExplanation[]) {
  return readPostStates(
    pool,
    records.flatMap((record) => (record.eventKey ? record.verdicts.filter((verdict) => verdict.r === null).map((verdict) => ({ eventKey: record.eventKey!, channelId: verdict.c })) : [])),
  );
}

const CHANNEL_LOOKUPS_AT_ONCE = 8;

/** Names, types and team names of channels, asked of Mattermost as the bot; a channel it cannot read has none. */
export async function channelFacts(bot: Pick<MattermostClient, 'getChannel' | 'getTeam'> | null, ids: readonly string[]): Promise<Map<string, ChannelFacts>> {
  const teams = new Map<string, Promise<string | null>>();
  const teamName = (teamId: string) => {
    let name = teams.get(teamId);
    if (!name) teams.set(teamId, (name = bot!.getTeam(teamId).then((team) => team.name, () => null)));
    return name;
  };
  const factsOf = async (id: string): Promise<ChannelFacts> => {
    const channel = bot ? await bot.getChannel(id).catch(() => null) : null;
    if (!channel) return { name: null, type: null, teamName: null };
    return { name: channel.display_name || channel.name, type: channel.type, teamName: channel.team_id ? await teamName(channel.team_id) : null };
  };
  // A few at once: an admin's report on a group followed by hundreds of channels must not fire hundreds of calls together.
  const facts = new Map<string, ChannelFacts>();
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++]!;
      facts.set(id, await factsOf(id));
    }
  };
  await Promise.all(Array.from({ length: Math.min(CHANNEL_LOOKUPS_AT_ONCE, ids.length) }, worker));
  return new Map(ids.map((id) => [id, facts.get(id)!]));
}

function permalinkIn(deps: ExplainDeps, channels: ReadonlyMap<string, ChannelFacts>): (channelId: string, postId: string) => string {
  // Without a site URL the link is Mattermost-relative: the webapp and apps still resolve it.
  return (channelId, postId) => postPermalink(deps.siteUrl ?? '', channels.get(channelId)?.teamName ?? null, postId);
}

interface Polling {
  asked: boolean;
  lastSuccessAt: Date | null;
  lastError: string | null;
}

/** How the project subscriptions among these are polled (with `--poll`, or because no webhook reaches the bridge); null when none is. */
async function pollingOf(deps: ExplainDeps, subscriptions: readonly ListedSubscription[]): Promise<Polling | null> {
  const projects = subscriptions.filter((subscription) => subscription.targetKind === 'project');
  if (projects.length === 0) return null;
  const byInstance = projects[0]!.instance;
  const ids = projects.flatMap((subscription) => (subscription.targetId === null ? [] : [String(subscription.targetId)]));
  const jobs = await jobFreshness<ProjectJobState>(deps.pool, PROJECT_JOB, ids, byInstance);
  const asked = projects.some((subscription) => subscription.poll);
  const job = [...jobs.values()].find((found) => asked || found.state.polled === true);
  if (!asked && !job) return null;
  return { asked, lastSuccessAt: job?.lastSuccessAt ?? null, lastError: job?.lastError ?? null };
}

async function hookOf(
  deps: ExplainDeps,
  kind: 'project' | 'group',
  path: string,
  instance: string,
  subscriptions: readonly ListedSubscription[],
  caller: GitLabCaller | null,
  polling: Polling | null,
  arrived: boolean,
): Promise<ExplainReport['hook']> {
  const report = polling ? { unknown: true as const } : await hooksOf(deps, path, instance, subscriptions, caller);
  const events = [...new Set(subscriptions.flatMap((subscription) => (subscription.filters.events?.length ? subscription.filters.events : DEFAULT_EVENTS)))];
  return hookHealth({ target: { kind, path, instance }, report, events, polling, arrived, trigger: deps.trigger, now: new Date() });
}

/**
 * The hooks of the target itself that point at this bridge, read as the viewer: a Maintainer (a group's
 * Owner) sees them. The target by its subscription's id, else (a project only a group subscription
 * covers) looked up as the viewer.
 */
async function hooksOf(deps: ExplainDeps, path: string, instance: string, subscriptions: readonly ListedSubscription[], caller: GitLabCaller | null): Promise<HookReport> {
  const gitlabUrl = deps.instances.byName(instance)?.url;
  if (!gitlabUrl || !caller || !deps.publicUrl) return { unknown: true };
  const own = subscriptions.find((subscription) => subscription.targetPath === path && subscription.targetId !== null);
  if (own) return (await readHookReports(gitlabUrl, deps.publicUrl, caller, [own], instance)).get(own.id) ?? { unknown: true };
  const target = await findTarget(gitlabUrl, path, caller).catch(() => null);
  if (!target) return { unknown: true };
  const hooks = await listHooks(gitlabUrl, caller.token, target).catch(() => null);
  const ours = bridgeWebhookUrl(deps.publicUrl, instance);
  return hooks ? { hooks: hooks.filter((hook) => pointsAt(hook, ours)) } : { unknown: true };
}

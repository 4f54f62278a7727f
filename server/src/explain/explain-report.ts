/**
 * The explanation of what reached (or did not reach) channels about a GitLab
 * project or group: the webapp's `ExplainReport` (docs/webapp-api.md), which
 * `/gitlab subscriptions explain` renders as text. Pure: read-explanation.ts
 * gathers the facts.
 *
 * Who reads it decides what of each event it shows. Channel members see an
 * event's summary and link only when their channel may receive that event
 * (the rules delivery applies: a private project's or members-only feature's
 * events need the subscriber's access, and a channel that is not public unless
 * a system admin forced it; confidential and internal content needs the opt-in,
 * someone connected vouching for it, and a channel that is not public). System
 * admins looking across channels see summaries only of events open to everyone.
 * A hidden event shows its kind, and a rule that follows from what it is
 * (members-only, or confidential) rather than from the subscription's filters:
 * otherwise anyone could subscribe a channel to a public group with
 * `--exclude` globs and learn, from `excluded_path` against `not_visible`, the
 * names of private projects in it; nor its action (a private project's failed
 * pipeline is its own news). An event of an excluded project that is not open
 * to everyone is hidden even where the channel could see it: `--exclude` is
 * how a subscriber keeps a project out of the channel.
 */
import type { Subscription } from '../rules/subscription.js';
import type { DeliverySource, ExplainRule, StoredVerdict } from './delivery-record.js';
import type { HookHealth } from './hook-health.js';
import { isPrivateChannelRefusal } from '../delivery/deliver-channel-posts.js';
import { postStateKey, type PostState, type StoredExplanation } from '../store/delivery-explanations.js';

export const EXPLAIN_EVENTS = 20;

export type Outcome = 'posted' | 'dropped' | 'queued' | 'failing' | 'failed' | 'pending';

export interface ExplainOutcome {
  subscriptionId: string;
  channelId: string;
  channelName: string | null;
  outcome: Outcome;
  rule: ExplainRule | null;
  reason: string;
  postUrl: string | null;
}

export interface ExplainEvent {
  deliveryId: string;
  receivedAt: string;
  source: DeliverySource;
  kind: string;
  action: string;
  summary: string | null;
  url: string | null;
  outcomes: ExplainOutcome[];
}

export interface ExplainReport {
  target: { kind: 'project' | 'group'; path: string; instance: string; label: string | null };
  events: ExplainEvent[];
  nothingArrived: boolean;
  hook: HookHealth | null;
}

/** Who reads the report: members of one subscription's channel, or a system admin across channels. */
export type ExplainViewer =
  | {
      kind: 'channel';
      /** With the opt-in's voucher as delivery sees it (null once they disconnected). */
      subscription: Subscription;
      /** Mattermost's type of the channel now (`O`, `P`, `D`, `G`); null when it could not be asked, which counts as public. */
      channelType: string | null;
      channelName: string | null;
    }
  | { kind: 'admin'; channelNames: ReadonlyMap<string, string | null> };

/** A delivery not processed yet, already read for its project: the event when it parses. */
export interface WaitingEvent {
  deliveryId: string;
  receivedAt: Date;
  source: DeliverySource;
  path: string;
  kind: string;
  action: string;
  summary: string | null;
  url: string | null;
  openToAll: boolean;
  confidential: boolean;
  attempts: number;
  lastError: string | null;
  /** The subscriptions that cover it now (the admin's view lists each). */
  subscriptions: readonly Pick<Subscription, 'id' | 'channelId'>[];
}

/** The sentences shown when the event is hidden: nothing of the event in them. */
const IN_GENERAL: Record<ExplainRule, string> = {
  kind_not_selected: 'its kind or action is not among the events this subscription selects',
  pipeline_status: 'its pipeline status is not among those this subscription selects',
  branch_filter: 'its branch is not one this subscription selects',
  label_filter: "its labels do not match this subscription's label filter",
  draft: 'a draft merge request, which this subscription holds back',
  excluded_author: "its author is among this subscription's excluded authors",
  excluded_path: "its project is among this subscription's excluded paths",
  confidential_not_opted_in: 'confidential or internal, and this subscription is not opted in (--confidential)',
  confidential_not_vouched: 'confidential or internal, and nobody connected with access vouches for the opt-in any more',
  not_visible: 'not open to everyone, and the subscriber was not shown to have access',
  private_channel_required: 'only for channels that are not public',
  same_channel_other_subscription: "this channel got it through another, more specific subscription",
  echo: 'made from this channel (a reply or reaction here), which already shows it',
  not_processed_yet: 'received, not processed yet',
  ignored: 'the bridge posts nothing for this kind of delivery',
  processing_error: 'processing it failed; the bridge log has the error',
};

export interface ReportInput {
  target: ExplainReport['target'];
  viewer: ExplainViewer;
  records: readonly StoredExplanation[];
  waiting: readonly WaitingEvent[];
  posts: ReadonlyMap<string, PostState>;
  /** A Mattermost permalink to a post in a channel. */
  permalink(channelId: string, postId: string): string;
  /** Only asked for when nothing arrived or the target is polled: null otherwise. */
  hook: HookHealth | null;
  limit?: number;
}

export function buildReport(input: ReportInput): ExplainReport {
  const fromRecords = input.records.map((record) => ({ id: BigInt(record.deliveryId), event: recordEvent(record, input) }));
  const seen = new Set(input.records.map((record) => record.deliveryId));
  const fromWaiting = input.waiting.filter((waiting) => !seen.has(waiting.deliveryId)).map((waiting) => ({ id: BigInt(waiting.deliveryId), event: waitingEvent(waiting, input) }));
  const events = [...fromRecords, ...fromWaiting]
    .filter((entry) => entry.event.outcomes.length > 0)
    .sort((a, b) => (a.id === b.id ? 0 : a.id < b.id ? 1 : -1))
    .slice(0, input.limit ?? EXPLAIN_EVENTS)
    .map((entry) => entry.event);
  return { target: input.target, events, nothingArrived: events.length === 0, hook: input.hook };
}

/** Whether the viewer may see what the event is (its summary, link and the detailed reasons). */
export function mayShow(viewer: ExplainViewer, facts: { openToAll: boolean; confidential: boolean }): boolean {
  if (facts.openToAll && !facts.confidential) return true;
  if (viewer.kind === 'admin') return false;
  const { subscription } = viewer;
  if (!facts.openToAll && !subscription.privateAccess) return false;
  if (facts.confidential && !(subscription.confidential && subscription.confidentialBy)) return false;
  // Where delivery posts it: a channel that is not public, or (for a private project, not for confidential content) one a system admin forced.
  const notPublic = viewer.channelType !== null && viewer.channelType !== 'O';
  return notPublic || (!facts.confidential && subscription.forced);
}

function recordEvent(record: StoredExplanation, input: ReportInput): ExplainEvent {
  const verdicts = input.viewer.kind === 'channel' ? record.verdicts.filter((verdict) => verdict.s === (input.viewer as { subscription: Subscription }).subscription.id) : record.verdicts;
  const excluded = !record.openToAll && input.viewer.kind === 'channel' && verdicts.some((verdict) => verdict.r === 'excluded_path');
  const shown = mayShow(input.viewer, record) && !excluded;
  return { ...eventHead(record, shown, input.target), outcomes: verdicts.map((verdict) => outcomeOf(verdict, record, shown, input)) };
}

type EventFacts = Pick<WaitingEvent, 'deliveryId' | 'receivedAt' | 'source' | 'path' | 'kind' | 'action' | 'summary' | 'url'>;

/** What the report says of an event itself: its action, summary and link only when it may be shown. */
function eventHead(facts: EventFacts, shown: boolean, target: ExplainReport['target']): Omit<ExplainEvent, 'outcomes'> {
  return {
    deliveryId: facts.deliveryId,
    receivedAt: facts.receivedAt.toISOString(),
    source: facts.source,
    kind: facts.kind,
    action: shown ? facts.action : '',
    summary: shown ? withPath(facts.summary, facts.path, target) : null,
    url: shown ? facts.url : null,
  };
}

/** Rules that follow from what the event is, whoever subscribed: the only ones a hidden event may show. */
const ABOUT_THE_EVENT = new Set<ExplainRule>(['not_visible', 'confidential_not_opted_in', 'confidential_not_vouched', 'private_channel_required', 'processing_error', 'ignored']);

/** A hidden event's rule: its own when it is about the event, else what keeps the event from this reader. */
function hiddenRule(rule: ExplainRule, record: StoredExplanation, viewer: ExplainViewer): ExplainRule {
  if (ABOUT_THE_EVENT.has(rule)) return rule;
  if (viewer.kind === 'admin') return record.confidential ? 'confidential_not_opted_in' : 'not_visible';
  const { subscription } = viewer;
  if (record.confidential) {
    if (!subscription.confidential) return 'confidential_not_opted_in';
    if (!subscription.confidentialBy) return 'confidential_not_vouched';
    return 'private_channel_required';
  }
  return subscription.privateAccess ? 'private_channel_required' : 'not_visible';
}

function outcomeOf(verdict: StoredVerdict, record: StoredExplanation, shown: boolean, input: ReportInput): ExplainOutcome {
  const base = { subscriptionId: verdict.s, channelId: verdict.c, channelName: channelName(input.viewer, verdict.c) };
  const said = (rule: ExplainRule, sentence: string | undefined) => (shown && sentence ? sentence : IN_GENERAL[rule]);
  if (verdict.r === 'processing_error') return { ...base, outcome: 'failed', rule: verdict.r, reason: said(verdict.r, verdict.m), postUrl: null };
  if (verdict.r === 'excluded_path' && !shown && !record.openToAll && input.viewer.kind === 'channel' && mayShow(input.viewer, record)) {
    // The channel may see the project, and its own --exclude kept it out: say so, without naming it.
    return { ...base, outcome: 'dropped', rule: verdict.r, reason: IN_GENERAL.excluded_path, postUrl: null };
  }
  if (verdict.r !== null) {
    const rule = shown ? verdict.r : hiddenRule(verdict.r, record, input.viewer);
    return { ...base, outcome: 'dropped', rule, reason: said(rule, verdict.m), postUrl: null };
  }
  const post = record.eventKey ? input.posts.get(postStateKey(record.eventKey, verdict.c)) : undefined;
  if (!post) return { ...base, outcome: 'posted', rule: null, reason: 'planned for posting; whether it was posted is no longer known (older than the delivery retention)', postUrl: null };
  const twice = post.deliveryId !== null && post.deliveryId !== record.deliveryId ? ' (the same event also came through another webhook; posted once)' : '';
  if (post.state === 'sent') return { ...base, outcome: 'posted', rule: null, reason: `posted${twice}`, postUrl: post.postId ? input.permalink(verdict.c, post.postId) : null };
  if (post.state === 'pending') {
    return post.lastError
      ? { ...base, outcome: 'failing', rule: null, reason: `not posted yet, retrying after ${post.attempts} attempt${post.attempts === 1 ? '' : 's'}: ${post.lastError}`, postUrl: null }
      : { ...base, outcome: 'queued', rule: null, reason: 'queued, waiting to be posted', postUrl: null };
  }
  // Delivery's own words, which say nothing of the event.
  if (isPrivateChannelRefusal(post.lastError)) return { ...base, outcome: 'dropped', rule: 'private_channel_required', reason: post.lastError!, postUrl: null };
  return { ...base, outcome: 'failed', rule: null, reason: `given up: ${post.lastError ?? 'no reason recorded'}`, postUrl: null };
}

function waitingEvent(waiting: WaitingEvent, input: ReportInput): ExplainEvent {
  const shown = mayShow(input.viewer, waiting);
  const retrying = waiting.attempts > 0 ? `; processing failed ${waiting.attempts} time${waiting.attempts === 1 ? '' : 's'} so far and is retried` : '';
  const reason = `not processed yet${retrying}`;
  const subscriptions = input.viewer.kind === 'channel' ? [input.viewer.subscription] : waiting.subscriptions;
  return {
    ...eventHead(waiting, shown, input.target),
    outcomes: subscriptions.map((subscription) => ({
      subscriptionId: subscription.id,
      channelId: subscription.channelId,
      channelName: channelName(input.viewer, subscription.channelId),
      outcome: 'pending',
      rule: 'not_processed_yet',
      reason: shown || input.viewer.kind === 'admin' ? reason : IN_GENERAL.not_processed_yet,
      postUrl: null,
    })),
  };
}

/** Under a group, the project an event is in says which it is. */
function withPath(summary: string | null, path: string, target: ExplainReport['target']): string | null {
  if (summary === null || path === target.path) return summary;
  return `${path}: ${summary}`;
}

function channelName(viewer: ExplainViewer, channelId: string): string | null {
  return viewer.kind === 'channel' ? viewer.channelName : (viewer.channelNames.get(channelId) ?? null);
}

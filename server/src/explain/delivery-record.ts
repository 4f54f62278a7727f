/**
 * What processing a delivery decided for each subscription that could have
 * wanted it, kept so that `/gitlab subscriptions explain` can answer "why did
 * this (not) reach our channel?". Pure: process-deliveries.ts hands over what
 * it planned, store/delivery-explanations.ts writes one row per delivery (all
 * of a batch in one statement). What happened after planning (posted, still
 * queued, refused by Mattermost) is read from the channel outbox when asked.
 */
import type { GitLabEvent, PayloadAbout } from '../gitlab/events/event.js';
import type { PlannedPost } from '../delivery/plan-posts.js';
import { covers, eventPath, type EventAudience, type MatchRule, type Verdict } from '../rules/match-subscription.js';
import type { Subscription } from '../rules/subscription.js';
import { eventUrl, summarizeEvent } from './event-summary.js';

/** Why an event did not reach a subscription's channel, by a stable code (the webapp's `rule`). */
export type ExplainRule =
  | Exclude<MatchRule, 'outside_target'>
  | 'private_channel_required'
  | 'same_channel_other_subscription'
  | 'echo'
  | 'not_processed_yet'
  | 'ignored'
  | 'processing_error';

/** One candidate subscription's verdict, short keys because a busy bridge stores many. */
export interface StoredVerdict {
  /** Subscription id. */
  s: string;
  /** Its channel. */
  c: string;
  /** The rule that kept it from the channel; null: planned for posting (the outbox says what became of it). */
  r: ExplainRule | null;
  /**
   * The sentence for people, when a rule kept it out (it may name the event's labels, branch or author,
   * so it is shown only where the event may be); absent when planned for posting.
   */
  m?: string;
}

export type DeliverySource = 'webhook' | 'poll';

export interface DeliveryRecord {
  deliveryId: string;
  source: DeliverySource;
  /** Lower-case path of the project (else group) the event is about. */
  path: string;
  kind: string;
  action: string;
  /** The logical event (channel_outbox.event_key); null when nothing was planned from it. */
  eventKey: string | null;
  summary: string | null;
  url: string | null;
  /** Everyone may read it (a public project's public feature, rules/feature-visibility.ts). */
  openToAll: boolean;
  /** Confidential issue or comment, or internal note. */
  confidential: boolean;
  verdicts: StoredVerdict[];
}

/** Polling stores the hooks it makes with an `Idempotency-Key` of `poll:…` (polling/poll-projects.ts). */
export function sourceOf(idempotencyKey: string | null): DeliverySource {
  return idempotencyKey?.startsWith('poll:') ? 'poll' : 'webhook';
}

const ECHO = 'made from this channel (a reply or reaction here), which already shows it';

/**
 * A processed event's record: each candidate's verdict, and for those that wanted it, whether their
 * channel got it through them, through a more specific subscription (planPosts picks one per channel),
 * or not at all because it came from that channel. Null when no subscription was a candidate.
 */
export function plannedRecord(input: {
  deliveryId: string;
  source: DeliverySource;
  event: GitLabEvent;
  audience: EventAudience;
  candidates: readonly Subscription[];
  verdicts: ReadonlyMap<string, Verdict>;
  /** What planPosts made, before echoes were left out. */
  planned: readonly PlannedPost[];
  echoChannel: string | null;
}): DeliveryRecord | null {
  const { event } = input;
  const path = eventPath(event);
  if (!path) return null;
  const byChannel = new Map(input.planned.map((post) => [post.channelId, post]));
  const verdicts: StoredVerdict[] = [];
  for (const subscription of input.candidates) {
    const verdict = input.verdicts.get(subscription.id);
    if (!verdict) continue;
    const base = { s: subscription.id, c: subscription.channelId };
    if (!verdict.wanted) {
      // A renamed project's subscription found by id is not about this path: it has nothing to explain here.
      if (verdict.rule !== 'outside_target') verdicts.push({ ...base, r: verdict.rule, m: verdict.reason });
      continue;
    }
    const chosen = byChannel.get(subscription.channelId);
    if (chosen && chosen.subscriptionId !== subscription.id) {
      verdicts.push({ ...base, r: 'same_channel_other_subscription', m: `this channel got it through its more specific subscription ${chosen.subscriptionId}` });
    } else if (subscription.channelId === input.echoChannel) {
      verdicts.push({ ...base, r: 'echo', m: ECHO });
    } else {
      verdicts.push({ ...base, r: null });
    }
  }
  // No subscription is about this path (none, or only a renamed project's found by its id).
  if (verdicts.length === 0) return null;
  return {
    deliveryId: input.deliveryId,
    source: input.source,
    path,
    kind: event.kind,
    action: event.action,
    eventKey: event.key,
    summary: summarizeEvent(event),
    url: eventUrl(event),
    openToAll: input.audience.openToAll,
    confidential: event.confidential || event.internal,
    verdicts,
  };
}

/**
 * A delivery nothing was planned from: a payload the bridge ignores (nothing of its content is kept,
 * and it counts as members-only), or an event whose processing failed until it was given up.
 */
export function unplannedRecord(input: {
  deliveryId: string;
  source: DeliverySource;
  about: Pick<PayloadAbout, 'kind' | 'action'> & { path: string };
  /** The event, when it was parsed before processing failed. */
  event?: { event: GitLabEvent; audience: EventAudience };
  candidates: readonly Subscription[];
  rule: 'ignored' | 'processing_error';
  reason: string;
}): DeliveryRecord | null {
  const path = input.about.path.toLowerCase();
  const covering = input.candidates.filter((subscription) => covers(subscription, path));
  if (covering.length === 0) return null;
  const event = input.event?.event;
  return {
    deliveryId: input.deliveryId,
    source: input.source,
    path,
    kind: input.about.kind,
    action: input.about.action,
    eventKey: null,
    summary: event ? summarizeEvent(event) : null,
    url: event ? eventUrl(event) : null,
    openToAll: input.event?.audience.openToAll ?? false,
    confidential: event ? event.confidential || event.internal : false,
    verdicts: covering.map((subscription) => ({ s: subscription.id, c: subscription.channelId, r: input.rule, m: input.reason })),
  };
}

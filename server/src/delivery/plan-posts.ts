/**
 * From one event and the subscriptions that want it, the channel posts to make:
 * one per channel (a channel subscribed to a project and to its group gets the
 * event once, rendered as the most specific subscription says). Pure.
 */
import type { GitLabEvent } from '../gitlab/events/event.js';
import type { EventAudience } from '../rules/match-subscription.js';
import type { RenderStyle, Subscription } from '../rules/subscription.js';

export interface PlannedPost {
  eventKey: string;
  channelId: string;
  subscriptionId: string;
  message: string;
  threadKey: string | null;
  threadStatus: string | null;
  confidential: boolean;
  /**
   * Not for a public channel: confidential or internal content, or an event not open to all (a
   * private project's, or of a feature kept to members) that no system admin forced into a public
   * channel. Delivery checks the channel's type, seconds old, before posting it: a private channel
   * made public after subscribing stops getting it.
   */
  needsPrivateChannel: boolean;
}

export type Render = (event: GitLabEvent, style: RenderStyle) => { message: string };

export function planPosts(
  event: GitLabEvent,
  wanted: readonly Subscription[],
  render: Render,
  thread: { key: string; status: string | null } | null,
  audience: EventAudience,
): PlannedPost[] {
  const byChannel = new Map<string, Subscription>();
  for (const subscription of wanted) {
    const chosen = byChannel.get(subscription.channelId);
    if (!chosen || specificity(subscription) > specificity(chosen)) byChannel.set(subscription.channelId, subscription);
  }
  const rendered = new Map<RenderStyle, string>();
  return [...byChannel.values()].map((subscription) => {
    let message = rendered.get(subscription.style);
    if (message === undefined) {
      message = render(event, subscription.style).message;
      rendered.set(subscription.style, message);
    }
    const threaded = subscription.threads && thread !== null;
    const confidential = event.confidential || event.internal;
    return {
      eventKey: event.key,
      channelId: subscription.channelId,
      subscriptionId: subscription.id,
      message,
      threadKey: threaded ? thread.key : null,
      threadStatus: threaded ? thread.status : null,
      confidential,
      needsPrivateChannel: confidential || (!audience.openToAll && !subscription.forced),
    };
  });
}

/** A project subscription beats a group one; a deeper group beats its parent. */
function specificity(subscription: Subscription): number {
  return (subscription.targetKind === 'project' ? 1000 : 0) + subscription.targetPath.split('/').length;
}

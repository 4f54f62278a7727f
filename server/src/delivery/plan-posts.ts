/**
 * From one event and the subscriptions that want it, the channel posts to make:
 * one per channel (a channel subscribed to a project and to its group gets the
 * event once, rendered as the most specific subscription says). Pure.
 */
import type { ButtonSpec } from '../actions/button-spec.js';
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
  /** The post's own buttons (actions/button-spec.ts); null when the subscription has buttons off. */
  buttons: ButtonSpec | null;
  /** The merge request's or issue's buttons, for the thread's first post. */
  threadButtons: ButtonSpec | null;
  /**
   * Replies in the thread go to GitLab (the chosen subscription's `--sync-replies`, for threaded
   * posts only): the thread's root then says so (delivery/deliver-channel-posts.ts).
   */
  syncReplies: boolean;
}

/** The buttons an event's posts may carry; both null when the admin turned buttons off. */
export interface EventButtons {
  own: ButtonSpec | null;
  thread: ButtonSpec | null;
}

const NO_BUTTONS: EventButtons = { own: null, thread: null };

export type Render = (event: GitLabEvent, style: RenderStyle) => { message: string };

export function planPosts(
  event: GitLabEvent,
  wanted: readonly Subscription[],
  render: Render,
  thread: { key: string; status: string | null } | null,
  audience: EventAudience,
  buttons: EventButtons = NO_BUTTONS,
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
      buttons: subscription.buttons ? buttons.own : null,
      threadButtons: subscription.buttons ? buttons.thread : null,
      syncReplies: threaded && subscription.syncReplies,
    };
  });
}

/** A project subscription beats a group one; a deeper group beats its parent. */
function specificity(subscription: Subscription): number {
  return (subscription.targetKind === 'project' ? 1000 : 0) + subscription.targetPath.split('/').length;
}

/**
 * Who may subscribe which channel to what: the rules `/gitlab subscriptions`
 * and the webapp share. Pure: the facts come in, a verdict goes out, worded
 * with the front end's names for the settings.
 */
import type { SubscriptionSettings, OptionNamer } from '../commands/subscription-options.js';
import { REPORTER, type GitLabTarget } from '../gitlab/find-target.js';

/** Why a change is refused; `code` is what the webapp API answers (its HTTP status follows from it). */
export type SubscriptionRefusal = { code: 'bad_request' | 'forbidden' | 'not_found' | 'conflict' | 'bot_cannot_post' | 'not_connected'; message: string };

/** Mattermost's channel types: O public, P private (D and G are direct and group messages). */
export type ChannelType = string;

export const isPublicChannel = (type: ChannelType): boolean => type === 'O';

/** Confidential issues and notes never go where everyone on the server can read them. */
export function refuseConfidential(settings: Pick<SubscriptionSettings, 'confidential'>, channelType: ChannelType): SubscriptionRefusal | null {
  return settings.confidential && isPublicChannel(channelType) ? { code: 'bad_request', message: 'Confidential issues and notes can only go to a private channel; this one is public.' } : null;
}

/**
 * Confidential issues and notes, and internal notes, go to a channel only when the person turning
 * them on is someone GitLab shows them to: connected, with Reporter or more on the project (or on
 * the group, for a group subscription). Public targets included: confidential is about the item.
 */
export function refuseConfidentialOptIn(connected: boolean, target: Pick<GitLabTarget, 'path' | 'accessLevel'> | null): SubscriptionRefusal | null {
  if (!connected) return { code: 'not_connected', message: 'Confidential issues and notes go only where a subscriber GitLab shows them to vouches for them. Connect your GitLab account first' };
  if (!target || (target.accessLevel ?? 0) < REPORTER) {
    return {
      code: 'forbidden',
      message: `You need at least Reporter access to \`${target?.path ?? 'the target'}\` to turn on confidential issues and notes: GitLab shows them only to Reporters and above.`,
    };
  }
  return null;
}

/** Settings that make no sense for the kind of target. */
export function refuseForKind(settings: SubscriptionSettings, kind: GitLabTarget['kind'], name: OptionNamer): SubscriptionRefusal | null {
  if (settings.filters.exclude && kind !== 'group') return { code: 'bad_request', message: `\`${name('exclude')}\` leaves projects out of a group subscription; this is a project.` };
  if (settings.poll && kind !== 'project') {
    return { code: 'bad_request', message: `\`${name('poll')}\` works for projects only: a group has no events API to poll. Subscribe its projects, or add a group webhook.` };
  }
  return null;
}

/**
 * What the subscriber may see is what the channel may get: Reporter access for a private or internal
 * target, and such a target in a public channel only when a system admin forces it.
 */
export function refuseAccess(
  target: GitLabTarget,
  channelType: ChannelType,
  request: { force: boolean; systemAdmin: boolean },
  name: OptionNamer,
): SubscriptionRefusal | null {
  const privateTarget = target.visibility !== 'public';
  if (privateTarget && (target.accessLevel ?? 0) < REPORTER) {
    return { code: 'forbidden', message: `You need at least Reporter access to \`${target.path}\` to subscribe a channel to it.` };
  }
  if (privateTarget && isPublicChannel(channelType)) {
    if (!request.force) {
      return {
        code: 'forbidden',
        message: `\`${target.path}\` is ${target.visibility}: its events would show to everyone who can read this public channel. Use a private channel, or a system admin can add \`${name('force')}\`.`,
      };
    }
    if (!request.systemAdmin) return { code: 'forbidden', message: `Only a system admin can use \`${name('force')}\`.` };
  }
  return null;
}

/**
 * Whether the channel may get what only members see: a private or internal target's events (its
 * subscriber was shown to have Reporter by refuseAccess), and the features a public project keeps to
 * members (merge requests, repository, CI/CD…, rules/feature-visibility.ts). For a public target
 * that takes a subscriber with Reporter (enough for every members-only feature) and a channel that
 * is not public: everyone on the server can read a public channel.
 */
export function grantsPrivateAccess(target: Pick<GitLabTarget, 'visibility' | 'accessLevel'>, channelType: ChannelType): boolean {
  if (target.visibility !== 'public') return true;
  return (target.accessLevel ?? 0) >= REPORTER && !isPublicChannel(channelType);
}

/** A private target put into a public channel by a system admin: audited as such. */
export const isForced = (target: GitLabTarget, channelType: ChannelType): boolean => target.visibility !== 'public' && isPublicChannel(channelType);

/**
 * Ending a confidential opt-in whose person GitLab no longer vouches for (they
 * disconnected, lost Reporter access, or nobody was ever recorded): the
 * subscription stops getting confidential issues and notes, keeps why, and the
 * channel is told once. The notice goes through the channel outbox, so it is
 * delivered exactly once even when Mattermost is down right now; it is queued
 * with the change, by whichever caller made it.
 */
import { neutraliseMentions } from '../render/text.js';
import { audit } from '../store/audit-log.js';
import { enqueueNotice } from '../store/channel-outbox.js';
import type { Queryable } from '../store/queryable.js';
import { stopConfidential } from '../store/subscriptions.js';

/** Why, in words the channel reads after "because". */
export const STOP_REASONS = {
  disconnected: 'the person who turned them on disconnected their GitLab account',
  accessGone: 'GitLab no longer shows them to the person who turned them on (they need at least Reporter access)',
  nobody: 'nobody connected to GitLab is recorded as having turned them on',
} as const;

/** Returns how many subscriptions were stopped. `actor` is who or what caused it, for the audit log. */
export async function stopConfidentialDelivery(
  db: Queryable,
  which: Parameters<typeof stopConfidential>[1],
  reason: string,
  actor: string,
): Promise<number> {
  const stopped = await stopConfidential(db, which, reason);
  for (const subscription of stopped) {
    await audit(db, { actor, action: 'subscription.confidential_stopped', target: `subscription:${subscription.id}`, details: { channel: subscription.channelId, path: subscription.targetPath, reason } });
    await enqueueNotice(db, {
      // One notice per stop: a later opt-in that is stopped again is told again.
      key: `confidential-stopped:${subscription.id}:${Date.now()}`,
      channelId: subscription.channelId,
      subscriptionId: subscription.id,
      message: neutraliseMentions(
        `Confidential issues and notes of the GitLab ${subscription.targetKind} \`${subscription.targetPath}\` no longer come to this channel: ${reason}. ` +
          `Someone with at least Reporter access can turn them on again: \`/gitlab subscriptions edit ${subscription.id} --confidential\`.`,
      ),
    });
  }
  return stopped.length;
}

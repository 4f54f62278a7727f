/**
 * GitLab's hooks of each subscribed project or group that point at this bridge,
 * read with the caller's token: a Maintainer or Owner sees them; for anyone else
 * GitLab refuses and the report says only what arrived.
 */
import type { GitLabCaller } from '../accounts/gitlab-connections.js';
import { bridgeWebhookUrl, pointsAt, type HookReport } from '../commands/webhook-health.js';
import { listHooks } from '../gitlab/hooks-api.js';
import type { ListedSubscription } from '../store/subscriptions.js';

/**
 * By subscription id; a subscription missing from the map is `{ unknown: true }`. All of `subscriptions`
 * are on `instance` (the GitLab at `gitlabUrl`, where `caller` is the reader's account): its hooks
 * count when they point at that instance's door.
 */
export async function readHookReports(
  gitlabUrl: string,
  publicUrl: string | undefined,
  caller: GitLabCaller | null,
  subscriptions: ListedSubscription[],
  instance = 'default',
): Promise<Map<string, HookReport>> {
  const reports = new Map<string, HookReport>();
  if (!caller || !publicUrl) return reports;
  const ourUrl = bridgeWebhookUrl(publicUrl, instance);
  await Promise.all(
    subscriptions.map(async (subscription) => {
      if (subscription.targetId === null) return;
      const hooks = await listHooks(gitlabUrl, caller.token, { kind: subscription.targetKind, id: subscription.targetId }).catch(() => null);
      if (hooks) reports.set(subscription.id, { hooks: hooks.filter((hook) => pointsAt(hook, ourUrl)) });
    }),
  );
  return reports;
}

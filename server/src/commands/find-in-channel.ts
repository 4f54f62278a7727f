/** Which of a channel's subscriptions a command names (`edit`, `delete`, `explain`). */
import type { CommandCall } from './command-router.js';
import { instancesOf, type InstanceDeps } from './on-instance.js';
import { resolveTarget } from './subscription-options.js';
import type pg from 'pg';
import { listChannelSubscriptions, type ListedSubscription } from '../store/subscriptions.js';

/**
 * A subscription of this channel, by id (`12`, `#12`) or path. A path alone matches on whichever GitLab
 * the channel follows it; on two, `--instance` (or a URL) says which. A string is what to answer instead.
 */
export async function findInChannel(call: CommandCall, which: string, instance: unknown, deps: Pick<InstanceDeps, 'instances' | 'gitlabUrl'> & { pool: pg.Pool }): Promise<ListedSubscription | string> {
  const subscriptions = await listChannelSubscriptions(deps.pool, call.channelId);
  const id = which.replace(/^#/, '');
  const missing = `This channel has no subscription \`${which}\`. \`/${call.trigger} subscriptions list\` shows them.`;
  if (/^\d+$/.test(id)) return subscriptions.find((subscription) => subscription.id === id) ?? missing;
  const named = typeof instance === 'string' || /^https?:\/\//i.test(which.trim());
  const target = resolveTarget(which, instancesOf(deps), typeof instance === 'string' ? instance : undefined);
  if (!target.ok) return typeof instance === 'string' ? `${target.error}.` : missing;
  const found = subscriptions.filter((subscription) => subscription.targetPath === target.path && (!named || subscription.instance === target.instance.name));
  if (found.length > 1) {
    const where = found.map((subscription) => `${subscription.id} on ${instancesOf(deps).label(subscription.instance)}`).join(', ');
    return `This channel follows \`${target.path}\` on more than one GitLab (${where}): name it by its id, or add \`--instance <name>\`.`;
  }
  return found[0] ?? missing;
}

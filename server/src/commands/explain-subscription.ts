/**
 * `/gitlab subscriptions explain <id|path>`: what the last events about one of
 * this channel's subscriptions became, for any member of the channel; and
 * `/gitlab subscriptions explain --project <path|URL>`: the same across every
 * channel, for system admins only. The report is explain/read-explanation.ts's,
 * which decides what of each event the reader may see; this module checks who
 * asks and renders the answer.
 */
import type pg from 'pg';
import { explainAllowance } from '../explain/explain-allowance.js';
import { explainPath, explainSubscription, type ExplainDeps } from '../explain/read-explanation.js';
import { renderExplanation } from '../explain/render-explanation.js';
import { MattermostHttpError, type MattermostClient } from '../mattermost/client.js';
import type { CommandCall } from './command-router.js';
import { findInChannel } from './find-in-channel.js';
import { callerOn, instancesOf, type InstanceDeps } from './on-instance.js';
import { resolveTarget } from './subscription-options.js';

export interface ExplainCommandDeps extends InstanceDeps {
  pool: pg.Pool;
  bot: MattermostClient;
  publicUrl: string | undefined;
  /** MATTERMOST_SITE_URL, for permalinks to the posts. */
  siteUrl?: string;
}

export const EXPLAIN_USAGE = 'subscriptions explain <id|path> [--instance <name>] | subscriptions explain --project <path|URL> [--instance <name>] (system admins)';

export async function explainCommand(call: CommandCall, words: string[], values: Record<string, unknown>, deps: ExplainCommandDeps): Promise<string> {
  const instance = typeof values.instance === 'string' ? values.instance : undefined;
  if (Object.keys(values).some((option) => option !== 'instance' && option !== 'project')) return usage(call);
  const allowed = explainAllowance.take(call.userId);
  if (!allowed.granted) return `Too many explanations asked for at once; try again in ${allowed.retryAfterSeconds} s.`;
  if (typeof values.project === 'string') return words.length === 0 ? explainAcrossChannels(call, values.project, instance, deps) : usage(call);
  if (words.length !== 1) return usage(call);
  // Mattermost runs a command in a public channel for team members who are not in it: only members may read its explanations.
  if (!(await isMember(deps.bot, call.channelId, call.userId))) {
    return 'Only members of this channel can see what reached it. (In a private channel the bot must be a member too: `/invite @gitlab`.)';
  }
  const found = await findInChannel(call, words[0]!, instance, deps);
  if (typeof found === 'string') return found;
  const report = await explainSubscription(explainDeps(call, deps), found, await callerOn(deps, found.instance, call.userId));
  return renderExplanation(report, { trigger: call.trigger, now: new Date(), subscriptionId: found.id });
}

async function explainAcrossChannels(call: CommandCall, given: string, instance: string | undefined, deps: ExplainCommandDeps): Promise<string> {
  const user = await deps.bot.getUser(call.userId);
  if (!user.roles.split(' ').includes('system_admin')) {
    return `\`subscriptions explain --project\` is for system admins. To see what reached this channel: \`/${call.trigger} subscriptions explain <id|path>\`.`;
  }
  const target = resolveTarget(given, instancesOf(deps), instance);
  if (!target.ok) return `${target.error}.`;
  const { report, subscriptions } = await explainPath(explainDeps(call, deps), target.path, target.instance.name, await callerOn(deps, target.instance.name, call.userId));
  return renderExplanation(report, { trigger: call.trigger, now: new Date(), subscriptions });
}

function explainDeps(call: CommandCall, deps: ExplainCommandDeps): ExplainDeps {
  return { pool: deps.pool, bot: deps.bot, siteUrl: deps.siteUrl, instances: instancesOf(deps), publicUrl: deps.publicUrl, trigger: call.trigger };
}

async function isMember(bot: MattermostClient, channelId: string, userId: string): Promise<boolean> {
  try {
    await bot.getChannelMember(channelId, userId);
    return true;
  } catch (error) {
    if (error instanceof MattermostHttpError && (error.status === 404 || error.status === 403)) return false;
    throw error;
  }
}

const usage = (call: CommandCall): string => `Usage: \`/${call.trigger} ${EXPLAIN_USAGE}\``;

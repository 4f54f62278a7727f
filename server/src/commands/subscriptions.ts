/**
 * `/gitlab subscriptions add | list | delete`: a channel's subscriptions. Any
 * member may add; removing someone else's takes a channel, team or system
 * admin. Changes are announced in the channel by the bot and audited.
 */
import type pg from 'pg';
import type { GitLabConnections } from '../accounts/gitlab-connections.js';
import { findTarget, REPORTER } from '../gitlab/find-target.js';
import type { ChannelGateway } from '../mattermost/channel-gateway.js';
import { MattermostHttpError, type MattermostClient } from '../mattermost/client.js';
import { DEFAULT_EVENTS, DEFAULT_PIPELINE_STATUSES, type SubscriptionFilters } from '../rules/subscription.js';
import { audit } from '../store/audit-log.js';
import { createSubscription, deleteSubscription, listChannelSubscriptions, updateSubscriptionSettings, type ListedSubscription } from '../store/subscriptions.js';
import type { CommandCall, Subcommand } from './command-router.js';
import { jobFreshness } from '../store/poll-jobs.js';
import { PROJECT_JOB, type ProjectJobState } from '../polling/poll-projects.js';
import { bridgeWebhookUrl, pointsAt, pollingLine, webhookHealth, type HookReport } from './webhook-health.js';
import { listHooks } from '../gitlab/hooks-api.js';
import { EDIT_ONLY_OPTIONS, editSubscriptionSettings, parseSubscriptionOptions, parseTarget, SUBSCRIPTION_OPTIONS } from './subscription-options.js';

export interface SubscriptionDeps {
  pool: pg.Pool;
  bot: MattermostClient | null;
  gateway: ChannelGateway | null;
  gitlabUrl: string;
  connections: GitLabConnections | null;
  /** PUBLIC_URL: the hooks pointing at `<PUBLIC_URL>/webhook` are this bridge's. */
  publicUrl: string | undefined;
}

const USAGE = 'subscriptions add <project|group path or URL> [options] | list | edit <id|path> [options] | delete <id|path>';

export const subscriptionsCommand: Subcommand<SubscriptionDeps> = {
  name: 'subscriptions',
  summary:
    'what this channel follows in GitLab. `add` takes --events, --labels, --labels-match any|all, --branches, --pipelines, --drafts include|exclude|ready, --exclude, --exclude-authors, --style full|compact|title, --no-threads, --confidential, --force (system admins: a private project in a public channel)',
  usage: USAGE,
  options: { ...SUBSCRIPTION_OPTIONS, ...EDIT_ONLY_OPTIONS, force: { type: 'boolean' } },
  async run(call, { values, positionals }, deps) {
    const [action, ...rest] = positionals;
    if (!deps.bot || !deps.gateway) return 'The bridge has no MATTERMOST_BOT_TOKEN yet: ask an admin to run `gitlab-bridge setup`.';
    switch (action?.toLowerCase()) {
      case 'add':
        return rest.length === 1 ? add(call, rest[0]!, values, deps) : `Name one project or group. Usage: \`/${call.trigger} ${USAGE}\``;
      case 'list':
        return list(call, deps);
      case 'edit':
        return rest.length === 1 ? editOne(call, rest[0]!, values, deps) : `Name one subscription by its id or path. Usage: \`/${call.trigger} ${USAGE}\``;
      case 'delete':
      case 'remove':
        return rest.length === 1 ? remove(call, rest[0]!, deps) : `Name one subscription by its id or path. Usage: \`/${call.trigger} ${USAGE}\``;
      default:
        return `Usage: \`/${call.trigger} ${USAGE}\``;
    }
  },
};

async function add(call: CommandCall, input: string, values: Record<string, unknown>, deps: SubscriptionDeps): Promise<string> {
  const target = parseTarget(input, deps.gitlabUrl);
  if (!target.ok) return `${target.error}.`;
  const options = parseSubscriptionOptions(values);
  if (!options.ok) return `${options.error}.`;
  const { settings } = options;

  const access = await deps.gateway!.ensureCanPost(call.channelId);
  if (!access.ok) return `I cannot post in this channel (${access.reason}). In a private channel: \`/invite @gitlab\`, then try again.`;
  if (settings.confidential && access.type === 'O') return 'Confidential issues and notes can only go to a private channel; this one is public.';

  // With the user's own token: what they may see is what the channel may get.
  const caller = deps.connections ? await deps.connections.callerFor(call.userId) : null;
  const found = await findTarget(deps.gitlabUrl, target.path, caller ?? undefined);
  if (!found) {
    return caller
      ? `\`${target.path}\` does not exist on GitLab, or your GitLab account cannot see it.`
      : `\`${target.path}\` is not a public GitLab project or group. For private and internal ones, connect your GitLab account first: \`/${call.trigger} connect\`.`;
  }
  if (settings.filters.exclude && found.kind !== 'group') return '`--exclude` leaves projects out of a group subscription; this is a project.';
  if (settings.poll && found.kind !== 'project') return '`--poll` works for projects only: a group has no events API to poll. Subscribe its projects, or add a group webhook.';
  const privateTarget = found.visibility !== 'public';
  if (privateTarget && (found.accessLevel ?? 0) < REPORTER) return `You need at least Reporter access to \`${found.path}\` to subscribe a channel to it.`;
  const forced = privateTarget && access.type === 'O';
  if (forced) {
    if (values.force !== true) {
      return `\`${found.path}\` is ${found.visibility}: its events would show to everyone who can read this public channel. Use a private channel, or a system admin can add \`--force\`.`;
    }
    if (!(await deps.bot!.getUser(call.userId)).roles.split(' ').includes('system_admin')) return 'Only a system admin can use `--force`.';
  }

  let created;
  try {
    created = await createSubscription(deps.pool, {
      channelId: call.channelId,
      teamId: call.teamId,
      targetKind: found.kind,
      targetPath: found.path,
      targetId: found.id,
      ...settings,
      privateAccess: privateTarget,
      creatorId: call.userId,
    });
  } catch (error) {
    if ((error as { code?: string }).code === '23505') return `This channel already follows \`${found.path}\`. Delete that subscription first to change it (\`/${call.trigger} subscriptions list\` shows it).`;
    throw error;
  }
  await audit(deps.pool, {
    actor: call.userId,
    action: forced ? 'subscription.created_forced' : 'subscription.created',
    target: `subscription:${created.id}`,
    details: { channel: call.channelId, path: found.path, visibility: found.visibility, settings },
  });
  await announce(deps, call.channelId, `${call.userName} subscribed this channel to the GitLab ${found.kind} [${found.path}](${found.url}): ${describeSettings(created)}.`);
  return `Subscribed this channel to \`${found.path}\` (subscription ${created.id}): ${describeSettings(created)}.`;
}

async function list(call: CommandCall, deps: SubscriptionDeps): Promise<string> {
  const subscriptions = await listChannelSubscriptions(deps.pool, call.channelId);
  if (subscriptions.length === 0) return `This channel follows nothing in GitLab yet. Add something: \`/${call.trigger} subscriptions add group/project\`.`;
  const [names, reports, polling] = await Promise.all([
    usernames(deps.bot!, [...new Set(subscriptions.map((subscription) => subscription.creatorId))]),
    hookReports(call, subscriptions, deps),
    jobFreshness<ProjectJobState>(deps.pool, PROJECT_JOB, subscriptions.flatMap((subscription) => (subscription.targetId === null ? [] : [String(subscription.targetId)]))),
  ]);
  const now = new Date();
  return [
    '#### GitLab subscriptions of this channel',
    ...subscriptions.map((subscription) => {
      const failure = subscription.lastFailure ? `\n  - **Posting failed:** ${subscription.lastFailure}` : '';
      const health = webhookHealth(subscription, reports.get(subscription.id) ?? { unknown: true }, call.trigger, now);
      const polled = pollingLine(subscription, polling.get(String(subscription.targetId)), now);
      return `- **${subscription.id}** · ${subscription.targetKind} \`${subscription.targetPath}\` · ${describeSettings(subscription)} · added by ${names.get(subscription.creatorId) ?? 'a deleted user'} on ${subscription.createdAt.toISOString().slice(0, 10)}\n  - ${health}${polled ? `\n  - ${polled}` : ''}${failure}`;
    }),
  ].join('\n');
}

/**
 * GitLab's hooks of each subscribed project or group that point at us, read with the caller's token (a
 * Maintainer's or Owner's; anyone else learns nothing, and the list says only what arrived).
 */
async function hookReports(call: CommandCall, subscriptions: ListedSubscription[], deps: SubscriptionDeps): Promise<Map<string, HookReport>> {
  const reports = new Map<string, HookReport>();
  const caller = deps.publicUrl && deps.connections ? await deps.connections.callerFor(call.userId) : null;
  if (!caller) return reports;
  const ourUrl = bridgeWebhookUrl(deps.publicUrl!);
  await Promise.all(
    subscriptions.map(async (subscription) => {
      if (subscription.targetId === null) return;
      const hooks = await listHooks(deps.gitlabUrl, caller.token, { kind: subscription.targetKind, id: subscription.targetId }).catch(() => null);
      if (hooks) reports.set(subscription.id, { hooks: hooks.filter((hook) => pointsAt(hook, ourUrl)) });
    }),
  );
  return reports;
}

/** A subscription of this channel, by id (`12`, `#12`) or path. */
async function findInChannel(call: CommandCall, which: string, deps: SubscriptionDeps): Promise<ListedSubscription | undefined> {
  const subscriptions = await listChannelSubscriptions(deps.pool, call.channelId);
  const id = which.replace(/^#/, '');
  const target = parseTarget(which, deps.gitlabUrl);
  return /^\d+$/.test(id)
    ? subscriptions.find((subscription) => subscription.id === id)
    : subscriptions.find((subscription) => target.ok && subscription.targetPath === target.path);
}

async function editOne(call: CommandCall, which: string, values: Record<string, unknown>, deps: SubscriptionDeps): Promise<string> {
  const found = await findInChannel(call, which, deps);
  if (!found) return `This channel has no subscription \`${which}\`. \`/${call.trigger} subscriptions list\` shows them.`;
  const { force: _force, ...changes } = values;
  const edited = editSubscriptionSettings(found, changes);
  if (!edited.ok) return `${edited.error}.`;
  if (edited.settings.confidential && !found.confidential) {
    const access = await deps.gateway!.ensureCanPost(call.channelId);
    if (access.ok && access.type === 'O') return 'Confidential issues and notes can only go to a private channel; this one is public.';
  }
  await updateSubscriptionSettings(deps.pool, found.id, edited.settings);
  await audit(deps.pool, { actor: call.userId, action: 'subscription.edited', target: `subscription:${found.id}`, details: { channel: call.channelId, path: found.targetPath, settings: edited.settings } });
  await announce(deps, call.channelId, `${call.userName} changed this channel's subscription to \`${found.targetPath}\`: ${describeSettings(edited.settings)}.`);
  return `Changed subscription ${found.id} (\`${found.targetPath}\`): ${describeSettings(edited.settings)}.`;
}

async function remove(call: CommandCall, which: string, deps: SubscriptionDeps): Promise<string> {
  const found = await findInChannel(call, which, deps);
  if (!found) return `This channel has no subscription \`${which}\`. \`/${call.trigger} subscriptions list\` shows them.`;
  if (found.creatorId !== call.userId && !(await managesChannel(deps.bot!, call))) {
    return 'Only whoever added this subscription, or a channel, team or system admin, can delete it.';
  }
  await deleteSubscription(deps.pool, found.id);
  await audit(deps.pool, { actor: call.userId, action: 'subscription.deleted', target: `subscription:${found.id}`, details: { channel: call.channelId, path: found.targetPath } });
  await announce(deps, call.channelId, `${call.userName} unsubscribed this channel from the GitLab ${found.targetKind} \`${found.targetPath}\`.`);
  return `Deleted subscription ${found.id} (\`${found.targetPath}\`).`;
}

/** One line a person can read: what arrives and how. */
export function describeSettings(subscription: { filters: SubscriptionFilters; style: string; threads: boolean; confidential: boolean; poll?: boolean }): string {
  const { filters } = subscription;
  const parts = [`events: ${(filters.events ?? DEFAULT_EVENTS).join(', ')}${filters.events ? '' : ' (default)'}`];
  if (filters.labels) parts.push(`labels (${filters.labelsMatch ?? 'any'}): ${filters.labels.join(', ')}`);
  if (filters.branches) parts.push(`branches: ${filters.branches.join(', ')}`);
  parts.push(`pipelines: ${(filters.pipelines ?? DEFAULT_PIPELINE_STATUSES).join(', ')}${filters.pipelines ? '' : ' (default)'}`);
  if (filters.drafts) parts.push(`drafts: ${filters.drafts}`);
  if (filters.exclude) parts.push(`excluding ${filters.exclude.join(', ')}`);
  if (filters.excludeAuthors) parts.push(`ignoring ${filters.excludeAuthors.join(', ')}`);
  parts.push(`style ${subscription.style}`);
  if (!subscription.threads) parts.push('no threads');
  if (subscription.confidential) parts.push('confidential included');
  if (subscription.poll) parts.push('polled');
  return parts.join(' · ');
}

async function managesChannel(bot: MattermostClient, call: CommandCall): Promise<boolean> {
  const roles = async (lookup: () => Promise<{ roles: string }>): Promise<string[]> => {
    try {
      return (await lookup()).roles.split(' ');
    } catch (error) {
      if (error instanceof MattermostHttpError && (error.status === 404 || error.status === 403)) return [];
      throw error;
    }
  };
  const [channel, team, user] = await Promise.all([
    roles(() => bot.getChannelMember(call.channelId, call.userId)),
    roles(() => bot.getTeamMember(call.teamId, call.userId)),
    roles(() => bot.getUser(call.userId)),
  ]);
  return channel.includes('channel_admin') || team.includes('team_admin') || user.includes('system_admin');
}

async function usernames(bot: MattermostClient, ids: string[]): Promise<Map<string, string>> {
  const users = ids.length > 0 ? await bot.getProfilesByIds(ids) : [];
  return new Map(users.map((user) => [user.id, user.username]));
}

/** Tells the channel; a failure here must not undo the change the user asked for. */
async function announce(deps: SubscriptionDeps, channelId: string, message: string): Promise<void> {
  await deps.bot!.createPost({ channel_id: channelId, message } as Parameters<MattermostClient['createPost']>[0]).catch(() => undefined);
}

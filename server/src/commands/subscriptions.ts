/**
 * `/gitlab subscriptions add | list | edit | delete`: a channel's subscriptions.
 * Any member may add; changing or removing someone else's takes a channel, team
 * or system admin; confidential content takes a connected Reporter. The rules and the changes are subscriptions/change-subscriptions.ts,
 * shared with the webapp; this module reads the words and writes the answers.
 */
import type pg from 'pg';
import type { GitLabConnections } from '../accounts/gitlab-connections.js';
import type { ChannelGateway } from '../mattermost/channel-gateway.js';
import type { MattermostClient } from '../mattermost/client.js';
import { listChannelSubscriptions, type ListedSubscription } from '../store/subscriptions.js';
import { addSubscription, describeSettings, editSubscription, removeSubscription, type ChangeActor, type ChangeDeps } from '../subscriptions/change-subscriptions.js';
import type { CommandCall, Subcommand } from './command-router.js';
import { jobFreshness } from '../store/poll-jobs.js';
import { PROJECT_JOB, type ProjectJobState } from '../polling/poll-projects.js';
import { pollingLine, webhookHealth, type HookReport } from './webhook-health.js';
import { describeBlindSpots } from '../polling/polling-blind-spots.js';
import { readHookReports } from '../subscriptions/hook-reports.js';
import { keepersOf, readGroupCoverages, subscriptionCoverage } from '../subscriptions/group-coverage.js';
import { commandOptionName, EDIT_ONLY_OPTIONS, editSubscriptionSettings, parseSubscriptionOptions, parseTarget, SUBSCRIPTION_OPTIONS } from './subscription-options.js';



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
    'what this channel follows in GitLab. `add` takes --events, --labels, --labels-match any|all, --branches, --pipelines, --drafts include|exclude|ready, --exclude, --exclude-authors, --style full|compact|title, --no-threads, --buttons on|off, --sync-replies on|off (replies in its threads become GitLab comments by people who connected their account; default on in private channels, off in public ones), --confidential (private channels; you need Reporter access on GitLab), --poll (projects: poll GitLab instead of waiting for a webhook; the answer says what polling cannot see), --force (system admins: a private project in a public channel)',
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

const changeDeps = (deps: SubscriptionDeps): ChangeDeps => ({ pool: deps.pool, bot: deps.bot!, gateway: deps.gateway!, gitlabUrl: deps.gitlabUrl });
const actorOf = (call: CommandCall): ChangeActor => ({ userId: call.userId, userName: call.userName, channelId: call.channelId, teamId: call.teamId });

async function add(call: CommandCall, input: string, values: Record<string, unknown>, deps: SubscriptionDeps): Promise<string> {
  const target = parseTarget(input, deps.gitlabUrl);
  if (!target.ok) return `${target.error}.`;
  const { force, ...words } = values;
  const options = parseSubscriptionOptions(words);
  if (!options.ok) return `${options.error}.`;
  const caller = deps.connections ? await deps.connections.callerFor(call.userId) : null;
  const added = await addSubscription(changeDeps(deps), actorOf(call), {
    path: target.path,
    settings: options.settings,
    force: force === true,
    caller,
    isSystemAdmin: async () => (await deps.bot!.getUser(call.userId)).roles.split(' ').includes('system_admin'),
    name: commandOptionName,
  });
  if (!added.ok) {
    const { code, message } = added.refusal;
    if (code === 'not_connected') return `${message}: \`/${call.trigger} connect\`.`;
    if (code === 'conflict') return `${message} Delete that subscription first to change it (\`/${call.trigger} subscriptions list\` shows it).`;
    return message;
  }
  return `Subscribed this channel to \`${added.target.path}\` (subscription ${added.subscription.id}): ${describeSettings(added.subscription)}.${blindSpots(call, added.subscription, added.target.path)}`;
}

async function list(call: CommandCall, deps: SubscriptionDeps): Promise<string> {
  const subscriptions = await listChannelSubscriptions(deps.pool, call.channelId);
  if (subscriptions.length === 0) return `This channel follows nothing in GitLab yet. Add something: \`/${call.trigger} subscriptions add group/project\`.`;
  const [names, reports, polling, coverages] = await Promise.all([
    usernames(deps.bot!, [...new Set(subscriptions.map((subscription) => subscription.creatorId))]),
    deps.connections ? deps.connections.callerFor(call.userId).then((caller) => readHookReports(deps.gitlabUrl, deps.publicUrl, caller, subscriptions)) : new Map<string, HookReport>(),
    jobFreshness<ProjectJobState>(deps.pool, PROJECT_JOB, subscriptions.flatMap((subscription) => (subscription.targetId === null ? [] : [String(subscription.targetId)]))),
    readGroupCoverages(deps.pool, subscriptions),
  ]);
  const keepers = await usernames(deps.bot!, keepersOf(coverages).filter((id) => !names.has(id)));
  const now = new Date();
  return [
    '#### GitLab subscriptions of this channel',
    ...subscriptions.map((subscription) => {
      const failure = subscription.lastFailure ? `\n  - **Posting failed:** ${subscription.lastFailure}` : '';
      const stopped = subscription.confidentialStopped && !subscription.confidential ? `\n  - **Confidential issues and notes stopped** on ${subscription.confidentialStopped.at.toISOString().slice(0, 10)}: ${subscription.confidentialStopped.reason}` : '';
      const health = webhookHealth(subscription, reports.get(subscription.id) ?? { unknown: true }, call.trigger, now);
      const polled = pollingLine(subscription, polling.get(String(subscription.targetId)), now);
      const coverage = subscriptionCoverage(subscription, coverages, { nameOf: (id) => names.get(id) ?? keepers.get(id) ?? null, trigger: call.trigger, now });
      return `- **${subscription.id}** · ${subscription.targetKind} \`${subscription.targetPath}\` · ${describeSettings(subscription)} · added by ${names.get(subscription.creatorId) ?? 'a deleted user'} on ${subscription.createdAt.toISOString().slice(0, 10)}\n  - ${health}${polled ? `\n  - ${polled}` : ''}${coverage ? `\n  - ${coverage.markdown}` : ''}${failure}${stopped}`;
    }),
  ].join('\n');
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
  const outcome = await editSubscription(changeDeps(deps), actorOf(call), found, edited.settings, () => (deps.connections ? deps.connections.callerFor(call.userId) : Promise.resolve(null)));
  if (!outcome.ok) return outcome.refusal.code === 'not_connected' ? `${outcome.refusal.message}: \`/${call.trigger} connect\`.` : outcome.refusal.message;
  return `Changed subscription ${found.id} (\`${found.targetPath}\`): ${describeSettings(edited.settings)}.${blindSpots(call, edited.settings, found.targetPath)}`;
}

/** For a subscription polled as asked: what polling will not bring, and what would. */
function blindSpots(call: CommandCall, settings: { poll: boolean; filters: { events?: string[] } }, path: string): string {
  const blind = settings.poll ? describeBlindSpots(settings.filters.events, `\`/${call.trigger} webhook add ${path}\`, as a Maintainer`) : null;
  return blind ? `\n${blind}` : '';
}

async function remove(call: CommandCall, which: string, deps: SubscriptionDeps): Promise<string> {
  const found = await findInChannel(call, which, deps);
  if (!found) return `This channel has no subscription \`${which}\`. \`/${call.trigger} subscriptions list\` shows them.`;
  const outcome = await removeSubscription(changeDeps(deps), actorOf(call), found);
  if (!outcome.ok) return outcome.refusal.message;
  return `Deleted subscription ${found.id} (\`${found.targetPath}\`).`;
}

async function usernames(bot: MattermostClient, ids: string[]): Promise<Map<string, string>> {
  const users = ids.length > 0 ? await bot.getProfilesByIds(ids) : [];
  return new Map(users.map((user) => [user.id, user.username]));
}

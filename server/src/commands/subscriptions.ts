/**
 * `/gitlab subscriptions add | list | edit | delete | explain`: a channel's subscriptions.
 * Any member may add; changing or removing someone else's takes a channel, team
 * or system admin; confidential content takes a connected Reporter. The rules and the changes are subscriptions/change-subscriptions.ts,
 * shared with the webapp; this module reads the words and writes the answers.
 */
import type pg from 'pg';
import type { GitLabConnections } from '../accounts/gitlab-connections.js';
import type { GitLabInstances } from '../gitlab/instances.js';
import type { ChannelGateway } from '../mattermost/channel-gateway.js';
import type { MattermostClient } from '../mattermost/client.js';
import { listChannelSubscriptions, type ListedSubscription } from '../store/subscriptions.js';
import { addSubscription, describeSettings, editSubscription, onInstance, removeSubscription, type ChangeActor, type ChangeDeps } from '../subscriptions/change-subscriptions.js';
import type { AccountInstance } from './account.js';
import { callerOn, connectHint, instanceOption, instancesOf } from './on-instance.js';
import type { CommandCall, Subcommand } from './command-router.js';
import { jobFreshness } from '../store/poll-jobs.js';
import { PROJECT_JOB, type ProjectJobState } from '../polling/poll-projects.js';
import { pollingLine, webhookHealth, type HookReport } from './webhook-health.js';
import { describeBlindSpots } from '../polling/polling-blind-spots.js';
import { readHookReports } from '../subscriptions/hook-reports.js';
import { keepersOf, readGroupCoverages, subscriptionCoverage } from '../subscriptions/group-coverage.js';
import { EXPLAIN_USAGE, explainCommand } from './explain-subscription.js';
import { findInChannel } from './find-in-channel.js';
import { commandOptionName, EDIT_ONLY_OPTIONS, editSubscriptionSettings, parseSubscriptionOptions, resolveTarget, SUBSCRIPTION_OPTIONS } from './subscription-options.js';



export interface SubscriptionDeps {
  pool: pg.Pool;
  bot: MattermostClient | null;
  gateway: ChannelGateway | null;
  gitlabUrl: string;
  /** The default GitLab's connections. */
  connections: GitLabConnections | null;
  /** Every configured GitLab and each one's connections; absent, only the default one (gitlabUrl, connections). */
  instances?: GitLabInstances;
  accountInstance?(name: string): AccountInstance | undefined;
  /** PUBLIC_URL: the hooks pointing at `<PUBLIC_URL>/webhook` (`/webhook/<instance>`) are this bridge's. */
  publicUrl: string | undefined;
  /** MATTERMOST_SITE_URL, for permalinks in `explain`. */
  siteUrl?: string;
}

const USAGE = 'subscriptions add <project|group path or URL> [--instance <name>] [options] | list | edit <id|path> [options] | delete <id|path> | explain <id|path>';

export const subscriptionsCommand: Subcommand<SubscriptionDeps> = {
  name: 'subscriptions',
  summary:
    'what this channel follows in GitLab. `add` takes --events, --labels, --labels-match any|all, --branches, --pipelines, --drafts include|exclude|ready, --exclude, --exclude-authors, --style full|compact|title, --no-threads, --buttons on|off, --sync-replies on|off (replies in its threads become GitLab comments by people who connected their account; default on in private channels, off in public ones), --confidential (private channels; you need Reporter access on GitLab), --poll (projects: poll GitLab instead of waiting for a webhook; the answer says what polling cannot see), --force (system admins: a private project in a public channel), --instance <name> (a path on another of the bridge\'s GitLabs; a URL says which by itself). `explain <id|path>` shows the last 20 events about a subscription\'s project or group and what became of each (posted, which rule dropped it, queued or failing), or, when nothing arrived, the health of its GitLab webhook; system admins can add `--project <path|URL>` to see every channel\'s',
  usage: USAGE,
  options: { ...SUBSCRIPTION_OPTIONS, ...EDIT_ONLY_OPTIONS, force: { type: 'boolean' }, instance: { type: 'string' }, project: { type: 'string' } },
  async run(call, { values: given, positionals }, deps) {
    const [action, ...rest] = positionals;
    if (!deps.bot || !deps.gateway) return 'The bridge has no MATTERMOST_BOT_TOKEN yet: ask an admin to run `gitlab-bridge setup`.';
    const { project, ...values } = given;
    if (action?.toLowerCase() === 'explain') return explainCommand(call, rest, given, { ...deps, bot: deps.bot });
    if (project !== undefined) return `\`--project\` goes with \`explain\` only. Usage: \`/${call.trigger} ${EXPLAIN_USAGE}\``;
    switch (action?.toLowerCase()) {
      case 'add':
        return rest.length === 1 ? add(call, rest[0]!, values, deps) : `Name one project or group. Usage: \`/${call.trigger} ${USAGE}\``;
      case 'list':
        return list(call, deps);
      case 'edit':
        return rest.length === 1 ? editOne(call, rest[0]!, values, deps) : `Name one subscription by its id or path. Usage: \`/${call.trigger} ${USAGE}\``;
      case 'delete':
      case 'remove':
        return rest.length === 1 ? remove(call, rest[0]!, values.instance, deps) : `Name one subscription by its id or path. Usage: \`/${call.trigger} ${USAGE}\``;
      default:
        return `Usage: \`/${call.trigger} ${USAGE}\``;
    }
  },
};

const changeDeps = (deps: SubscriptionDeps): ChangeDeps => ({ pool: deps.pool, bot: deps.bot!, gateway: deps.gateway!, gitlabUrl: deps.gitlabUrl, instances: instancesOf(deps) });
const actorOf = (call: CommandCall): ChangeActor => ({ userId: call.userId, userName: call.userName, channelId: call.channelId, teamId: call.teamId });

async function add(call: CommandCall, input: string, values: Record<string, unknown>, deps: SubscriptionDeps): Promise<string> {
  const { force, instance, ...words } = values;
  const target = resolveTarget(input, instancesOf(deps), typeof instance === 'string' ? instance : undefined);
  if (!target.ok) return `${target.error}.`;
  const options = parseSubscriptionOptions(words);
  if (!options.ok) return `${options.error}.`;
  const on = target.instance.name;
  const caller = await callerOn(deps, on, call.userId);
  const added = await addSubscription(changeDeps(deps), actorOf(call), {
    path: target.path,
    instance: on,
    settings: options.settings,
    force: force === true,
    caller,
    isSystemAdmin: async () => (await deps.bot!.getUser(call.userId)).roles.split(' ').includes('system_admin'),
    name: commandOptionName,
  });
  if (!added.ok) {
    const { code, message } = added.refusal;
    if (code === 'not_connected') return `${message}: ${connectHint(call.trigger, on)}.`;
    if (code === 'conflict') return `${message} Delete that subscription first to change it (\`/${call.trigger} subscriptions list\` shows it).`;
    return message;
  }
  return `Subscribed this channel to \`${added.target.path}\`${onInstance(deps.instances, on)} (subscription ${added.subscription.id}): ${describeSettings(added.subscription)}.${blindSpots(call, added.subscription, added.target.path, on)}`;
}

/** What `list` shows beside each subscription, read per GitLab: its hooks, polls and project-hook sets. */
interface InstanceFacts {
  reports: Map<string, HookReport>;
  polling: Awaited<ReturnType<typeof jobFreshness<ProjectJobState>>>;
  coverages: Awaited<ReturnType<typeof readGroupCoverages>>;
}

async function readInstanceFacts(call: CommandCall, deps: SubscriptionDeps, instance: string, subscriptions: ListedSubscription[]): Promise<InstanceFacts> {
  const gitlabUrl = instancesOf(deps).byName(instance)?.url;
  const [reports, polling, coverages] = await Promise.all([
    // The reader's own account on that GitLab: a Maintainer there sees its hooks.
    gitlabUrl ? callerOn(deps, instance, call.userId).then((caller) => readHookReports(gitlabUrl, deps.publicUrl, caller, subscriptions, instance)) : new Map<string, HookReport>(),
    jobFreshness<ProjectJobState>(deps.pool, PROJECT_JOB, subscriptions.flatMap((subscription) => (subscription.targetId === null ? [] : [String(subscription.targetId)])), instance),
    readGroupCoverages(deps.pool, subscriptions, instance),
  ]);
  return { reports, polling, coverages };
}

async function list(call: CommandCall, deps: SubscriptionDeps): Promise<string> {
  const subscriptions = await listChannelSubscriptions(deps.pool, call.channelId);
  if (subscriptions.length === 0) return `This channel follows nothing in GitLab yet. Add something: \`/${call.trigger} subscriptions add group/project\`.`;
  const instances = [...new Set(subscriptions.map((subscription) => subscription.instance))];
  const [names, ...perInstance] = await Promise.all([
    usernames(deps.bot!, [...new Set(subscriptions.map((subscription) => subscription.creatorId))]),
    ...instances.map((instance) => readInstanceFacts(call, deps, instance, subscriptions.filter((subscription) => subscription.instance === instance))),
  ]);
  const facts = new Map(instances.map((instance, at) => [instance, perInstance[at]!]));
  const keepers = await usernames(deps.bot!, [...new Set(perInstance.flatMap((fact) => keepersOf(fact.coverages)))].filter((id) => !names.has(id)));
  const known = instancesOf(deps);
  const now = new Date();
  return [
    '#### GitLab subscriptions of this channel',
    ...subscriptions.map((subscription) => {
      const failure = subscription.lastFailure ? `\n  - **Posting failed:** ${subscription.lastFailure}` : '';
      const stopped = subscription.confidentialStopped && !subscription.confidential ? `\n  - **Confidential issues and notes stopped** on ${subscription.confidentialStopped.at.toISOString().slice(0, 10)}: ${subscription.confidentialStopped.reason}` : '';
      const { reports, polling, coverages } = facts.get(subscription.instance)!;
      const health = webhookHealth(subscription, reports.get(subscription.id) ?? { unknown: true }, call.trigger, now);
      const polled = pollingLine(subscription, polling.get(String(subscription.targetId)), now);
      const coverage = subscriptionCoverage(subscription, coverages, { nameOf: (id) => names.get(id) ?? keepers.get(id) ?? null, trigger: call.trigger, now });
      // With several GitLabs the same path may be on two of them: each line says which.
      return `- **${subscription.id}** · ${subscription.targetKind} \`${subscription.targetPath}\`${onInstance(known, subscription.instance)} · ${describeSettings(subscription)} · added by ${names.get(subscription.creatorId) ?? 'a deleted user'} on ${subscription.createdAt.toISOString().slice(0, 10)}\n  - ${health}${polled ? `\n  - ${polled}` : ''}${coverage ? `\n  - ${coverage.markdown}` : ''}${failure}${stopped}`;
    }),
  ].join('\n');
}

async function editOne(call: CommandCall, which: string, values: Record<string, unknown>, deps: SubscriptionDeps): Promise<string> {
  const { force: _force, instance, ...changes } = values;
  const found = await findInChannel(call, which, instance, deps);
  if (typeof found === 'string') return found;
  const edited = editSubscriptionSettings(found, changes);
  if (!edited.ok) return `${edited.error}.`;
  const outcome = await editSubscription(changeDeps(deps), actorOf(call), found, edited.settings, (on) => callerOn(deps, on, call.userId));
  if (!outcome.ok) return outcome.refusal.code === 'not_connected' ? `${outcome.refusal.message}: ${connectHint(call.trigger, found.instance)}.` : outcome.refusal.message;
  return `Changed subscription ${found.id} (\`${found.targetPath}\`${onInstance(deps.instances, found.instance)}): ${describeSettings(edited.settings)}.${blindSpots(call, edited.settings, found.targetPath, found.instance)}`;
}

/** For a subscription polled as asked: what polling will not bring, and what would. */
function blindSpots(call: CommandCall, settings: { poll: boolean; filters: { events?: string[] } }, path: string, instance: string): string {
  const blind = settings.poll ? describeBlindSpots(settings.filters.events, `\`/${call.trigger} webhook add ${path}${instanceOption(instance)}\`, as a Maintainer`) : null;
  return blind ? `\n${blind}` : '';
}

async function remove(call: CommandCall, which: string, instance: unknown, deps: SubscriptionDeps): Promise<string> {
  const found = await findInChannel(call, which, instance, deps);
  if (typeof found === 'string') return found;
  const outcome = await removeSubscription(changeDeps(deps), actorOf(call), found);
  if (!outcome.ok) return outcome.refusal.message;
  return `Deleted subscription ${found.id} (\`${found.targetPath}\`${onInstance(deps.instances, found.instance)}).`;
}

async function usernames(bot: MattermostClient, ids: string[]): Promise<Map<string, string>> {
  const users = ids.length > 0 ? await bot.getProfilesByIds(ids) : [];
  return new Map(users.map((user) => [user.id, user.username]));
}

/**
 * Adding, changing and removing a channel's subscriptions: the one path both
 * `/gitlab subscriptions` and the webapp take. The rules (rules/subscription-rules.ts)
 * decide; this module looks up the facts they need, stores the change, audits
 * it and tells the channel. Refusals come back as data for each front end to word.
 */
import type pg from 'pg';
import type { GitLabCaller } from '../accounts/gitlab-connections.js';
import type { OptionNamer, SubscriptionSettings } from '../commands/subscription-options.js';
import { findTarget, findTargetOfKind, type GitLabTarget } from '../gitlab/find-target.js';
import { DEFAULT_INSTANCE, type GitLabInstances } from '../gitlab/instances.js';
import type { ChannelGateway } from '../mattermost/channel-gateway.js';
import { MattermostHttpError, type MattermostClient } from '../mattermost/client.js';
import { code, neutraliseMentions } from '../render/text.js';
import { grantsPrivateAccess, isForced, refuseAccess, refuseConfidential, refuseConfidentialOptIn, refuseForKind, type SubscriptionRefusal } from '../rules/subscription-rules.js';
import { DEFAULT_EVENTS, DEFAULT_PIPELINE_STATUSES, defaultSyncReplies, type SubscriptionFilters } from '../rules/subscription.js';
import { audit } from '../store/audit-log.js';
import { createSubscription, deleteSubscription, listChannelSubscriptions, updateSubscriptionSettings, type ListedSubscription } from '../store/subscriptions.js';

export interface ChangeDeps {
  pool: pg.Pool;
  bot: MattermostClient;
  gateway: ChannelGateway;
  /** The default GitLab's URL. */
  gitlabUrl: string;
  /** Every configured GitLab; absent, only the default one (gitlabUrl). */
  instances?: GitLabInstances;
}

/** A subscription's GitLab, by the instance name it is stored with; undefined when that instance is no longer configured. */
function gitlabUrlOf(deps: ChangeDeps, instance: string): string | undefined {
  if (deps.instances) return deps.instances.byName(instance)?.url;
  return instance === DEFAULT_INSTANCE ? deps.gitlabUrl : undefined;
}

/** " on corp" once the bridge has several GitLabs: the same path may then be on either. */
export function onInstance(instances: GitLabInstances | undefined, instance: string): string {
  return instances?.several ? ` on ${instances.label(instance)}` : '';
}

/** Only what is not the default instance goes into audit details: single-instance records stay as they were. */
const instanceDetail = (instance: string): { instance?: string } => (instance === DEFAULT_INSTANCE ? {} : { instance });

/** Who asks, in which channel. */
export interface ChangeActor {
  userId: string;
  userName: string;
  channelId: string;
  /** The channel's team; null for direct and group messages. */
  teamId: string | null;
}

export type ChangeOutcome<T> = ({ ok: true } & T) | { ok: false; refusal: SubscriptionRefusal };

const refused = (code: SubscriptionRefusal['code'], message: string): { ok: false; refusal: SubscriptionRefusal } => ({ ok: false, refusal: { code, message } });

export interface AddRequest {
  /** Lower-case full path (parseTarget). */
  path: string;
  /** The GitLab instance the path is on (resolveTarget); the default one unless said. */
  instance?: string;
  /** Without `syncReplies` when the subscriber did not say: the channel's type decides. */
  settings: SubscriptionSettings;
  force: boolean;
  /** The subscriber's GitLab identity on that instance; without one only public targets can be found. */
  caller: GitLabCaller | null;
  isSystemAdmin(): Promise<boolean>;
  name: OptionNamer;
}

export async function addSubscription(deps: ChangeDeps, actor: ChangeActor, request: AddRequest): Promise<ChangeOutcome<{ subscription: ListedSubscription; target: GitLabTarget }>> {
  const access = await deps.gateway.ensureCanPost(actor.channelId);
  if (!access.ok) return refused('bot_cannot_post', `I cannot post in this channel (${access.reason}). In a private channel: \`/invite @gitlab\`, then try again.`);
  const settings: SubscriptionSettings & { syncReplies: boolean } = { ...request.settings, syncReplies: request.settings.syncReplies ?? defaultSyncReplies(access.type) };
  const confidential = refuseConfidential(settings, access.type) ?? (settings.confidential && !request.caller ? refuseConfidentialOptIn(false, null) : null);
  if (confidential) return { ok: false, refusal: confidential };

  const instance = request.instance ?? DEFAULT_INSTANCE;
  const gitlabUrl = gitlabUrlOf(deps, instance);
  if (!gitlabUrl) return refused('bad_request', `This bridge has no GitLab instance \`${instance}\`.`);
  const on = onInstance(deps.instances, instance);
  // With the user's own token on that GitLab: what they may see is what the channel may get.
  const target = await findTarget(gitlabUrl, request.path, request.caller ?? undefined);
  if (!target) {
    return request.caller
      ? refused('not_found', `\`${request.path}\` does not exist on GitLab${on}, or your GitLab account${on ? ' there' : ''} cannot see it.`)
      : refused('not_connected', `\`${request.path}\` is not a public GitLab project or group${on}. For private and internal ones, connect your GitLab account${on ? ' there' : ''} first`);
  }
  const refusal =
    refuseForKind(settings, target.kind, request.name) ??
    (settings.confidential ? refuseConfidentialOptIn(true, target) : null) ??
    refuseAccess(target, access.type, { force: request.force, systemAdmin: request.force && (await request.isSystemAdmin()) }, request.name);
  if (refusal) return { ok: false, refusal };

  let created;
  try {
    created = await createSubscription(deps.pool, {
      channelId: actor.channelId,
      instance,
      teamId: actor.teamId,
      targetKind: target.kind,
      targetPath: target.path,
      targetId: target.id,
      ...settings,
      privateAccess: grantsPrivateAccess(target, access.type),
      // Kept so that its posts still go to this public channel (refuseAccess let only a system admin do it).
      forced: isForced(target, access.type),
      creatorId: actor.userId,
      // The subscriber vouches for confidential content (checked above; re-checked daily).
      confidentialBy: settings.confidential ? actor.userId : null,
    });
  } catch (error) {
    if ((error as { code?: string }).code === '23505') return refused('conflict', `This channel already follows \`${target.path}\`${on}.`);
    throw error;
  }
  await audit(deps.pool, {
    actor: actor.userId,
    action: isForced(target, access.type) ? 'subscription.created_forced' : 'subscription.created',
    target: `subscription:${created.id}`,
    details: { channel: actor.channelId, path: target.path, ...instanceDetail(instance), visibility: target.visibility, settings },
  });
  const subscription = (await listChannelSubscriptions(deps.pool, actor.channelId)).find((candidate) => candidate.id === created.id)!;
  await announce(deps, actor.channelId, `${actor.userName} subscribed this channel to the GitLab ${target.kind} [${target.path}](${target.url})${on}: ${describeSettings(subscription)}.`);
  return { ok: true, subscription, target };
}

/**
 * `changed` are the subscription's new settings in full (changeSettings; a `syncReplies` left out
 * stays as it was). Who may change a subscription is who may delete it; turning confidential on
 * needs what adding with it needs, and makes the editor the one who vouches for it. `caller` is
 * asked only then, for the editor's account on the subscription's instance.
 */
export async function editSubscription(
  deps: ChangeDeps,
  actor: ChangeActor,
  subscription: ListedSubscription,
  changed: SubscriptionSettings,
  caller: (instance: string) => Promise<GitLabCaller | null>,
): Promise<ChangeOutcome<{ settings: SubscriptionSettings }>> {
  const settings = { ...changed, syncReplies: changed.syncReplies ?? subscription.syncReplies };
  if (subscription.creatorId !== actor.userId && !(await managesChannel(deps.bot, actor))) {
    return refused('forbidden', 'Only whoever added this subscription, or a channel, team or system admin, can change it.');
  }
  const optingIn = settings.confidential && !subscription.confidential;
  if (optingIn) {
    const access = await deps.gateway.ensureCanPost(actor.channelId);
    const confidential = access.ok ? refuseConfidential(settings, access.type) : null;
    if (confidential) return { ok: false, refusal: confidential };
    const refusal = await refuseOptIn(deps, subscription, await caller(subscription.instance));
    if (refusal) return { ok: false, refusal };
  }
  await updateSubscriptionSettings(deps.pool, subscription.id, settings, optingIn ? actor.userId : null);
  await audit(deps.pool, {
    actor: actor.userId,
    action: 'subscription.edited',
    target: `subscription:${subscription.id}`,
    details: { channel: actor.channelId, path: subscription.targetPath, ...instanceDetail(subscription.instance), settings, ...(optingIn ? { confidentialBy: actor.userId } : {}) },
  });
  await announce(deps, actor.channelId, `${actor.userName} changed this channel's subscription to \`${subscription.targetPath}\`${onInstance(deps.instances, subscription.instance)}: ${describeSettings(settings)}.`);
  return { ok: true, settings };
}

/**
 * The editor's own access to the subscribed project or group, asked of GitLab with their token.
 * Looked up by its id (the path only for subscriptions stored without one): after a rename, whoever
 * owns a new project at the old path must not vouch for the original.
 */
async function refuseOptIn(deps: ChangeDeps, subscription: ListedSubscription, caller: GitLabCaller | null): Promise<SubscriptionRefusal | null> {
  if (!caller) return refuseConfidentialOptIn(false, null);
  const gitlabUrl = gitlabUrlOf(deps, subscription.instance);
  if (!gitlabUrl) return { code: 'bad_request', message: `This bridge no longer has the GitLab instance \`${subscription.instance}\` of this subscription.` };
  const target = await findTargetOfKind(gitlabUrl, subscription.targetKind, subscription.targetId ?? subscription.targetPath, caller);
  const same = target !== null && (subscription.targetId === null || target.id === subscription.targetId);
  return refuseConfidentialOptIn(true, same ? target : { path: subscription.targetPath, accessLevel: null });
}

/** Whoever added it may remove it; anyone else needs to be a channel, team or system admin. */
export async function removeSubscription(deps: ChangeDeps, actor: ChangeActor, subscription: ListedSubscription): Promise<ChangeOutcome<object>> {
  if (subscription.creatorId !== actor.userId && !(await managesChannel(deps.bot, actor))) {
    return refused('forbidden', 'Only whoever added this subscription, or a channel, team or system admin, can delete it.');
  }
  await deleteSubscription(deps.pool, subscription.id);
  await audit(deps.pool, {
    actor: actor.userId,
    action: 'subscription.deleted',
    target: `subscription:${subscription.id}`,
    details: { channel: actor.channelId, path: subscription.targetPath, ...instanceDetail(subscription.instance) },
  });
  await announce(deps, actor.channelId, `${actor.userName} unsubscribed this channel from the GitLab ${subscription.targetKind} \`${subscription.targetPath}\`${onInstance(deps.instances, subscription.instance)}.`);
  return { ok: true };
}

/** Free text a subscriber typed (labels, branches, authors), as inline code: no markup, no mentions. */
const values = (list: string[]): string => list.map((value) => code(value)).join(', ');

/** One line a person can read: what arrives and how. */
export function describeSettings(subscription: { filters: SubscriptionFilters; style: string; threads: boolean; buttons: boolean; confidential: boolean; poll?: boolean; syncReplies?: boolean }): string {
  const { filters } = subscription;
  const parts = [`events: ${(filters.events ?? DEFAULT_EVENTS).join(', ')}${filters.events ? '' : ' (default)'}`];
  if (filters.labels) parts.push(`labels (${filters.labelsMatch ?? 'any'}): ${values(filters.labels)}`);
  if (filters.branches) parts.push(`branches: ${values(filters.branches)}`);
  parts.push(`pipelines: ${(filters.pipelines ?? DEFAULT_PIPELINE_STATUSES).join(', ')}${filters.pipelines ? '' : ' (default)'}`);
  if (filters.drafts) parts.push(`drafts: ${filters.drafts}`);
  if (filters.exclude) parts.push(`excluding ${values(filters.exclude)}`);
  if (filters.excludeAuthors) parts.push(`ignoring ${values(filters.excludeAuthors)}`);
  parts.push(`style ${subscription.style}`);
  if (!subscription.threads) parts.push('no threads');
  if (!subscription.buttons) parts.push('no buttons');
  if (subscription.syncReplies) parts.push('replies → GitLab');
  if (subscription.confidential) parts.push('confidential included');
  if (subscription.poll) parts.push('polled');
  return parts.join(' · ');
}

/**
 * A channel, team or system admin: who may change what others set up in a channel (a subscription
 * someone else added, the channel's settings). Mattermost says, asked as the bot; a channel role
 * counts only where the person is a member.
 */
export async function managesChannel(bot: MattermostClient, actor: Pick<ChangeActor, 'userId' | 'channelId' | 'teamId'>): Promise<boolean> {
  const roles = async (lookup: () => Promise<{ roles: string }>): Promise<string[]> => {
    try {
      return (await lookup()).roles.split(' ');
    } catch (error) {
      if (error instanceof MattermostHttpError && (error.status === 404 || error.status === 403)) return [];
      throw error;
    }
  };
  const [channel, team, user] = await Promise.all([
    roles(() => bot.getChannelMember(actor.channelId, actor.userId)),
    actor.teamId ? roles(() => bot.getTeamMember(actor.teamId!, actor.userId)) : Promise.resolve([]),
    roles(() => bot.getUser(actor.userId)),
  ]);
  return channel.includes('channel_admin') || team.includes('team_admin') || user.includes('system_admin');
}

/**
 * Tells the channel; a failure here must not undo the change the user asked for. The bot
 * names no one on purpose: whatever a user typed must not ping the channel through it.
 */
async function announce(deps: ChangeDeps, channelId: string, message: string): Promise<void> {
  await deps.bot.createPost({ channel_id: channelId, message: neutraliseMentions(message) } as Parameters<MattermostClient['createPost']>[0]).catch(() => undefined);
}

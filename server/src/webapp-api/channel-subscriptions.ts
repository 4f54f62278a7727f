/**
 * `/channels/{channelId}/subscriptions`: a channel's subscriptions for the
 * webapp's panel, under the same rules and through the same code as
 * `/gitlab subscriptions` (subscriptions/change-subscriptions.ts). The caller
 * must belong to the channel, as Mattermost tells with their own session.
 */
import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import { refuseWrite } from '../accounts/write-access.js';
import { changeSettings, readSettings, resolveTarget, type OptionNamer, type SettingsInput } from '../commands/subscription-options.js';
import { instancesOf } from '../commands/on-instance.js';
import { webhookState, type HookReport } from '../commands/webhook-health.js';
import { findTargetOfKind } from '../gitlab/find-target.js';
import { GitLabApiError } from '../gitlab/hooks-api.js';
import { createMattermostClient } from '../mattermost/client.js';
import { PROJECT_JOB, type ProjectJobState } from '../polling/poll-projects.js';
import { DEFAULT_EVENTS, DEFAULT_PIPELINE_STATUSES } from '../rules/subscription.js';
import type { SubscriptionRefusal } from '../rules/subscription-rules.js';
import { jobFreshness, type JobFreshness } from '../store/poll-jobs.js';
import { listChannelSubscriptions, type ListedSubscription } from '../store/subscriptions.js';
import { addBridgeHook } from '../subscriptions/add-bridge-hook.js';
import { addSubscription, editSubscription, removeSubscription, type ChangeActor, type ChangeDeps } from '../subscriptions/change-subscriptions.js';
import { readHookReports } from '../subscriptions/hook-reports.js';
import type { CoverageView } from '../subscriptions/describe-coverage.js';
import { keepersOf, readGroupCoverages, subscriptionCoverage } from '../subscriptions/group-coverage.js';
import { connectedCaller, isSystemAdmin, sessionOf } from './context.js';
import type { WebappDeps } from './deps.js';
import { ApiError } from './errors.js';
import { findInstanceSide, instanceChoices, instanceSide } from './instance-side.js';
import { requireMemberChannel } from './member-channel.js';
import { assertMayWrite } from './refuse-write.js';
import { validInput } from './validate-input.js';

/** The API names settings by their JSON fields. */
const fieldName: OptionNamer = (setting) => setting;

const REFUSAL_STATUS: Record<SubscriptionRefusal['code'], [number, string]> = {
  bad_request: [400, 'bad_request'],
  forbidden: [403, 'forbidden'],
  // The bot's access to the channel: the member asking can fix it (invite the bot).
  bot_cannot_post: [403, 'forbidden'],
  not_connected: [403, 'not_connected'],
  not_found: [404, 'not_found'],
  conflict: [409, 'conflict'],
};
const refusalError = (refusal: SubscriptionRefusal): ApiError => new ApiError(REFUSAL_STATUS[refusal.code][0], REFUSAL_STATUS[refusal.code][1], refusal.message);

const text = z.string().max(255);
const list = z.array(text).max(100);
const settingsFields = {
  events: list,
  labels: list,
  labelsMatch: text,
  branches: list,
  pipelines: list,
  drafts: text,
  exclude: list,
  excludeAuthors: list,
  style: text,
  threads: z.boolean(),
  buttons: z.boolean(),
  syncReplies: z.boolean(),
  confidential: z.boolean(),
  poll: z.boolean(),
};
// `instance`: the GitLab a path is on (a URL says so itself); the default one unless named.
const addBody = z.strictObject({ target: z.string().min(1).max(1000), instance: z.string().min(1).max(64).optional(), force: z.boolean().optional(), ...partial(settingsFields) });
// In a change, `null` (or an empty list) puts a filter back to its default.
const editBody = z.strictObject(
  Object.fromEntries(Object.entries(settingsFields).map(([key, schema]) => [key, schema.nullable().optional()])) as { [K in keyof typeof settingsFields]: z.ZodOptional<z.ZodNullable<(typeof settingsFields)[K]>> },
);

function partial<T extends Record<string, z.ZodType>>(fields: T): { [K in keyof T]: z.ZodOptional<T[K]> } {
  return Object.fromEntries(Object.entries(fields).map(([key, schema]) => [key, schema.optional()])) as { [K in keyof T]: z.ZodOptional<T[K]> };
}

export function channelSubscriptionRoutes(deps: WebappDeps): express.Router {
  const router = express.Router();

  const memberChannel = (request: Request, response: Response) => requireMemberChannel(deps, request, response);

  function changeDeps(): ChangeDeps {
    if (!deps.bot || !deps.gateway) throw new ApiError(503, 'not_configured', 'The bridge has no MATTERMOST_BOT_TOKEN: ask an admin to run `gitlab-bridge setup`.');
    return { pool: deps.pool, bot: deps.bot, gateway: deps.gateway, gitlabUrl: deps.gitlabUrl, instances: instancesOf(deps) };
  }

  const actorOf = (response: Response, channel: { id: string; teamId: string | null }): ChangeActor => {
    const { user } = sessionOf(response);
    return { userId: user.id, userName: user.username, channelId: channel.id, teamId: channel.teamId };
  };

  async function subscriptionIn(channelId: string, id: string): Promise<ListedSubscription> {
    const found = /^\d{1,18}$/.test(id) ? (await listChannelSubscriptions(deps.pool, channelId)).find((subscription) => subscription.id === id) : undefined;
    if (!found) throw new ApiError(404, 'not_found', 'This channel has no such subscription.');
    return found;
  }

  /**
   * What the panel shows beside one GitLab's subscriptions, read as the viewer's account on that GitLab:
   * its hooks, its polls, its groups' project hooks, and whether the viewer may add a webhook there.
   */
  async function instanceFacts(userId: string, instance: string, subscriptions: ListedSubscription[]) {
    const side = findInstanceSide(deps, instance) ?? null;
    const caller = side?.connections ? await side.connections.callerFor(userId) : null;
    // A read-only bridge offers no webhook to add (adding one is a write).
    const hooksConfigured = side !== null && Boolean(deps.publicUrl && side.webhookSecret) && refuseWrite(side.scopeSetting, 'add webhooks', caller?.scopes) === null;
    const [reports, polling, coverages] = await Promise.all([
      side ? readHookReports(side.url, deps.publicUrl, caller, subscriptions, instance) : new Map<string, HookReport>(),
      jobFreshness<ProjectJobState>(deps.pool, PROJECT_JOB, subscriptions.flatMap((subscription) => (subscription.targetId === null ? [] : [String(subscription.targetId)])), instance),
      // Groups on a GitLab without group webhooks: how far their project hooks reach, and whose account keeps them.
      readGroupCoverages(deps.pool, subscriptions, instance),
    ]);
    return { side, hooksConfigured, canCreate: hooksConfigured && caller !== null, reports, polling, coverages };
  }

  /** The subscriptions as the panel shows them, with what can be learnt of their webhooks. */
  async function describe(response: Response, subscriptions: ListedSubscription[]): Promise<{ subscriptions: unknown[]; canCreateWebhooks: boolean; instances: { name: string; label: string }[] }> {
    const { user, sessionToken } = sessionOf(response);
    const known = instancesOf(deps);
    // The default one always: whether the viewer may add webhooks there is what the panel offers first.
    const names = [...new Set([known.default.name, ...subscriptions.map((subscription) => subscription.instance)])];
    const perInstance = await Promise.all(names.map((instance) => instanceFacts(user.id, instance, subscriptions.filter((subscription) => subscription.instance === instance))));
    const facts = new Map(names.map((instance, at) => [instance, perInstance[at]!]));
    const creators = [...new Set([...subscriptions.map((subscription) => subscription.creatorId), ...perInstance.flatMap((fact) => keepersOf(fact.coverages))])];
    const usernames =
      creators.length > 0
        ? await createMattermostClient(deps.mattermostUrl!, sessionToken)
            .getProfilesByIds(creators)
            .then((users) => new Map(users.map((profile) => [profile.id, profile.username])))
            .catch(() => new Map<string, string>())
        : new Map<string, string>();
    const now = new Date();
    return {
      subscriptions: subscriptions.map((subscription) => {
        const { side, hooksConfigured, reports, polling, coverages } = facts.get(subscription.instance)!;
        const report = reports.get(subscription.id) ?? { unknown: true };
        return subscriptionJson(subscription, {
          gitlabUrl: side?.url ?? deps.gitlabUrl,
          instanceLabel: known.label(subscription.instance),
          creatorName: usernames.get(subscription.creatorId) ?? null,
          report,
          polling: subscription.targetId === null ? undefined : polling.get(String(subscription.targetId)),
          canCreateWebhook: hooksConfigured && !('unknown' in report) && report.hooks.length === 0,
          projectHooks: subscriptionCoverage(subscription, coverages, { nameOf: (id) => usernames.get(id) ?? null, trigger: 'gitlab', now }),
          now,
        });
      }),
      // On any GitLab; each subscription's own `canCreateWebhook` says where.
      canCreateWebhooks: perInstance.some((fact) => fact.canCreate),
      instances: instanceChoices(deps),
    };
  }

  router.get('/channels/:channelId/subscriptions', async (request, response) => {
    const channel = await memberChannel(request, response);
    response.json(await describe(response, await listChannelSubscriptions(deps.pool, channel.id)));
  });

  router.post('/channels/:channelId/subscriptions', async (request, response) => {
    const channel = await memberChannel(request, response);
    const { target, instance, force, ...fields } = validInput(addBody, request.body);
    if (instance !== undefined) instanceSide(deps, instance);
    const path = resolveTarget(target, instancesOf(deps), instance);
    if (!path.ok) throw new ApiError(400, 'bad_request', `\`target\`: ${path.error}.`);
    const settings = readSettings(fields, fieldName);
    if (!settings.ok) throw new ApiError(400, 'bad_request', `${settings.error}.`);
    // The person's account on the target's GitLab: private access there is checked as them.
    const caller = await connectedCaller(requireConnections(instanceSide(deps, path.instance.name)), response);
    const added = await addSubscription(changeDeps(), actorOf(response, channel), {
      path: path.path,
      instance: path.instance.name,
      settings: settings.settings,
      force: force === true,
      caller,
      isSystemAdmin: async () => isSystemAdmin(sessionOf(response).user),
      name: fieldName,
    });
    if (!added.ok) throw refusalError(added.refusal);
    const [subscription] = (await describe(response, [added.subscription])).subscriptions;
    response.status(201).json({ subscription });
  });

  router.patch('/channels/:channelId/subscriptions/:id', async (request, response) => {
    const channel = await memberChannel(request, response);
    const found = await subscriptionIn(channel.id, String(request.params.id));
    const body = validInput(editBody, request.body);
    const changes = Object.fromEntries(Object.entries(body).filter(([, value]) => value !== undefined).map(([key, value]) => [key, value ?? undefined])) as SettingsInput;
    // A cleared filter is named with no value: changeSettings puts it back to the default.
    const edited = changeSettings(found, changes, fieldName);
    if (!edited.ok) throw new ApiError(400, 'bad_request', `${edited.error}.`);
    const outcome = await editSubscription(changeDeps(), actorOf(response, channel), found, edited.settings, (instance) => requireConnections(instanceSide(deps, instance))(sessionOf(response).user.id));
    if (!outcome.ok) throw refusalError(outcome.refusal);
    const [subscription] = (await describe(response, [await subscriptionIn(channel.id, found.id)])).subscriptions;
    response.json({ subscription });
  });

  router.delete('/channels/:channelId/subscriptions/:id', async (request, response) => {
    const channel = await memberChannel(request, response);
    const found = await subscriptionIn(channel.id, String(request.params.id));
    const outcome = await removeSubscription(changeDeps(), actorOf(response, channel), found);
    if (!outcome.ok) throw refusalError(outcome.refusal);
    response.json({ ok: true });
  });

  router.post('/channels/:channelId/subscriptions/:id/webhook', async (request, response) => {
    const channel = await memberChannel(request, response);
    const found = await subscriptionIn(channel.id, String(request.params.id));
    // The subscription's own GitLab: the hook is made there, as the person's account there, towards its own door.
    const side = instanceSide(deps, found.instance);
    if (!deps.publicUrl || !side.webhookSecret) throw new ApiError(503, 'not_configured', 'The bridge has no PUBLIC_URL or webhook secret for this GitLab, so it cannot tell GitLab where to send webhooks.');
    const caller = await connectedCaller(requireConnections(side), response);
    assertMayWrite(side.scopeSetting, 'add webhooks', caller);
    // By id: after a rename the stored path may name another project.
    const target = await findTargetOfKind(side.url, found.targetKind, found.targetId ?? found.targetPath, caller);
    if (!target) throw new ApiError(404, 'not_found', `\`${found.targetPath}\` does not exist on GitLab, or your GitLab account cannot see it.`);
    try {
      const added = await addBridgeHook(
        deps.pool,
        { gitlabUrl: side.url, publicUrl: deps.publicUrl, webhookSecret: side.webhookSecret, instance: side.name },
        { userId: sessionOf(response).user.id, token: caller.token },
        target,
      );
      if (!added.created) throw new ApiError(409, 'conflict', `\`${target.path}\` already sends webhooks to this bridge (hook ${added.hook.id}).`);
    } catch (error) {
      if (!(error instanceof GitLabApiError)) throw error;
      throw hookRefusal(error, target.kind, target.path);
    }
    const [subscription] = (await describe(response, [found])).subscriptions as { webhook: unknown }[];
    response.status(201).json({ webhook: subscription!.webhook, subscription });
  });

  return router;
}

/** Without the OAuth application nobody is connected: the same 403 as for an unconnected user. */
function requireConnections(side: Pick<WebappDeps, 'connections'>): (userId: string) => ReturnType<NonNullable<WebappDeps['connections']>['callerFor']> {
  return (userId) => (side.connections ? side.connections.callerFor(userId) : Promise.resolve(null));
}

function hookRefusal(error: GitLabApiError, kind: 'project' | 'group', path: string): ApiError {
  if (kind === 'group' && error.status === 404) return new ApiError(403, 'forbidden', 'This GitLab has no group webhooks: they need GitLab Premium or Ultimate. Add one to each project instead.');
  if (error.status === 403 || error.status === 404) {
    return new ApiError(403, 'forbidden', kind === 'project' ? `A project's webhooks need the Maintainer or Owner role in \`${path}\`.` : `A group's webhooks need the Owner role in \`${path}\`.`);
  }
  return new ApiError(502, 'gitlab_unavailable', `GitLab answered ${error.status}: ${error.message}`);
}

interface DescribeContext {
  /** The subscription's own GitLab. */
  gitlabUrl: string;
  /** What people call that GitLab (its host for the default, else its name). */
  instanceLabel?: string;
  creatorName: string | null;
  report: HookReport;
  polling: (JobFreshness & { state: ProjectJobState }) | undefined;
  canCreateWebhook: boolean;
  /** A group kept in step with a webhook on each project: how far they reach; null otherwise. */
  projectHooks?: CoverageView | null;
  now: Date;
}

/** A subscription as the contract's `Subscription`: filters with their defaults filled in. */
export function subscriptionJson(subscription: ListedSubscription, context: DescribeContext): Record<string, unknown> {
  const { filters } = subscription;
  return {
    id: subscription.id,
    target: { kind: subscription.targetKind, path: subscription.targetPath, url: `${context.gitlabUrl.replace(/\/+$/, '')}/${subscription.targetKind === 'group' ? 'groups/' : ''}${subscription.targetPath}` },
    instance: { name: subscription.instance, label: context.instanceLabel ?? subscription.instance },
    events: filters.events ?? [...DEFAULT_EVENTS],
    labels: filters.labels ?? [],
    labelsMatch: filters.labelsMatch ?? 'any',
    branches: filters.branches ?? [],
    pipelines: filters.pipelines ?? [...DEFAULT_PIPELINE_STATUSES],
    drafts: filters.drafts ?? null,
    exclude: filters.exclude ?? [],
    excludeAuthors: filters.excludeAuthors ?? [],
    style: subscription.style,
    threads: subscription.threads,
    buttons: subscription.buttons,
    syncReplies: subscription.syncReplies,
    confidential: subscription.confidential,
    // Why the bridge turned confidential off by itself (the opt-in's GitLab access ended), when it did.
    confidentialStopped: subscription.confidentialStopped && !subscription.confidential ? { at: subscription.confidentialStopped.at.toISOString(), reason: subscription.confidentialStopped.reason } : null,
    poll: subscription.poll,
    createdBy: { id: subscription.creatorId, username: context.creatorName },
    createdAt: subscription.createdAt.toISOString(),
    lastEventAt: subscription.lastEventAt?.toISOString() ?? null,
    lastFailure: subscription.lastFailure,
    webhook: webhookState(subscription, context.report, context.polling, context.now),
    canCreateWebhook: context.canCreateWebhook,
    projectHooks: context.projectHooks ? { state: context.projectHooks.state, text: context.projectHooks.text } : null,
  };
}

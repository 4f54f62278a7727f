/**
 * The work that runs besides the listeners: delivery workers (channel posts,
 * and direct messages when there is a bot and the OAuth application), pollers
 * (with both), pruning, and with MATTERMOST_ADMIN_TOKEN the team reconciler.
 */
import { createApproverDescriber } from '../actions/describe-approvers.js';
import type { ButtonSigner } from '../actions/render-buttons.js';
import type { AccessAnswer } from '../accounts/gitlab-access.js';
import { writesAllowed } from '../accounts/write-access.js';
import { unscopeKey } from '../gitlab/instances.js';
import type { Config } from '../config.js';
import { createDirectDelivery } from '../delivery/deliver-direct-messages.js';
import { startWorkers } from '../delivery/run-workers.js';
import type { Metrics } from '../http/metrics.js';
import { startPruning } from '../jobs/run-pruning.js';
import type { Logger } from '../log.js';
import { createActionGateway } from '../mattermost/action-gateway.js';
import { createMattermostClient } from '../mattermost/client.js';
import { createDirectChannels } from '../mattermost/direct-channels.js';
import { provisionOptions } from '../mattermost/provision-options.js';
import { startTeamReconciler } from '../mattermost/reconcile-teams.js';
import { pollerKinds } from '../polling/poller-kinds.js';
import { startPollers } from '../polling/run-pollers.js';
import { reminderTimeZone } from '../rules/reminder-schedule.js';
import type { Database } from '../store/database.js';
import type { DeliveryBatcher } from '../store/delivery-batcher.js';
import type { RecentPayloads } from '../delivery/recent-payloads.js';
import type { GitLabSide, GitLabSides } from './gitlab.js';
import type { MattermostSide } from './mattermost.js';

const MEMBERSHIP_KEEP_MS = 60_000;

/** Keeps each (channel, user) answer for a while; failures are not kept. */
function keptAnswers(ask: (channelId: string, userId: string) => Promise<boolean>, keepMs: number): (channelId: string, userId: string) => Promise<boolean> {
  const kept = new Map<string, { answer: boolean; at: number }>();
  return async (channelId, userId) => {
    const key = `${channelId}\n${userId}`;
    const hit = kept.get(key);
    if (hit && Date.now() - hit.at < keepMs) return hit.answer;
    const answer = await ask(channelId, userId);
    if (kept.size >= 10_000) kept.clear();
    kept.set(key, { answer, at: Date.now() });
    return answer;
  };
}

export interface BackgroundWorkDeps {
  config: Config;
  log: Logger;
  metrics: Metrics;
  database: Pick<Database, 'pool' | 'locks'>;
  mattermost: Pick<MattermostSide, 'bot' | 'gateway'>;
  gitlab: GitLabSide;
  /** Every instance's side, the default's (`gitlab`) first. */
  gitlabs?: GitLabSides;
  /** Pollers store what they find as webhooks; workers step back while the door takes a burst. */
  deliveries: DeliveryBatcher;
  /** Payloads the door just stored, handed to processing (delivery/recent-payloads.ts). */
  recentPayloads?: RecentPayloads;
  /** Signs the buttons of posts and direct messages as they are made; null when buttons are off. */
  buttons: ButtonSigner | null;
}

export interface BackgroundWork {
  /** Team reconciler, pruning, pollers, then the workers. */
  stop(): Promise<void>;
}

export async function startBackgroundWork({ config, log, metrics, database, mattermost, gitlab, gitlabs, deliveries, recentPayloads, buttons }: BackgroundWorkDeps): Promise<BackgroundWork> {
  const { bot, gateway } = mattermost;
  const { connections } = gitlab;
  const sides = gitlabs?.all ?? [gitlab];
  // A DM's access probe carries its instance (plan-direct-messages.ts): that instance's GitLab is asked.
  const canSee = gitlab.canSee
    ? (userId: string, probe: string): Promise<AccessAnswer> => {
        const { instance, key } = unscopeKey(probe);
        const side = sides.find((candidate) => candidate.instance.name === instance);
        return side?.canSee ? side.canSee(userId, key) : Promise.resolve('not_connected');
      }
    : null;
  // A deployment's approvers are read on its own instance, as someone the post is for there.
  const instanceSide = (name: string) => {
    const side = sides.find((candidate) => candidate.instance.name === name);
    return side && { connections: side.connections, gitlabUrl: side.instance.url };
  };
  const describeButtons = buttons && connections ? createApproverDescriber({ pool: database.pool, connections, gitlabUrl: config.gitlab.url, log, instanceSide }) : null;
  // With the admin token, teams created since setup get /gitlab too (a minute after start, then every 10).
  const reconciler =
    config.mattermost.url && config.mattermost.adminToken
      ? startTeamReconciler(database.locks, createMattermostClient(config.mattermost.url, config.mattermost.adminToken), await provisionOptions(config, database.pool), log)
      : null;
  // A chat reply's comment is told of to many people at once: each membership is asked once a minute at most.
  const membership = bot ? keptAnswers(createActionGateway(bot).isMember, MEMBERSHIP_KEEP_MS) : null;
  const direct =
    gateway && bot && canSee && membership
      ? createDirectDelivery({
          pool: database.pool,
          locks: database.locks,
          gateway,
          directChannel: createDirectChannels(bot),
          canSee,
          buttons,
          describeButtons,
          isMember: membership,
          log: log.child({ component: 'direct-messages' }),
          count: (outcome) => metrics.directMessages.inc({ outcome }),
        })
      : null;
  // Each instance polls on its own: its own jobs, request budget and rate-limit pauses.
  const pollers = sides.flatMap((side) => {
    const sideConnections = side.connections;
    if (!sideConnections || !bot) return [];
    const instance = side.instance.name;
    const pollLog = log.child({ component: 'polling', ...(instance === config.gitlab.name ? {} : { instance }) });
    return [
      startPollers({
        pool: database.pool,
        log: pollLog,
        instance,
        observe: (kind, lagSeconds, outcome) => metrics.pollLag.observe({ kind, outcome }, lagSeconds),
        kinds: pollerKinds({
          pool: database.pool,
          instance,
          // The reminder lists every instance's work: it reads the others' snapshots and labels their items.
          instances: gitlabs?.instances,
          // Whether the group_hooks job may make webhooks (read_api: never).
          scopeSetting: side.instance,
          client: side.client,
          callerFor: (userId) => sideConnections.callerFor(userId),
          callersFor: (userIds) => sideConnections.callersFor(userIds),
          timeZoneOf: async (userId) => reminderTimeZone((await bot.getUser(userId)).timezone),
          gitlabUrl: side.instance.url,
          polling: config.polling,
          store: (delivery) => deliveries.store(delivery),
          publicUrl: config.publicUrl,
          // The secret the project hooks of groups without group webhooks get.
          webhookSecret: side.instance.webhookSecrets[0],
          log: pollLog,
        }),
      }),
    ];
  });
  // Retention: finished work is forgotten in small batches, one replica at a time.
  const pruning = startPruning({ db: database.pool, locks: database.locks, retention: config.retention, log: log.child({ component: 'pruning' }), count: (table, rows) => metrics.prunedRows.inc({ table }, rows) });
  const workers = startWorkers({
    pool: database.pool,
    locks: database.locks,
    gateway,
    log,
    gitlabUrl: config.gitlab.url,
    countPost: (outcome) => metrics.channelPosts.inc({ outcome }),
    doorBusy: () => deliveries.busy(),
    recentPayloads,
    direct,
    featureLevels: gitlab.featureLevels,
    moreInstances: sides.slice(1).map((side) => ({ name: side.instance.name, gitlabUrl: side.instance.url, featureLevels: side.featureLevels, replies: writesAllowed(side.instance) })),
    buttons,
    replies: writesAllowed(config.gitlab),
    describeButtons,
  });
  return {
    async stop() {
      await reconciler?.stop();
      await pruning.stop();
      await Promise.all(pollers.map((poller) => poller.stop()));
      await workers.stop();
    },
  };
}

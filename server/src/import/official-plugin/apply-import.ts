/**
 * `--apply`: carries out an import plan. Each subscription is made and recorded in one transaction, so a
 * rerun (or a second admin running it at once) makes nothing twice; each channel gets one post about what
 * happened there, and each person at most one direct message. A failure is reported and the rest goes on:
 * what failed was not recorded, so the next run tries it again.
 */
import type pg from 'pg';
import { readSettings } from '../../commands/subscription-options.js';
import type { ChannelGateway } from '../../mattermost/channel-gateway.js';
import type { MattermostClient } from '../../mattermost/client.js';
import type { DirectMessenger } from '../../mattermost/direct-message.js';
import { audit } from '../../store/audit-log.js';
import { claimAsk, recordImport, releaseAsk } from '../../store/official-plugin-imports.js';
import { createSubscription } from '../../store/subscriptions.js';
import type { ImportPlan, PlannedItem } from './plan-import.js';
import { channelPost, directMessage } from './render-import.js';

type Created = Extract<PlannedItem, { action: 'create' }>;
type Pending = Extract<PlannedItem, { action: 'pending' }>;

export interface ApplyDeps {
  pool: pg.Pool;
  /** Posts in channels as the bot. */
  bot: MattermostClient;
  /** Joins the bot to public channels, as `subscriptions add` does. */
  gateway: ChannelGateway;
  message: DirectMessenger;
  connectLink(userId: string): Promise<string | null>;
  instance: string;
  /** The admin whose token runs the import: the audit log's actor. */
  adminId: string;
  trigger: string;
}

export interface ApplyOutcome {
  created: number;
  pending: number;
  posts: number;
  asked: number;
  /** One line each, for the report. */
  failures: string[];
  /** The subscriptions that could not be made. */
  failed: Set<PlannedItem>;
}

export async function applyImport(deps: ApplyDeps, plan: ImportPlan): Promise<ApplyOutcome> {
  const outcome: ApplyOutcome = { created: 0, pending: 0, posts: 0, asked: 0, failures: [], failed: new Set() };
  const made: Created[] = [];
  const recordedPending: Pending[] = [];
  for (const item of plan.items) {
    if (item.action === 'create') {
      try {
        if (await create(deps, item)) made.push(item);
      } catch (error) {
        outcome.failed.add(item);
        outcome.failures.push(`${item.mapped.path} in ~${item.channel.name}: not created (${(error as Error).message})`);
      }
    } else if (item.action === 'pending') {
      const recorded = await recordImport(deps.pool, { ...recordOf(deps, item), outcome: 'pending', subscriptionId: null, importedBy: deps.adminId });
      if (recorded) recordedPending.push(item);
    }
  }
  outcome.created = made.length;
  outcome.pending = recordedPending.length;

  for (const channelId of new Set([...made, ...recordedPending.filter((item) => item.tell === 'channel')].map((item) => item.channel.id))) {
    const here = <T extends Created | Pending>(items: T[]) => items.filter((item) => item.channel.id === channelId);
    try {
      await deps.bot.createPost({ channel_id: channelId, message: channelPost(here(made), here(recordedPending.filter((item) => item.tell === 'channel')), deps.trigger) } as Parameters<MattermostClient['createPost']>[0]);
      outcome.posts += 1;
    } catch (error) {
      outcome.failures.push(`could not post in channel ${channelId}: ${(error as Error).message}`);
    }
  }

  const toldByMessage = new Map<string, Pending[]>();
  for (const item of recordedPending) if (item.tell && item.tell !== 'channel') toldByMessage.set(item.tell.userId, [...(toldByMessage.get(item.tell.userId) ?? []), item]);
  const asked = new Set(plan.asks.map((user) => user.id));
  for (const userId of new Set([...asked, ...toldByMessage.keys()])) {
    const ask = asked.has(userId) && (await claimAsk(deps.pool, deps.instance, userId));
    const pending = toldByMessage.get(userId) ?? [];
    if (!ask && pending.length === 0) continue;
    try {
      await deps.message(userId, directMessage({ ask, connectLink: ask ? await deps.connectLink(userId) : null, pending, trigger: deps.trigger }));
      if (ask) outcome.asked += 1;
    } catch (error) {
      if (ask) await releaseAsk(deps.pool, deps.instance, userId);
      outcome.failures.push(`could not send a direct message to user ${userId}: ${(error as Error).message}`);
    }
  }
  return outcome;
}

const recordOf = (deps: ApplyDeps, item: Created | Pending) => ({ instance: deps.instance, channelId: item.channel.id, targetKind: item.mapped.kind, targetPath: item.mapped.path });

/** False when another run made it first. */
async function create(deps: ApplyDeps, item: Created): Promise<boolean> {
  const settings = readSettings(item.mapped.settings);
  if (!settings.ok) throw new Error(settings.error);
  const access = await deps.gateway.ensureCanPost(item.channel.id);
  if (!access.ok) throw new Error(access.reason);
  const client = await deps.pool.connect();
  try {
    await client.query('BEGIN');
    if (!(await recordImport(client, { ...recordOf(deps, item), outcome: 'created', subscriptionId: null, importedBy: deps.adminId }))) {
      await client.query('ROLLBACK');
      return false;
    }
    const { filters, style, threads, buttons, poll } = settings.settings;
    const subscription = await createSubscription(client, {
      instance: deps.instance,
      channelId: item.channel.id,
      teamId: item.channel.teamId || null,
      targetKind: item.mapped.kind,
      targetPath: item.mapped.path,
      targetId: item.targetId,
      filters,
      style,
      threads,
      buttons,
      poll,
      // Nobody here chose to publish the channel's replies in GitLab: that stays a choice for its members.
      syncReplies: false,
      // Vouched for by nobody: what GitLab shows everyone only, never confidential content (plan-import.ts).
      privateAccess: false,
      confidential: false,
      forced: false,
      creatorId: item.creatorId,
    });
    await client.query(
      'UPDATE official_plugin_imports SET subscription_id = $5 WHERE instance = $1 AND channel_id = $2 AND target_kind = $3 AND target_path = $4',
      [deps.instance, item.channel.id, item.mapped.kind, item.mapped.path, subscription.id],
    );
    await audit(client, {
      actor: deps.adminId,
      action: 'subscription.imported',
      target: `subscription:${subscription.id}`,
      details: { from: 'official-plugin', channel: item.channel.id, path: item.mapped.path, pluginFeatures: item.stored.features, creator: item.creatorId, pluginCreator: item.stored.creatorId },
    });
    await client.query('COMMIT');
    return true;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

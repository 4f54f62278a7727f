/**
 * Runs delivery in this process: turning stored webhooks into queued channel
 * posts and direct messages, posting them, and sending the direct messages.
 * Each wakes on PostgreSQL notifications (triggers in migrations 0004 and
 * 0011, so every replica hears about work any replica stored) and on a slow
 * timer as a safety net.
 *
 * Connections: the notification listener holds one pooled connection, a
 * processing pass one for its transaction, and each queue being drained at
 * most one at a time, for a single statement (never across a call to
 * Mattermost or GitLab). Channel and DM drains share one limit that keeps the
 * sum within the pool. Storing webhooks uses a pool of its own (store/database.ts).
 */
import type pg from 'pg';
import type { ButtonDescriber } from '../actions/describe-approvers.js';
import type { ButtonSigner } from '../actions/render-buttons.js';
import type { FeatureLevelSource } from '../gitlab/project-features.js';
import type { Logger } from '../log.js';
import type { SessionLocks } from '../store/session-locks.js';
import type { ChannelGateway } from '../mattermost/channel-gateway.js';
import { dueChannels } from '../store/channel-outbox.js';
import { dueRecipients } from '../store/direct-outbox.js';
import { createChannelDelivery, type PostOutcome } from './deliver-channel-posts.js';
import type { createDirectDelivery } from './deliver-direct-messages.js';
import { DELIVERIES_PER_PASS, processDeliveries } from './process-deliveries.js';
import type { RecentPayloads } from './recent-payloads.js';

const SAFETY_POLL_MS = 2000;
/**
 * Each stored batch of webhooks notifies; under load that is hundreds of
 * notifications a second. Passes start at most this often, so each one takes
 * a useful batch instead of paying a transaction per webhook.
 */
const MIN_PROCESSING_INTERVAL_MS = 20;
/**
 * A pass costs a dozen statements whatever it takes, so while webhooks keep coming the spacing grows
 * with the last pass (2 ms a delivery, up to this): batches grow with the rate (about 25 at 500 a
 * second) while a trickle still waits only about MIN_PROCESSING_INTERVAL_MS. A full pass means a
 * backlog, worked off at the shortest spacing.
 */
const BUSY_PROCESSING_INTERVAL_MS = 50;
/**
 * The spacing while the webhook door of this process is taking a burst (its writes overlap: well over
 * a thousand webhooks a second): GitLab must get its answers in time (slow ones count towards disabling
 * the hook), whereas stored deliveries only wait a little and are worked off at full speed as soon as
 * the burst is over. A pass a second (up to DELIVERIES_PER_PASS) keeps processing going; with four a
 * second, processing's CPU (and PostgreSQL's) cut max-load throughput by 10 to 25 % (bench:ingest).
 */
const BURST_PROCESSING_INTERVAL_MS = 1000;
const CHANNELS_PER_PASS = 100;
/** Most queues drained at once (channels and users together), however large the pool. */
const MAX_CONCURRENT_DRAINS = 16;
/** Pooled connections delivery keeps for itself besides the drains: the listener and a processing pass. */
const RESERVED_CONNECTIONS = 2;
const RELISTEN_DELAY_MS = 1000;

export interface WorkerDeps {
  pool: pg.Pool;
  /** Where the per-channel and per-user locks are held (a session outside the pool). */
  locks: SessionLocks;
  /** Null while Mattermost is not configured: webhooks are processed and posts wait. */
  gateway: ChannelGateway | null;
  log: Logger;
  /** For links in posts about GitLab objects whose payloads carry no URL (members, groups). */
  gitlabUrl: string;
  countPost?(outcome: PostOutcome): void;
  /** True while this process's webhook door is taking a burst; processing then steps back. */
  doorBusy?(): boolean;
  /** Payloads this process's door just stored, so that processing need not read them back. */
  recentPayloads?: RecentPayloads | null;
  /** Sends personal direct messages; null while Mattermost or the GitLab application is not configured. */
  direct?: ReturnType<typeof createDirectDelivery> | null;
  /** Whether posts and direct messages get buttons (ACTION_BUTTONS), and what signs them. */
  buttons?: ButtonSigner | null;
  /** False when the bridge may not write to GitLab: threads then keep replies in Mattermost. */
  replies?: boolean;
  /** Adds to a post's buttons what only GitLab can say (who may approve a deployment). */
  describeButtons?: ButtonDescriber | null;
  /** Public projects' feature levels; null without the GitLab application (nobody can be connected): members-only. */
  featureLevels?: FeatureLevelSource | null;
  /** The other GitLab instances, whose deliveries are processed in turn with their own URL and feature levels. */
  moreInstances?: readonly { name: string; gitlabUrl: string; featureLevels: FeatureLevelSource | null; replies?: boolean }[];
}

export interface Workers {
  stop(): Promise<void>;
}

export function startWorkers(deps: WorkerDeps): Workers {
  const log = deps.log.child({ component: 'delivery' });
  let stopped = false;
  const delivery = deps.gateway ? createChannelDelivery({ pool: deps.pool, locks: deps.locks, gateway: deps.gateway, log, count: deps.countPost, buttons: deps.buttons ?? null, describeButtons: deps.describeButtons ?? null }) : null;
  const drainSlots = shareSlots(drainLimit(deps.pool.options.max ?? 10));

  let lastTaken = 0;
  const processingInterval = () =>
    deps.doorBusy?.()
      ? BURST_PROCESSING_INTERVAL_MS
      : lastTaken >= DELIVERIES_PER_PASS
        ? MIN_PROCESSING_INTERVAL_MS
        : Math.min(BUSY_PROCESSING_INTERVAL_MS, MIN_PROCESSING_INTERVAL_MS + 2 * lastTaken);
  const processing = loop('processing', processingInterval, async () => {
    const recent = deps.recentPayloads ?? null;
    let taken = await processDeliveries(deps.pool, log, { gitlabUrl: deps.gitlabUrl, buttons: Boolean(deps.buttons), replies: deps.replies ?? true }, deps.featureLevels ?? null, recent);
    for (const instance of deps.moreInstances ?? []) {
      const settings = { gitlabUrl: instance.gitlabUrl, buttons: Boolean(deps.buttons), replies: instance.replies ?? true, instance: instance.name };
      taken += await processDeliveries(deps.pool, log.child({ instance: instance.name }), settings, instance.featureLevels, recent);
    }
    lastTaken = taken;
    return { again: taken > 0, wakeAt: null };
  });
  /** One pass over the queues (channels, users) that are due: as many at a time as the shared limit lets, each under its lock. */
  const drainDue = async (lane: 'channels' | 'users', due: { due: string[]; nextAt: Date | null }, drain: (key: string) => Promise<number>) => {
    const counts = await Promise.all(due.due.map((key) => drainSlots(lane, () => (stopped ? Promise.resolve(0) : drain(key)))));
    const attempted = counts.reduce((sum, count) => sum + count, 0);
    return { again: attempted > 0, wakeAt: due.nextAt };
  };
  const posting = loop('posting', () => 0, async () =>
    delivery ? drainDue('channels', await dueChannels(deps.pool, CHANNELS_PER_PASS), (channel) => delivery.drainChannel(channel)) : { again: false, wakeAt: null },
  );

  const direct = deps.direct;
  const directing = loop('direct messages', () => 0, async () =>
    direct ? drainDue('users', await dueRecipients(deps.pool, CHANNELS_PER_PASS), (userId) => direct.drainUser(userId)) : { again: false, wakeAt: null },
  );

  let listener: pg.PoolClient | undefined;
  let relisten: NodeJS.Timeout | undefined;
  const listen = async () => {
    try {
      const client = await deps.pool.connect();
      if (stopped) return client.release();
      listener = client;
      client.on('notification', (message) => {
        if (message.channel === 'gitlab_bridge_inbox') processing.kick();
        else if (message.channel === 'gitlab_bridge_direct') directing.kick();
        else posting.kick();
      });
      client.on('error', (error) => {
        log.warn({ err: error }, 'lost the PostgreSQL notification connection; reconnecting');
        client.release(error);
        listener = undefined;
        if (!stopped) relisten = setTimeout(() => void listen(), RELISTEN_DELAY_MS);
      });
      await client.query('LISTEN gitlab_bridge_inbox');
      await client.query('LISTEN gitlab_bridge_outbox');
      await client.query('LISTEN gitlab_bridge_direct');
    } catch (error) {
      log.warn({ err: error }, 'could not listen for PostgreSQL notifications; polling meanwhile');
      if (!stopped) relisten = setTimeout(() => void listen(), RELISTEN_DELAY_MS);
    }
  };
  void listen();
  processing.kick();
  posting.kick();
  directing.kick();

  /** `minIntervalMs` is the least time from one pass's start to the next, asked afresh each time. */
  function loop(name: string, minIntervalMs: () => number, pass: () => Promise<{ again: boolean; wakeAt: Date | null }>) {
    let running: Promise<void> | undefined;
    let pending = false;
    let timer: NodeJS.Timeout | undefined;
    let lastStart = 0;
    const schedule = (delayMs: number) => {
      clearTimeout(timer);
      if (!stopped) timer = setTimeout(kick, Math.max(0, delayMs));
    };
    function kick(): void {
      if (stopped) return;
      if (running) {
        pending = true;
        return;
      }
      const wait = lastStart + minIntervalMs() - Date.now();
      if (wait > 0) return schedule(wait);
      running = (async () => {
        let delay = SAFETY_POLL_MS;
        try {
          do {
            const early = lastStart + minIntervalMs() - Date.now();
            if (early > 0) await new Promise((resolve) => setTimeout(resolve, early));
            // Stopping during that wait (up to a second while the door takes a burst) starts no further pass.
            if (stopped) break;
            pending = false;
            lastStart = Date.now();
            const result = await pass();
            if (result.again) pending = true;
            if (result.wakeAt) delay = Math.min(SAFETY_POLL_MS, result.wakeAt.getTime() - Date.now());
          } while (pending && !stopped);
        } catch (error) {
          if (!stopped) log.error({ err: error, loop: name }, 'delivery loop failed; retrying shortly');
        } finally {
          running = undefined;
          schedule(delay);
        }
      })();
    }
    return {
      kick,
      async stop() {
        clearTimeout(timer);
        await running;
      },
    };
  }

  return {
    async stop() {
      stopped = true;
      clearTimeout(relisten);
      await Promise.all([processing.stop(), posting.stop(), directing.stop()]);
      listener?.release();
      listener = undefined;
    },
  };
}

/** How many queues may be drained at once with a pool of `poolSize`: each holds at most one connection at a time. */
export function drainLimit(poolSize: number): number {
  return Math.max(1, Math.min(MAX_CONCURRENT_DRAINS, poolSize - RESERVED_CONNECTIONS));
}

/**
 * Runs at most `limit` tasks at once, shared fairly between lanes: a free slot goes to the waiting lane
 * with the fewest running, so channel posts and direct messages each get half when both are busy, and
 * all of it when only one is. Within a lane, tasks start in the order they came.
 */
function shareSlots(limit: number): <T>(lane: string, task: () => Promise<T>) => Promise<T> {
  let total = 0;
  const running = new Map<string, number>();
  const waiting = new Map<string, (() => void)[]>();
  const start = (lane: string) => {
    total += 1;
    running.set(lane, (running.get(lane) ?? 0) + 1);
  };
  const next = () => {
    let chosen: string | undefined;
    for (const [lane, queue] of waiting) {
      if (queue.length > 0 && (chosen === undefined || (running.get(lane) ?? 0) < (running.get(chosen) ?? 0))) chosen = lane;
    }
    if (chosen === undefined) return;
    start(chosen);
    waiting.get(chosen)!.shift()!();
  };
  return async (lane, task) => {
    if (total < limit) start(lane);
    else await new Promise<void>((resolve) => (waiting.get(lane) ?? waiting.set(lane, []).get(lane)!).push(resolve));
    try {
      return await task();
    } finally {
      total -= 1;
      running.set(lane, running.get(lane)! - 1);
      next();
    }
  };
}

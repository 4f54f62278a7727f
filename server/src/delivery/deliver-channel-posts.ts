/**
 * Posts a channel's queued posts, oldest first, while holding the channel's
 * advisory lock (on the lock session, drain-under-lock.ts: a replica that dies
 * releases it). Exactly once: the attempt is recorded before each CreatePost,
 * and a row whose last attempt has no known outcome is first looked for in the
 * channel (the bot's posts carry the outbox id in their props) before posting
 * again. No database connection is held while Mattermost is called.
 */
import type { ButtonDescriber } from '../actions/describe-approvers.js';
import type { ButtonSigner } from '../actions/render-buttons.js';
import type { Logger } from '../log.js';
import { MattermostHttpError } from '../mattermost/client.js';
import type { ChannelAccess, ChannelGateway } from '../mattermost/channel-gateway.js';
import { parseThreadKey } from '../conversations/thread-target.js';
import { composeThreadRoot } from '../render/replies-notice.js';
import {
  findThreadRoot,
  forgetThreadRoot,
  markAttemptStarted,
  markFailed,
  markRetry,
  markSent,
  markSentAsThreadRoot,
  oldestPending,
  recordRootNotice,
  saveThreadRoot,
  type OutboxRow,
  type PendingPost,
} from '../store/channel-outbox.js';
import { recordSubscriptionFailure } from '../store/subscriptions.js';
import type { Queryable } from '../store/queryable.js';
import type { SessionLocks } from '../store/session-locks.js';
import { drainUnderLock } from './drain-under-lock.js';
import { classifyFailure, GIVE_UP_AFTER_MS } from './retry-policy.js';

const CHANNEL_LOCK = 0x67627032;
/** Posts per channel before the lock is handed back, so one busy channel cannot starve the rest. */
const POSTS_PER_TURN = 50;
const ACCESS_TTL_MS = 5 * 60_000;
/** Why a post that needs a channel that is not public was not made; kept on its subscription, shown by `/gitlab subscriptions list`. */
const CONFIDENTIAL_REFUSED = 'confidential content is never posted in a public channel (or one the bot cannot read)';
const MEMBERS_ONLY_REFUSED =
  'this channel is public now (or the bot cannot read it): events of private and internal projects, and of features a public project keeps to members, are not posted here. ' +
  'Make the channel private again, or a system admin can remove the subscription and add it again with `--force`';

/** Whether a post was given up because it needs a channel that is not public (for `subscriptions explain`). */
export function isPrivateChannelRefusal(error: string | null): boolean {
  return error === CONFIDENTIAL_REFUSED || error === MEMBERS_ONLY_REFUSED;
}

export type PostOutcome = 'sent' | 'retry' | 'failed';

export interface ChannelDeliveryDeps {
  pool: Queryable;
  /** Signs queued button specs into attachments; null when buttons are off for the whole bridge. */
  buttons?: ButtonSigner | null;
  /** Adds what the post can say only after asking GitLab (who may approve a deployment). */
  describeButtons?: ButtonDescriber | null;
  /** Where the per-queue locks are held (a session outside the pool). */
  locks: SessionLocks;
  gateway: ChannelGateway;
  log: Logger;
  count?(outcome: PostOutcome): void;
}

export function createChannelDelivery(deps: ChannelDeliveryDeps) {
  const access = new Map<string, { result: ChannelAccess; at: number }>();

  async function canPost(channelId: string): Promise<ChannelAccess> {
    const known = access.get(channelId);
    if (known && Date.now() - known.at < ACCESS_TTL_MS) return known.result;
    const result = await deps.gateway.ensureCanPost(channelId);
    // Only a yes is remembered: a member adding the bot must take effect with the next post.
    if (result.ok) access.set(channelId, { result, at: Date.now() });
    return result;
  }

  /** Delivers what is due in one channel; returns how many posts it attempted (0 also when another replica holds it). */
  function drainChannel(channelId: string): Promise<number> {
    return drainUnderLock<PendingPost>(deps.pool, deps.locks, { kind: CHANNEL_LOCK, key: channelId, perTurn: POSTS_PER_TURN }, (db) => oldestPending(db, channelId), deliver);
  }

  async function deliver(db: Queryable, row: PendingPost): Promise<PostOutcome> {
    const log = deps.log.child({ outbox: row.id, channel: row.channel_id });
    try {
      const permission = await canPost(row.channel_id);
      if (!permission.ok) return await fail(db, row, permission.reason, log);
      // The type as of seconds ago, not as cached above: a channel made public must stop getting it at once.
      if (row.confidential || row.needs_private_channel) {
        const type = await deps.gateway.currentType(row.channel_id);
        if (type === null) access.delete(row.channel_id);
        if (type === null || type === 'O') return await fail(db, row, row.confidential ? CONFIDENTIAL_REFUSED : MEMBERS_ONLY_REFUSED, log);
      }

      if (row.attempt_started_at) {
        const found = await deps.gateway.findPost(row.channel_id, row.id, row.attempt_started_at.getTime());
        if (found) {
          log.info({ post: found }, 'post from an attempt with a lost answer found; not posting again');
          await finish(db, row, found, log);
          return 'sent';
        }
      }

      const root = row.thread_key && row.root_post_id !== null ? { postId: row.root_post_id, message: row.root_message! } : null;
      // A reply carries its own buttons; a thread's first post (or one outside threads), also the MR's or issue's.
      const queued = row.buttons ?? (root ? null : row.thread_buttons);
      const spec = queued && deps.describeButtons ? await deps.describeButtons(queued, { subscriptionId: row.subscription_id }) : queued;
      const attachments = spec && deps.buttons ? deps.buttons(spec, 'channel', row.channel_id) : null;
      // A thread's first post is its root: it says so when replies in the thread go to GitLab.
      const message = row.thread_key && !root ? composeThreadRoot(row.message, { syncReplies: row.sync_replies, internal: isDiscussionThread(row.thread_key) }) : row.message;
      await markAttemptStarted(db, row.id);
      let postId: string;
      try {
        postId = await deps.gateway.createPost({ channelId: row.channel_id, message, rootId: root?.postId ?? null, outboxId: row.id, attachments });
      } catch (error) {
        // The root was deleted in Mattermost: start a new thread with this post.
        if (root && error instanceof MattermostHttpError && error.status === 400 && /root/i.test(`${error.serverErrorId} ${error.message}`)) {
          await forgetThreadRoot(db, row.channel_id, row.thread_key!);
          await markRetry(db, row.id, 0, false, 'thread root no longer exists; starting a new thread');
          return 'retry';
        }
        throw error;
      }
      await finish(db, row, postId, log, root);
      return 'sent';
    } catch (error) {
      if (error instanceof RootNotUpdated) return await retryRootUpdate(db, row, error, log);
      const outcome = classifyFailure(error, row.attempts + 1);
      if (error instanceof MattermostHttpError && (error.status === 403 || error.status === 404)) access.delete(row.channel_id);
      const expired = Date.now() - row.created_at.getTime() > GIVE_UP_AFTER_MS;
      if (outcome.kind === 'permanent' || expired) return await fail(db, row, outcome.reason, log);
      log.warn({ reason: outcome.reason, retryInMs: outcome.delayMs, attempts: row.attempts + 1 }, 'post not delivered yet; will retry');
      await markRetry(db, row.id, outcome.delayMs, outcome.uncertain, outcome.reason);
      deps.count?.('retry');
      return 'retry';
    }
  }

  async function finish(db: Queryable, row: OutboxRow, postId: string, log: Logger, knownRoot?: { postId: string; message: string } | null): Promise<void> {
    if (row.thread_key && knownRoot === null) {
      // The thread's first post: it becomes the root, and is marked sent, in one statement.
      await markSentAsThreadRoot(db, row.id, postId, { channelId: row.channel_id, threadKey: row.thread_key, message: row.message, notice: { repliesShown: row.sync_replies, subscriptionId: row.subscription_id } });
      deps.count?.('sent');
      return;
    }
    if (row.thread_key) await placeInThread(db, row, postId, log, knownRoot);
    // Marked sent only once the root shows this event's state, so a finished
    // outbox means the channel looks final (a crash before this re-edits: harmless).
    await markSent(db, row.id, postId);
    deps.count?.('sent');
  }

  async function placeInThread(db: Queryable, row: OutboxRow, postId: string, log: Logger, knownRoot?: { postId: string; message: string } | null): Promise<void> {
    const root = knownRoot === undefined ? await findThreadRoot(db, row.channel_id, row.thread_key!) : knownRoot;
    const notice = { repliesShown: row.sync_replies, subscriptionId: row.subscription_id };
    if (!root) {
      // Stored without the replies line, so a later redraw can add or drop it.
      await saveThreadRoot(db, row.channel_id, row.thread_key!, postId, row.message, notice);
      return;
    }
    if (root.postId === postId || !row.thread_status) return;
    // The root shows the object's current state, the buttons for it, and whether replies go to
    // GitLab as the subscription says now; failing to edit it loses no post.
    const attachments = row.thread_buttons && deps.buttons ? deps.buttons(row.thread_buttons, 'channel', row.channel_id) : undefined;
    const edited = await deps.gateway.editMessage(root.postId, composeThreadRoot(root.message, { syncReplies: row.sync_replies, internal: isDiscussionThread(row.thread_key), status: row.thread_status }), attachments).then(
      () => true,
      (error: unknown) => {
        // Mattermost away for a moment: the root would show an older state for good if this was the
        // object's last event. The post stays as it is, and is found by its outbox id next time.
        if (classifyFailure(error, row.attempts + 1).kind === 'retry') throw new RootNotUpdated(error, postId);
        log.warn({ err: error, root: root.postId }, 'could not update the thread root');
        return false;
      },
    );
    // Replies count from when the root said so, and stop counting once it no longer does.
    if (edited) await recordRootNotice(db, row.channel_id, row.thread_key!, root.postId, notice);
  }

  /**
   * The post was made but its thread's root not edited yet. Retried as an attempt whose outcome is
   * unknown whatever the status (a 429 included): the next attempt finds the post by its outbox id,
   * never posts again, and edits the root. After a day of failures the post counts as sent.
   */
  async function retryRootUpdate(db: Queryable, row: OutboxRow, failure: RootNotUpdated, log: Logger): Promise<PostOutcome> {
    const outcome = classifyFailure(failure.cause, row.attempts + 1);
    const reason = outcome.kind === 'retry' ? outcome.reason : String(failure.cause);
    if (Date.now() - row.created_at.getTime() > GIVE_UP_AFTER_MS) {
      log.warn({ reason }, 'could not update the thread root; giving up on it');
      await markSent(db, row.id, failure.postId);
      deps.count?.('sent');
      return 'sent';
    }
    log.warn({ reason, retryInMs: outcome.kind === 'retry' ? outcome.delayMs : 0 }, 'post made, thread root not updated yet; will retry');
    await markRetry(db, row.id, outcome.kind === 'retry' ? outcome.delayMs : 0, true, `thread root not updated: ${reason}`);
    deps.count?.('retry');
    return 'retry';
  }

  async function fail(db: Queryable, row: OutboxRow, reason: string, log: Logger): Promise<PostOutcome> {
    log.error({ reason }, 'post given up');
    await markFailed(db, row.id, reason);
    if (row.subscription_id) await recordSubscriptionFailure(db, row.subscription_id, reason);
    deps.count?.('failed');
    return 'failed';
  }

  return { drainChannel };
}

/** A thread root's edit failed in a way worth retrying, after its post was made. */
class RootNotUpdated extends Error {
  constructor(
    override readonly cause: unknown,
    readonly postId: string,
  ) {
    super('the thread root was not updated');
  }
}

/** An internal note's own thread: its replies go to GitLab as internal notes. */
function isDiscussionThread(threadKey: string | null): boolean {
  return threadKey !== null && (parseThreadKey(threadKey)?.discussionId ?? null) !== null;
}

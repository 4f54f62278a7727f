/**
 * Sends queued personal direct messages. One user's messages go out in order
 * under a per-user advisory lock (so the first DM about an MR is the thread
 * root the next ones reply to); the recipient's access to a non-public project
 * is checked with GitLab first. Posts carry their outbox id, so an attempt
 * whose answer was lost is found (with the same look-back as channel posts)
 * instead of sent twice. No database connection is held while Mattermost or
 * GitLab is called.
 */
import type { AccessAnswer } from '../accounts/gitlab-access.js';
import type { ButtonDescriber } from '../actions/describe-approvers.js';
import type { ButtonSigner } from '../actions/render-buttons.js';
import type { Logger } from '../log.js';
import type { ChannelGateway } from '../mattermost/channel-gateway.js';
import { MattermostHttpError } from '../mattermost/client.js';
import { oneLine, truncate } from '../render/text.js';
import { recordDirectMessage } from '../store/direct-message-log.js';
import {
  findDirectThreadRoot,
  forgetDirectThreadRoot,
  markDirectAttemptStarted,
  markDirectDone,
  markDirectRetry,
  markDirectSent,
  oldestPendingDirect,
  saveDirectThreadRoot,
  type DirectOutboxRow,
} from '../store/direct-outbox.js';
import type { Queryable } from '../store/queryable.js';
import type { SessionLocks } from '../store/session-locks.js';
import { drainUnderLock } from './drain-under-lock.js';
import { classifyFailure, GIVE_UP_AFTER_MS } from './retry-policy.js';

/** Arbitrary, fixed: with the user id, the lock that keeps one user's DMs in order. */
const DIRECT_LOCK = 0x67626433;
const MESSAGES_PER_TURN = 20;
const ACCESS_RETRY_MS = 60_000;

export type DirectOutcome = 'sent' | 'retry' | 'skipped' | 'failed';

export interface DirectDeliveryDeps {
  pool: Queryable;
  /** Where the per-queue locks are held (a session outside the pool). */
  locks: SessionLocks;
  gateway: ChannelGateway;
  /** The bot's DM channel with the user (created when missing). */
  directChannel(userId: string): Promise<string>;
  canSee(userId: string, probe: string): Promise<AccessAnswer>;
  /** Signs queued button specs into attachments; null when buttons are off for the whole bridge. */
  buttons?: ButtonSigner | null;
  /** Adds what the message can say only after asking GitLab (who may approve a deployment), as its reader. */
  describeButtons?: ButtonDescriber | null;
  /** Whether the user is a member of the channel (for messages about what a reply there made in GitLab). */
  isMember?(channelId: string, userId: string): Promise<boolean>;
  log: Logger;
  count?(outcome: DirectOutcome): void;
}

export function createDirectDelivery(deps: DirectDeliveryDeps) {
  /** Delivers what is due for one user; returns how many messages it attempted (0 also when another replica holds them). */
  function drainUser(userId: string): Promise<number> {
    return drainUnderLock<DirectOutboxRow & { due: boolean }>(deps.pool, deps.locks, { kind: DIRECT_LOCK, key: userId, perTurn: MESSAGES_PER_TURN }, (db) => oldestPendingDirect(db, userId), deliver);
  }

  async function deliver(db: Queryable, row: DirectOutboxRow): Promise<DirectOutcome> {
    const log = deps.log.child({ directMessage: row.id, user: row.mattermost_user_id, kind: row.kind });
    const outboxId = `dm-${row.id}`;
    if (row.seen_in_channel && deps.isMember && (await deps.isMember(row.seen_in_channel, row.mattermost_user_id).catch(() => false))) {
      // They saw the reply (or reaction) that made this comment (or award) where it was written.
      await markDirectDone(db, row.id, 'skipped', 'the recipient saw it in the channel it was written in');
      deps.count?.('skipped');
      return 'skipped';
    }
    if (row.access_probe) {
      const answer = await deps.canSee(row.mattermost_user_id, row.access_probe).catch((error: unknown) => {
        log.warn({ err: error }, 'could not check GitLab access for a direct message; will retry');
        return null;
      });
      if (answer === null) {
        await markDirectRetry(db, row.id, ACCESS_RETRY_MS, false, 'GitLab access check failed');
        return 'retry';
      }
      if (answer !== 'visible') {
        // Never tell someone about a project they cannot see; nothing to retry.
        log.info({ reason: answer }, 'direct message not sent: the recipient cannot see the project');
        await markDirectDone(db, row.id, 'skipped', answer === 'hidden' ? 'the recipient cannot see it in GitLab' : 'the recipient is no longer connected');
        deps.count?.('skipped');
        return 'skipped';
      }
    }
    try {
      const channelId = await deps.directChannel(row.mattermost_user_id);
      if (row.attempt_started_at) {
        const found = await deps.gateway.findPost(channelId, outboxId, row.attempt_started_at.getTime());
        if (found) {
          log.info({ post: found }, 'direct message from an attempt with a lost answer found; not sending again');
          return await finish(db, row, found);
        }
      }
      const root = row.thread_key ? await findDirectThreadRoot(db, row.mattermost_user_id, row.thread_key) : null;
      const spec = row.buttons && deps.describeButtons ? await deps.describeButtons(row.buttons, { userId: row.mattermost_user_id }) : row.buttons;
      const attachments = spec && deps.buttons ? deps.buttons(spec, 'direct', channelId) : null;
      await markDirectAttemptStarted(db, row.id);
      let postId: string;
      try {
        postId = await deps.gateway.createPost({ channelId, message: row.message, rootId: root, outboxId, attachments });
      } catch (error) {
        // The user deleted the thread's first message: this one starts a new thread.
        if (root && error instanceof MattermostHttpError && error.status === 400 && /root/i.test(`${error.serverErrorId} ${error.message}`)) {
          await forgetDirectThreadRoot(db, row.mattermost_user_id, row.thread_key!);
          await markDirectRetry(db, row.id, 0, false, 'thread root no longer exists; starting a new thread');
          return 'retry';
        }
        throw error;
      }
      if (row.thread_key && !root) await saveDirectThreadRoot(db, row.mattermost_user_id, row.thread_key, postId);
      return await finish(db, row, postId);
    } catch (error) {
      const outcome = classifyFailure(error, row.attempts + 1);
      const expired = Date.now() - row.created_at.getTime() > GIVE_UP_AFTER_MS;
      if (outcome.kind === 'permanent' || expired) {
        log.error({ reason: outcome.reason }, 'direct message given up');
        await markDirectDone(db, row.id, 'failed', outcome.reason);
        await recordDirectMessage(db, row.mattermost_user_id, { failed: truncate(oneLine(outcome.reason), 200) });
        deps.count?.('failed');
        return 'failed';
      }
      log.warn({ reason: outcome.reason, retryInMs: outcome.delayMs }, 'direct message not sent yet; will retry');
      await markDirectRetry(db, row.id, outcome.delayMs, outcome.uncertain, outcome.reason);
      deps.count?.('retry');
      return 'retry';
    }
  }

  async function finish(db: Queryable, row: DirectOutboxRow, postId: string): Promise<DirectOutcome> {
    await markDirectSent(db, row.id, postId);
    await recordDirectMessage(db, row.mattermost_user_id, { sent: truncate(oneLine(row.message.split('\n')[0]!), 120) });
    deps.count?.('sent');
    return 'sent';
  }

  return { drainUser };
}

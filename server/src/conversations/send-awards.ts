/**
 * Turns reactions on a thread's root into award emoji on its MR or issue, as
 * the person who reacted, and takes the award back when the reaction goes.
 * Acts with the person's own OAuth token on the thread's instance
 * (conversation-side.ts); nobody is told about a reaction
 * GitLab cannot take (a custom emoji it does not know): it simply stays in
 * Mattermost.
 */
import { refuseWrite } from '../accounts/write-access.js';
import type { GitLabAsUser } from '../actions/gitlab-as-user.js';
import { GitLabHttpError, GitLabUnreachableError } from '../gitlab/poll-client.js';
import type { Logger } from '../log.js';
import { findThreadByRoot } from '../store/channel-outbox.js';
import {
  markAwarded,
  markAwardRemoved,
  markAwardStarted,
  nextDueReaction,
  retryReactionLater,
  settleReaction,
  type ChatReactionRow,
} from '../store/chat-reactions.js';
import { replySwitches } from '../store/chat-replies.js';
import type { Queryable } from '../store/queryable.js';
import { isRefusal, refusedAsFalse } from './gitlab-refusal.js';
import type { ConversationSides } from './conversation-side.js';
import type { ThreadProjectCheck } from './thread-project.js';
import { noteablePath, parseThreadKey, type ThreadTarget } from './thread-target.js';

const MAX_ATTEMPTS = 8;
const RETRY_BASE_MS = 2000;
const RETRY_MAX_MS = 5 * 60_000;

export type AwardOutcome = 'awarded' | 'removed' | 'skipped' | 'failed' | 'retry';

export interface AwardSenderDeps {
  pool: Queryable;
  /** Each instance's connections, API and scope setting (read-only: reactions stay in Mattermost, awards are writes). */
  sides: ConversationSides;
  log: Logger;
  count(outcome: AwardOutcome): void;
  threadProject: ThreadProjectCheck;
}

interface Award {
  id: number;
  name: string;
  user?: { id?: number };
}

export function createAwardSender(deps: AwardSenderDeps) {
  async function sendNext(): Promise<boolean> {
    const reaction = await nextDueReaction(deps.pool);
    if (!reaction) return false;
    const log = deps.log.child({ post: reaction.postId, emoji: reaction.awardName });
    const target = parseThreadKey(reaction.threadKey);
    if (!target || target.discussionId) {
      await settleReaction(deps.pool, reaction, 'skipped', 'not the root of a merge request or issue thread');
      return true;
    }
    try {
      deps.count(reaction.state === 'removing' ? await remove(reaction, target, log) : await award(reaction, target, log));
    } catch (error) {
      deps.count(await retryOrGiveUp(reaction, error, log));
    }
    return true;
  }

  async function award(reaction: ChatReactionRow, target: ThreadTarget, log: Logger): Promise<AwardOutcome> {
    const thread = await findThreadByRoot(deps.pool, reaction.postId);
    const switches = await replySwitches(deps.pool, thread?.subscriptionId ?? null, reaction.userId);
    if (!thread?.repliesSince || !switches.channel || !switches.person) return skip(reaction, 'reactions in this thread are not sent to GitLab');
    const side = deps.sides(target.instance);
    if (!side) return skip(reaction, 'the thread’s GitLab is not one people can connect to on this bridge (any more)');
    const caller = await side.callerFor(reaction.userId);
    if (refuseWrite(side.scopeSetting, 'award emoji', caller?.scopes)) return skip(reaction, 'the bridge may not write to GitLab for this person (read-only)');
    if (!caller) return skip(reaction, 'not connected to GitLab');
    const gitlab = side.gitlab(caller.token);
    if (!(await deps.threadProject(gitlab, target, reaction.threadKey, thread.subscriptionId).catch(refusedAsFalse))) {
      log.warn({ thread: reaction.threadKey }, 'reaction not sent: the thread names a project its channel does not follow, or one the person cannot see');
      return skip(reaction, 'the thread’s project is not one the channel follows, or not visible to the person');
    }
    await markAwardStarted(deps.pool, reaction, caller.gitlabUserId);
    try {
      const made = await gitlab.post<Award>(`${noteablePath(target)}/award_emoji`, { name: reaction.awardName });
      await markAwarded(deps.pool, reaction, made.id);
      log.info({ award: made.id }, 'reaction sent to GitLab as an award emoji');
      return 'awarded';
    } catch (error) {
      if (!isRefusal(error)) throw error;
      // Awarded already (by hand in GitLab, or an attempt whose answer was lost): that award is this reaction's.
      const existing = await ownAward(gitlab, target, reaction.awardName, caller.gitlabUserId).catch(() => null);
      if (existing) {
        await markAwarded(deps.pool, reaction, existing.id);
        return 'awarded';
      }
      log.info({ reason: error.message }, 'GitLab did not take the reaction as an award emoji');
      await settleReaction(deps.pool, reaction, 'failed', error.message);
      return 'failed';
    }
  }

  async function remove(reaction: ChatReactionRow, target: ThreadTarget, log: Logger): Promise<AwardOutcome> {
    const side = deps.sides(target.instance);
    if (!side) return skip(reaction, 'the thread’s GitLab is not one people can connect to on this bridge (any more): the award stays');
    const caller = await side.callerFor(reaction.userId);
    if (refuseWrite(side.scopeSetting, 'take awards back', caller?.scopes)) return skip(reaction, 'the bridge may not write to GitLab for this person (read-only): the award stays');
    if (!caller) return skip(reaction, 'not connected to GitLab: the award stays');
    const gitlab = side.gitlab(caller.token);
    const awardId = reaction.awardId ?? (await ownAward(gitlab, target, reaction.awardName, caller.gitlabUserId))?.id ?? null;
    if (awardId !== null) {
      try {
        await gitlab.delete(`${noteablePath(target)}/award_emoji/${awardId}`);
      } catch (error) {
        if (!(error instanceof GitLabHttpError && error.status === 404)) {
          if (!isRefusal(error)) throw error;
          return skip(reaction, error.message);
        }
      }
    }
    await markAwardRemoved(deps.pool, reaction);
    log.info({ award: awardId }, 'award emoji taken back in GitLab');
    return 'removed';
  }

  async function ownAward(gitlab: GitLabAsUser, target: ThreadTarget, name: string, gitlabUserId: number): Promise<Award | null> {
    const awards = await gitlab.get<Award[]>(`${noteablePath(target)}/award_emoji?per_page=100`);
    return awards.find((candidate) => candidate.name === name && candidate.user?.id === gitlabUserId) ?? null;
  }

  async function skip(reaction: ChatReactionRow, reason: string): Promise<AwardOutcome> {
    await settleReaction(deps.pool, reaction, 'skipped', reason);
    return 'skipped';
  }

  async function retryOrGiveUp(reaction: ChatReactionRow, error: unknown, log: Logger): Promise<AwardOutcome> {
    const attempts = reaction.attempts + 1;
    const reason = error instanceof Error ? error.message : String(error);
    if (attempts >= MAX_ATTEMPTS || !(error instanceof GitLabUnreachableError || error instanceof GitLabHttpError)) {
      log.error({ err: error, attempts }, 'reaction given up');
      await settleReaction(deps.pool, reaction, 'failed', reason);
      return 'failed';
    }
    const delayMs = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (attempts - 1));
    await retryReactionLater(deps.pool, reaction, delayMs, reason);
    return 'retry';
  }

  return { sendNext };
}


/**
 * Turns recorded replies into GitLab comments, as the person who replied, one
 * at a time in the order they were written; and carries their edits (within
 * 15 minutes, checked when the edit was seen) and deletions over to the
 * comment. Exactly once: the attempt is committed before GitLab is asked, and
 * after a lost answer the comment is looked for (its footer names the post)
 * before another is made.
 *
 * Doors: none (it is woken by the listener). It acts as the replier with their
 * own OAuth token on the thread's instance (conversation-side.ts), so GitLab's
 * rules decide (locked discussions, confidential issues, internal notes). What
 * it tells people goes to them alone, by DM.
 */
import { refuseWrite } from '../accounts/write-access.js';
import type { GitLabAsUser } from '../actions/gitlab-as-user.js';
import { DEFAULT_INSTANCE } from '../gitlab/instances.js';
import { GitLabHttpError, GitLabUnreachableError } from '../gitlab/poll-client.js';
import type { Logger } from '../log.js';
import { findThreadByRoot } from '../store/channel-outbox.js';
import { claimNotice } from '../store/chat-notices.js';
import {
  dropReplyChange,
  finishReplyChange,
  markReplyAttemptStarted,
  markReplySent,
  nextDueReply,
  replySwitches,
  retryReplyLater,
  settleReply,
  type ChatReply,
} from '../store/chat-replies.js';
import type { Queryable } from '../store/queryable.js';
import { isRefusal, refusedAsFalse } from './gitlab-refusal.js';
import type { ConversationSide, ConversationSides } from './conversation-side.js';
import type { ThreadProjectCheck } from './thread-project.js';
import { composeComment, mentionedUsernames, originPostOf } from './compose-comment.js';
import { createNoteRequest, notePath, noteablePath, parseThreadKey, type ThreadTarget } from './thread-target.js';

const MAX_MENTIONS_LOOKED_UP = 50;
/** Attempts at an unanswered GitLab before the reply is given up, and the person told. */
const MAX_ATTEMPTS = 8;
const RETRY_BASE_MS = 2000;
const RETRY_MAX_MS = 5 * 60_000;

export type ReplyOutcome = 'sent' | 'edited' | 'deleted' | 'skipped' | 'failed' | 'retry';

export interface ReplySenderDeps {
  pool: Queryable;
  /** Each instance's connections, API and scope setting: a thread's replies go to its own. */
  sides: ConversationSides;
  /** The post's permalink in Mattermost (site URL, team, post). */
  permalinkOf(channelId: string, postId: string): Promise<string>;
  /** Lower-cased Mattermost usernames → GitLab usernames of those mentioned who connected GitLab. */
  gitlabUsernamesOf(mattermostUsernames: string[], instance: string): Promise<Map<string, string>>;
  /** A direct message from the bot. */
  tell(userId: string, message: string): Promise<void>;
  log: Logger;
  count(outcome: ReplyOutcome): void;
  /** The thread's project, looked up as the person, is one its channel follows (thread-project.ts). */
  threadProject: ThreadProjectCheck;
}

export function createReplySender(deps: ReplySenderDeps) {
  /** Handles the oldest reply with something to do; false when there is none. */
  async function sendNext(): Promise<boolean> {
    const reply = await nextDueReply(deps.pool);
    if (!reply) return false;
    const log = deps.log.child({ post: reply.postId, channel: reply.channelId });
    const target = parseThreadKey(reply.threadKey);
    if (!target) {
      await settleReply(deps.pool, reply.postId, 'skipped', 'the thread is not about a merge request or issue');
      return true;
    }
    try {
      const outcome = reply.change && reply.state !== 'pending' ? await applyChange(reply, target, log) : await create(reply, target, log);
      deps.count(outcome);
    } catch (error) {
      deps.count(await retryOrGiveUp(reply, error, log));
    }
    return true;
  }

  async function create(reply: ChatReply, target: ThreadTarget, log: Logger): Promise<ReplyOutcome> {
    const thread = await findThreadByRoot(deps.pool, reply.rootPostId);
    const switches = await replySwitches(deps.pool, thread?.subscriptionId ?? null, reply.userId);
    if (!thread?.repliesSince || !switches.channel) return skip(reply, 'this channel does not send replies to GitLab');
    if (!switches.person) return skip(reply, 'the person turned replies to GitLab off');
    const side = deps.sides(target.instance);
    if (!side) return skip(reply, 'the thread’s GitLab is not one people can connect to on this bridge (any more)');
    const caller = await side.callerFor(reply.userId);
    // GITLAB_OAUTH_SCOPES of the thread's instance: read-only, no reply becomes a comment (the person is told once).
    const refusal = refuseWrite(side.scopeSetting, 'post replies as GitLab comments', caller?.scopes);
    if (refusal) {
      await tellOnce(reply, `replies-${refusal.reason}`, `${await replyLink(reply)} stays in Mattermost: ${refusal.text} (This message comes once.)`);
      return skip(reply, refusal.reason === 'read_only' ? 'the bridge connects to GitLab read-only' : 'the person’s GitLab connection is read-only');
    }
    if (!caller) {
      await tellToConnect(reply, side);
      return skip(reply, 'not connected to GitLab');
    }
    const gitlab = side.gitlab(caller.token);
    if (!(await deps.threadProject(gitlab, target, reply.threadKey, thread.subscriptionId).catch(refusedAsFalse))) {
      log.warn({ thread: reply.threadKey }, 'reply not sent: the thread names a project its channel does not follow, or one the person cannot see');
      await settleReply(deps.pool, reply.postId, 'failed', 'the thread’s project is not one the channel follows, or not visible to the person');
      await deps.tell(reply.userId, `${await replyLink(reply)} was not posted to GitLab: GitLab did not show your account the project that thread is about.`).catch(() => undefined);
      return 'failed';
    }
    if (reply.attemptStartedAt) {
      const found = await findComment(gitlab, target, reply.postId, caller.gitlabUserId);
      if (found !== null) {
        log.info({ note: found }, 'comment from an attempt with a lost answer found; not commenting again');
        await markReplySent(deps.pool, reply.postId, found, caller.gitlabUserId);
        return 'sent';
      }
      if (reply.change === 'delete') {
        await settleReply(deps.pool, reply.postId, 'deleted', 'deleted in Mattermost before its comment was made');
        return 'deleted';
      }
    }
    const body = await commentBody(reply, target.instance);
    await markReplyAttemptStarted(deps.pool, reply.postId, caller.gitlabUserId);
    try {
      const request = createNoteRequest(target);
      const note = await gitlab.post<{ id: number; internal?: boolean; confidential?: boolean }>(request.path, request.internal ? { body, internal: true } : { body });
      // Only when GitLab's answer says so (older versions name it `confidential`, or say nothing).
      const madePublic = note.internal === false || (note.internal === undefined && note.confidential === false);
      if (request.internal && madePublic) {
        // A reply meant to be internal that GitLab made public (a Guest's `internal` is dropped silently): taken
        // back before anything else, so that no failure to record it can leave it public.
        await gitlab.delete(notePath(target, note.id)).catch((error: unknown) => log.error({ err: error, note: note.id }, 'could not delete a reply GitLab made public'));
        // Its id, recorded, keeps its Note Hook out of the channel; the reply is not sent whatever becomes of that.
        await markReplySent(deps.pool, reply.postId, note.id, caller.gitlabUserId).catch((error: unknown) => log.warn({ err: error, note: note.id }, 'could not record the deleted comment'));
        await settleReply(deps.pool, reply.postId, 'failed', 'GitLab did not keep it internal');
        await deps.tell(reply.userId, `${await replyLink(reply)} was not posted to GitLab: it answers an internal note, and GitLab would not make it internal for your account.`).catch(() => undefined);
        return 'failed';
      }
      await markReplySent(deps.pool, reply.postId, note.id, caller.gitlabUserId);
      log.info({ note: note.id }, 'reply posted to GitLab as a comment');
      return 'sent';
    } catch (error) {
      if (error instanceof GitLabHttpError && error.status === 401) {
        await tellToConnect(reply, side);
        return skip(reply, 'GitLab refused the token: not connected');
      }
      if (isRefusal(error)) {
        await settleReply(deps.pool, reply.postId, 'failed', error.message);
        await deps.tell(reply.userId, `${await replyLink(reply)} was not posted to GitLab: ${refusalWords(error)}`).catch((failure: unknown) => log.warn({ err: failure }, 'could not tell the person'));
        return 'failed';
      }
      throw error;
    }
  }

  async function applyChange(reply: ChatReply, target: ThreadTarget, log: Logger): Promise<ReplyOutcome> {
    const change = reply.change!;
    if (reply.noteId === null) {
      await finishReplyChange(deps.pool, reply.postId, change);
      return change === 'delete' ? 'deleted' : 'edited';
    }
    const side = deps.sides(target.instance);
    const caller = side ? await side.callerFor(reply.userId) : null;
    const refusal = side ? refuseWrite(side.scopeSetting, 'change GitLab comments', caller?.scopes) : null;
    if (refusal) {
      // A comment made before the bridge became read-only stays as it was.
      await dropReplyChange(deps.pool, reply.postId, refusal.reason === 'read_only' ? 'the bridge connects to GitLab read-only' : 'the person’s GitLab connection is read-only');
      return 'skipped';
    }
    if (!side || !caller || caller.gitlabUserId !== reply.gitlabUserId) {
      // Only the comment's author may change it: someone who disconnected (or connected another account) cannot.
      await dropReplyChange(deps.pool, reply.postId, 'the comment can only be changed by the GitLab account that wrote it');
      return 'skipped';
    }
    const gitlab = side.gitlab(caller.token);
    try {
      if (change === 'delete') await gitlab.delete(notePath(target, reply.noteId));
      else await gitlab.put(notePath(target, reply.noteId), { body: await commentBody(reply, target.instance) });
    } catch (error) {
      // Gone already (deleted in GitLab): nothing left to change.
      if (!(error instanceof GitLabHttpError && error.status === 404)) {
        if (!isRefusal(error)) throw error;
        await dropReplyChange(deps.pool, reply.postId, error.message);
        log.info({ reason: error.message }, 'GitLab refused to change the comment');
        return 'failed';
      }
    }
    await finishReplyChange(deps.pool, reply.postId, change, reply.message);
    log.info({ note: reply.noteId, change }, change === 'delete' ? 'comment deleted in GitLab' : 'comment edited in GitLab');
    return change === 'delete' ? 'deleted' : 'edited';
  }

  /** Mentions become GitLab usernames on the thread's own instance: a name on another GitLab is someone else there. */
  async function commentBody(reply: ChatReply, instance: string): Promise<string> {
    // Each name is one question to Mattermost: past the first few dozen, names are shown as code like unknown ones.
    const names = mentionedUsernames(reply.message).slice(0, MAX_MENTIONS_LOOKED_UP);
    return composeComment({
      message: reply.message,
      gitlabUsernames: names.length > 0 ? await deps.gitlabUsernamesOf(names, instance) : new Map(),
      fileNames: reply.fileNames,
      permalink: await deps.permalinkOf(reply.channelId, reply.postId),
    });
  }

  /** The comment an attempt may have made: the newest comments by the person, one naming the post. */
  async function findComment(gitlab: GitLabAsUser, target: ThreadTarget, postId: string, gitlabUserId: number): Promise<number | null> {
    const notes = await gitlab.get<{ id: number; body: string; author?: { id?: number } }[]>(`${noteablePath(target)}/notes?sort=desc&order_by=created_at&per_page=100`);
    const found = notes.find((note) => note.author?.id === gitlabUserId && originPostOf(note.body) === postId);
    return found?.id ?? null;
  }

  async function skip(reply: ChatReply, reason: string): Promise<ReplyOutcome> {
    await settleReply(deps.pool, reply.postId, 'skipped', reason);
    return 'skipped';
  }

  async function tellOnce(reply: ChatReply, kind: string, message: string): Promise<void> {
    if (!(await claimNotice(deps.pool, reply.userId, kind))) return;
    await deps.tell(reply.userId, message).catch((error: unknown) => deps.log.warn({ err: error }, 'could not tell the person'));
  }

  async function tellToConnect(reply: ChatReply, side: ConversationSide): Promise<void> {
    // Once per instance: connecting to one does not connect the other.
    const other = side.name !== DEFAULT_INSTANCE;
    if (!(await claimNotice(deps.pool, reply.userId, other ? `replies-connect-${side.name}` : 'replies-connect'))) return;
    const link = await side.connectLink(reply.userId);
    const on = other ? ` on **${side.name}**` : '';
    const how = link ? `[Connect your GitLab account${on}](${link}) (the link works once, within 10 minutes${other ? `; or \`/gitlab connect ${side.name}\`` : ''})` : 'Ask your admin to let accounts be connected';
    await deps
      .tell(
        reply.userId,
        `${await replyLink(reply)} was not posted to GitLab: replies in that thread become GitLab comments only for people who connected their GitLab account${on}. ${how}, and your replies from then on are posted as you. (This message comes once.)`,
      )
      .catch((error: unknown) => deps.log.warn({ err: error }, 'could not tell the person how to connect'));
  }

  async function replyLink(reply: ChatReply): Promise<string> {
    return `[Your reply](${await deps.permalinkOf(reply.channelId, reply.postId)})`;
  }

  async function retryOrGiveUp(reply: ChatReply, error: unknown, log: Logger): Promise<ReplyOutcome> {
    const attempts = reply.attempts + 1;
    const reason = error instanceof Error ? error.message : String(error);
    if (attempts >= MAX_ATTEMPTS || !(error instanceof GitLabUnreachableError || error instanceof GitLabHttpError)) {
      log.error({ err: error, attempts }, 'reply given up');
      if (reply.change && reply.state !== 'pending') {
        await dropReplyChange(deps.pool, reply.postId, reason);
      } else {
        await settleReply(deps.pool, reply.postId, 'failed', reason);
        await deps.tell(reply.userId, `${await replyLink(reply)} was not posted to GitLab: GitLab did not answer. Post it there yourself if it matters.`).catch(() => undefined);
      }
      return 'failed';
    }
    const delayMs = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (attempts - 1));
    log.warn({ reason, attempts, retryInMs: delayMs }, 'reply not sent to GitLab yet; will retry');
    await retryReplyLater(deps.pool, reply.postId, delayMs, reason);
    return 'retry';
  }

  return { sendNext };
}


function refusalWords(error: GitLabHttpError): string {
  const said = error.gitlabMessage ? ` (GitLab said: ${error.gitlabMessage.replace(/[`*_~@]/g, '').slice(0, 200)})` : '';
  if (error.status === 403) return `you may not comment there (the discussion may be locked, or your role does not allow it)${said}.`;
  if (error.status === 404) return `GitLab did not find it for your account (it may be gone, or you may not see it)${said}.`;
  return `GitLab refused it${said}.`;
}

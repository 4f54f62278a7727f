/**
 * Notes what people write in bridge threads, so the sender can carry it to
 * GitLab: a reply (in a thread whose root says replies go to GitLab, written
 * after it started saying so), an edit of one, a deletion. Recording is all it
 * does; whether a reply is sent (the channel's and the person's switches, their
 * connection) is decided when it is sent.
 */
import type { Logger } from '../log.js';
import { findThreadByRoot } from '../store/channel-outbox.js';
import { changeReplyText, markReplyDeleted, readReply, recordReply } from '../store/chat-replies.js';
import type { Queryable } from '../store/queryable.js';
import type { ChatEvent, ChatEventHandler, ChatPost } from './chat-events.js';

/** An edit made this long after the reply was written stays in Mattermost. */
export const EDIT_WINDOW_MS = 15 * 60_000;

export interface ReplyIntakeDeps {
  pool: Queryable;
  botUserId: string;
  /** Something was recorded: the sender has work. */
  wake(): void;
  log: Logger;
}

export function createReplyIntake(deps: ReplyIntakeDeps): ChatEventHandler {
  async function record(post: ChatPost): Promise<void> {
    if (!isPersonsReply(post, deps.botUserId)) return;
    const thread = await findThreadByRoot(deps.pool, post.root_id);
    if (!thread || thread.channelId !== post.channel_id || !thread.repliesSince || post.create_at < thread.repliesSince.getTime()) return;
    const isNew = await recordReply(deps.pool, {
      postId: post.id,
      channelId: post.channel_id,
      rootPostId: post.root_id,
      threadKey: thread.threadKey,
      userId: post.user_id,
      message: post.message,
      fileNames: fileNamesOf(post),
      postedAt: new Date(post.create_at),
    });
    if (isNew) deps.wake();
  }

  async function edit(post: ChatPost): Promise<void> {
    const known = await readReply(deps.pool, post.id);
    const editedAt = post.edit_at || post.update_at;
    const late = editedAt - post.create_at > EDIT_WINDOW_MS;
    // Not seen before (missed, or forgotten by retention): only a reply still within its edit window is
    // new here; an old reply edited (by its author or an admin: Mattermost does not say who) stays in chat.
    if (!known) return late ? undefined : record(post);
    if (known.state === 'sent' && late) {
      deps.log.info({ post: post.id }, 'reply edited more than 15 minutes after it was written: the comment stays as it was');
      return;
    }
    if (await changeReplyText(deps.pool, post.id, post.message, fileNamesOf(post))) deps.wake();
  }

  return {
    async handle(event: ChatEvent) {
      if (event.kind === 'posted') await record(event.post);
      else if (event.kind === 'edited') await edit(event.post);
      else if (event.kind === 'deleted') {
        await markReplyDeleted(deps.pool, event.post.id);
        deps.wake();
      }
    },
  };
}

/** A person's own message in a thread: not the bot's, not another integration's, not a system message. */
function isPersonsReply(post: ChatPost, botUserId: string): boolean {
  if (!post.root_id || post.type !== '' || post.user_id === botUserId || post.delete_at > 0) return false;
  const props = post.props ?? {};
  return props.from_webhook !== 'true' && props.from_bot !== 'true' && props.from_plugin !== 'true';
}

function fileNamesOf(post: ChatPost): string[] {
  const named = post.metadata?.files?.map((file) => file.name).filter((name) => typeof name === 'string' && name !== '');
  if (named && named.length > 0) return named;
  return (post.file_ids ?? []).map(() => 'attached file');
}

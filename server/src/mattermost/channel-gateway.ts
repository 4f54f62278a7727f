/**
 * What channel delivery needs from Mattermost, over the bot's REST client:
 * post, find a post we may already have made, edit a thread root, and make sure
 * the bot may post in a channel (joining public channels it is not in).
 */
import { MattermostHttpError, type MattermostClient } from './client.js';

/** Marks our posts so an attempt whose answer was lost can be found again. */
export const OUTBOX_PROP = 'gitlab_bridge_outbox_id';

export type ChannelAccess = { ok: true; type: string } | { ok: false; reason: string };

export interface NewPost {
  channelId: string;
  message: string;
  rootId: string | null;
  outboxId: string;
}

export interface ChannelGateway {
  ensureCanPost(channelId: string): Promise<ChannelAccess>;
  createPost(post: NewPost): Promise<string>;
  /** The id of a post we made for this outbox row since `sinceMs`, if any. */
  findPost(channelId: string, outboxId: string, sinceMs: number): Promise<string | null>;
  editMessage(postId: string, message: string): Promise<void>;
}

export function createChannelGateway(client: MattermostClient): ChannelGateway {
  let botId: Promise<string> | undefined;
  const me = () => (botId ??= client.getMe().then((user) => user.id, (error: unknown) => {
    botId = undefined;
    throw error;
  }));

  return {
    async ensureCanPost(channelId) {
      const channel = await client.getChannel(channelId).catch((error: unknown) => {
        if (isStatus(error, 404) || isStatus(error, 403)) return null;
        throw error;
      });
      // Mattermost hides private channels from non-members: both cases look alike from here.
      if (!channel) return { ok: false, reason: 'the channel was deleted, or it is private and the bot is not a member: add the bot to the channel' };
      if (channel.delete_at > 0) return { ok: false, reason: 'the channel is archived' };
      const userId = await me();
      const member = await client.getChannelMember(channelId, userId).catch((error: unknown) => {
        if (isStatus(error, 404)) return null;
        throw error;
      });
      if (member) return { ok: true, type: channel.type };
      if (channel.type !== 'O') return { ok: false, reason: 'the bot is not a member of this private channel: add the bot to the channel' };
      await client.addToChannel(userId, channelId);
      return { ok: true, type: channel.type };
    },

    async createPost({ channelId, message, rootId, outboxId }) {
      const userId = await me();
      const post = await client.createPost({
        channel_id: channelId,
        message,
        root_id: rootId ?? '',
        // Mattermost drops a second post with the same pending id for a while: a quick retry is harmless.
        pending_post_id: `${userId}:gitlab-bridge-${outboxId}`,
        props: { [OUTBOX_PROP]: outboxId, from_bot: 'true' },
      } as Parameters<MattermostClient['createPost']>[0]);
      return post.id;
    },

    async findPost(channelId, outboxId, sinceMs) {
      const list = await client.getPostsSince(channelId, Math.max(1, Math.floor(sinceMs)));
      for (const post of Object.values(list.posts ?? {})) {
        if (String((post.props as Record<string, unknown> | undefined)?.[OUTBOX_PROP] ?? '') === outboxId) return post.id;
      }
      return null;
    },

    async editMessage(postId, message) {
      await client.patchPost({ id: postId, message });
    },
  };
}

function isStatus(error: unknown, status: number): boolean {
  return error instanceof MattermostHttpError && error.status === status;
}

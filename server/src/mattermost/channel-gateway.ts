/**
 * What channel delivery needs from Mattermost, over the bot's REST client:
 * post, find a post we may already have made, edit a thread root, and make sure
 * the bot may post in a channel (joining public channels it is not in).
 */
import { MattermostHttpError, type MattermostClient } from './client.js';

/** Marks our posts so an attempt whose answer was lost can be found again. */
export const OUTBOX_PROP = 'gitlab_bridge_outbox_id';
/**
 * How far before a lost attempt to look for its post. Mattermost stamps posts with its own clock, which
 * may be behind ours (the attempt time comes from PostgreSQL's): minutes of margin, for channels and DMs alike.
 */
export const RECONCILE_LOOKBACK_MS = 5 * 60_000;

export type ChannelAccess = { ok: true; type: string } | { ok: false; reason: string };

export interface NewPost {
  channelId: string;
  message: string;
  rootId: string | null;
  outboxId: string;
  /** Message attachments (the post's buttons). */
  attachments?: readonly object[] | null;
}

export interface ChannelGateway {
  ensureCanPost(channelId: string): Promise<ChannelAccess>;
  createPost(post: NewPost): Promise<string>;
  /**
   * The id of a post the bot made for this outbox row in an attempt started at `attemptStartedMs`, if any.
   * Only the bot's own posts count: anyone in the channel can post a message carrying our marker.
   */
  findPost(channelId: string, outboxId: string, attemptStartedMs: number): Promise<string | null>;
  /** New text; with `attachments`, new buttons too (they replace the post's props: only the bot's own marker is kept). */
  editMessage(postId: string, message: string, attachments?: readonly object[]): Promise<void>;
  /**
   * The channel's type now (O public, P private…; null when the bot cannot read it), at most
   * CHANNEL_TYPE_FRESH_MS old: asked before posting confidential or members-only content, so a
   * private channel converted to public stops getting it within seconds. Cached per channel, so a
   * burst of such posts costs Mattermost one request every few seconds.
   */
  currentType(channelId: string): Promise<string | null>;
}

export const CHANNEL_TYPE_FRESH_MS = 2000;

export function createChannelGateway(client: MattermostClient): ChannelGateway {
  const types = new Map<string, { type: string | null; at: number }>();
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

    async createPost({ channelId, message, rootId, outboxId, attachments }) {
      const userId = await me();
      const post = (pendingPostId: string) =>
        client.createPost({
          channel_id: channelId,
          message,
          root_id: rootId ?? '',
          pending_post_id: pendingPostId,
          props: { [OUTBOX_PROP]: outboxId, from_bot: 'true', ...(attachments && attachments.length > 0 ? { attachments } : {}) },
        } as Parameters<MattermostClient['createPost']>[0]);
      // Mattermost drops a second post with the same pending id for 30 s, answering with the first: a quick
      // retry is harmless. The id is global, not per user, so someone may have used ours first: then the
      // answer is their post, and ours is made under an id of its own.
      const made = await post(`${userId}:gitlab-bridge-${outboxId}`);
      if (made.user_id === userId) return made.id;
      return (await post(`${userId}:gitlab-bridge-${outboxId}-${Date.now()}`)).id;
    },

    async findPost(channelId, outboxId, attemptStartedMs) {
      const userId = await me();
      const list = await client.getPostsSince(channelId, Math.max(1, Math.floor(attemptStartedMs - RECONCILE_LOOKBACK_MS)));
      for (const post of Object.values(list.posts ?? {})) {
        // Deleted posts come back too, and each edit leaves a deleted copy of the old text (original_id set).
        if (post.user_id !== userId || post.delete_at > 0 || post.original_id) continue;
        if (String((post.props as Record<string, unknown> | undefined)?.[OUTBOX_PROP] ?? '') === outboxId) return post.id;
      }
      return null;
    },

    async currentType(channelId) {
      const known = types.get(channelId);
      if (known && Date.now() - known.at < CHANNEL_TYPE_FRESH_MS) return known.type;
      const channel = await client.getChannel(channelId).catch((error: unknown) => {
        if (isStatus(error, 404) || isStatus(error, 403)) return null;
        throw error;
      });
      const type = channel && channel.delete_at === 0 ? channel.type : null;
      // Entries live seconds: starting over when many channels pile up costs one request each.
      if (types.size >= 10_000) types.clear();
      types.set(channelId, { type, at: Date.now() });
      return type;
    },

    async editMessage(postId, message, attachments) {
      // PatchPost replaces the whole props map when it carries one (app.PatchPost).
      await client.patchPost({ id: postId, message, ...(attachments ? { props: { from_bot: 'true', attachments } } : {}) } as Parameters<MattermostClient['patchPost']>[0]);
    },
  };
}

function isStatus(error: unknown, status: number): boolean {
  return error instanceof MattermostHttpError && error.status === status;
}

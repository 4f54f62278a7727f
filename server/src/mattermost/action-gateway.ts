/**
 * What button presses and dialogs need from Mattermost, as the bot: the post
 * pressed (to check it is the bot's, in the channel Mattermost named), whether
 * the presser is a member of that channel, opening a dialog, and redrawing a
 * post after a dialog's action.
 */
import { DEFAULT_TIMEOUT_MS, MattermostHttpError, parseRetryAfter, type MattermostClient } from './client.js';

export interface PressedPost {
  id: string;
  channelId: string;
  userId: string;
  message: string;
  props: Record<string, unknown>;
  rootId: string;
}

export interface ActionGateway {
  botUserId(): Promise<string>;
  /** Null when it does not exist (or the bot cannot read it). */
  readPost(postId: string): Promise<PressedPost | null>;
  isMember(channelId: string, userId: string): Promise<boolean>;
  /** POST /api/v4/actions/dialogs/open: the trigger id (from the press, bound to the presser) is the credential. */
  openDialog(triggerId: string, url: string, dialog: object): Promise<void>;
  /** New message and props for one of the bot's posts. */
  updatePost(postId: string, message: string, props: Record<string, unknown>): Promise<void>;
}

export function createActionGateway(client: MattermostClient): ActionGateway {
  let botId: Promise<string> | undefined;
  return {
    botUserId: () =>
      (botId ??= client.getMe().then(
        (user) => user.id,
        (error: unknown) => {
          botId = undefined;
          throw error;
        },
      )),

    async readPost(postId) {
      try {
        const post = await client.getPost(postId);
        return {
          id: post.id,
          channelId: post.channel_id,
          userId: post.user_id,
          message: post.message,
          props: (post.props ?? {}) as Record<string, unknown>,
          rootId: post.root_id ?? '',
        };
      } catch (error) {
        if (error instanceof MattermostHttpError && (error.status === 404 || error.status === 403)) return null;
        throw error;
      }
    },

    async isMember(channelId, userId) {
      try {
        await client.getChannelMember(channelId, userId);
        return true;
      } catch (error) {
        if (error instanceof MattermostHttpError && (error.status === 404 || error.status === 403)) return false;
        throw error;
      }
    },

    async openDialog(triggerId, url, dialog) {
      // @mattermost/client has no call for this route (the webapp opens dialogs from its websocket).
      const response = await fetch(`${client.getBaseRoute()}/actions/dialogs/open`, {
        method: 'POST',
        headers: { authorization: `Bearer ${client.getToken()}`, 'content-type': 'application/json', 'x-requested-with': 'XMLHttpRequest' },
        body: JSON.stringify({ trigger_id: triggerId, url, dialog }),
        signal: AbortSignal.timeout(DEFAULT_TIMEOUT_MS),
      });
      if (!response.ok) {
        const body = (await response.json().catch(() => ({}))) as { id?: string; message?: string };
        throw new MattermostHttpError(response.status, body.id, body.message ?? response.statusText, parseRetryAfter(response.headers.get('retry-after')));
      }
    },

    async updatePost(postId, message, props) {
      await client.patchPost({ id: postId, message, props } as Parameters<MattermostClient['patchPost']>[0]);
    },
  };
}

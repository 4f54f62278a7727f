/**
 * The bridge's side of Mattermost: the bot client and the channel gateway
 * over it, and the direct messenger that tells a user about their GitLab
 * connection. Without MATTERMOST_URL and MATTERMOST_BOT_TOKEN there is no bot:
 * webhooks are still stored and their posts wait.
 */
import type { Config } from '../config.js';
import { createChannelGateway, type ChannelGateway } from '../mattermost/channel-gateway.js';
import { createMattermostClient, type MattermostClient } from '../mattermost/client.js';
import { createDirectMessenger, type DirectMessenger } from '../mattermost/direct-message.js';
import type { Queryable } from '../store/queryable.js';
import { recordDirectMessage } from '../store/direct-message-log.js';

export interface MattermostSide {
  bot: MattermostClient | null;
  gateway: ChannelGateway | null;
  /** Rejects while there is no bot to send with. */
  notify: DirectMessenger;
}

export function assembleMattermost(config: Config, db: Queryable): MattermostSide {
  const { url, botToken } = config.mattermost;
  const bot = url && botToken ? createMattermostClient(url, botToken) : null;
  return {
    bot,
    gateway: bot ? createChannelGateway(bot) : null,
    notify: bot
      ? createDirectMessenger(bot, (userId, outcome) => recordDirectMessage(db, userId, outcome))
      : () => Promise.reject(new Error('no MATTERMOST_BOT_TOKEN to send direct messages with')),
  };
}

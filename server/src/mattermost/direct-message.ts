/** Sends a user a direct message from the bot. */
import { oneLine, truncate } from '../render/text.js';
import type { MattermostClient } from './client.js';
import { createDirectChannels } from './direct-channels.js';

export type DirectMessenger = (userId: string, message: string) => Promise<void>;

/** What became of one message, for `/gitlab me`: its first line, or why it failed. */
export type DirectMessageOutcome = { sent: string } | { failed: string };

export function createDirectMessenger(bot: MattermostClient, record?: (userId: string, outcome: DirectMessageOutcome) => Promise<void>): DirectMessenger {
  const directChannel = createDirectChannels(bot);
  const send = async (userId: string, message: string) => {
    await bot.createPost({ channel_id: await directChannel(userId), message } as Parameters<MattermostClient['createPost']>[0]);
  };
  return async (userId, message) => {
    try {
      await send(userId, message);
    } catch (error) {
      await record?.(userId, { failed: truncate(oneLine((error as Error).message), 200) }).catch(() => undefined);
      throw error;
    }
    await record?.(userId, { sent: truncate(oneLine(message.split('\n')[0]!), 120) }).catch(() => undefined);
  };
}

/** Sends a user a direct message from the bot. */
import type { MattermostClient } from './client.js';

export type DirectMessenger = (userId: string, message: string) => Promise<void>;

export function createDirectMessenger(bot: MattermostClient): DirectMessenger {
  let botId: Promise<string> | undefined;
  return async (userId, message) => {
    botId ??= bot.getMe().then(
      (me) => me.id,
      (error: unknown) => {
        botId = undefined;
        throw error;
      },
    );
    const channel = await bot.createDirectChannel([await botId, userId]);
    await bot.createPost({ channel_id: channel.id, message } as Parameters<MattermostClient['createPost']>[0]);
  };
}

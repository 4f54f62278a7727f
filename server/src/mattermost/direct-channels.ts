/** The bot's direct message channel with each user, created on first use and remembered by this process. */
import type { MattermostClient } from './client.js';

export function createDirectChannels(bot: MattermostClient): (userId: string) => Promise<string> {
  let botId: Promise<string> | undefined;
  const channels = new Map<string, string>();
  return async (userId) => {
    const known = channels.get(userId);
    if (known) return known;
    botId ??= bot.getMe().then(
      (me) => me.id,
      (error: unknown) => {
        botId = undefined;
        throw error;
      },
    );
    const channel = await bot.createDirectChannel([await botId, userId]);
    channels.set(userId, channel.id);
    return channel.id;
  };
}

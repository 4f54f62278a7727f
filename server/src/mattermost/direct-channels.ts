/** The bot's direct message channel with each user, created on first use and remembered by this process. */
import type { MattermostClient } from './client.js';

/**
 * Channels remembered at most; then forgotten all at once (asking again costs one idempotent
 * request per user), so that memory does not grow with every user ever sent a message.
 */
const REMEMBERED = 10_000;

export function createDirectChannels(bot: Pick<MattermostClient, 'getMe' | 'createDirectChannel'>, remembered = REMEMBERED): (userId: string) => Promise<string> {
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
    if (channels.size >= remembered) channels.clear();
    channels.set(userId, channel.id);
    return channel.id;
  };
}

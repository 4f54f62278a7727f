/** Can the bridge act in Mattermost with the configured bot token? For /readyz and the status page. */
import { networkReason } from '../net/network-reason.js';
import type { Check } from '../readiness.js';
import type { MattermostClient } from './client.js';

export function checkBotToken(client: MattermostClient, url: string): Check {
  return async () => {
    try {
      const me = await client.getMe();
      return { ok: `Mattermost accepts the bot token (user @${me.username})` };
    } catch (error) {
      const status = (error as { status_code?: number }).status_code;
      const message = (error as Error).message;
      if (status === 401) return { error: `Mattermost rejected MATTERMOST_BOT_TOKEN (401: ${message})` };
      if (status !== undefined) return { error: `Mattermost at ${url} answered ${status} to GET /api/v4/users/me: ${message}` };
      return { unreachable: `cannot reach Mattermost at ${url}: ${networkReason(error)}` };
    }
  };
}

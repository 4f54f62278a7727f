/**
 * Can the bridge act in Mattermost with the configured bot token? For /readyz and the status page.
 * A 5xx is Mattermost (or the proxy in front of it) down right now, as is no answer at all: unreachable,
 * a warning, not a wrong setting that takes the bridge out of its load balancer.
 */
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
      // The body of a 5xx is often a proxy's HTML page: the status says enough.
      if (status !== undefined && status >= 500) return { unreachable: `Mattermost at ${url} is not answering right now (GET /api/v4/users/me answered ${status})` };
      if (status !== undefined) return { error: `Mattermost at ${url} answered ${status} to GET /api/v4/users/me: ${message}` };
      return { unreachable: `cannot reach Mattermost at ${url}: ${networkReason(error)}` };
    }
  };
}

/**
 * The webapp's session: who the MMAUTHTOKEN cookie belongs to, asked of
 * Mattermost with that token; answers are remembered, and new tokens checked
 * at a bounded rate, for the webapp API and /oauth alike.
 */
import type { Config } from '../config.js';
import { createMattermostClient, MattermostHttpError } from '../mattermost/client.js';
import type { SessionUser } from '../webapp-api/context.js';
import { ApiError } from '../webapp-api/errors.js';
import { cacheSessions, type ResolveSession } from '../webapp-api/session-cache.js';

export function assembleSessionResolver(config: Config): ResolveSession {
  const mattermostUrl = config.mattermost.url;
  return cacheSessions(
    async (token: string): Promise<SessionUser | null> => {
      if (!mattermostUrl) throw new ApiError(503, 'not_configured', 'The bridge cannot check Mattermost sessions: MATTERMOST_URL is not set.');
      try {
        const me = await createMattermostClient(mattermostUrl, token).getMe();
        return { id: me.id, username: me.username, roles: me.roles };
      } catch (error) {
        if (error instanceof MattermostHttpError && error.status === 401) return null;
        throw error;
      }
    },
    { newTokensPerSecond: config.webapp.sessionChecksPerSecond },
  );
}

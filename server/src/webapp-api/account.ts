/** GET /me (the webapp's start: who, connected or not, what the bridge can do) and GET /users/{id}/gitlab (the user popover). */
import express from 'express';
import { writesAllowed } from '../accounts/write-access.js';
import { markActive } from '../polling/poll-users.js';
import { readConnectedIdentity } from '../store/connected-identity.js';
import { readNotificationSettings } from '../store/notification-settings.js';
import { sessionOf } from './context.js';
import type { WebappDeps } from './deps.js';
import { ApiError } from './errors.js';

export const CONNECT_URL = '/plugins/gitlab-bridge/oauth/connect';
const MATTERMOST_ID = /^[a-z0-9]{26}$/;

async function instancesOf(deps: WebappDeps, userId: string): Promise<{ name: string; label: string; url: string; connected: boolean }[]> {
  const instances = deps.instances!;
  return Promise.all(
    instances.all.map(async (instance) => ({
      name: instance.name,
      label: instances.label(instance.name),
      url: instance.url.replace(/\/+$/, ''),
      connected: Boolean(deps.instanceSide?.(instance.name)?.connections) && (await readConnectedIdentity(deps.pool, userId, instance.name)) !== null,
    })),
  );
}

export function accountRoutes(deps: WebappDeps): express.Router {
  const router = express.Router();
  const base = deps.gitlabUrl.replace(/\/+$/, '');
  const profileUrl = (username: string) => `${base}/${encodeURIComponent(username)}`;

  router.get('/me', async (request, response) => {
    const { user } = sessionOf(response);
    // Someone looking at Mattermost is polled at the active pace; that must never fail the answer.
    void markActive(deps.pool, user.id, deps.activeIntervalSeconds).catch((error: unknown) =>
      ((request as { log?: typeof deps.log }).log ?? deps.log).warn({ err: error }, 'could not record that a user is active'),
    );
    const identity = deps.connections ? await readConnectedIdentity(deps.pool, user.id) : null;
    const instances = deps.instances ? await instancesOf(deps, user.id) : undefined;
    // Connected to any of the GitLabs: the lists then combine whatever they are connected to.
    const connected = identity !== null || (instances?.some((instance) => instance.connected) ?? false);
    response.json({
      user: { id: user.id, username: user.username },
      connected,
      gitlab: identity ? { username: identity.gitlabUsername, userId: identity.gitlabUserId, webUrl: profileUrl(identity.gitlabUsername) } : null,
      gitlabUrl: base,
      // Every GitLab and whether this user is connected there: the webapp previews links of those they are (link-instance.ts).
      ...(instances ? { instances } : {}),
      connectUrl: CONNECT_URL,
      settings: connected ? await readNotificationSettings(deps.pool, user.id) : null,
      // writes: false when the admin chose read-only access (GITLAB_OAUTH_SCOPES=read_api): the webapp then offers nothing that writes.
      features: { connect: deps.connections !== null, createIssues: deps.bot !== null && writesAllowed(deps.scopeSetting), writes: writesAllowed(deps.scopeSetting) },
    });
  });

  router.get('/users/:userId/gitlab', async (request, response) => {
    const { userId } = request.params;
    if (!MATTERMOST_ID.test(userId)) throw new ApiError(400, 'bad_request', 'userId must be a Mattermost user id (26 lower-case letters and digits).');
    const identity = deps.connections ? await readConnectedIdentity(deps.pool, userId) : null;
    if (!identity) throw new ApiError(404, 'not_found', 'This user has no GitLab account connected.');
    response.json({ username: identity.gitlabUsername, webUrl: profileUrl(identity.gitlabUsername) });
  });

  return router;
}

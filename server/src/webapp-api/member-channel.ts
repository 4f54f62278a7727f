/**
 * The channel a webapp request is about, when the caller belongs to it: asked
 * of Mattermost with the caller's own session (a private channel they are not
 * in stays invisible), its team too. Every channel route starts here.
 */
import type { Request, Response } from 'express';
import { createMattermostClient, MattermostHttpError } from '../mattermost/client.js';
import { sessionOf } from './context.js';
import type { WebappDeps } from './deps.js';
import { ApiError } from './errors.js';

const CHANNEL_ID = /^[a-z0-9]{26}$/;

export async function requireMemberChannel(deps: Pick<WebappDeps, 'membership' | 'mattermostUrl'>, request: Request, response: Response): Promise<{ id: string; teamId: string | null }> {
  const channelId = String(request.params.channelId);
  if (!CHANNEL_ID.test(channelId)) throw new ApiError(400, 'bad_request', '`channelId` is not a Mattermost channel id.');
  const { user, sessionToken } = sessionOf(response);
  const answer = await deps.membership.check(sessionToken, user.id, channelId).catch(() => {
    throw new ApiError(502, 'mattermost_unavailable', 'Mattermost could not say whether you belong to the channel; try again shortly.');
  });
  if (answer === 'session_expired') throw new ApiError(401, 'not_logged_in', 'The Mattermost session has expired; log in again.');
  if (answer !== 'member') throw new ApiError(403, 'not_channel_member', 'You are not a member of this channel.');
  const channel = await createMattermostClient(deps.mattermostUrl!, sessionToken)
    .getChannel(channelId)
    .catch((error: unknown) => {
      if (error instanceof MattermostHttpError && (error.status === 404 || error.status === 403)) throw new ApiError(403, 'not_channel_member', 'You are not a member of this channel.');
      throw new ApiError(502, 'mattermost_unavailable', 'Mattermost could not be asked about the channel; try again shortly.');
    });
  return { id: channelId, teamId: channel.team_id || null };
}

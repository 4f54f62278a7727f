/** Why a Mattermost call failed, in a few words: its status and message, or the network reason. */
import { MattermostHttpError } from '../mattermost/client.js';
import { networkReason } from '../net/network-reason.js';

export function mattermostReason(error: unknown): string {
  if (error instanceof MattermostHttpError) return `Mattermost answered ${error.status}: ${error.message}`;
  return networkReason(error);
}

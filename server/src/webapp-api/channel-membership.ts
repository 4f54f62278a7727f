/**
 * Whether a user belongs to a channel, asked of Mattermost with the user's
 * own session (so a private channel they are not in stays invisible), and
 * remembered for a minute under a hash of the session and the channel. One
 * change reaches every open tab of a user at once: they share one question.
 */
import { createHash } from 'node:crypto';
import { createMattermostClient, MattermostHttpError } from '../mattermost/client.js';

const CACHE_MS = 60_000;
const CACHE_MAX = 10_000;

export type Membership = 'member' | 'not_member' | 'session_expired';

export interface ChannelMembership {
  /** Throws when Mattermost cannot be asked. */
  check(sessionToken: string, userId: string, channelId: string): Promise<Membership>;
}

export function createChannelMembership(options: { mattermostUrl: string | undefined; now?: () => number }): ChannelMembership {
  const now = options.now ?? Date.now;
  const cache = new Map<string, { answer: Membership; expires: number }>();
  const asking = new Map<string, Promise<Membership>>();

  const ask = async (key: string, sessionToken: string, userId: string, channelId: string): Promise<Membership> => {
    if (!options.mattermostUrl) throw new Error('MATTERMOST_URL is not set');
    let answer: Membership;
    try {
      await createMattermostClient(options.mattermostUrl, sessionToken).getChannelMember(channelId, userId);
      answer = 'member';
    } catch (error) {
      if (!(error instanceof MattermostHttpError)) throw error;
      if (error.status === 401) return 'session_expired';
      // 404 (no such member, or a private channel they cannot see) and 403 alike: not theirs.
      if (error.status !== 403 && error.status !== 404) throw error;
      answer = 'not_member';
    }
    if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
    cache.set(key, { answer, expires: now() + CACHE_MS });
    return answer;
  };

  return {
    async check(sessionToken, userId, channelId) {
      const key = createHash('sha256').update(`${sessionToken}\n${userId}\n${channelId}`).digest('hex');
      const hit = cache.get(key);
      if (hit && hit.expires > now()) return hit.answer;
      cache.delete(key);
      let answer = asking.get(key);
      if (!answer) {
        answer = ask(key, sessionToken, userId, channelId).finally(() => asking.delete(key));
        asking.set(key, answer);
      }
      return answer;
    },
  };
}

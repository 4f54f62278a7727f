/**
 * What turning a reply into a GitLab comment asks of Mattermost (as the bot)
 * and of the bridge's accounts: the post's permalink, and the GitLab usernames
 * of the people it mentions. Answers are kept a while; they change rarely.
 */
import { gitlabUsernamesOf } from '../store/chat-replies.js';
import type { Queryable } from '../store/queryable.js';
import type { MattermostClient } from './client.js';

/** A permalink with an old team name still resolves in Mattermost; a renamed user is found again after this. */
const KEEP_MS = 10 * 60_000;
const MOST_KEPT = 10_000;

export interface ReplyLookups {
  permalinkOf(channelId: string, postId: string): Promise<string>;
  /** Lower-cased Mattermost usernames → GitLab usernames of those who connected that GitLab instance. */
  gitlabUsernamesOf(mattermostUsernames: string[], instance: string): Promise<Map<string, string>>;
}

export function createReplyLookups(client: MattermostClient, siteUrl: string, db: Queryable): ReplyLookups {
  const site = siteUrl.replace(/\/+$/, '');
  // Mattermost's webapp and apps resolve `_redirect` to the post's team (PERMALINK_GENERIC_TEAM_NAME_REDIRECT):
  // the link for a channel the bot cannot look up the team of.
  const teamNames = kept(async (channelId: string) => {
    const channel = await client.getChannel(channelId);
    return (await client.getTeam(channel.team_id)).name;
  }, '_redirect');
  // Unknown names are kept too: a reply full of them must not become as many questions each time.
  const userIds = kept(async (username: string) => (await client.getUserByUsername(username).catch(() => null))?.id ?? '', '');
  return {
    permalinkOf: async (channelId, postId) => `${site}/${await teamNames(channelId)}/pl/${postId}`,
    async gitlabUsernamesOf(usernames, instance) {
      const byId = new Map<string, string>();
      for (const username of usernames) {
        const id = await userIds(username);
        if (id) byId.set(id, username);
      }
      const gitlabNames = await gitlabUsernamesOf(db, [...byId.keys()], instance);
      return new Map([...gitlabNames].map(([id, gitlabName]) => [byId.get(id)!, gitlabName]));
    },
  };
}

/** Keeps answers for a while; a failed look-up answers `otherwise`, and is asked again next time. */
function kept(fetch: (key: string) => Promise<string>, otherwise: string): (key: string) => Promise<string> {
  const known = new Map<string, { value: string; at: number }>();
  return async (key) => {
    const hit = known.get(key);
    if (hit && Date.now() - hit.at < KEEP_MS) return hit.value;
    let value: string;
    try {
      value = await fetch(key);
    } catch {
      return otherwise;
    }
    if (known.size >= MOST_KEPT) known.clear();
    known.set(key, { value, at: Date.now() });
    return value;
  };
}

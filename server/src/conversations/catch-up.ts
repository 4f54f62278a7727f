/**
 * After a gap (the first connection after a start, or any reconnection), reads
 * the posts changed since each watched channel's cursor and hands them on as
 * the events the socket would have sent. Handlers are idempotent (keyed by post
 * and reaction), so reading a little before the cursor, or an event seen both
 * ways, changes nothing.
 */
import type { Logger } from '../log.js';
import { normalisePost } from '../mattermost/websocket-stream.js';
import type { Queryable } from '../store/queryable.js';
import { advanceCursor, channelsToCatchUp } from '../store/stream-cursors.js';
import type { ChatEvent, ChatPost } from './chat-events.js';

/** Read this much before the cursor: Mattermost's servers' clocks and ours may differ a little. */
const OVERLAP_MS = 5000;
/** A longer gap is not caught up entirely: replies older than a week stay in Mattermost. */
export const MAX_CATCH_UP_MS = 7 * 24 * 3600_000;

export interface CatchUpDeps {
  pool: Queryable;
  /** GET /channels/{id}/posts?since= as the bot: every post of the channel changed since then, deleted ones too. */
  postsSince(channelId: string, since: number): Promise<ChatPost[]>;
  handle(event: ChatEvent): Promise<void>;
  /** A root post as it is now (its reactions), for what changed on it during the gap. */
  reconcile(post: ChatPost): Promise<void>;
  log: Logger;
  now?: () => number;
}

export async function catchUp(deps: CatchUpDeps): Promise<{ channels: number; posts: number }> {
  const now = deps.now ?? Date.now;
  let posts = 0;
  const channels = await channelsToCatchUp(deps.pool);
  for (const channel of channels) {
    const start = channel.since !== null ? channel.since - OVERLAP_MS : (channel.repliesSince ?? now());
    const since = Math.max(start, now() - MAX_CATCH_UP_MS);
    try {
      // Each edit leaves a deleted copy of the old text (original_id names the post): not a post of its own.
      const changed = (await deps.postsSince(channel.channelId, since))
        .filter((post) => !post.original_id)
        .map(normalisePost)
        .sort((a, b) => a.update_at - b.update_at);
      let seen = since;
      for (const post of changed) {
        await deps.handle(eventOf(post, since));
        if (!post.root_id && post.delete_at === 0) await deps.reconcile(post);
        seen = Math.max(seen, post.update_at);
      }
      posts += changed.length;
      // Never past our own clock (listen.ts says why).
      await advanceCursor(deps.pool, channel.channelId, Math.min(seen, now()));
    } catch (error) {
      // One channel the bot cannot read (removed from it, or Mattermost failing) does not stop the others.
      deps.log.warn({ err: error, channel: channel.channelId }, 'could not catch up on a channel');
    }
  }
  return { channels: channels.length, posts };
}

/** What the socket would have said about a post that changed during the gap. */
function eventOf(post: ChatPost, since: number): ChatEvent {
  if (post.delete_at > 0) return { kind: 'deleted', post };
  return post.create_at > since ? { kind: 'posted', post } : { kind: 'edited', post };
}

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
/** At most this many posts come back from one `since` read (Mattermost's GetPostsSince). */
const SINCE_LIMIT = 1000;
/** A longer gap is not caught up entirely: replies older than a week stay in Mattermost. */
export const MAX_CATCH_UP_MS = 7 * 24 * 3600_000;

export interface CatchUpDeps {
  pool: Queryable;
  /** GET /channels/{id}/posts?since= as the bot: every post of the channel changed since then, deleted ones too. */
  postsSince(channelId: string, since: number): Promise<ChatPost[]>;
  /** False when a handler failed on it (the cursor then stays before it). */
  handle(event: ChatEvent): Promise<boolean>;
  /** A root post as it is now (its reactions), for what changed on it during the gap. */
  reconcile(post: ChatPost): Promise<void>;
  /** GET /posts/{root}/thread as the bot: a thread's posts, for a gap longer than one `since` read. */
  threadPosts?(rootId: string): Promise<ChatPost[]>;
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
      const read = await deps.postsSince(channel.channelId, since);
      // Each edit leaves a deleted copy of the old text (original_id names the post): not a post of its own.
      const changed = read
        .filter((post) => !post.original_id)
        .map(normalisePost)
        .sort((a, b) => a.update_at - b.update_at);
      // The cursor stops before the first post a handler failed on: the next catch-up reads it again.
      let seen = since;
      let failed = false;
      for (const post of changed) {
        const handled = (await deps.handle(eventOf(post, since))) && (post.root_id || post.delete_at > 0 ? true : await reconciled(deps, post));
        failed ||= !handled;
        if (!failed) seen = Math.max(seen, post.update_at);
      }
      posts += changed.length;
      if (read.length >= SINCE_LIMIT && deps.threadPosts) {
        // Mattermost answers `since` with at most 1000 posts, in no order: the rest of a long gap is read thread by thread.
        deps.log.warn({ channel: channel.channelId }, 'more than 1000 posts changed during the gap; reading the bridge threads one by one (deletions among the rest are not seen)');
        const threadRead = await readThreads(deps, channel.channelId, since);
        posts += threadRead.posts;
        failed ||= threadRead.failed;
        if (!failed) seen = Math.max(seen, now());
      }
      // Never past our own clock (listen.ts says why).
      await advanceCursor(deps.pool, channel.channelId, Math.min(seen, now()));
    } catch (error) {
      // One channel the bot cannot read (removed from it, or Mattermost failing) does not stop the others.
      deps.log.warn({ err: error, channel: channel.channelId }, 'could not catch up on a channel');
    }
  }
  return { channels: channels.length, posts };
}

async function reconciled(deps: CatchUpDeps, root: ChatPost): Promise<boolean> {
  try {
    await deps.reconcile(root);
    return true;
  } catch (error) {
    deps.log.warn({ err: error, post: root.id }, 'could not compare a root’s reactions');
    return false;
  }
}

/** The threads whose replies go to GitLab in a channel (newest first, at most 200), each read whole. */
async function readThreads(deps: CatchUpDeps, channelId: string, since: number): Promise<{ posts: number; failed: boolean }> {
  const { rows } = await deps.pool.query<{ root_post_id: string }>(
    'SELECT root_post_id FROM channel_threads WHERE channel_id = $1 AND replies_since IS NOT NULL ORDER BY updated_at DESC LIMIT 200',
    [channelId],
  );
  let posts = 0;
  let failed = false;
  for (const { root_post_id: rootId } of rows) {
    const thread = (await deps.threadPosts!(rootId)).filter((post) => !post.original_id && post.update_at > since).map(normalisePost);
    for (const post of thread) {
      const handled = post.id === rootId ? await reconciled(deps, post) : await deps.handle(eventOf(post, since));
      failed ||= !handled;
    }
    posts += thread.length;
  }
  return { posts, failed };
}

/** What the socket would have said about a post that changed during the gap. */
function eventOf(post: ChatPost, since: number): ChatEvent {
  if (post.delete_at > 0) return { kind: 'deleted', post };
  return post.create_at > since ? { kind: 'posted', post } : { kind: 'edited', post };
}

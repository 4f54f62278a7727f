/**
 * After a gap, the listener reads what changed in each watched channel and hands it on as the socket
 * would have; each channel's cursor moves to what was read. Mattermost's side is a stub of
 * GET /channels/{id}/posts?since= (posts changed since then, deleted ones too: api4/post.go getPostsForChannel).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import { catchUp, MAX_CATCH_UP_MS } from '../../../server/src/conversations/catch-up.js';
import type { ChatEvent, ChatPost } from '../../../server/src/conversations/chat-events.js';
import { advanceCursor, channelsToCatchUp } from '../../../server/src/store/stream-cursors.js';
import { createMigratedDatabase, type MigratedDatabase } from '../../helpers/databases.js';
import { silentLog } from '../../helpers/silent-log.js';

let database: MigratedDatabase;
let pool: pg.Pool;

const NOW = Date.UTC(2026, 0, 10, 12, 0);
const HOUR = 3600_000;
/** When the replies-to-GitLab thread in `chan-a` started saying so. */
const REPLIES_SINCE = NOW - HOUR;

beforeAll(async () => {
  database = await createMigratedDatabase();
  pool = database.pool;
  const thread = (channel: string, key: string, since: number | null) =>
    pool.query('INSERT INTO channel_threads (channel_id, thread_key, root_post_id, root_message, replies_since) VALUES ($1, $2, $3, $4, $5)', [
      channel,
      key,
      `root-${channel}-${key}`,
      'root',
      since === null ? null : new Date(since),
    ]);
  await thread('chan-a', '1:merge_request:1', REPLIES_SINCE);
  await thread('chan-a', '1:merge_request:2', REPLIES_SINCE + HOUR / 2);
  await thread('chan-b', '1:merge_request:3', null); // replies are not sent from this one
  await thread('chan-d', '1:issue:4', NOW - 2 * HOUR);
  await thread('chan-e', '1:issue:5', NOW - 30 * 24 * HOUR);
  await thread('chan-f', '1:issue:6', NOW - HOUR);
  await pool.query('INSERT INTO channel_settings (channel_id, code_previews) VALUES ($1, true), ($2, false)', ['chan-c', 'chan-g']);
  await advanceCursor(pool, 'chan-d', NOW - 10 * 60_000);
  await advanceCursor(pool, 'chan-e', NOW - 10 * 24 * HOUR);
});

afterAll(async () => {
  await database.close();
});

const post = (id: string, more: Partial<ChatPost>): ChatPost => ({
  id,
  channel_id: 'chan-a',
  root_id: 'root-a',
  user_id: 'alice',
  message: id,
  create_at: REPLIES_SINCE + 10,
  update_at: REPLIES_SINCE + 10,
  edit_at: 0,
  delete_at: 0,
  type: '',
  ...more,
});

/** Runs a catch-up against the given posts per channel, recording what is asked and handed on. */
async function runCatchUp(
  postsByChannel: Record<string, ChatPost[] | Error>,
  options: { failOn?: string; threads?: Record<string, ChatPost[]> } = {},
) {
  const asked: { channelId: string; since: number }[] = [];
  const handled: string[] = [];
  const reconciled: string[] = [];
  const result = await catchUp({
    pool,
    async postsSince(channelId, since) {
      asked.push({ channelId, since });
      const posts = postsByChannel[channelId] ?? [];
      if (posts instanceof Error) throw posts;
      return posts;
    },
    async threadPosts(rootId) {
      asked.push({ channelId: `thread ${rootId}`, since: 0 });
      return options.threads?.[rootId] ?? [];
    },
    async handle(event: ChatEvent) {
      handled.push('post' in event ? `${event.kind} ${event.post.id}` : `${event.kind} ${event.reaction.post_id}`);
      return !('post' in event && event.post.id === options.failOn);
    },
    async reconcile(root) {
      reconciled.push(root.id);
    },
    log: silentLog,
    now: () => NOW,
  });
  return { asked, handled, reconciled, result };
}

const cursorOf = async (channelId: string) => {
  const { rows } = await pool.query<{ seen_until: string }>('SELECT seen_until FROM stream_cursors WHERE channel_id = $1', [channelId]);
  return rows[0] ? Number(rows[0].seen_until) : null;
};

describe('catching up after a gap', () => {
  it('reads each watched channel from where it stopped, hands on what changed in order, and moves the cursor', async () => {
    const { asked, handled, reconciled, result } = await runCatchUp({
      'chan-a': [
        post('edited-reply', { create_at: REPLIES_SINCE - 5000, update_at: REPLIES_SINCE + 300, edit_at: REPLIES_SINCE + 300 }),
        post('new-reply', { update_at: REPLIES_SINCE + 100 }),
        post('deleted-reply', { update_at: REPLIES_SINCE + 200, delete_at: REPLIES_SINCE + 200 }),
        // The deleted copy of an edited post's old text is no post of its own.
        post('old-text-copy', { update_at: REPLIES_SINCE + 300, delete_at: REPLIES_SINCE + 300, original_id: 'edited-reply' }),
        post('root-a', { root_id: '', create_at: REPLIES_SINCE - HOUR, update_at: REPLIES_SINCE + 400 }),
        post('deleted-root', { root_id: '', create_at: REPLIES_SINCE - HOUR, update_at: REPLIES_SINCE + 500, delete_at: REPLIES_SINCE + 500 }),
      ],
      'chan-f': new Error('403: the bot was removed from the channel'),
    });

    // chan-b does not send replies and chan-g has no code previews: neither is read.
    expect(asked).toEqual([
      { channelId: 'chan-a', since: REPLIES_SINCE }, // never read: from when replies started to go to GitLab
      { channelId: 'chan-c', since: NOW }, // code previews only: from now on
      { channelId: 'chan-d', since: NOW - 10 * 60_000 - 5000 }, // from its cursor, a little before
      { channelId: 'chan-e', since: NOW - MAX_CATCH_UP_MS }, // a gap longer than a week is not read entirely
      { channelId: 'chan-f', since: NOW - HOUR },
    ]);
    expect(handled).toEqual(['posted new-reply', 'deleted deleted-reply', 'edited edited-reply', 'edited root-a', 'deleted deleted-root']);
    // A root as it is now: its reactions may have changed in the gap. A deleted one has none left to carry.
    expect(reconciled).toEqual(['root-a']);
    expect(result).toEqual({ channels: 5, posts: 5 });

    expect(await cursorOf('chan-a')).toBe(REPLIES_SINCE + 500);
    expect(await cursorOf('chan-c')).toBe(NOW);
    expect(await cursorOf('chan-d')).toBe(NOW - 10 * 60_000); // the overlap read does not move it back
    expect(await cursorOf('chan-e')).toBe(NOW - MAX_CATCH_UP_MS);
    // The channel that could not be read keeps no cursor: the next catch-up reads it from the start again.
    expect(await cursorOf('chan-f')).toBeNull();
    expect(await cursorOf('chan-b')).toBeNull();
  });

  it('the next catch-up starts where the last one stopped, a little before', async () => {
    const { asked } = await runCatchUp({});
    expect(asked.find((read) => read.channelId === 'chan-a')).toEqual({ channelId: 'chan-a', since: REPLIES_SINCE + 500 - 5000 });
    expect(asked.find((read) => read.channelId === 'chan-f')).toEqual({ channelId: 'chan-f', since: NOW - HOUR });
  });

  it('a post created before the read started is an edit; one created after it, a new post (even if edited since)', async () => {
    const since = (await cursorOf('chan-a'))! - 5000;
    const { handled } = await runCatchUp({
      'chan-a': [post('before', { create_at: since - 1, update_at: since + 10 }), post('after', { create_at: since + 1, update_at: since + 20, edit_at: since + 20 })],
    });
    expect(handled).toEqual(['edited before', 'posted after']);
  });
});

describe('catching up when something goes wrong', () => {
  it('keeps the cursor before the first post a handler failed on, so the next catch-up reads it again', async () => {
    const cursor = (await cursorOf('chan-d'))!;
    const { handled } = await runCatchUp(
      { 'chan-d': [post('fine', { create_at: cursor + 1, update_at: cursor + 10 }), post('broken', { create_at: cursor + 2, update_at: cursor + 20 }), post('later', { create_at: cursor + 3, update_at: cursor + 30 })] },
      { failOn: 'broken' },
    );
    // Every post is still handed on (handlers are idempotent); only the cursor waits.
    expect(handled).toEqual(['posted fine', 'posted broken', 'posted later']);
    expect(await cursorOf('chan-d')).toBe(cursor + 10);
  });

  it('reads the bridge threads one by one when Mattermost answers a full 1000 posts (its limit, in no order)', async () => {
    const since = (await cursorOf('chan-d'))! - 5000;
    const noise = Array.from({ length: 1000 }, (_, index) => post(`chatter-${index}`, { create_at: since + 1, update_at: since + 1 + index }));
    const root = 'root-chan-d-1:issue:4';
    const { asked, handled, reconciled } = await runCatchUp(
      { 'chan-d': noise },
      { threads: { [root]: [post(root, { root_id: '', create_at: since - HOUR, update_at: since + 5 }), post('missed-reply', { root_id: root, create_at: since + 2, update_at: since + 2 })] } },
    );
    expect(asked).toContainEqual({ channelId: `thread ${root}`, since: 0 });
    expect(handled).toContain('posted missed-reply');
    expect(reconciled).toContain(root);
    expect(await cursorOf('chan-d')).toBe(NOW);
  });
});

describe('stream cursors', () => {
  it('never move back: events handled out of order leave the newest', async () => {
    await advanceCursor(pool, 'chan-x', 5000);
    await advanceCursor(pool, 'chan-x', 4000);
    expect(await cursorOf('chan-x')).toBe(5000);
    await advanceCursor(pool, 'chan-x', 6000);
    expect(await cursorOf('chan-x')).toBe(6000);
  });

  it('watched channels come with the earliest time any of their threads started sending replies', async () => {
    const channels = await channelsToCatchUp(pool);
    expect(channels.find((channel) => channel.channelId === 'chan-a')?.repliesSince).toBe(REPLIES_SINCE);
    expect(channels.map((channel) => channel.channelId)).toEqual(['chan-a', 'chan-c', 'chan-d', 'chan-e', 'chan-f']);
  });
});

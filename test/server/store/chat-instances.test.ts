/**
 * Replies and reactions carried to GitLab belong to their thread's instance (migration 0027): two
 * GitLabs number notes, award emoji and users independently, so the same note id on two of them is
 * two comments. Recording one never clashes with the other's, and a Note or Emoji Hook of one
 * instance is never taken for the bridge's own echo because of a record on another.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import { bridgeOriginChannel } from '../../../server/src/delivery/bridge-origin.js';
import { objectKey } from '../../../server/src/delivery/object-status.js';
import type { GitLabEvent } from '../../../server/src/gitlab/events/event.js';
import { isIgnored } from '../../../server/src/gitlab/events/event.js';
import { parseEvent } from '../../../server/src/gitlab/events/parse-event.js';
import { inInstance } from '../../../server/src/gitlab/instances.js';
import { markAwarded, markAwardStarted, reactionOriginOfAward, recordReaction, type ChatReactionRow, type NewReaction } from '../../../server/src/store/chat-reactions.js';
import { markReplyAttemptStarted, markReplySent, recordReply, replyOriginOfNote, replyOriginOfPost, type NewReply } from '../../../server/src/store/chat-replies.js';
import { loadMigrations, migrate } from '../../../server/src/store/migrate.js';
import { createMigratedDatabase, createTestDatabase, openPool, testServers, type MigratedDatabase } from '../../helpers/databases.js';
import { webhookFixture } from '../../helpers/fixtures.js';
import { silentLog } from '../../helpers/silent-log.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let database: MigratedDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  database = await createMigratedDatabase();
  pool = database.pool;
});

afterAll(async () => {
  await database.close();
});

/** The same GitLab user id on both instances: two different people. */
const GITLAB_USER = 11;
let next = 0;
/** A reply of its own in a thread on `instance` (`5:merge_request:1`, scoped as the bridge scopes keys). */
async function replyOn(instance: 'default' | 'corp', channelId: string): Promise<NewReply> {
  next += 1;
  const reply: NewReply = {
    // Mattermost post ids are 26 letters and digits (a footer names one).
    postId: `post${next}`.padEnd(26, 'z'),
    channelId,
    rootPostId: `root-${channelId}`,
    threadKey: instance === 'default' ? '5:merge_request:1' : 'corp~5:merge_request:1',
    userId: 'alice',
    message: 'text',
    fileNames: [],
    postedAt: new Date(),
  };
  expect(await recordReply(pool, reply)).toBe(true);
  return reply;
}

/** A Note Hook for note `noteId` on MR !1 of project 5, by GitLab user 1, as `instance`'s door takes it. */
function noteHook(instance: string, noteId: number, footerPostId?: string): GitLabEvent {
  const payload = JSON.parse(webhookFixture('note.merge_request.json').body) as Json;
  payload.object_attributes.id = noteId;
  if (footerPostId) payload.object_attributes.note += `\n\n<sub>[Sent from Mattermost](http://chat.example.com/team/pl/${footerPostId})</sub>`;
  const parsed = parseEvent('Note Hook', payload);
  if (isIgnored(parsed)) throw new Error(parsed.ignored);
  return inInstance(parsed, instance);
}

describe('comments the bridge made', () => {
  it('the same note id on two instances is two records; on one instance it is still one', async () => {
    const onDefault = await replyOn('default', 'chan-default');
    const onCorp = await replyOn('corp', 'chan-corp');
    await markReplySent(pool, onDefault.postId, 7001, GITLAB_USER);
    await markReplySent(pool, onCorp.postId, 7001, GITLAB_USER);
    const { rows } = await pool.query('SELECT instance, note_id, state FROM chat_replies WHERE note_id = 7001 ORDER BY instance');
    expect(rows).toEqual([
      { instance: 'corp', note_id: '7001', state: 'sent' },
      { instance: 'default', note_id: '7001', state: 'sent' },
    ]);
    // One GitLab never gives two comments one id: a second record of it on the same instance is refused.
    const again = await replyOn('corp', 'chan-corp');
    await expect(markReplySent(pool, again.postId, 7001, GITLAB_USER)).rejects.toThrow(/chat_replies_note/);
  });

  it('a Note Hook is the bridge’s echo only on the instance the comment was made on', async () => {
    const onDefault = await replyOn('default', 'chan-default');
    await markReplySent(pool, onDefault.postId, 7100, GITLAB_USER);
    const fromDefault = noteHook('default', 7100);
    const fromCorp = noteHook('corp', 7100);
    expect(await bridgeOriginChannel(pool, fromDefault, objectKey(fromDefault))).toBe('chan-default');
    // corp's note 7100 is someone's own comment there: posted in its channels, its DMs not marked as seen.
    expect(await bridgeOriginChannel(pool, fromCorp, objectKey(fromCorp))).toBeNull();
    expect(await replyOriginOfNote(pool, 'corp', 7100)).toBeNull();

    const onCorp = await replyOn('corp', 'chan-corp');
    await markReplySent(pool, onCorp.postId, 7100, GITLAB_USER);
    expect(await bridgeOriginChannel(pool, fromCorp, objectKey(fromCorp))).toBe('chan-corp');
    expect(await bridgeOriginChannel(pool, fromDefault, objectKey(fromDefault))).toBe('chan-default');
  });

  it('before the id is known, the footer’s post counts only with an author of the same instance', async () => {
    const onDefault = await replyOn('default', 'chan-default');
    await markReplyAttemptStarted(pool, onDefault.postId, 1); // the fixture's author is GitLab user 1
    const fromDefault = noteHook('default', 7200, onDefault.postId);
    const fromCorp = noteHook('corp', 7200, onDefault.postId);
    expect(fromCorp.details).toMatchObject({ kind: 'note', chatPostId: onDefault.postId });
    expect(await bridgeOriginChannel(pool, fromDefault, objectKey(fromDefault))).toBe('chan-default');
    // User 1 on corp is someone else, who copied the footer.
    expect(await bridgeOriginChannel(pool, fromCorp, objectKey(fromCorp))).toBeNull();
    expect(await replyOriginOfPost(pool, 'corp', onDefault.postId, 1)).toBeNull();
  });
});

describe('awards the bridge made', () => {
  let reactions = 0;
  async function awardedOn(instance: 'default' | 'corp', awardId: number): Promise<NewReaction> {
    reactions += 1;
    const reaction: NewReaction = {
      postId: `reaction-root${reactions}`,
      userId: 'alice',
      emojiName: '+1',
      channelId: `chan-${instance}`,
      threadKey: instance === 'default' ? `5:merge_request:${reactions}` : `corp~5:merge_request:${reactions}`,
      awardName: 'thumbsup',
    };
    await recordReaction(pool, reaction);
    const row = { ...reaction, state: 'pending', awardId: null, attempts: 0 } satisfies ChatReactionRow;
    await markAwardStarted(pool, row, GITLAB_USER);
    await markAwarded(pool, row, awardId);
    return reaction;
  }

  it('an Emoji Hook is the bridge’s echo only on the instance the award was made on', async () => {
    const onDefault = await awardedOn('default', 8001);
    const hook = { id: 8001, threadKey: 'corp~5:merge_request:77', gitlabUserId: 99, name: 'tada' };
    expect(await reactionOriginOfAward(pool, { ...hook, instance: 'default' })).toBe('chan-default');
    expect(await reactionOriginOfAward(pool, { ...hook, instance: 'corp' })).toBeNull();
    // Recorded with its thread's instance, and the same award id on corp is a record of its own.
    await awardedOn('corp', 8001);
    const { rows } = await pool.query('SELECT instance FROM chat_reactions WHERE award_id = 8001 ORDER BY instance');
    expect(rows).toEqual([{ instance: 'corp' }, { instance: 'default' }]);
    expect(await reactionOriginOfAward(pool, { ...hook, instance: 'corp' })).toBe('chan-corp');
    expect(onDefault.channelId).toBe('chan-default');
  });
});

describe('upgrading a database from before migration 0027', () => {
  it('gives each reply and reaction the instance its thread key names', async () => {
    const older = await createTestDatabase(testServers()[0]!);
    const olderPool = openPool(older.url);
    try {
      await migrate(olderPool, silentLog, loadMigrations().filter((migration) => migration.version < 27));
      for (const [post, key] of [
        ['r1', '5:merge_request:1'],
        ['r2', 'corp~5:merge_request:1'],
        ['r3', 'eu2~5:merge_request:1:discussion:abc'],
        // Not an instance name (one starts with a lower-case letter, then letters and digits): the default's.
        ['r4', 'acme/app~x:merge_request:1'],
        ['r5', 'Corp~5:issue:2'],
      ]) {
        await olderPool.query(
          "INSERT INTO chat_replies (post_id, channel_id, root_post_id, thread_key, mattermost_user_id, message, posted_at) VALUES ($1, 'c', 'root', $2, 'u', 'm', now())",
          [post, key],
        );
        await olderPool.query("INSERT INTO chat_reactions (post_id, mattermost_user_id, emoji_name, channel_id, thread_key, award_name) VALUES ($1, 'u', '+1', 'c', $2, 'thumbsup')", [post, key]);
      }
      await migrate(olderPool, silentLog);
      const expected = [
        { post_id: 'r1', instance: 'default' },
        { post_id: 'r2', instance: 'corp' },
        { post_id: 'r3', instance: 'eu2' },
        { post_id: 'r4', instance: 'default' },
        { post_id: 'r5', instance: 'default' },
      ];
      expect((await olderPool.query('SELECT post_id, instance FROM chat_replies ORDER BY post_id')).rows).toEqual(expected);
      expect((await olderPool.query('SELECT post_id, instance FROM chat_reactions ORDER BY post_id')).rows).toEqual(expected);
    } finally {
      await olderPool.end();
      await older.drop();
    }
  });
});

/** A reaction on a thread root awards once, and taking it back takes the award back, in whatever order things happen (migration 0021). */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import {
  markAwarded,
  markAwardRemoved,
  markAwardStarted,
  nextDueReaction,
  presentReactions,
  reactionOriginOfAward,
  recordReaction,
  recordReactionRemoved,
  settleReaction,
  type ChatReactionRow,
  type NewReaction,
} from '../../../server/src/store/chat-reactions.js';
import { createMigratedDatabase, type MigratedDatabase } from '../../helpers/databases.js';

let database: MigratedDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  database = await createMigratedDatabase();
  pool = database.pool;
});

afterAll(async () => {
  await database.close();
});

const ALICE_GITLAB = 11;
let next = 0;
/** A root of its own for each test; alice reacts 👍 on it. */
function reactionOnNewRoot(): NewReaction {
  next += 1;
  return { postId: `root${next}`, userId: 'alice', emojiName: '+1', channelId: 'chan1', threadKey: `42:merge_request:${next}`, awardName: 'thumbsup' };
}
const row = async (reaction: NewReaction): Promise<ChatReactionRow> => {
  const { rows } = await pool.query<{ state: string; award_id: string | null; attempts: number }>(
    'SELECT state, award_id, attempts FROM chat_reactions WHERE post_id = $1 AND mattermost_user_id = $2 AND emoji_name = $3',
    [reaction.postId, reaction.userId, reaction.emojiName],
  );
  expect(rows).toHaveLength(1);
  return { ...reaction, state: rows[0]!.state, awardId: rows[0]!.award_id === null ? null : Number(rows[0]!.award_id), attempts: rows[0]!.attempts } as ChatReactionRow;
};
const stateOf = async (reaction: NewReaction) => (await row(reaction)).state;

describe('adding and removing', () => {
  it('a reaction seen twice is one award to make', async () => {
    const reaction = reactionOnNewRoot();
    await recordReaction(pool, reaction);
    await recordReaction(pool, reaction);
    expect(await stateOf(reaction)).toBe('pending');
    expect(await presentReactions(pool, reaction.postId)).toEqual([{ userId: 'alice', emojiName: '+1' }]);
  });

  it('added, awarded, removed, added again: the award is taken back, then made again', async () => {
    const reaction = reactionOnNewRoot();
    await recordReaction(pool, reaction);
    await markAwarded(pool, await row(reaction), 501);
    expect(await row(reaction)).toMatchObject({ state: 'awarded', awardId: 501 });
    await recordReactionRemoved(pool, reaction.postId, reaction.userId, reaction.emojiName);
    expect(await stateOf(reaction)).toBe('removing');
    expect(await presentReactions(pool, reaction.postId)).toEqual([]);
    await markAwardRemoved(pool, await row(reaction));
    expect(await row(reaction)).toMatchObject({ state: 'removed', awardId: null });
    await recordReaction(pool, reaction);
    expect(await stateOf(reaction)).toBe('pending');
  });

  it('removed before it was awarded: nothing is awarded', async () => {
    const reaction = reactionOnNewRoot();
    await recordReaction(pool, reaction);
    await recordReactionRemoved(pool, reaction.postId, reaction.userId, reaction.emojiName);
    expect(await stateOf(reaction)).toBe('removed');
  });

  it('removed while the award was being made: once made, it is taken back', async () => {
    const reaction = reactionOnNewRoot();
    await recordReaction(pool, reaction);
    const sending = await row(reaction);
    await markAwardStarted(pool, sending, ALICE_GITLAB);
    await recordReactionRemoved(pool, reaction.postId, reaction.userId, reaction.emojiName);
    await markAwarded(pool, sending, 502);
    expect(await row(reaction)).toMatchObject({ state: 'removing', awardId: 502 });
  });

  it('added again while the award was being taken back: it is kept, or made again if already gone', async () => {
    const kept = reactionOnNewRoot();
    await recordReaction(pool, kept);
    await markAwarded(pool, await row(kept), 503);
    await recordReactionRemoved(pool, kept.postId, kept.userId, kept.emojiName);
    await recordReaction(pool, kept);
    expect(await row(kept)).toMatchObject({ state: 'awarded', awardId: 503 });

    const gone = reactionOnNewRoot();
    await recordReaction(pool, gone);
    await markAwarded(pool, await row(gone), 504);
    await recordReactionRemoved(pool, gone.postId, gone.userId, gone.emojiName);
    const removing = await row(gone);
    await recordReaction(pool, gone); // the DELETE was already on its way
    await markAwardRemoved(pool, removing);
    expect(await row(gone)).toMatchObject({ state: 'pending', awardId: null });
  });

  it('a reaction that could not be awarded is tried afresh when added again', async () => {
    const reaction = reactionOnNewRoot();
    await recordReaction(pool, reaction);
    await settleReaction(pool, await row(reaction), 'failed', 'GitLab refused it');
    await recordReactionRemoved(pool, reaction.postId, reaction.userId, reaction.emojiName);
    expect(await stateOf(reaction)).toBe('failed');
    await recordReaction(pool, reaction);
    expect(await row(reaction)).toMatchObject({ state: 'pending', attempts: 0 });
  });

  it('work due comes up: awards to make and to take back, not those done', async () => {
    await pool.query("UPDATE chat_reactions SET state = 'skipped' WHERE state IN ('pending', 'removing')");
    const adding = reactionOnNewRoot();
    const removing = reactionOnNewRoot();
    await recordReaction(pool, adding);
    await recordReaction(pool, removing);
    await markAwarded(pool, await row(removing), 505);
    await recordReactionRemoved(pool, removing.postId, removing.userId, removing.emojiName);
    const due: string[] = [];
    for (let reaction = await nextDueReaction(pool); reaction; reaction = await nextDueReaction(pool)) {
      due.push(`${reaction.postId}:${reaction.state}`);
      if (reaction.state === 'pending') await markAwarded(pool, reaction, 506);
      else await markAwardRemoved(pool, reaction);
    }
    expect(due).toEqual([`${adding.postId}:pending`, `${removing.postId}:removing`]);
  });
});

describe('the awards the bridge made, known when GitLab tells of them', () => {
  it('by the award’s id', async () => {
    const reaction = reactionOnNewRoot();
    await recordReaction(pool, reaction);
    await markAwarded(pool, await row(reaction), 601);
    expect(await reactionOriginOfAward(pool, { instance: 'default', id: 601, threadKey: 'other', gitlabUserId: null, name: 'other' })).toBe('chan1');
  });

  it('before the id is known: by who awarded what on which MR, lately, as the person whose reaction it was', async () => {
    const reaction = reactionOnNewRoot();
    await recordReaction(pool, reaction);
    await markAwardStarted(pool, await row(reaction), ALICE_GITLAB);
    const hook = { instance: 'default', id: 602, threadKey: reaction.threadKey, gitlabUserId: ALICE_GITLAB, name: 'thumbsup' };
    expect(await reactionOriginOfAward(pool, hook)).toBe('chan1');
    // Someone else's 👍, another emoji, or another MR is not the bridge's.
    expect(await reactionOriginOfAward(pool, { ...hook, gitlabUserId: 99 })).toBeNull();
    expect(await reactionOriginOfAward(pool, { ...hook, gitlabUserId: null })).toBeNull();
    expect(await reactionOriginOfAward(pool, { ...hook, name: 'tada' })).toBeNull();
    expect(await reactionOriginOfAward(pool, { ...hook, threadKey: '42:merge_request:999' })).toBeNull();
    // Long after (ten minutes), the same award is someone's own doing in GitLab.
    await pool.query("UPDATE chat_reactions SET updated_at = now() - interval '11 minutes' WHERE post_id = $1", [reaction.postId]);
    expect(await reactionOriginOfAward(pool, hook)).toBeNull();
  });
});

/** A reply is sent once, and its edits and deletion follow it to GitLab, whatever order things happen in (migration 0021). */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import {
  changeReplyText,
  finishReplyChange,
  markReplyAttemptStarted,
  markReplyDeleted,
  markReplySent,
  nextDueReply,
  readReply,
  recordReply,
  replyOriginOfNote,
  replyOriginOfPost,
  settleReply,
  type NewReply,
} from '../../../server/src/store/chat-replies.js';
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
/** A reply of its own for each test (posts are keyed by id). */
async function recorded(message = 'first text'): Promise<NewReply> {
  next += 1;
  const reply: NewReply = {
    postId: `post${next}`,
    channelId: 'chan1',
    rootPostId: 'root1',
    threadKey: '42:merge_request:7',
    userId: 'alice',
    message,
    fileNames: [],
    postedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, next)),
  };
  expect(await recordReply(pool, reply)).toBe(true);
  return reply;
}
const state = async (postId: string) => {
  const reply = await readReply(pool, postId);
  return reply && { state: reply.state, change: reply.change, message: reply.message, noteId: reply.noteId };
};
/** Sends everything due, as the sender would, without GitLab: the comment of a reply gets an id from 1000 on. */
/** What a sender would take next, left for the sender (taking it claims it for two minutes). */
async function peek() {
  const due = await nextDueReply(pool);
  if (due) await pool.query('UPDATE chat_replies SET next_attempt_at = now() WHERE post_id = $1', [due.postId]);
  return due;
}

async function drain(): Promise<void> {
  for (let reply = await nextDueReply(pool); reply; reply = await nextDueReply(pool)) {
    if (reply.state === 'pending') {
      await markReplyAttemptStarted(pool, reply.postId, ALICE_GITLAB);
      await markReplySent(pool, reply.postId, 1000 + Number(reply.postId.slice(4)), ALICE_GITLAB);
    } else await finishReplyChange(pool, reply.postId, reply.change!, reply.message);
  }
}

// Each test starts with nothing due (what earlier tests left is done).
beforeEach(() => drain());

describe('recording', () => {
  it('a reply seen twice (socket and catch-up) is one row, sent once', async () => {
    const reply = await recorded();
    expect(await recordReply(pool, { ...reply, message: 'seen again' })).toBe(false);
    const { rows } = await pool.query('SELECT message FROM chat_replies WHERE post_id = $1', [reply.postId]);
    expect(rows).toEqual([{ message: 'first text' }]);
  });

  it('files are kept by name', async () => {
    const reply = await recorded();
    await changeReplyText(pool, reply.postId, 'with files', ['a.png', 'b.txt']);
    expect((await readReply(pool, reply.postId))?.fileNames).toEqual(['a.png', 'b.txt']);
  });
});

describe('edits', () => {
  it('an edit before the comment is made changes the text it will be made with', async () => {
    const reply = await recorded();
    expect(await changeReplyText(pool, reply.postId, 'fixed typo', [])).toBe('pending');
    expect(await state(reply.postId)).toMatchObject({ state: 'pending', message: 'fixed typo' });
    expect((await peek())?.message).toBe('fixed typo');
    await drain();
    expect(await state(reply.postId)).toMatchObject({ state: 'sent', change: null });
  });

  it('an edit after the comment was made is to be put on it', async () => {
    const reply = await recorded();
    await drain();
    expect(await changeReplyText(pool, reply.postId, 'second text', [])).toBe('edit');
    expect(await state(reply.postId)).toMatchObject({ state: 'sent', change: 'edit', message: 'second text' });
    expect((await peek())?.postId).toBe(reply.postId);
    await drain();
    expect(await state(reply.postId)).toMatchObject({ state: 'sent', change: null });
  });

  it('the same text again (a reaction also updates a post) is no edit', async () => {
    const reply = await recorded();
    await drain();
    expect(await changeReplyText(pool, reply.postId, 'first text', [])).toBeNull();
    expect(await nextDueReply(pool)).toBeNull();
  });

  it('an edit while the comment is being made with the old text is put on it once made', async () => {
    const reply = await recorded();
    const read = await nextDueReply(pool); // the sender reads the text it will post ...
    await markReplyAttemptStarted(pool, reply.postId, ALICE_GITLAB);
    await changeReplyText(pool, reply.postId, 'edited meanwhile', []); // ... the person edits ...
    await markReplySent(pool, reply.postId, 2001, ALICE_GITLAB); // ... and the comment has the old text.
    expect(read?.message).toBe('first text');
    expect(await state(reply.postId)).toEqual({ state: 'sent', change: 'edit', message: 'edited meanwhile', noteId: 2001 });
  });

  it('an edit made while another was being put is not lost', async () => {
    const reply = await recorded();
    await drain();
    await changeReplyText(pool, reply.postId, 'second', []);
    const putting = await nextDueReply(pool);
    await changeReplyText(pool, reply.postId, 'third', []);
    await finishReplyChange(pool, reply.postId, 'edit', putting!.message);
    expect(await state(reply.postId)).toMatchObject({ change: 'edit', message: 'third' });
    await drain();
    expect(await state(reply.postId)).toMatchObject({ change: null, message: 'third' });
  });

  it('a deleted reply is not edited', async () => {
    const reply = await recorded();
    await drain();
    await markReplyDeleted(pool, reply.postId);
    expect(await changeReplyText(pool, reply.postId, 'too late', [])).toBeNull();
    expect(await state(reply.postId)).toMatchObject({ change: 'delete', message: 'first text' });
  });
});

describe('deletions', () => {
  it('a reply deleted before its comment was tried is never sent', async () => {
    const reply = await recorded();
    await changeReplyText(pool, reply.postId, 'edited first', []);
    await markReplyDeleted(pool, reply.postId);
    expect(await state(reply.postId)).toMatchObject({ state: 'deleted', change: null });
    expect(await nextDueReply(pool)).toBeNull();
  });

  it('a reply deleted while its comment was being made has the comment looked for and deleted', async () => {
    const reply = await recorded();
    await markReplyAttemptStarted(pool, reply.postId, ALICE_GITLAB);
    await markReplyDeleted(pool, reply.postId);
    expect(await state(reply.postId)).toMatchObject({ state: 'pending', change: 'delete' });
    // The comment turns out to exist: it is still to be deleted.
    await markReplySent(pool, reply.postId, 3001, ALICE_GITLAB);
    expect(await state(reply.postId)).toMatchObject({ state: 'sent', change: 'delete', noteId: 3001 });
    await drain();
    expect(await state(reply.postId)).toMatchObject({ state: 'deleted', change: null });
  });

  it('a reply deleted just before its attempt was recorded still has its comment deleted', async () => {
    const reply = await recorded();
    await nextDueReply(pool); // the sender has read it ...
    await markReplyDeleted(pool, reply.postId); // ... it goes ...
    await markReplyAttemptStarted(pool, reply.postId, ALICE_GITLAB);
    await markReplySent(pool, reply.postId, 3002, ALICE_GITLAB); // ... and the comment is made.
    expect(await state(reply.postId)).toMatchObject({ state: 'sent', change: 'delete' });
  });

  it('a sent reply deleted in Mattermost has its comment deleted, even with an edit waiting', async () => {
    const reply = await recorded();
    await drain();
    await changeReplyText(pool, reply.postId, 'edit', []);
    await markReplyDeleted(pool, reply.postId);
    expect(await state(reply.postId)).toMatchObject({ state: 'sent', change: 'delete' });
  });

  it('settled replies (skipped, failed) are left alone by later edits and deletions', async () => {
    const reply = await recorded();
    await settleReply(pool, reply.postId, 'skipped', 'not connected to GitLab');
    await changeReplyText(pool, reply.postId, 'edit', []);
    await markReplyDeleted(pool, reply.postId);
    // What was not sent is not kept either.
    expect(await state(reply.postId)).toMatchObject({ state: 'skipped', change: null, message: '' });
    expect(await nextDueReply(pool)).toBeNull();
  });
});

describe('the comments the bridge made, known when GitLab tells of them', () => {
  it('by the comment’s id, once recorded', async () => {
    const reply = await recorded();
    await markReplyAttemptStarted(pool, reply.postId, ALICE_GITLAB);
    await markReplySent(pool, reply.postId, 4001, ALICE_GITLAB);
    expect(await replyOriginOfNote(pool, 'default', 4001)).toBe('chan1');
    expect(await replyOriginOfNote(pool, 'default', 4002)).toBeNull();
  });

  it('by the post its footer names, only when the comment’s author is the person whose reply it was', async () => {
    const reply = await recorded();
    expect(await replyOriginOfPost(pool, 'default', reply.postId, ALICE_GITLAB)).toBeNull(); // no attempt yet: no author known
    await markReplyAttemptStarted(pool, reply.postId, ALICE_GITLAB);
    expect(await replyOriginOfPost(pool, 'default', reply.postId, ALICE_GITLAB)).toBe('chan1');
    // Someone else copying the footer into their own comment does not keep it out of the channel.
    expect(await replyOriginOfPost(pool, 'default', reply.postId, 99)).toBeNull();
    expect(await replyOriginOfPost(pool, 'default', 'post-unknown', ALICE_GITLAB)).toBeNull();
  });
});

describe('two senders', () => {
  it('a reply taken by one sender is not handed to another (a replica that lost the lock and has not noticed yet)', async () => {
    const reply = await recorded();
    const first = await nextDueReply(pool);
    expect(first?.postId).toBe(reply.postId);
    expect(await nextDueReply(pool)).toBeNull();
    // Once its comment is made, an edit seen meanwhile is due at once, not when the claim would have run out.
    await changeReplyText(pool, reply.postId, 'edited while sending', []);
    await markReplyAttemptStarted(pool, reply.postId, ALICE_GITLAB);
    await markReplySent(pool, reply.postId, 94001, ALICE_GITLAB);
    expect((await nextDueReply(pool))?.change).toBe('edit');
  });
});

/**
 * A reply in an internal note's thread is sent as an internal note; GitLab drops `internal` from someone
 * who may not mark notes internal (a Guest) without a word and makes the note public. The sender takes
 * such a note back before it records anything, so a failure to record it (the database refusing the
 * note's id) cannot leave a public note behind, nor make the person believe nothing was posted while it
 * was. Runs the sender against the fake GitLab (loopback) and real PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import { gitlabAsUser } from '../../../server/src/actions/gitlab-as-user.js';
import type { ConversationSide } from '../../../server/src/conversations/conversation-side.js';
import { createReplySender, type ReplyOutcome } from '../../../server/src/conversations/send-replies.js';
import { readReply, recordReply } from '../../../server/src/store/chat-replies.js';
import type { Queryable } from '../../../server/src/store/queryable.js';
import { createSubscription } from '../../../server/src/store/subscriptions.js';
import { startFakeGitLab, type FakeGitLab } from '../../fakes/fake-gitlab.js';
import { createMigratedDatabase, type MigratedDatabase } from '../../helpers/databases.js';
import { silentLog } from '../../helpers/silent-log.js';

const PROJECT = { id: 900, path: 'acme/app' };
const AUTHOR = { id: 399, username: 'author', name: 'Author' };
const GUEST = { id: 40, username: 'guest.gl', name: 'Guest' };
/** A thread following an internal note whose hook did not name its discussion: a reply there is a new internal note. */
const THREAD = `${PROJECT.id}:merge_request:7:discussion:note55`;
const POST = 'replypost'.padEnd(26, 'x');

let database: MigratedDatabase;
let gitlab: FakeGitLab;
let guestToken: string;

beforeAll(async () => {
  database = await createMigratedDatabase();
  gitlab = await startFakeGitLab();
  gitlab.addProject(PROJECT.path, { visibility: 'public', id: PROJECT.id });
  gitlab.addUser(AUTHOR);
  guestToken = gitlab.addUser(GUEST).token;
  gitlab.grant(guestToken, PROJECT.path, 10);
  gitlab.addMergeRequest(PROJECT.path, { iid: 7, title: 'Change', authorId: AUTHOR.id });
  const subscription = await createSubscription(database.pool, { channelId: 'chan', targetKind: 'project', targetPath: PROJECT.path, targetId: PROJECT.id, syncReplies: true, creatorId: 'admin' });
  await database.pool.query(
    "INSERT INTO channel_threads (channel_id, thread_key, root_post_id, root_message, replies_since, subscription_id) VALUES ('chan', $1, 'root', 'Internal note', now() - interval '1 hour', $2)",
    [THREAD, subscription.id],
  );
}, 60_000);

afterAll(async () => {
  await gitlab?.close();
  await database?.close();
});

/** The database, except that recording a comment as sent fails (as a clash of note ids did before migration 0027). */
function failingToRecordSent(pool: pg.Pool): Queryable {
  return {
    query: ((text: string, values?: unknown[]) => {
      if (typeof text === 'string' && text.includes("SET state = 'sent'")) return Promise.reject(new Error('duplicate key value violates unique constraint "chat_replies_note"'));
      return pool.query(text, values);
    }) as Queryable['query'],
  };
}

describe('a reply GitLab made public instead of internal', () => {
  it('is deleted in GitLab and the person told it was not posted, even when recording its id fails', async () => {
    await recordReply(database.pool, { postId: POST, channelId: 'chan', rootPostId: 'root', threadKey: THREAD, userId: 'guest', message: 'The customer is Acme', fileNames: [], postedAt: new Date() });
    const side: ConversationSide = {
      name: 'default',
      callerFor: async () => ({ token: guestToken, gitlabUserId: GUEST.id, gitlabUsername: GUEST.username, scopes: ['api'] }),
      gitlab: (token) => gitlabAsUser(gitlab.url, token),
      scopeSetting: { name: 'default', oauthScopes: 'api' },
      connectLink: async () => null,
    };
    const told: string[] = [];
    const outcomes: ReplyOutcome[] = [];
    const sender = createReplySender({
      pool: failingToRecordSent(database.pool),
      sides: (instance) => (instance === 'default' ? side : null),
      permalinkOf: async (_channel, post) => `http://chat.example.com/team/pl/${post}`,
      gitlabUsernamesOf: async () => new Map(),
      tell: async (_user, message) => void told.push(message),
      log: silentLog,
      count: (outcome) => void outcomes.push(outcome),
      // Whether the thread's project is one the channel follows has its own tests (thread-project.ts).
      threadProject: async () => true,
    });

    expect(await sender.sendNext()).toBe(true);

    const made = gitlab.requests.filter((request) => request.method === 'POST' && request.path.endsWith('/merge_requests/7/notes'));
    expect(made.map((request) => request.status)).toEqual([201]);
    // GitLab kept nothing of it: the public note was deleted.
    expect(gitlab.notesOf(PROJECT.path, 'merge_request', 7).filter((note) => note.body.includes('The customer is Acme'))).toEqual([]);
    expect(gitlab.requests.some((request) => request.method === 'DELETE' && /\/merge_requests\/7\/notes\/\d+$/.test(request.path) && request.status === 204)).toBe(true);
    expect(outcomes).toEqual(['failed']);
    expect(told).toEqual([expect.stringContaining('was not posted to GitLab: it answers an internal note, and GitLab would not make it internal for your account.')]);
    expect(await readReply(database.pool, POST)).toMatchObject({ state: 'failed' });
  });
});

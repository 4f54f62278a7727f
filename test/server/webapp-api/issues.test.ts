/**
 * Issues from posts (POST /api/v1/issues, POST /api/v1/issues/{ref}/notes): the
 * post read with the user's session, the issue written as the user, the bot's
 * reply in the thread. Real bridge process, both fakes on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FakeChannel } from '../../fakes/fake-mattermost.js';
import { startCommandBridge, type CommandBridge } from '../../helpers/command-bridge.js';
import { webappClient } from '../../helpers/webapp-client.js';

let running: CommandBridge;
let alice: ReturnType<typeof webappClient>;
let carol: ReturnType<typeof webappClient>;
let botId: string;
let town: FakeChannel;
const ALICE = 101;

beforeAll(async () => {
  running = await startCommandBridge({ users: ['alice', 'bob', 'carol'], oauth: true });
  const { gitlab, mattermost, users } = running;
  botId = [...mattermost.users.values()].find((user) => user.username === 'gitlab')!.id;
  gitlab.addProject('platform/web', { visibility: 'public' });
  const { token } = await running.connectGitLab(users.alice!, { id: ALICE, username: 'alice.gl', name: 'Alice' });
  gitlab.grant(token, 'platform', 30);
  town = channel('town', ['alice', 'bob', 'carol']);
  alice = webappClient(running, 'alice');
  carol = webappClient(running, 'carol');
}, 60_000);
afterAll(() => running.close());

function channel(name: string, members: string[], type: 'O' | 'P' = 'O'): FakeChannel {
  return running.mattermost.addChannel(name, { type, members: members.map((member) => running.users[member] ?? member), teamId: running.team.id });
}

/** A post as its author makes it in Mattermost. */
async function post(author: string, where: FakeChannel, message: string, rootId = ''): Promise<string> {
  const response = await fetch(`${running.mattermost.url}/api/v4/posts`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${running.sessions[author]}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ channel_id: where.id, message, root_id: rootId }),
  });
  if (response.status !== 201) throw new Error(`posting answered ${response.status}`);
  return ((await response.json()) as { id: string }).id;
}

const botReplies = (where: FakeChannel) => running.mattermost.posts.filter((candidate) => candidate.channel_id === where.id && candidate.user_id === botId);

describe('issues from posts', () => {
  it('creates the issue as the user with the post quoted and linked, and the bot replies in the thread', async () => {
    const root = await post('bob', town, 'Saving crashes');
    const reply = await post('bob', town, 'Steps:\n1. open @channel\n\n2. save', root);
    const answer = await alice<{ reference: string; url: string; iid: number; notice?: string }>('POST', '/issues', {
      body: { postId: reply, project: 'platform/web', title: 'Crash on save @all', description: 'Seen twice today.', labels: ['bug'] },
    });
    expect(answer).toMatchObject({ status: 201, body: { reference: 'platform/web#1', iid: 1, url: `${running.gitlab.url}/platform/web/-/issues/1` } });
    expect(answer.body.notice).toBeUndefined();

    const [issue] = running.gitlab.issuesOf('platform/web');
    expect(issue).toMatchObject({ title: 'Crash on save @all', authorId: ALICE, labels: ['bug'] });
    expect(issue!.description).toBe(`Seen twice today.\n\n> Steps:\n> 1. open @channel\n>\n> 2. save\n\nPosted by **bob** in Mattermost: ${running.mattermost.url}/alpha/pl/${reply}`);

    const [said] = botReplies(town);
    expect(said).toMatchObject({ root_id: root });
    expect(said!.message).toContain(`[platform/web#1: Crash on save @\u200Ball](${running.gitlab.url}/platform/web/-/issues/1)`);
    expect(said!.message).toMatch(/^alice created GitLab issue /);
  });

  it('attaches a post to an issue as a comment, and says so in the thread', async () => {
    const root = await post('bob', town, 'It crashed again');
    const answer = await alice<{ url: string }>('POST', `/issues/${encodeURIComponent('platform/web#1')}/notes`, { body: { postId: root, comment: 'Another one.' } });
    expect(answer.status).toBe(201);
    const note = running.gitlab.issuesOf('platform/web')[0]!.notes.at(-1)!;
    expect(answer.body.url).toBe(`${running.gitlab.url}/platform/web/-/issues/1#note_${note.id}`);
    expect(note).toMatchObject({ authorId: ALICE, body: `Another one.\n\n> It crashed again\n\nPosted by **bob** in Mattermost: ${running.mattermost.url}/alpha/pl/${root}` });
    expect(botReplies(town).at(-1)).toMatchObject({ root_id: root, message: expect.stringMatching(/^alice attached this post to GitLab issue \[platform\/web#1: /) });
    expect(await alice('POST', `/issues/${encodeURIComponent('platform/web#99')}/notes`, { body: { postId: root } })).toMatchObject({ status: 404, body: { code: 'not_found' } });
    expect(await alice('POST', '/issues/not-a-ref/notes', { body: { postId: root } })).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^`ref`/) } });
  });

  it('keeps the issue and says why when the bot cannot reply', async () => {
    const quiet = channel('quiet', ['alice'], 'P');
    const postId = await post('alice', quiet, 'Note to self');
    const answer = await alice<{ reference: string; notice?: string }>('POST', '/issues', { body: { postId, project: 'platform/web', title: 'From a private channel' } });
    expect(answer.status).toBe(201);
    expect(answer.body.notice).toContain('could not reply in the thread');
    expect(running.gitlab.issuesOf('platform/web').map((issue) => issue.title)).toContain('From a private channel');
    expect(botReplies(quiet)).toEqual([]);
  });

  it('names a confidential issue by its reference only in the thread reply, whatever the channel', async () => {
    const { iid } = running.gitlab.addIssue('platform/web', { title: 'Token leak in logs', confidential: true, authorId: ALICE });
    const team = channel('web-team', ['alice', botId], 'P');
    for (const where of [town, team]) {
      const root = await post('alice', where, 'More on this');
      expect((await alice('POST', `/issues/${encodeURIComponent(`platform/web#${iid}`)}/notes`, { body: { postId: root } })).status).toBe(201);
      const said = botReplies(where).at(-1)!;
      expect(said.message).toContain(`[platform/web#${iid}](`);
      expect(said.message).not.toContain('Token leak');
    }
  });

  it('shows the title of an issue not everyone may read only outside public channels', async () => {
    running.gitlab.addProject('platform/secret', { visibility: 'private' });
    running.gitlab.addProject('platform/tools', { visibility: 'public', features: { issues: 'private' } });
    const team = channel('secret-team', ['alice', botId], 'P');
    for (const project of ['platform/secret', 'platform/tools']) {
      const inTown = await post('alice', town, `About ${project}`);
      expect((await alice('POST', '/issues', { body: { postId: inTown, project, title: `Hidden plans for ${project}` } })).status).toBe(201);
      expect(botReplies(town).at(-1)!.message).toMatch(new RegExp(`created GitLab issue \\[${project}#\\d+\\]\\(`));
      expect(botReplies(town).at(-1)!.message).not.toContain('Hidden plans');
      const inTeam = await post('alice', team, `About ${project}, privately`);
      expect((await alice('POST', '/issues', { body: { postId: inTeam, project, title: `Team plans for ${project}` } })).status).toBe(201);
      expect(botReplies(team).at(-1)!.message).toContain(`Team plans for ${project}`);
    }
  });

  it('refuses a post the user cannot read, bad input, and users without GitLab', async () => {
    const backroom = channel('backroom', ['bob'], 'P');
    const hidden = await post('bob', backroom, 'Not for alice');
    const before = running.gitlab.issuesOf('platform/web').length;
    expect(await alice('POST', '/issues', { body: { postId: hidden, project: 'platform/web', title: 'Leak' } })).toMatchObject({ status: 404, body: { code: 'not_found' } });
    expect(await alice('POST', '/issues', { body: { postId: hidden, project: 'platform/web' } })).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^`title`/) } });
    expect(await alice('POST', '/issues', { body: { postId: 'nope', project: 'platform/web', title: 'x' } })).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^`postId`/) } });
    const visible = await post('bob', town, 'Hello');
    expect(await carol('POST', '/issues', { body: { postId: visible, project: 'platform/web', title: 'x' } })).toMatchObject({ status: 403, body: { code: 'not_connected' } });
    expect(await alice('POST', '/issues', { body: { postId: visible, project: 'secret/none', title: 'x' } })).toMatchObject({ status: 404, body: { code: 'not_found' } });
    expect(running.gitlab.issuesOf('platform/web')).toHaveLength(before);
  });
});

/**
 * GITLAB_OAUTH_SCOPES=read_api, end to end. One bridge first runs as most do
 * (api): Bob connects, a channel subscribes, a post gets its buttons. The admin
 * then restarts it read-only. Alice connects and is asked for read_api only;
 * notifications, lists and to-dos keep working for both; everything that would
 * write answers that the admin chose read-only access, draws no button, and the
 * fake GitLab sees nothing but reads. Bob's older `api` token keeps reading
 * without connecting again, and is not written with either. Switched back to
 * api, Bob writes again and Alice's read-only token is told to connect again.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FakeChannel, FakePost } from '../../fakes/fake-mattermost.js';
import { runBridge, runCommand, type BridgeProcess } from '../../helpers/bridge-process.js';
import { browse, OAUTH_CLIENT, startCommandBridge, type CommandBridge } from '../../helpers/command-bridge.js';
import { intoPublicProject, sendFixture } from '../../helpers/fixtures.js';
import { waitFor, waitUntilSettled } from '../../helpers/wait-for.js';
import { webappClient } from '../../helpers/webapp-client.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const PROJECT = { id: 970, path: 'acme/app' };
/** The review request fixture's reviewer. */
const ALICE = { id: 6, username: 'user1', name: 'User1' };
const BOB = { id: 7, username: 'bob.gl', name: 'Bob' };
const READ_ONLY = 'This bridge connects to GitLab read-only (GITLAB_OAUTH_SCOPES=read_api), so it cannot ';
const REPLIES_LINE = /Replies here, and reactions on this post, go to GitLab/;

let bridge: CommandBridge;
/** The bridge process running now: each restart replaces it. */
let running: BridgeProcess;
let alice: string, bob: string, carol: string;
let dev: FakeChannel;
/** The thread root made before the switch, with its buttons. */
let before: FakePost;
/** GitLab's answer to Alice's connect: the authorize request the bridge sent her browser to. */
let authorize: URL;

beforeAll(async () => {
  bridge = await startCommandBridge({
    users: ['alice', 'bob', 'carol'],
    // The OAuth application allows both: the bridge asks for what GITLAB_OAUTH_SCOPES says.
    env: ({ publicUrl, gitlab }) => {
      gitlab.registerApplication({ ...OAUTH_CLIENT, redirectUri: `${publicUrl}/oauth/complete`, scopes: 'api read_api read_user' });
      return {
        GITLAB_OAUTH_CLIENT_ID: OAUTH_CLIENT.clientId,
        GITLAB_OAUTH_CLIENT_SECRET: OAUTH_CLIENT.clientSecret,
        ENCRYPTION_KEY: 'cd'.repeat(32),
        GITLAB_WEBHOOK_SECRET: 'hook-secret',
        MATTERMOST_WEBSOCKET_RETRY_MS: '200',
      };
    },
  });
  running = bridge.bridge;
  ({ alice, bob, carol } = bridge.users as { alice: string; bob: string; carol: string });
  const { gitlab, mattermost } = bridge;
  gitlab.addProject(PROJECT.path, { visibility: 'public', id: PROJECT.id });
  const { token: bobToken } = await bridge.connectGitLab(bob, BOB);
  gitlab.grant(bobToken, PROJECT.path, 40);
  const botId = [...mattermost.users.values()].find((user) => user.is_bot)!.id;
  bridge.team.members.add(botId);
  dev = mattermost.addChannel('dev', { type: 'P', members: [alice, bob, carol, botId], teamId: bridge.team.id });
  expect(await bridge.command(bob, `subscriptions add ${PROJECT.path}`, dev.id)).toMatch(/replies → GitLab/);
  gitlab.addMergeRequest(PROJECT.path, { iid: 1, title: 'Before the switch', authorId: BOB.id });
  gitlab.addIssue(PROJECT.path, { title: 'Broken login', authorId: BOB.id });
  await openMergeRequest(1, 'Before the switch');
  before = rootIn(/Before the switch/);
  expect(bridge.mattermost.buttonsOf(before.id)).toContain('Approve');
  expect(before.message).toMatch(REPLIES_LINE);

  // The admin chooses read-only access.
  await restart('read_api');
  const { token: aliceToken } = gitlab.addUser(ALICE);
  gitlab.grant(aliceToken, PROJECT.path, 40);
  gitlab.signIn(ALICE.id);
  const link = /\((http[^)]+\/oauth\/connect\?link=[^)]+)\)/.exec(await bridge.command(alice, 'connect'))?.[1];
  const page = await browse(link!, { cookie: `MMAUTHTOKEN=${bridge.sessions.alice}` });
  gitlab.signOut();
  expect(page.status).toBe(200);
  authorize = new URL(page.hops.find((hop) => new URL(hop).pathname === '/oauth/authorize')!);
}, 180_000);

afterAll(async () => {
  if (running !== bridge?.bridge) await running?.stop();
  await bridge?.close();
});

async function restart(scopes: 'api' | 'read_api'): Promise<void> {
  await running.stop();
  running = runBridge(['start'], { ...bridge.env, GITLAB_OAUTH_SCOPES: scopes });
  await running.ready();
  await bridge.mattermost.waitForSocket();
}

async function openMergeRequest(iid: number, title: string): Promise<void> {
  expect(
    await sendFixture(bridge.publicUrl, 'hook-secret', 'merge_request.open.json', intoPublicProject(PROJECT), (payload: Json) => {
      Object.assign(payload.object_attributes, { iid, id: 30_000 + iid, title, detailed_merge_status: 'mergeable', url: `${bridge.gitlab.url}/${PROJECT.path}/-/merge_requests/${iid}` });
    }),
  ).toBe(202);
  await settled();
}

const settled = () => waitUntilSettled(bridge.pool);

function rootIn(pattern: RegExp): FakePost {
  const found = bridge.mattermost.posts.filter((post) => post.channel_id === dev.id && post.root_id === '' && pattern.test(post.message));
  if (found.length !== 1) throw new Error(`expected one root matching ${pattern}, found ${found.length}`);
  return found[0]!;
}

/** Every request that could change something at GitLab: anything but a read of its REST API (GraphQL queries and OAuth are not /api/v4). */
const writes = () => bridge.gitlab.requests.filter((request) => request.path.startsWith('/api/v4/') && request.method !== 'GET' && request.method !== 'HEAD');

describe('a read-only bridge (GITLAB_OAUTH_SCOPES=read_api)', () => {
  it('asks GitLab for read_api when someone connects; an earlier connection keeps its api token', async () => {
    expect(authorize.searchParams.get('scope')).toBe('read_api read_user');
    const { rows } = await bridge.pool.query('SELECT mattermost_user_id, scopes FROM gitlab_accounts ORDER BY gitlab_user_id');
    expect(rows).toEqual([
      { mattermost_user_id: alice, scopes: 'read_api read_user' },
      { mattermost_user_id: bob, scopes: 'api read_user' },
    ]);
  });

  it('delivers notifications and direct messages without buttons, and no thread claims replies go to GitLab', async () => {
    await openMergeRequest(2, 'After the switch');
    const after = rootIn(/After the switch/);
    expect(bridge.mattermost.buttonsOf(after.id)).toEqual([]);
    expect(after.message).not.toMatch(REPLIES_LINE);
    expect(
      await sendFixture(bridge.publicUrl, 'hook-secret', 'merge_request.update.reviewers.json', intoPublicProject(PROJECT), (payload: Json) => {
        Object.assign(payload.object_attributes, { iid: 2, title: 'After the switch' });
        payload.assignees = [];
      }),
    ).toBe(202);
    await settled();
    const [dm] = bridge.mattermost.directMessagesTo(alice).filter((post) => /requested your review/.test(post.message));
    expect(dm).toBeDefined();
    expect(bridge.mattermost.buttonsOf(dm!.id)).toEqual([]);
  }, 60_000);

  it('reads for both connections: to-dos, the webapp lists, issues and webhooks', async () => {
    bridge.gitlab.addMergeRequest(PROJECT.path, { iid: 3, title: 'Please review', authorId: BOB.id, reviewerIds: [ALICE.id], assigneeIds: [BOB.id] });
    expect(await bridge.command(alice, 'todo', dev.id)).toContain('Please review');
    expect(await bridge.command(bob, 'todo', dev.id)).toContain('Please review');
    expect(await bridge.command(bob, `issue show ${PROJECT.path}#1`, dev.id)).toContain('Broken login');
    expect(await bridge.command(alice, `issue search login --project ${PROJECT.path}`, dev.id)).toContain('Broken login');
    expect(await bridge.command(bob, `webhook list ${PROJECT.path}`, dev.id)).toMatch(/sends no webhooks to this bridge/);
    const list = await webappClient(bridge, 'alice')<Json>('GET', '/lists/reviews');
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.body)).toContain('Please review');
  }, 60_000);

  it('answers every command that writes with the admin’s choice, for any connection or none, and GitLab sees no write', async () => {
    const seen = writes().length;
    const commands: [string, string][] = [
      [`issue create ${PROJECT.path} A new issue`, 'create issues'],
      [`issue comment ${PROJECT.path}#1 hello`, 'comment on issues'],
      [`issue close ${PROJECT.path}#1`, 'close issues'],
      [`mr approve ${PROJECT.path}!1`, 'approve merge requests'],
      [`mr unapprove ${PROJECT.path}!1`, 'revoke approvals'],
      [`mr merge ${PROJECT.path}!1`, 'merge'],
      [`mr assign ${PROJECT.path}!1`, 'assign you'],
      [`mr review ${PROJECT.path}!1`, 'make you a reviewer'],
      [`pipeline run ${PROJECT.path} main`, 'run pipelines'],
      [`pipeline retry ${PROJECT.path} 5`, 'retry pipelines'],
      [`job retry ${PROJECT.path} 5`, 'retry jobs'],
      [`deployment approve ${PROJECT.path} 5`, 'approve deployments'],
      [`deployment reject ${PROJECT.path} 5`, 'reject deployments'],
      [`webhook add ${PROJECT.path}`, 'add webhooks'],
      [`webhook test ${PROJECT.path}`, 'send test events through webhooks'],
    ];
    for (const who of [alice, bob, carol]) {
      for (const [text, what] of commands) expect(`${text}: ${await bridge.command(who, text, dev.id)}`).toBe(`${text}: ${READ_ONLY}${what}. Do it in GitLab itself.`);
    }
    expect(writes().slice(seen)).toEqual([]);
    expect(bridge.gitlab.mergeRequest(PROJECT.path, 1).approvedBy).toEqual([]);
  }, 60_000);

  it('takes away buttons drawn before the switch when one is pressed, doing nothing', async () => {
    const seen = writes().length;
    const pressed = await bridge.mattermost.pressButton(before.id, 'Approve', bridge.sessions.bob!);
    expect(pressed.status).toBe(200);
    expect(pressed.ephemeral.map((shown) => shown.message)).toEqual([`${READ_ONLY}approve merge requests. Do it in GitLab itself.`]);
    expect(bridge.mattermost.buttonsOf(before.id)).toEqual([]);
    expect(writes().slice(seen)).toEqual([]);
  }, 30_000);

  it('keeps replies and reactions in Mattermost, and says so to the person once', async () => {
    const seen = writes().length;
    for (const message of ['First thought', 'Second thought']) {
      expect((await bridge.mattermost.postAs(bridge.sessions.alice!, { channelId: dev.id, rootId: before.id, message })).status).toBe(201);
    }
    expect((await bridge.mattermost.reactAs(bridge.sessions.bob!, before.id, '+1')).status).toBe(200);
    await waitFor(async () => (await bridge.pool.query("SELECT count(*)::int AS n FROM chat_replies WHERE state = 'skipped'")).rows[0].n === 2, 'both replies set aside', 20_000);
    await waitFor(async () => (await bridge.pool.query("SELECT count(*)::int AS n FROM chat_reactions WHERE state = 'skipped'")).rows[0].n === 1, 'the reaction set aside', 20_000);
    const told = bridge.mattermost.directMessagesTo(alice).filter((post) => post.message.includes('stays in Mattermost'));
    expect(told).toHaveLength(1);
    expect(told[0]!.message).toContain(`${READ_ONLY}post replies as GitLab comments.`);
    expect(bridge.gitlab.notesOf(PROJECT.path, 'merge_request', 1)).toEqual([]);
    expect(writes().slice(seen)).toEqual([]);
  }, 60_000);

  it('offers nothing that writes in the webapp, and refuses it when asked anyway', async () => {
    const seen = writes().length;
    const asAlice = webappClient(bridge, 'alice');
    const me = await asAlice<Json>('GET', '/me');
    expect(me.body.features).toEqual({ connect: true, createIssues: false, writes: false });
    const listed = await asAlice<Json>('GET', `/channels/${dev.id}/subscriptions`);
    expect(listed.body.canCreateWebhooks).toBe(false);
    const subscription = listed.body.subscriptions[0] as Json;
    const refused = [
      await asAlice<Json>('POST', '/todos/1/done'),
      await asAlice<Json>('POST', '/issues', { body: { postId: before.id, project: PROJECT.path, title: 'From a post' } }),
      await asAlice<Json>('POST', `/issues/${encodeURIComponent(`${PROJECT.path}#1`)}/notes`, { body: { postId: before.id } }),
      await asAlice<Json>('POST', `/channels/${dev.id}/subscriptions/${subscription.id}/webhook`),
    ];
    expect(refused.map((answer) => [answer.status, answer.body.code])).toEqual(Array(4).fill([403, 'read_only']));
    expect(refused[1]!.body.error).toBe(`${READ_ONLY}create issues. Do it in GitLab itself.`);
    expect(writes().slice(seen)).toEqual([]);
  }, 30_000);

  it('shows the scopes in use in `me` and `doctor`', async () => {
    const aliceMe = await bridge.command(alice, 'me', dev.id);
    expect(aliceMe).toContain('- Token: accepted by GitLab, scopes read_api, read_user');
    expect(aliceMe).toContain('- This bridge asks GitLab for read_api, read_user (GITLAB_OAUTH_SCOPES=read_api): read-only, the bridge never writes to GitLab');
    const bobMe = await bridge.command(bob, 'me', dev.id);
    expect(bobMe).toContain('- Token: accepted by GitLab, scopes api, read_user');
    expect(bobMe).toContain('- Your token was made with api before that: it keeps working, and the bridge only reads with it');

    const run = await runCommand(['doctor', '--json'], { ...bridge.env, GITLAB_OAUTH_SCOPES: 'read_api' });
    const scopes = (JSON.parse(run.stdout) as Json[]).find((check) => check.check === 'GitLab scopes');
    expect(scopes).toEqual({
      check: 'GitLab scopes',
      status: 'warn',
      detail:
        'asks for read_api, read_user (GITLAB_OAUTH_SCOPES=read_api): read-only, the bridge never writes to GitLab; 1 connection with api, read_user; 1 connection with read_api, read_user. Those with api (made before the switch) keep working, and the bridge only reads with them',
      fix: expect.stringContaining('/gitlab disconnect'),
    });
  }, 60_000);

  it('writes again once switched back to api, except with a token GitLab granted only read_api', async () => {
    await restart('api');
    expect(await bridge.command(alice, `mr approve ${PROJECT.path}!1`, dev.id)).toMatch(/^Your GitLab connection is read-only \(it was made with read_api, read_user\), so the bridge cannot approve merge requests for you\./);
    expect(bridge.gitlab.mergeRequest(PROJECT.path, 1).approvedBy).toEqual([]);
    expect(await bridge.command(bob, `mr assign ${PROJECT.path}!1`, dev.id)).toMatch(/^You are now assigned to/);
    expect(bridge.gitlab.mergeRequest(PROJECT.path, 1).assigneeIds).toEqual([BOB.id]);
    expect(await bridge.command(alice, 'me', dev.id)).toContain('**Your token is read-only**');
  }, 60_000);
});

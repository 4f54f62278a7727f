/**
 * Two replicas on one database: one listens to Mattermost, the other says who
 * does; when the listening replica is killed (SIGKILL: no goodbye, its database
 * session just ends), the other takes over within seconds and the
 * conversation goes on, nothing lost and nothing sent twice.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { FakeChannel, FakePost } from '../../fakes/fake-mattermost.js';
import { runBridge, type BridgeProcess } from '../../helpers/bridge-process.js';
import { startCommandBridge, type CommandBridge } from '../../helpers/command-bridge.js';
import { sendFixture } from '../../helpers/fixtures.js';
import { waitFor } from '../../helpers/wait-for.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const PROJECT = { id: 920, path: 'acme/failover' };
const ALICE = { id: 501, username: 'alice.gl', name: 'Alice' };

let bridge: CommandBridge;
let second: BridgeProcess;
let secondInternal: string;
let alice: string;
let channel: FakeChannel;

beforeAll(async () => {
  bridge = await startCommandBridge({ users: ['alice'], oauth: true, env: () => ({ MATTERMOST_WEBSOCKET_RETRY_MS: '200' }) });
  alice = bridge.users.alice!;
  const { gitlab, mattermost } = bridge;
  gitlab.addProject(PROJECT.path, { visibility: 'private', id: PROJECT.id });
  gitlab.grant((await bridge.connectGitLab(alice, ALICE)).token, PROJECT.path, 40);
  const botId = [...mattermost.users.values()].find((user) => user.is_bot)!.id;
  bridge.team.members.add(botId);
  channel = mattermost.addChannel('dev', { type: 'P', members: [alice, botId], teamId: bridge.team.id });
  expect(await bridge.command(alice, `subscriptions add ${PROJECT.path} --events mr,notes`, channel.id)).toMatch(/replies → GitLab/);
  await mattermost.waitForSocket();
  // A second replica of the same bridge: same database and settings, ports of its own.
  second = runBridge(['start'], { ...bridge.env, PORT: '0', INTERNAL_PORT: '0' });
  secondInternal = `http://127.0.0.1:${(await second.ready()).internalPort}`;
}, 180_000);

afterAll(async () => {
  await second?.stop();
  await bridge?.close();
});

async function streamOf(internalUrl: string): Promise<Json> {
  return ((await (await fetch(`${internalUrl}/readyz`)).json()) as Json).mattermostStream as Json;
}

async function reply(root: FakePost, message: string): Promise<FakePost> {
  const answer = await bridge.mattermost.postAs(bridge.sessions.alice!, { channelId: channel.id, rootId: root.id, message });
  expect(answer.status).toBe(201);
  return answer.post!;
}

async function commented(post: FakePost): Promise<void> {
  await waitFor(() => bridge.gitlab.notesOf(PROJECT.path, 'merge_request', 1).some((note) => note.body.includes(`/pl/${post.id})`)), `a comment for "${post.message}"`, 20_000);
}

it('one replica listens and the other says which; killing the listener hands the stream over with nothing lost or doubled', async () => {
  bridge.gitlab.addMergeRequest(PROJECT.path, { iid: 1, title: 'Survive a crash', authorId: ALICE.id });
  const status = await sendFixture(bridge.publicUrl, 'hook-secret', 'merge_request.open.json', (payload) => {
    Object.assign(payload.project, { id: PROJECT.id, path_with_namespace: PROJECT.path, web_url: `${bridge.gitlab.url}/${PROJECT.path}`, visibility_level: 0 });
    Object.assign(payload.object_attributes, { iid: 1, id: 30_001, title: 'Survive a crash', target_project_id: PROJECT.id });
  });
  expect(status).toBe(202);
  await waitFor(() => bridge.mattermost.posts.some((post) => post.channel_id === channel.id && /Survive a crash/.test(post.message)), 'the thread root');
  const root = bridge.mattermost.posts.find((post) => post.channel_id === channel.id && post.root_id === '' && /Survive a crash/.test(post.message))!;

  // The first replica took the lock at start; the second waits and reports the first's heartbeat.
  const replicas = [
    { process: bridge.bridge, internal: bridge.internalUrl },
    { process: second, internal: secondInternal },
  ];
  await waitFor(async () => (await streamOf(bridge.internalUrl)).state === 'connected', 'the first replica listening');
  const [leader, standby] = replicas;
  expect(await streamOf(leader!.internal)).toMatchObject({ state: 'connected', listener: 'this replica' });
  await waitFor(async () => (await streamOf(standby!.internal)).state === 'connected', 'the standby seeing the heartbeat');
  expect((await streamOf(standby!.internal)).listener).toMatch(/\(pid \d+\)$/);
  expect(bridge.mattermost.socketCount()).toBe(1);

  const before = await reply(root, 'Before the crash');
  await commented(before);

  leader!.process.child.kill('SIGKILL');
  await leader!.process.exited;
  const during = await reply(root, 'While nobody listened');
  await waitFor(async () => (await streamOf(standby!.internal)).listener === 'this replica', 'the standby taking over', 20_000);
  await commented(during);
  const after = await reply(root, 'After the takeover');
  await commented(after);

  const bodies = bridge.gitlab.notesOf(PROJECT.path, 'merge_request', 1).map((note) => note.body);
  for (const post of [before, during, after]) expect(bodies.filter((body) => body.includes(`/pl/${post.id})`))).toHaveLength(1);
  expect(bridge.mattermost.socketCount()).toBe(1);
});

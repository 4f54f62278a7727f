/**
 * Conversations both ways, end to end: a running bridge listens to the fake
 * Mattermost's WebSocket as the bot; people reply and react in the threads it
 * made (through Mattermost's REST API, as their clients do); the fake GitLab
 * shows the comments and award emoji made as them, and sends its Note and
 * Emoji Hooks back to the bridge, as GitLab does, through a project hook made
 * with `/gitlab webhook add`.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FakeChannel, FakePost } from '../../fakes/fake-mattermost.js';
import { runBridge, type BridgeProcess } from '../../helpers/bridge-process.js';
import { startCommandBridge, type CommandBridge } from '../../helpers/command-bridge.js';
import { intoPublicProject, sendFixture } from '../../helpers/fixtures.js';
import { waitFor, waitUntilSettled } from '../../helpers/wait-for.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const PROJECT = { id: 910, path: 'acme/talk' };
const ALICE = { id: 401, username: 'alice.gl', name: 'Alice' };
const BOB = { id: 402, username: 'bob.gl', name: 'Bob' };
const DAVE = { id: 404, username: 'dave.gl', name: 'Dave' };
const ZED = { id: 405, username: 'zed.gl', name: 'Zed' };

let bridge: CommandBridge;
/** The bridge now running (a restart replaces it). */
let running: BridgeProcess;
/** alice: Developer; bob: Maintainer; dave: connected, not a project member; erin: not connected; zed: turned replies off. */
let alice: string, bob: string, dave: string, erin: string, zed: string;
/** Mattermost session tokens, to act as each person through Mattermost's API. */
let as: Record<'alice' | 'bob' | 'dave' | 'erin' | 'zed', string>;
let dev: FakeChannel;
let ops: FakeChannel;
let pub: FakeChannel;

beforeAll(async () => {
  bridge = await startCommandBridge({
    users: ['alice', 'bob', 'dave', 'erin', 'zed'],
    oauth: true,
    env: () => ({ MATTERMOST_WEBSOCKET_RETRY_MS: '200' }),
  });
  running = bridge.bridge;
  ({ alice, bob, dave, erin, zed } = bridge.users as Record<string, string> as { alice: string; bob: string; dave: string; erin: string; zed: string });
  as = { alice: bridge.sessions.alice!, bob: bridge.sessions.bob!, dave: bridge.sessions.dave!, erin: bridge.sessions.erin!, zed: bridge.sessions.zed! };
  const { gitlab, mattermost } = bridge;
  gitlab.addProject(PROJECT.path, { visibility: 'public', id: PROJECT.id });
  const tokens = {
    alice: (await bridge.connectGitLab(alice, ALICE)).token,
    bob: (await bridge.connectGitLab(bob, BOB)).token,
    zed: (await bridge.connectGitLab(zed, ZED)).token,
  };
  await bridge.connectGitLab(dave, DAVE);
  gitlab.grant(tokens.alice, PROJECT.path, 30);
  gitlab.grant(tokens.bob, PROJECT.path, 40);
  gitlab.grant(tokens.zed, PROJECT.path, 30);
  const botId = [...mattermost.users.values()].find((user) => user.is_bot)!.id;
  // Mattermost adds a bot to the team of a channel it is added to.
  bridge.team.members.add(botId);
  dev = mattermost.addChannel('dev', { type: 'P', members: [alice, bob, dave, erin, zed, botId], admins: [alice], teamId: bridge.team.id });
  ops = mattermost.addChannel('ops', { type: 'P', members: [alice, bob, botId], teamId: bridge.team.id });
  pub = mattermost.addChannel('town', { type: 'O', members: [alice, bob, botId], teamId: bridge.team.id });
  expect(await bridge.command(alice, `subscriptions add ${PROJECT.path} --events mr,issues,notes,emoji --confidential`, dev.id)).toMatch(/replies → GitLab/);
  expect(await bridge.command(alice, `subscriptions add ${PROJECT.path} --events mr,notes,emoji`, ops.id)).toMatch(/replies → GitLab/);
  expect(await bridge.command(alice, `subscriptions add ${PROJECT.path} --events mr,notes`, pub.id)).not.toMatch(/replies → GitLab/);
  expect(await bridge.command(bob, `webhook add ${PROJECT.path}`, dev.id)).toMatch(/webhook/i);
  expect(await bridge.command(zed, 'settings replies off', dev.id)).toMatch(/not/);
  await mattermost.waitForSocket();
}, 180_000);

afterAll(async () => {
  if (running !== bridge?.bridge) await running?.stop();
  await bridge?.close();
});

// --- GitLab's side: the events that open threads ---

async function send(name: string, edit: (payload: Json) => void): Promise<void> {
  const atFakeGitLab = (payload: Json) => {
    payload.project.web_url = `${bridge.gitlab.url}/${PROJECT.path}`;
  };
  expect(await sendFixture(bridge.publicUrl, 'hook-secret', name, intoPublicProject(PROJECT), atFakeGitLab, edit)).toBe(202);
}

const settled = () => waitUntilSettled(bridge.pool);

/** An MR opened in GitLab: its thread root in `channel`. */
async function openMergeRequest(iid: number, channel: FakeChannel = dev): Promise<FakePost> {
  bridge.gitlab.addMergeRequest(PROJECT.path, { iid, title: `Talk about ${iid}`, authorId: BOB.id });
  await send('merge_request.open.json', (payload) => {
    payload.object_attributes.iid = iid;
    payload.object_attributes.id = 20_000 + iid;
    payload.object_attributes.title = `Talk about ${iid}`;
    payload.object_attributes.url = `${bridge.gitlab.url}/${PROJECT.path}/-/merge_requests/${iid}`;
  });
  await settled();
  return rootIn(channel, new RegExp(`Talk about ${iid}\\b`));
}

function rootIn(channel: FakeChannel, pattern: RegExp): FakePost {
  const found = bridge.mattermost.posts.filter((post) => post.channel_id === channel.id && post.root_id === '' && post.delete_at === 0 && pattern.test(post.message));
  if (found.length !== 1) throw new Error(`expected one root matching ${pattern} in ${channel.name}, found ${found.length}`);
  return found[0]!;
}

function repliesUnder(root: FakePost): FakePost[] {
  return bridge.mattermost.posts.filter((post) => post.root_id === root.id && post.delete_at === 0);
}

async function reply(who: keyof typeof as, root: FakePost, message: string, options: { fileIds?: string[] } = {}): Promise<FakePost> {
  const answer = await bridge.mattermost.postAs(as[who], { channelId: root.channel_id, rootId: root.id, message, ...options });
  expect(answer.status).toBe(201);
  return answer.post!;
}

const notesOnMr = (iid: number) => bridge.gitlab.notesOf(PROJECT.path, 'merge_request', iid);

async function commentFor(post: FakePost, iid: number, kind: 'merge_request' | 'issue' = 'merge_request') {
  let found: ReturnType<typeof notesOnMr>[number] | undefined;
  await waitFor(() => {
    found = bridge.gitlab.notesOf(PROJECT.path, kind, iid).find((note) => note.body.includes(`/pl/${post.id})`));
    return found !== undefined;
  }, `a GitLab comment for ${post.message}`, 15_000);
  return found!;
}

function directMessagesTo(userId: string): string[] {
  return bridge.mattermost.directMessagesTo(userId).map((post) => post.message);
}

describe('a reply in a bridge thread', () => {
  it('becomes a comment on the MR written as the person who replied, with mentions mapped and a link back', async () => {
    const root = await openMergeRequest(1);
    expect(root.message).toContain('go to GitLab as comments');
    const post = await reply('alice', root, 'Looks good, thanks @bob and @erin. Ping @channel?\n/merge');
    const note = await commentFor(post, 1);
    expect(note.authorId).toBe(ALICE.id);
    expect(note.internal).toBe(false);
    expect(note.body).toContain('thanks @bob.gl and `@erin`.');
    expect(note.body).toContain('`@channel`');
    // A chat line never runs a GitLab quick action.
    expect(note.body).toContain('\\/merge');
    expect(note.body).toMatch(new RegExp(`\\[Sent from Mattermost\\]\\(${bridge.mattermost.url}/${bridge.team.name}/pl/${post.id}\\)`));
  });

  it('links attached files to the Mattermost post instead of copying them', async () => {
    const root = await openMergeRequest(2);
    const file = bridge.mattermost.uploadFile(alice, dev.id, 'trace.log');
    const post = await reply('alice', root, 'Here is the trace', { fileIds: [file] });
    const note = await commentFor(post, 2);
    expect(note.body).toContain(`📎 [trace.log](${bridge.mattermost.url}/${bridge.team.name}/pl/${post.id})`);
  });

  it('is not posted back into its own thread when GitLab sends the comment as a Note Hook, but reaches other channels', async () => {
    const root = await openMergeRequest(3);
    const opsRoot = rootIn(ops, /Talk about 3\b/);
    const post = await reply('bob', root, 'Echo test from the dev channel');
    const note = await commentFor(post, 3);
    await bridge.gitlab.waitForHooks((delivery) => delivery.event === 'Note Hook' && JSON.stringify(delivery.payload).includes(`"id":${note.id}`));
    await settled();
    expect(repliesUnder(root).map((item) => item.message)).toEqual([post.message]);
    expect(repliesUnder(opsRoot).some((item) => item.message.includes('Echo test from the dev channel'))).toBe(true);
  });

  it('sends no DM about the comment to people of the channel it was written in (they saw it), and DMs others without the footer', async () => {
    for (const [iid, author] of [
      [15, ZED],
      [16, BOB],
    ] as const) {
      bridge.gitlab.addMergeRequest(PROJECT.path, { iid, title: `Authored ${iid}`, authorId: author.id });
      await send('merge_request.open.json', (payload) => {
        payload.object_attributes.iid = iid;
        payload.object_attributes.id = 20_000 + iid;
        payload.object_attributes.title = `Authored ${iid}`;
        payload.object_attributes.author_id = author.id;
        payload.object_attributes.url = `${bridge.gitlab.url}/${PROJECT.path}/-/merge_requests/${iid}`;
      });
    }
    await settled();
    const [zedBefore, bobBefore] = [directMessagesTo(zed).length, directMessagesTo(bob).length];
    // In ops: bob is a member, zed is not.
    const toZed = await reply('alice', rootIn(ops, /Authored 15\b/), 'Zed, this is for you');
    const toBob = await reply('alice', rootIn(ops, /Authored 16\b/), 'Bob, you saw this here');
    await commentFor(toZed, 15);
    await commentFor(toBob, 16);
    await bridge.gitlab.waitForHooks((delivery) => delivery.event === 'Note Hook' && JSON.stringify(delivery.payload).includes('you saw this here'));
    await waitFor(() => directMessagesTo(zed).length > zedBefore, 'the DM to zed');
    await settled();
    const zedNew = directMessagesTo(zed).slice(zedBefore).join('\n');
    expect(zedNew).toContain('Zed, this is for you');
    expect(zedNew).not.toMatch(/Sent from Mattermost|\/pl\//);
    expect(directMessagesTo(bob).slice(bobBefore).some((message) => message.includes('you saw this here'))).toBe(false);
  });

  it('is recognised as the bridge’s own even when the Note Hook arrives before GitLab answers the bridge', async () => {
    const root = await openMergeRequest(4);
    bridge.gitlab.setHookTiming('before-answer', 300);
    try {
      const post = await reply('alice', root, 'Racing the hook');
      await commentFor(post, 4);
      await bridge.gitlab.waitForHooks((delivery) => delivery.event === 'Note Hook' && JSON.stringify(delivery.payload).includes('Racing the hook'));
      await settled();
      expect(repliesUnder(root).map((item) => item.message)).toEqual([post.message]);
    } finally {
      bridge.gitlab.setHookTiming('after-answer');
    }
  });

  it('from someone not connected is not sent; the bot tells them once, by DM, how to connect', async () => {
    const root = await openMergeRequest(5);
    const before = notesOnMr(5).length;
    await reply('erin', root, 'I have not connected');
    await waitFor(() => directMessagesTo(erin).some((message) => /connect/i.test(message)), 'a DM to erin');
    const told = directMessagesTo(erin).filter((message) => /was not posted to GitLab/.test(message));
    expect(told).toHaveLength(1);
    expect(told[0]).toMatch(/\/oauth\/connect\?link=/);
    await reply('erin', root, 'Still not connected');
    await settled();
    expect(directMessagesTo(erin).filter((message) => /was not posted to GitLab/.test(message))).toHaveLength(1);
    expect(notesOnMr(5)).toHaveLength(before);
  });

  it('that GitLab refuses (locked discussion, not a member) is answered by DM with the reason', async () => {
    const root = await openMergeRequest(6);
    bridge.gitlab.lockDiscussion(PROJECT.path, 'merge_request', 6);
    await reply('dave', root, 'Can I say something?');
    await waitFor(() => directMessagesTo(dave).some((message) => /was not posted to GitLab/.test(message)), 'a DM to dave');
    expect(directMessagesTo(dave).join('\n')).toMatch(/may not comment there/);
    expect(notesOnMr(6).some((note) => note.body.includes('Can I say something'))).toBe(false);
  });

  it('is not sent where the channel did not turn replies on (a public channel by default) nor by someone who turned theirs off', async () => {
    await openMergeRequest(7);
    const pubRoot = rootIn(pub, /Talk about 7\b/);
    expect(pubRoot.message).not.toContain('go to GitLab');
    const devRoot = rootIn(dev, /Talk about 7\b/);
    await reply('alice', pubRoot, 'Said in the public channel');
    await reply('zed', devRoot, 'Zed keeps this in chat');
    const marker = await reply('alice', devRoot, 'Marker after the others');
    await commentFor(marker, 7);
    await settled();
    const bodies = notesOnMr(7).map((note) => note.body);
    expect(bodies.some((body) => body.includes('Said in the public channel'))).toBe(false);
    expect(bodies.some((body) => body.includes('Zed keeps this in chat'))).toBe(false);
  });
});

describe('a thread opened by a forged webhook', () => {
  it('that names another project’s id under a followed path gets no comment there, and the replier is told', async () => {
    // Someone holding the webhook secret names their own public project's id under acme/talk's path.
    bridge.gitlab.addProject('mallory/inbox', { visibility: 'public', id: 999 });
    bridge.gitlab.addMergeRequest('mallory/inbox', { iid: 50, title: 'Collect replies', authorId: BOB.id });
    await send('merge_request.open.json', (payload) => {
      payload.project.id = 999;
      payload.object_attributes.iid = 50;
      payload.object_attributes.id = 20_050;
      payload.object_attributes.title = 'Collect replies';
      payload.object_attributes.target_project_id = 999;
    });
    await settled();
    const root = rootIn(dev, /Collect replies/);
    await reply('alice', root, 'Our release plan is …');
    await waitFor(() => directMessagesTo(alice).some((message) => /did not show your account the project/.test(message)), 'a DM to alice');
    expect(bridge.gitlab.notesOf('mallory/inbox', 'merge_request', 50)).toEqual([]);
  });
});

describe('editing and deleting a reply', () => {
  it('within 15 minutes edits the comment; deleting the reply deletes the comment', async () => {
    const root = await openMergeRequest(8);
    const post = await reply('alice', root, 'First words');
    const note = await commentFor(post, 8);
    expect((await bridge.mattermost.editAs(as.alice, post.id, 'Better words')).status).toBe(200);
    await waitFor(() => notesOnMr(8).find((item) => item.id === note.id)?.body.includes('Better words') === true, 'the comment edited');
    expect((await bridge.mattermost.deleteAs(as.alice, post.id)).status).toBe(200);
    await waitFor(() => !notesOnMr(8).some((item) => item.id === note.id), 'the comment deleted');
  });

  it('later than 15 minutes after it was written leaves the comment as it was', async () => {
    const root = await openMergeRequest(9);
    const post = await reply('alice', root, 'Old words');
    const note = await commentFor(post, 9);
    bridge.mattermost.clock.offsetMs = 16 * 60_000;
    try {
      expect((await bridge.mattermost.editAs(as.alice, post.id, 'Rewritten much later')).status).toBe(200);
      const marker = await reply('alice', root, 'Marker after the late edit');
      await commentFor(marker, 9);
      await settled();
      expect(notesOnMr(9).find((item) => item.id === note.id)?.body).toContain('Old words');
    } finally {
      bridge.mattermost.clock.offsetMs = 0;
    }
  });
});

describe('confidential issues and internal notes', () => {
  it('a reply in a confidential issue’s thread becomes a comment on that issue', async () => {
    bridge.gitlab.addIssue(PROJECT.path, { iid: 30, title: 'Secret leak', authorId: BOB.id, confidential: true });
    await send('issue.open.json', (payload) => {
      payload.object_attributes.iid = 30;
      payload.object_attributes.id = 30_030;
      payload.object_attributes.title = 'Secret leak';
      payload.object_attributes.confidential = true;
      payload.object_attributes.url = `${bridge.gitlab.url}/${PROJECT.path}/-/issues/30`;
    });
    await settled();
    const root = rootIn(dev, /Secret leak/);
    const post = await reply('alice', root, 'Rotating the keys now');
    const note = await commentFor(post, 30, 'issue');
    expect(note.authorId).toBe(ALICE.id);
    expect(bridge.gitlab.notesOf(PROJECT.path, 'merge_request', 1).some((item) => item.body.includes('Rotating the keys'))).toBe(false);
  });

  it('an internal note starts a thread of its own, and a reply there becomes an internal note in that discussion', async () => {
    const mrRoot = await openMergeRequest(10);
    const internal = bridge.gitlab.addNote(PROJECT.path, { targetType: 'MergeRequest', targetIid: 10, authorId: BOB.id, body: 'Internal: the customer is Acme', internal: true });
    await bridge.gitlab.waitForHooks((delivery) => delivery.event === 'Confidential Note Hook' && JSON.stringify(delivery.payload).includes('the customer is Acme'));
    await settled();
    const internalRoot = rootIn(dev, /the customer is Acme/);
    expect(internalRoot.id).not.toBe(mrRoot.id);
    expect(internalRoot.message).toContain('as internal notes');
    expect(repliesUnder(mrRoot).some((item) => item.message.includes('the customer is Acme'))).toBe(false);
    const post = await reply('alice', internalRoot, 'Noted, keep it quiet');
    const note = await commentFor(post, 10);
    expect(note.internal).toBe(true);
    expect(note.discussionId).toBe(internal.discussionId);
    // The public MR thread still makes public comments.
    const open = await reply('alice', mrRoot, 'A public word');
    expect((await commentFor(open, 10)).internal).toBe(false);
  });
});

describe('reactions on a thread’s root', () => {
  it('become the person’s award emoji (names mapped), are taken back with the reaction, and their Emoji Hook is not posted back', async () => {
    const root = await openMergeRequest(11);
    expect((await bridge.mattermost.reactAs(as.alice, root.id, '+1')).status).toBe(200);
    await waitFor(() => bridge.gitlab.awardsOf(PROJECT.path, 'merge_request', 11).some((award) => award.name === 'thumbsup' && award.user === ALICE.username), 'the award');
    await bridge.gitlab.waitForHooks((delivery) => delivery.event === 'Emoji Hook' && JSON.stringify(delivery.payload).includes('thumbsup'));
    await settled();
    expect(repliesUnder(root)).toEqual([]);
    expect(repliesUnder(rootIn(ops, /Talk about 11\b/)).some((item) => /thumbsup|👍/.test(item.message))).toBe(true);
    expect((await bridge.mattermost.unreactAs(as.alice, root.id, '+1')).status).toBe(200);
    await waitFor(() => bridge.gitlab.awardsOf(PROJECT.path, 'merge_request', 11).length === 0, 'the award taken back');
  });

  it('an award made in GitLab is still posted in the thread', async () => {
    const root = await openMergeRequest(12);
    bridge.gitlab.addAward(PROJECT.path, 'merge_request', 12, { name: 'rocket', userId: BOB.id });
    await waitFor(() => repliesUnder(root).some((item) => /rocket|🚀/.test(item.message)), 'the award posted');
  });
});

describe('gaps in the stream', () => {
  it('a dropped socket loses no reply, edit or reaction, and sends none twice', async () => {
    const root = await openMergeRequest(13);
    const early = await reply('alice', root, 'Before the drop');
    await commentFor(early, 13);
    bridge.mattermost.refuseSockets(true);
    bridge.mattermost.dropSockets({ restart: true });
    const first = await reply('alice', root, 'During the gap, one');
    const second = await reply('bob', root, 'During the gap, two');
    expect((await bridge.mattermost.editAs(as.alice, first.id, 'During the gap, one (edited)')).status).toBe(200);
    expect((await bridge.mattermost.reactAs(as.bob, root.id, 'tada')).status).toBe(200);
    bridge.mattermost.refuseSockets(false);
    await commentFor(second, 13);
    const firstNote = await commentFor(first, 13);
    await waitFor(() => bridge.gitlab.awardsOf(PROJECT.path, 'merge_request', 13).some((award) => award.name === 'tada' && award.user === BOB.username), 'the award');
    await settled();
    expect(firstNote.body).toContain('(edited)');
    const bodies = notesOnMr(13).map((note) => note.body);
    for (const post of [early, first, second]) expect(bodies.filter((body) => body.includes(`/pl/${post.id})`))).toHaveLength(1);
  });

  it('a restart in the middle of a conversation loses no reply and sends none twice', async () => {
    const root = await openMergeRequest(14);
    const before = await reply('alice', root, 'Before the restart');
    await commentFor(before, 14);
    await running.stop();
    const during = await reply('bob', root, 'While the bridge was down');
    running = runBridge(['start'], bridge.env);
    await running.ready();
    await commentFor(during, 14);
    const after = await reply('alice', root, 'After the restart');
    await commentFor(after, 14);
    await settled();
    const bodies = notesOnMr(14).map((note) => note.body);
    for (const post of [before, during, after]) expect(bodies.filter((body) => body.includes(`/pl/${post.id})`))).toHaveLength(1);
  });
});

describe('code links', () => {
  it('in a channel that opted in, get a reply in thread with the lines, read as the poster; elsewhere none', async () => {
    const sha = bridge.gitlab.addFile(PROJECT.path, 'src/retry.ts', ['export function retry() {', '  return 3;', '}', '// end'].join('\n'));
    const link = `${bridge.gitlab.url}/${PROJECT.path}/-/blob/main/src/retry.ts#L1-3`;
    expect(await bridge.command(bob, 'settings channel --code-previews on', dev.id)).toMatch(/admin/i);
    expect(await bridge.command(alice, 'settings channel --code-previews on', dev.id)).toMatch(/code/i);
    const inOps = await bridge.mattermost.postAs(as.alice, { channelId: ops.id, message: `Not here: ${link}` });
    const asked = await bridge.mattermost.postAs(as.bob, { channelId: dev.id, message: `Look at ${link}` });
    await waitFor(() => bridge.mattermost.posts.some((post) => post.root_id === asked.post!.id), 'the preview reply');
    const preview = bridge.mattermost.posts.find((post) => post.root_id === asked.post!.id)!;
    expect(preview.message).toContain('export function retry() {');
    expect(preview.message).not.toContain('// end');
    expect(preview.message).toContain(`/-/blob/${sha}/src/retry.ts#L1-3`);
    await settled();
    expect(bridge.mattermost.posts.some((post) => post.root_id === inOps.post!.id)).toBe(false);
  });
});

describe('what the bridge reports', () => {
  it('/readyz says who listens; /metrics counts events and comments', async () => {
    const ready = (await (await fetch(`${bridge.internalUrl}/readyz`)).json()) as Json;
    expect(ready.mattermostStream).toMatchObject({ state: 'connected', listener: 'this replica' });
    const metrics = await (await fetch(`${bridge.internalUrl}/metrics`)).text();
    expect(metrics).toMatch(/gitlab_bridge_mattermost_events_total\{event="posted"\} [1-9]/);
    expect(metrics).toMatch(/gitlab_bridge_conversations_total\{kind="reply",outcome="sent"\} [1-9]/);
    expect(metrics).toMatch(/gitlab_bridge_mattermost_stream_up 1/);
  });
});

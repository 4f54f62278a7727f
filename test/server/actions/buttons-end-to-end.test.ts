/**
 * Buttons end to end: GitLab webhooks into a running bridge make posts with
 * buttons in the fake Mattermost; people press them there (Mattermost relays
 * the press to INTERNAL_URL/mattermost/action as it does), fill in dialogs,
 * and the fake GitLab shows what happened, done as the presser. Refusals are
 * also sent straight to the internal listener, as Mattermost would send them,
 * with contexts signed here with the bridge's key (or not).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ActionTarget } from '../../../server/src/actions/button-spec.js';
import type { ActionName } from '../../../server/src/actions/buttons.js';
import type { ButtonClaims } from '../../../server/src/actions/render-buttons.js';
import { toEncryptionKey } from '../../../server/src/crypto/secret-box.js';
import { createSigner } from '../../../server/src/crypto/signed-claims.js';
import type { FakeChannel, FakePost } from '../../fakes/fake-mattermost.js';
import { startCommandBridge, type CommandBridge } from '../../helpers/command-bridge.js';
import { sendFixture } from '../../helpers/fixtures.js';
import { waitFor } from '../../helpers/wait-for.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The command bridge's ENCRYPTION_KEY (test/helpers/command-bridge.ts). */
const signer = createSigner([toEncryptionKey(Buffer.from('cd'.repeat(32), 'hex'))]);
const foreignSigner = createSigner([toEncryptionKey(Buffer.alloc(32, 1))]);

const PROJECT = { id: 900, path: 'acme/app' };
const ALICE = { id: 301, username: 'alice.gl', name: 'Alice' };
const BOB = { id: 302, username: 'bob.gl', name: 'Bob' };
const CAROL = { id: 303, username: 'carol.gl', name: 'Carol' };
const DAVE = { id: 304, username: 'dave.gl', name: 'Dave' };

let bridge: CommandBridge;
/** alice: Developer; bob: Maintainer; carol: Guest; dave: Developer, not in the channel; erin: not connected. */
let alice: string, bob: string, carol: string, dave: string, erin: string;
let channel: FakeChannel;
let otherChannel: FakeChannel;
let botId: string;
let pipelineFailed: number;
let pipelineRunning: number;
let jobFailed: number;
let jobRunning: number;
let deploymentBlocked: number;
let deploymentBlocked2: number;

beforeAll(async () => {
  bridge = await startCommandBridge({ users: ['alice', 'bob', 'carol', 'dave', 'erin'], oauth: true });
  ({ alice, bob, carol, dave, erin } = bridge.users as { alice: string; bob: string; carol: string; dave: string; erin: string });
  const { gitlab, mattermost } = bridge;
  gitlab.addProject(PROJECT.path, { visibility: 'private', id: PROJECT.id });
  const tokens = {
    alice: (await bridge.connectGitLab(alice, ALICE)).token,
    bob: (await bridge.connectGitLab(bob, BOB)).token,
    carol: (await bridge.connectGitLab(carol, CAROL)).token,
    dave: (await bridge.connectGitLab(dave, DAVE)).token,
  };
  gitlab.grant(tokens.alice, PROJECT.path, 30);
  gitlab.grant(tokens.bob, PROJECT.path, 40);
  gitlab.grant(tokens.carol, PROJECT.path, 10);
  gitlab.grant(tokens.dave, PROJECT.path, 30);
  botId = [...mattermost.users.values()].find((user) => user.is_bot)!.id;
  channel = mattermost.addChannel('dev', { type: 'P', members: [alice, bob, carol, erin, botId], teamId: bridge.team.id });
  otherChannel = mattermost.addChannel('ops', { type: 'P', members: [alice, bob, dave, botId], teamId: bridge.team.id });
  const answer = await bridge.command(alice, `subscriptions add ${PROJECT.path} --events mr,issues,pipelines,jobs,deployments --pipelines failed,running`, channel.id);
  expect(answer).toMatch(/subscribed/i);
  await bridge.command(alice, `subscriptions add ${PROJECT.path} --events issues`, otherChannel.id);

  gitlab.addMergeRequest(PROJECT.path, { iid: 7, title: 'Add buttons', authorId: BOB.id });
  gitlab.addMergeRequest(PROJECT.path, { iid: 8, title: 'Wait for the pipeline', authorId: BOB.id });
  gitlab.addMergeRequest(PROJECT.path, { iid: 9, title: 'Merged elsewhere', authorId: BOB.id });
  gitlab.addMergeRequest(PROJECT.path, { iid: 10, title: 'In conflict', authorId: BOB.id, conflicts: true });
  gitlab.addIssue(PROJECT.path, { iid: 5, title: 'Buttons are missing', authorId: BOB.id });
  gitlab.addIssue(PROJECT.path, { iid: 6, title: 'Closed already', authorId: BOB.id, state: 'closed' });
  pipelineFailed = gitlab.addPipeline(PROJECT.path, { status: 'failed', userId: BOB.id, ref: 'main' }).id;
  gitlab.addJob(PROJECT.path, { pipelineId: pipelineFailed, name: 'test', status: 'failed' });
  pipelineRunning = gitlab.addPipeline(PROJECT.path, { status: 'running', userId: BOB.id, ref: 'main' }).id;
  gitlab.addJob(PROJECT.path, { pipelineId: pipelineRunning, name: 'build', status: 'running' });
  const jobsPipeline = gitlab.addPipeline(PROJECT.path, { status: 'failed', userId: BOB.id, ref: 'main' }).id;
  jobFailed = gitlab.addJob(PROJECT.path, { pipelineId: jobsPipeline, name: 'lint', status: 'failed' }).id;
  jobRunning = gitlab.addJob(PROJECT.path, { pipelineId: jobsPipeline, name: 'deploy', status: 'running' }).id;
  gitlab.addProtectedEnvironment(PROJECT.path, { name: 'production', approvalRules: [{ accessLevel: 30 }] });
  deploymentBlocked = gitlab.addDeployment(PROJECT.path, { environment: 'production', status: 'blocked', userId: BOB.id }).id;
  deploymentBlocked2 = gitlab.addDeployment(PROJECT.path, { environment: 'production', status: 'blocked', userId: BOB.id }).id;
}, 180_000);

afterAll(async () => {
  await bridge?.close();
});

// --- sending webhooks and finding posts ---

function intoProject(payload: Json): void {
  payload.project.id = PROJECT.id;
  payload.project.path_with_namespace = PROJECT.path;
  payload.project.web_url = `${bridge.gitlab.url}/${PROJECT.path}`;
  payload.project.visibility_level = 0;
  payload.project.default_branch = 'main';
  if (payload.object_attributes?.target_project_id !== undefined) payload.object_attributes.target_project_id = PROJECT.id;
  if (payload.project_id !== undefined) payload.project_id = PROJECT.id;
}

async function send(name: string, edit: (payload: Json) => void): Promise<void> {
  expect(await sendFixture(bridge.publicUrl, 'hook-secret', name, intoProject, edit)).toBe(202);
}

async function settled(): Promise<void> {
  await waitFor(async () => {
    const { rows } = await bridge.pool.query<{ busy: string }>(
      `SELECT (SELECT count(*) FROM webhook_deliveries WHERE processed_at IS NULL) + (SELECT count(*) FROM channel_outbox WHERE state = 'pending')
            + (SELECT count(*) FROM direct_outbox WHERE state = 'pending') AS busy`,
    );
    return rows[0]!.busy === '0';
  }, 'webhooks processed and posts made');
}

function rootPost(pattern: RegExp, where: FakeChannel = channel): FakePost {
  const found = bridge.mattermost.posts.filter((post) => post.channel_id === where.id && post.root_id === '' && pattern.test(post.message));
  if (found.length !== 1) {
    const seen = bridge.mattermost.posts.filter((post) => post.channel_id === where.id && post.root_id === '').map((post) => post.message.split('\n')[0]);
    throw new Error(`expected one post matching ${pattern}, found ${found.length} among:\n${seen.join('\n')}`);
  }
  return found[0]!;
}

function mergeRequestOpened(iid: number, detailed = 'mergeable'): (payload: Json) => void {
  return (payload) => {
    payload.object_attributes.iid = iid;
    // The global id names the event (its key), as in GitLab each merge request has its own.
    payload.object_attributes.id = 10_000 + iid;
    payload.object_attributes.title = `MR ${iid}`;
    payload.object_attributes.detailed_merge_status = detailed;
    payload.object_attributes.author_id = BOB.id;
  };
}

// --- pressing ---

const sessionOf = (userId: string) => bridge.sessions[bridge.mattermost.users.get(userId)!.username]!;

async function press(post: FakePost, label: string, userId: string): Promise<{ status: number; text: string }> {
  const result = await bridge.mattermost.pressButton(post.id, label, sessionOf(userId));
  return { status: result.status, text: result.ephemeral.map((ephemeral) => ephemeral.message).join('\n') };
}

/** A press sent to the internal listener as Mattermost sends one (PostActionIntegrationRequest). */
async function pressDirectly(userId: string, where: FakeChannel, postId: string, claims: unknown, triggerId?: string): Promise<string> {
  const response = await fetch(`${bridge.internalUrl}/mattermost/action`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({
      user_id: userId,
      user_name: bridge.mattermost.users.get(userId)!.username,
      channel_id: where.id,
      channel_name: where.name,
      team_id: bridge.team.id,
      team_domain: bridge.team.name,
      post_id: postId,
      trigger_id: triggerId ?? '',
      type: 'button',
      data_source: '',
      context: { claims },
    }),
  });
  expect(response.status).toBe(200);
  const answer = (await response.json()) as { ephemeral_text?: string; update?: unknown };
  // The post is redrawn by the bot, never in the answer: no signed context goes back to the caller.
  expect(answer.update).toBeUndefined();
  expect(JSON.stringify(answer)).not.toMatch(/claims|integration/);
  return answer.ephemeral_text ?? '';
}

const sign = (claims: ButtonClaims, expiresAt = Date.now() + 3_600_000) => signer.sign('button', claims, expiresAt);
/** Changes GitLab made for someone: API writes it accepted. */
const writesToGitLab = () => bridge.gitlab.requests.filter((request) => request.method !== 'GET' && request.path.startsWith('/api/v4/') && (request.status ?? 500) < 300).length;
const requestsTo = (method: string, path: RegExp) => bridge.gitlab.requests.filter((request) => request.method === method && path.test(request.path) && (request.status ?? 0) < 300);

async function auditRows(action: string, actor: string): Promise<{ target: string; details: Json }[]> {
  const { rows } = await bridge.pool.query<{ target: string; details: Json }>('SELECT target, details FROM audit_log WHERE action = $1 AND actor = $2 ORDER BY id', [action, actor]);
  return rows;
}

/** Opens the dialog a button opens and answers it as `userId`. */
async function pressAndSubmit(post: FakePost, label: string, userId: string, submission: Record<string, unknown>): Promise<{ status: number; body: Json }> {
  const before = bridge.mattermost.openDialogs.length;
  const pressed = await press(post, label, userId);
  expect(pressed).toEqual({ status: 200, text: '' });
  const dialog = bridge.mattermost.openDialogs[before];
  expect(dialog?.userId).toBe(userId);
  const submitted = await bridge.mattermost.submitDialog(sessionOf(userId), dialog!, submission, { channelId: post.channel_id, teamId: bridge.team.id });
  return { status: submitted.status, body: submitted.body as Json };
}

// --- the objects every button acts on ---

const TARGETS: [ActionName, () => ActionTarget][] = [
  ['approve', () => ({ kind: 'merge_request', project: PROJECT.id, iid: 7 })],
  ['unapprove', () => ({ kind: 'merge_request', project: PROJECT.id, iid: 7 })],
  ['merge', () => ({ kind: 'merge_request', project: PROJECT.id, iid: 7 })],
  ['automerge', () => ({ kind: 'merge_request', project: PROJECT.id, iid: 8 })],
  ['assignme', () => ({ kind: 'merge_request', project: PROJECT.id, iid: 7 })],
  ['review', () => ({ kind: 'merge_request', project: PROJECT.id, iid: 7 })],
  ['comment', () => ({ kind: 'merge_request', project: PROJECT.id, iid: 7 })],
  ['close', () => ({ kind: 'issue', project: PROJECT.id, iid: 5 })],
  ['reopen', () => ({ kind: 'issue', project: PROJECT.id, iid: 6 })],
  ['retrypipeline', () => ({ kind: 'pipeline', project: PROJECT.id, id: pipelineFailed })],
  ['cancelpipeline', () => ({ kind: 'pipeline', project: PROJECT.id, id: pipelineRunning })],
  ['retryjob', () => ({ kind: 'job', project: PROJECT.id, id: jobFailed })],
  ['canceljob', () => ({ kind: 'job', project: PROJECT.id, id: jobRunning })],
  ['approvedeployment', () => ({ kind: 'deployment', project: PROJECT.id, id: deploymentBlocked })],
  ['rejectdeployment', () => ({ kind: 'deployment', project: PROJECT.id, id: deploymentBlocked })],
];

describe('posts get buttons for what can be done', () => {
  it('a merge request opened: its thread root carries Approve, Merge, Assign me, Review and Comment', async () => {
    await send('merge_request.open.json', mergeRequestOpened(7));
    await send('merge_request.open.json', mergeRequestOpened(8, 'ci_still_running'));
    await send('merge_request.open.json', mergeRequestOpened(10, 'conflict'));
    await send('issue.open.json', (payload) => {
      payload.object_attributes.iid = 5;
      payload.object_attributes.title = 'Buttons are missing';
    });
    await settled();
    expect(bridge.mattermost.buttonsOf(rootPost(/MR 7/).id)).toEqual(['Approve', 'Merge', 'Assign me', 'Review', 'Comment']);
    expect(bridge.mattermost.buttonsOf(rootPost(/MR 8/).id)).toEqual(['Approve', 'Merge when pipeline succeeds', 'Assign me', 'Review', 'Comment']);
    // GitLab says it cannot be merged: no Merge button.
    expect(bridge.mattermost.buttonsOf(rootPost(/MR 10/).id)).toEqual(['Approve', 'Assign me', 'Review', 'Comment']);
    expect(bridge.mattermost.buttonsOf(rootPost(/Buttons are missing/).id)).toEqual(['Assign me', 'Close', 'Comment']);
    // The channel following only issues gets the issue with its buttons too.
    expect(bridge.mattermost.buttonsOf(rootPost(/Buttons are missing/, otherChannel).id)).toEqual(['Assign me', 'Close', 'Comment']);
  });

  it('failed and running pipelines and jobs, and a deployment waiting for approval, get theirs', async () => {
    await send('pipeline.failed.json', (payload) => {
      payload.object_attributes.id = pipelineFailed;
      payload.object_attributes.ref = 'main';
      payload.merge_request = null;
    });
    await send('pipeline.running.json', (payload) => {
      payload.object_attributes.id = pipelineRunning;
      payload.object_attributes.ref = 'main';
      payload.merge_request = null;
    });
    await send('job.failed.json', (payload) => {
      payload.build_id = jobFailed;
      payload.build_name = 'lint';
    });
    await send('job.created.json', (payload) => {
      payload.build_id = jobRunning;
      payload.build_name = 'deploy';
      payload.build_status = 'running';
    });
    for (const [id, environment] of [
      [deploymentBlocked, 'production'],
      [deploymentBlocked2, 'production'],
    ] as const) {
      await send('deployment.running.json', (payload) => {
        payload.status = 'blocked';
        payload.deployment_id = id;
        payload.environment = environment;
        payload.status_changed_at = new Date(Date.now() + id).toISOString();
      });
    }
    await settled();
    expect(bridge.mattermost.buttonsOf(rootPost(new RegExp(`pipeline.*#${pipelineFailed}\\b.*failed|failed.*#${pipelineFailed}\\b`, 'i')).id)).toEqual(['Retry failed jobs']);
    expect(bridge.mattermost.buttonsOf(rootPost(new RegExp(`#${pipelineRunning}\\b`)).id)).toEqual(['Cancel']);
    expect(bridge.mattermost.buttonsOf(rootPost(/lint/).id)).toEqual(['Retry job']);
    expect(bridge.mattermost.buttonsOf(rootPost(/deploy\b.*running|running.*deploy\b/i).id)).toEqual(['Cancel']);
    const deployments = bridge.mattermost.posts.filter((post) => post.channel_id === channel.id && /production/.test(post.message) && post.root_id === '');
    expect(deployments).toHaveLength(2);
    for (const post of deployments) expect(bridge.mattermost.buttonsOf(post.id)).toEqual(['Approve', 'Reject']);
    const attachment = (deployments[0]!.props.attachments as Json[])[0]!;
    // Who may approve, from the deployment's approval summary, read as the subscriber (Alice).
    expect(attachment.text).toBe('Waiting for approval to deploy to **production** · may approve: Developers + Maintainers (1)');
  });
});

describe.each(TARGETS)('the %s button refuses', (action, target) => {
  const claims = (overrides: Partial<ButtonClaims> = {}): ButtonClaims => ({ action, target: target(), channel: channel.id, audience: 'channel', ...overrides });
  const anyBotPost = () => bridge.mattermost.posts.find((post) => post.channel_id === channel.id && post.user_id === botId && post.root_id === '')!;

  it('a context it did not sign, or one changed after signing, and does nothing', async () => {
    const writes = writesToGitLab();
    const audited = (await auditRows('gitlab.button_refused', alice)).length;
    expect(await pressDirectly(alice, channel, anyBotPost().id, foreignSigner.sign('button', claims(), Date.now() + 60_000))).toMatch(/not made by the GitLab bridge/);
    const genuine = sign(claims());
    const [body, signature] = genuine.split('.');
    const changed = Buffer.from(JSON.stringify({ c: claims({ action: 'merge' }), exp: Date.now() + 60_000 })).toString('base64url');
    expect(await pressDirectly(alice, channel, anyBotPost().id, `${changed}.${signature}`)).toMatch(/not made by the GitLab bridge/);
    expect(await pressDirectly(alice, channel, anyBotPost().id, `${body}.${signature!.slice(1)}x`)).toMatch(/not made by the GitLab bridge/);
    expect(await pressDirectly(alice, channel, anyBotPost().id, { claims: genuine })).toMatch(/not made by the GitLab bridge/);
    expect(writesToGitLab()).toBe(writes);
    // Anyone who reaches the listener can send these: logged, never a row each.
    expect((await auditRows('gitlab.button_refused', alice)).length).toBe(audited);
  });

  it('an expired context: nothing is done and the buttons are drawn fresh', async () => {
    const writes = writesToGitLab();
    const post = anyBotPost();
    const text = await pressDirectly(alice, channel, post.id, sign(claims(), Date.now() - 1000));
    expect(text).toMatch(/expired/);
    expect(writesToGitLab()).toBe(writes);
  });

  it("a context made for another channel's post", async () => {
    const writes = writesToGitLab();
    expect(await pressDirectly(alice, channel, anyBotPost().id, sign(claims({ channel: otherChannel.id })))).toMatch(/belongs to another post/);
    expect(writesToGitLab()).toBe(writes);
  });

  it('someone who is not a member of the channel (the context never says who pressed), and audits it once', async () => {
    const writes = writesToGitLab();
    expect(await pressDirectly(dave, channel, anyBotPost().id, sign(claims()))).toMatch(/Only members of this channel/);
    expect(writesToGitLab()).toBe(writes);
    const audited = await auditRows('gitlab.button_refused', dave);
    expect(audited.length).toBeGreaterThanOrEqual(1);
    expect(audited.at(-1)).toEqual({ target: `post:${anyBotPost().id}`, details: { reason: 'not_member', channel: channel.id } });
    // Pressing on and on: no row each.
    await pressDirectly(dave, channel, anyBotPost().id, sign(claims()));
    expect(await auditRows('gitlab.button_refused', dave)).toHaveLength(audited.length);
  });

  it('a press on a post that is not the bot’s', async () => {
    const own = bridge.mattermost.posts.find((post) => post.channel_id === channel.id && post.user_id !== botId);
    const postId = own?.id ?? 'x'.repeat(26);
    expect(await pressDirectly(alice, channel, postId, sign(claims()))).toMatch(/not on one of the GitLab bridge/);
  });

  it('someone not connected to GitLab: a connect link, and nothing done', async () => {
    const writes = writesToGitLab();
    const text = await pressDirectly(erin, channel, anyBotPost().id, sign(claims()));
    expect(text).toMatch(/\[connect it\]\(http[^)]+\/oauth\/connect\?link=[A-Za-z0-9_-]+\)/);
    expect(writesToGitLab()).toBe(writes);
  });

  it("what GitLab refuses the presser (a Guest, who cannot even see it), in plain words", async () => {
    const writes = writesToGitLab();
    const text = await pressDirectly(carol, channel, anyBotPost().id, sign(claims()));
    expect(text).toMatch(/does not exist on GitLab, or your GitLab account cannot see it|did not let you/);
    expect(writesToGitLab()).toBe(writes);
  });
});

describe('merge request buttons, pressed in the channel', () => {
  it('Approve approves as the presser, once however often it is pressed, and the post shows it', async () => {
    const post = rootPost(/MR 7/);
    const [first, second] = await Promise.all([press(post, 'Approve', alice), press(post, 'Approve', alice)]);
    expect([first.text, second.text].filter((text) => /You approved/.test(text))).toHaveLength(1);
    expect(requestsTo('POST', /merge_requests\/7\/approve$/)).toHaveLength(1);
    expect(bridge.gitlab.mergeRequest(PROJECT.path, 7).approvedBy).toEqual([ALICE.id]);
    expect(bridge.mattermost.buttonsOf(post.id)).toContain('Revoke approval');
    expect(bridge.mattermost.posts.find((candidate) => candidate.id === post.id)!.message).toMatch(/Status: \*\*Open\*\* · approved by Alice$/);
    expect(await auditRows('gitlab.approve', alice)).toEqual([{ target: `merge_request:${PROJECT.id}:7`, details: expect.objectContaining({ via: 'button', gitlabUser: ALICE.username, post: post.id }) }]);
    const metrics = await (await fetch(`${bridge.internalUrl}/metrics`)).text();
    expect(metrics).toContain('gitlab_bridge_actions_total{action="approve",via="button",outcome="done"} 1');
    expect(metrics).toMatch(/gitlab_bridge_actions_total\{action="unknown",via="button",outcome="refused_forged"\} [1-9]/);
  });

  it('Revoke approval revokes it; pressed again it says there is nothing to revoke', async () => {
    const post = rootPost(/MR 7/);
    expect((await press(post, 'Revoke approval', alice)).text).toMatch(/You revoked your approval/);
    expect(bridge.gitlab.mergeRequest(PROJECT.path, 7).approvedBy).toEqual([]);
    expect(bridge.mattermost.buttonsOf(post.id)).toEqual(['Approve', 'Merge', 'Assign me', 'Review', 'Comment']);
    const stale = sign({ action: 'unapprove', target: { kind: 'merge_request', project: PROJECT.id, iid: 7 }, channel: channel.id, audience: 'channel' });
    // Alice again within the minute gets her answer again; Bob, who never approved, is told so.
    expect(await pressDirectly(alice, channel, post.id, stale)).toMatch(/You revoked your approval/);
    expect(await pressDirectly(bob, channel, post.id, stale)).toMatch(/You have not approved/);
    expect(requestsTo('POST', /merge_requests\/7\/unapprove$/)).toHaveLength(1);
  });

  it('Assign me and Review add the presser, once', async () => {
    const post = rootPost(/MR 7/);
    const assigned = await Promise.all([press(post, 'Assign me', alice), press(post, 'Assign me', alice)]);
    expect(assigned.some(({ text }) => /You are now assigned/.test(text))).toBe(true);
    expect(bridge.gitlab.mergeRequest(PROJECT.path, 7).assigneeIds).toEqual([ALICE.id]);
    expect((await press(post, 'Review', bob)).text).toMatch(/You are now a reviewer/);
    expect((await press(post, 'Review', bob)).text).toMatch(/You are now a reviewer/);
    expect((await press(post, 'Review', alice)).text).toMatch(/You are now a reviewer/);
    expect(bridge.gitlab.mergeRequest(PROJECT.path, 7).reviewerIds).toEqual([BOB.id, ALICE.id]);
    expect(requestsTo('PUT', /merge_requests\/7$/)).toHaveLength(3);
  });

  it('Comment opens a dialog; its comment goes to GitLab as the presser, once, and only the presser may submit it', async () => {
    const post = rootPost(/MR 7/);
    const before = bridge.mattermost.openDialogs.length;
    await press(post, 'Comment', alice);
    const dialog = bridge.mattermost.openDialogs[before]!;
    expect(dialog.dialog.elements.map((element) => element.name)).toEqual(['comment']);
    // Bob sends Alice's dialog: the state names Alice.
    const stolen = await bridge.mattermost.submitDialog(sessionOf(bob), dialog, { comment: 'not mine' }, { channelId: channel.id, teamId: bridge.team.id });
    expect((stolen.body as Json).error).toMatch(/opened for someone else/);
    const empty = await bridge.mattermost.submitDialog(sessionOf(alice), dialog, { comment: '  ' }, { channelId: channel.id, teamId: bridge.team.id });
    expect((empty.body as Json).errors).toEqual({ comment: 'Write the comment first.' });
    for (let time = 0; time < 2; time += 1) {
      const sent = await bridge.mattermost.submitDialog(sessionOf(alice), dialog, { comment: 'Looks good @channel' }, { channelId: channel.id, teamId: bridge.team.id });
      expect(sent.status).toBe(200);
    }
    const notes = bridge.gitlab.mergeRequest(PROJECT.path, 7).notes.filter((note) => note.body === 'Looks good @channel');
    expect(notes).toHaveLength(1);
    expect(notes[0]!.authorId).toBe(ALICE.id);
  });

  it('a dialog state changed, made up or too old does nothing', async () => {
    const post = rootPost(/MR 7/);
    const before = bridge.mattermost.openDialogs.length;
    await press(post, 'Comment', alice);
    const dialog = bridge.mattermost.openDialogs[before]!;
    const [body, signature] = dialog.dialog.state!.split('.');
    const claims = JSON.parse(Buffer.from(body!, 'base64url').toString()) as { c: Json; exp: number };
    const changed = `${Buffer.from(JSON.stringify({ ...claims, c: { ...claims.c, action: 'merge' } })).toString('base64url')}.${signature}`;
    const submit = (state: string) =>
      bridge.mattermost.submitDialog(sessionOf(alice), { ...dialog, dialog: { ...dialog.dialog, state } }, { comment: 'sneaky' }, { channelId: channel.id, teamId: bridge.team.id });
    expect(((await submit(changed)).body as Json).error).toMatch(/not opened by the GitLab bridge/);
    expect(((await submit(foreignSigner.sign('dialog', claims.c, Date.now() + 60_000))).body as Json).error).toMatch(/not opened by the GitLab bridge/);
    expect(((await submit(signer.sign('dialog', claims.c, Date.now() - 1000))).body as Json).error).toMatch(/open too long/);
    expect(bridge.gitlab.mergeRequest(PROJECT.path, 7).notes.filter((note) => note.body === 'sneaky')).toEqual([]);
  });

  it('Merge: GitLab refuses a Developer on the default branch, and says so in the dialog', async () => {
    const post = rootPost(/MR 7/);
    const { status, body } = await pressAndSubmit(post, 'Merge', alice, { squash: false, remove_source_branch: false });
    expect(status).toBe(200);
    expect(body.error).toMatch(/did not let you merge/);
    expect(bridge.gitlab.mergeRequest(PROJECT.path, 7).state).toBe('opened');
  });

  it('Merge: a Maintainer merges with the choices of the dialog; the post loses its buttons', async () => {
    const post = rootPost(/MR 7/);
    const dialogs = bridge.mattermost.openDialogs.length;
    const { body } = await pressAndSubmit(post, 'Merge', bob, { squash: true, remove_source_branch: true });
    expect(body).toEqual({});
    const opened = bridge.mattermost.openDialogs[dialogs]!.dialog;
    expect(opened.elements.map((element) => [element.name, element.default])).toEqual([
      ['squash', 'false'],
      ['remove_source_branch', 'false'],
    ]);
    const merged = bridge.gitlab.mergeRequest(PROJECT.path, 7);
    expect(merged.state).toBe('merged');
    expect(merged.squash).toBe(true);
    expect(merged.shouldRemoveSourceBranch).toBe(true);
    expect(bridge.mattermost.buttonsOf(post.id)).toEqual([]);
    expect(bridge.mattermost.posts.find((candidate) => candidate.id === post.id)!.message).toMatch(/Status: \*\*Merged\*\*/);
    expect(await auditRows('gitlab.merge', bob)).toEqual([expect.objectContaining({ details: expect.objectContaining({ via: 'dialog', squash: true, removeSourceBranch: true }) })]);
    // The same dialog sent again, and a stale Merge pressed again: merged once.
    const again = await bridge.mattermost.submitDialog(sessionOf(bob), bridge.mattermost.openDialogs[dialogs]!, { squash: true, remove_source_branch: true }, { channelId: channel.id, teamId: bridge.team.id });
    expect((again.body as Json).error).toMatch(/You merged|merged: there is nothing/);
    const stale = sign({ action: 'merge', target: { kind: 'merge_request', project: PROJECT.id, iid: 7 }, channel: channel.id, audience: 'channel' });
    expect(await pressDirectly(alice, channel, post.id, stale)).toMatch(/is merged: there is nothing to merge/);
    expect(requestsTo('PUT', /merge_requests\/7\/merge$/)).toHaveLength(1);
  });

  it('Merge when pipeline succeeds sets auto-merge, once', async () => {
    const pipeline = bridge.gitlab.addPipeline(PROJECT.path, { status: 'running', userId: BOB.id, mergeRequestIid: 8 });
    const post = rootPost(/MR 8/);
    const { body } = await pressAndSubmit(post, 'Merge when pipeline succeeds', bob, { squash: false, remove_source_branch: false });
    expect(body).toEqual({});
    expect(bridge.gitlab.mergeRequest(PROJECT.path, 8).autoMergeUserId).toBe(BOB.id);
    expect(bridge.gitlab.mergeRequest(PROJECT.path, 8).state).toBe('opened');
    const again = sign({ action: 'automerge', target: { kind: 'merge_request', project: PROJECT.id, iid: 8 }, channel: channel.id, audience: 'channel' });
    expect(await pressDirectly(bob, channel, post.id, again)).toMatch(/already set to merge when its pipeline succeeds/);
    bridge.gitlab.setPipelineStatus(pipeline.id, 'success');
  });

  it("a dialog opens only for the user Mattermost's trigger id names", async () => {
    const post = rootPost(/MR 8/);
    const dialogs = bridge.mattermost.openDialogs.length;
    const context = sign({ action: 'comment', target: { kind: 'merge_request', project: PROJECT.id, iid: 8 }, channel: channel.id, audience: 'channel' });
    // Bob's press, carrying a trigger id Mattermost gave Alice: a dialog signed for Bob would open on Alice's screen.
    expect(await pressDirectly(bob, channel, post.id, context, bridge.mattermost.triggerIdFor(alice, channel.id))).toMatch(/did not say who pressed/);
    expect(bridge.mattermost.openDialogs.length).toBe(dialogs);
    expect(await pressDirectly(bob, channel, post.id, context, bridge.mattermost.triggerIdFor(bob, channel.id))).toBe('');
    expect(bridge.mattermost.openDialogs.at(-1)!.userId).toBe(bob);
  });

  it('Merge is refused in words when GitLab says it cannot be merged (no dialog opens)', async () => {
    const post = rootPost(/MR 10/);
    const stale = sign({ action: 'merge', target: { kind: 'merge_request', project: PROJECT.id, iid: 10 }, channel: channel.id, audience: 'channel' });
    const dialogs = bridge.mattermost.openDialogs.length;
    expect(await pressDirectly(bob, channel, post.id, stale)).toMatch(/cannot merge .* it has conflicts with the target branch/);
    expect(bridge.mattermost.openDialogs.length).toBe(dialogs);
  });
});

describe('a webhook redraws the thread root', () => {
  it('a merge reported by GitLab takes the buttons away', async () => {
    await send('merge_request.open.json', mergeRequestOpened(9));
    await settled();
    const root = rootPost(/MR 9/);
    expect(bridge.mattermost.buttonsOf(root.id)).toContain('Merge');
    bridge.gitlab.mergeMergeRequest(PROJECT.path, 9, BOB.id);
    await send('merge_request.merge.json', (payload) => {
      payload.object_attributes.iid = 9;
      payload.object_attributes.id = 10_009;
      payload.object_attributes.title = 'MR 9';
    });
    await settled();
    expect(bridge.mattermost.buttonsOf(root.id)).toEqual([]);
    expect(bridge.mattermost.posts.find((post) => post.id === root.id)!.message).toMatch(/Status: \*\*Merged\*\*/);
  });
});

describe('issue buttons', () => {
  it('Assign me, Close, Reopen and Comment act as the presser; the buttons follow the state', async () => {
    const post = rootPost(/Buttons are missing/);
    expect((await press(post, 'Assign me', alice)).text).toMatch(/You are now assigned/);
    const closes = await Promise.all([press(post, 'Close', alice), press(post, 'Close', bob)]);
    expect(closes.filter(({ text }) => /You closed/.test(text))).toHaveLength(1);
    expect(requestsTo('PUT', /issues\/5$/).length).toBe(2); // the assignment and one close
    expect(bridge.mattermost.buttonsOf(post.id)).toEqual(['Reopen', 'Comment']);
    const reopenContext = sign({ action: 'reopen', target: { kind: 'issue', project: PROJECT.id, iid: 5 }, channel: channel.id, audience: 'channel' });
    const reopens = await Promise.all([press(post, 'Reopen', alice), pressDirectly(bob, channel, post.id, reopenContext)]);
    // Whichever of the two presses came first reopened it; the other was told someone did.
    expect([reopens[0].text, reopens[1]].filter((text) => /You reopened/.test(text))).toHaveLength(1);
    expect(requestsTo('PUT', /issues\/5$/).length).toBe(3); // and one reopen
    expect(bridge.mattermost.buttonsOf(post.id)).toEqual(['Assign me', 'Close', 'Comment']);
    const assignAgain = sign({ action: 'assignme', target: { kind: 'issue', project: PROJECT.id, iid: 5 }, channel: channel.id, audience: 'channel' });
    expect(await pressDirectly(alice, channel, post.id, assignAgain)).toMatch(/You are now assigned|already assigned/);
    expect(bridge.gitlab.issuesOf(PROJECT.path).find((issue) => issue.iid === 5)!.assigneeIds).toEqual([ALICE.id]);
    const { body } = await pressAndSubmit(post, 'Comment', alice, { comment: 'On it' });
    expect(body).toEqual({});
    expect(bridge.gitlab.issuesOf(PROJECT.path).find((issue) => issue.iid === 5)!.notes.map((note) => note.body)).toContain('On it');
  });
});

describe('pipeline and job buttons', () => {
  it('Retry failed jobs retries once; the post then offers Cancel', async () => {
    const post = rootPost(new RegExp(`#${pipelineFailed}\\b`));
    const answers = await Promise.all([press(post, 'Retry failed jobs', alice), press(post, 'Retry failed jobs', bob)]);
    expect(answers.filter(({ text }) => /Retrying the failed jobs/.test(text))).toHaveLength(1);
    expect(requestsTo('POST', new RegExp(`pipelines/${pipelineFailed}/retry$`))).toHaveLength(1);
    expect(bridge.mattermost.buttonsOf(post.id)).toEqual(['Cancel']);
  });

  it('Cancel cancels a running pipeline once', async () => {
    const post = rootPost(new RegExp(`#${pipelineRunning}\\b`));
    expect((await press(post, 'Cancel', alice)).text).toMatch(/You canceled/);
    expect(bridge.gitlab.pipelinesOf(PROJECT.path).find((pipeline) => pipeline.id === pipelineRunning)!.status).toBe('canceled');
    const stale = sign({ action: 'cancelpipeline', target: { kind: 'pipeline', project: PROJECT.id, id: pipelineRunning }, channel: channel.id, audience: 'channel' });
    expect(await pressDirectly(alice, channel, post.id, stale)).toMatch(/You canceled/);
    // Someone else, just after: never shown Alice's answer.
    expect(await pressDirectly(bob, channel, post.id, stale)).toBe('Someone else did that a moment ago. If it still needs doing, press again in a few seconds.');
    // Later (as if the answer were 20 s old), a press reads GitLab afresh.
    await bridge.pool.query("UPDATE action_presses SET answered_at = answered_at - interval '20 seconds', pressed_at = pressed_at - interval '20 seconds'");
    expect(await pressDirectly(bob, channel, post.id, stale)).toMatch(/is canceled: nothing to cancel/);
    expect(requestsTo('POST', new RegExp(`pipelines/${pipelineRunning}/cancel$`))).toHaveLength(1);
  });

  it('Retry job retries once; the post follows the new attempt', async () => {
    const post = rootPost(/lint/);
    const answers = await Promise.all([press(post, 'Retry job', alice), press(post, 'Retry job', alice)]);
    // The second press gets the first one's answer (or hears it is under way); GitLab is asked once.
    for (const { text } of answers) expect(text).toMatch(/the new attempt is|already being done/);
    expect(requestsTo('POST', new RegExp(`jobs/${jobFailed}/retry$`))).toHaveLength(1);
    expect(bridge.gitlab.jobsOf(PROJECT.path).filter((job) => job.name === 'lint')).toHaveLength(2);
    expect(bridge.mattermost.buttonsOf(post.id)).toEqual(['Cancel']);
  });

  it('Cancel on a running job', async () => {
    const post = rootPost(/deploy\b.*running|running.*deploy\b/i);
    expect((await press(post, 'Cancel', bob)).text).toMatch(/You canceled/);
    expect(bridge.gitlab.jobsOf(PROJECT.path).find((job) => job.id === jobRunning)!.status).toBe('canceled');
    expect(bridge.mattermost.buttonsOf(post.id)).toEqual([]);
    const stale = sign({ action: 'canceljob', target: { kind: 'job', project: PROJECT.id, id: jobRunning }, channel: channel.id, audience: 'channel' });
    expect(await pressDirectly(bob, channel, post.id, stale)).toMatch(/You canceled/);
    expect(await pressDirectly(alice, channel, post.id, stale)).toMatch(/Someone else did that a moment ago/);
    expect(requestsTo('POST', new RegExp(`jobs/${jobRunning}/cancel$`))).toHaveLength(1);
  });
});

describe('deployment buttons', () => {
  const deploymentPosts = () => bridge.mattermost.posts.filter((post) => post.channel_id === channel.id && /production/.test(post.message) && post.root_id === '');

  it('Approve opens a dialog naming who may approve; GitLab refuses the one who triggered it, in the dialog; the approval, with its comment, is the presser’s', async () => {
    const [post] = deploymentPosts();
    const dialogs = bridge.mattermost.openDialogs.length;
    const refused = await pressAndSubmit(post!, 'Approve', bob, { comment: 'mine' });
    expect(bridge.mattermost.openDialogs[dialogs]!.dialog.introduction_text).toMatch(/deployment to \*\*production\*\* as you\. May approve: Developers \+ Maintainers \(1\)\./);
    // The refused press redrew nothing; the post says where it waits, and who may approve.
    expect((post!.props.attachments as Json[])[0]!.text).toMatch(/Waiting for approval to deploy to \*\*production\*\* · may approve: Developers \+ Maintainers/);
    expect(refused.body.error).toMatch(/GitLab refused to approve .*You cannot approve your own deployment/);
    const { body } = await pressAndSubmit(post!, 'Approve', alice, { comment: 'Ship it' });
    expect(body).toEqual({});
    const approvals = bridge.gitlab.deploymentsOf(PROJECT.path).flatMap((deployment) => deployment.approvals);
    expect(approvals).toEqual([expect.objectContaining({ userId: ALICE.id, status: 'approved', comment: 'Ship it' })]);
    expect(await auditRows('gitlab.approvedeployment', alice)).toEqual([expect.objectContaining({ details: expect.objectContaining({ via: 'dialog', commented: true }) })]);
  });

  it('Reject rejects as the presser, without a comment too', async () => {
    const post = deploymentPosts()[1]!;
    const dialogs = bridge.mattermost.openDialogs.length;
    const rejected = await pressAndSubmit(post, 'Reject', alice, { comment: '' });
    expect(rejected.body).toEqual({});
    const again = await bridge.mattermost.submitDialog(sessionOf(alice), bridge.mattermost.openDialogs[dialogs]!, { comment: '' }, { channelId: channel.id, teamId: bridge.team.id });
    expect((again.body as Json).error).toMatch(/You rejected|no longer waits|already rejected/);
    expect(bridge.gitlab.deploymentsOf(PROJECT.path).flatMap((deployment) => deployment.approvals).filter((approval) => approval.status === 'rejected')).toEqual([
      expect.objectContaining({ userId: ALICE.id, comment: null }),
    ]);
  });
});

describe('the same actions as commands', () => {
  beforeAll(() => {
    bridge.gitlab.addMergeRequest(PROJECT.path, { iid: 30, title: 'Typed at', authorId: BOB.id });
  });

  it.each([
    ['mr approve', 'approve'],
    ['mr unapprove', 'unapprove'],
    ['mr merge', 'merge'],
    ['mr assign', 'assign'],
    ['mr review', 'review'],
  ])('/gitlab %s: a connect link for the unconnected, GitLab’s refusal in words, nothing done', async (words) => {
    const writes = writesToGitLab();
    expect(await bridge.command(erin, `${words} ${PROJECT.path}!30`, channel.id)).toMatch(/\[connect it\]\(http[^)]+oauth\/connect\?link=/);
    expect(await bridge.command(carol, `${words} ${PROJECT.path}!30`, channel.id)).toMatch(/does not exist on GitLab, or your GitLab account cannot see it|did not let you/);
    expect(await bridge.command(dave, `${words} ${PROJECT.path}!404`, channel.id)).toMatch(/does not exist on GitLab, or your GitLab account cannot see it/);
    expect(writesToGitLab()).toBe(writes);
  });

  it('/gitlab mr assign and review twice do it once', async () => {
    bridge.gitlab.addMergeRequest(PROJECT.path, { iid: 31, title: 'Twice', authorId: BOB.id });
    await Promise.all([bridge.command(dave, `mr assign ${PROJECT.path}!31`, channel.id), bridge.command(dave, `mr assign ${PROJECT.path}!31`, channel.id)]);
    await bridge.command(dave, `mr review ${PROJECT.path}!31`, channel.id);
    expect(await bridge.command(dave, `mr review ${PROJECT.path}!31`, channel.id)).toMatch(/You are now a reviewer|already a reviewer/);
    expect(bridge.gitlab.mergeRequest(PROJECT.path, 31)).toMatchObject({ assigneeIds: [DAVE.id], reviewerIds: [DAVE.id] });
    expect(requestsTo('PUT', /merge_requests\/31$/)).toHaveLength(2);
  });

  it('/gitlab mr approve, unapprove, assign, review and merge, with the same answers', async () => {
    bridge.gitlab.addMergeRequest(PROJECT.path, { iid: 11, title: 'Typed', authorId: BOB.id });
    expect(await bridge.command(alice, `mr approve ${PROJECT.path}!11`, channel.id)).toMatch(/You approved/);
    expect(await bridge.command(alice, `mr approve ${PROJECT.path}!11`, channel.id)).toMatch(/You approved|already approved/);
    expect(requestsTo('POST', /merge_requests\/11\/approve$/)).toHaveLength(1);
    expect(await bridge.command(alice, `mr unapprove ${bridge.gitlab.url}/${PROJECT.path}/-/merge_requests/11`, channel.id)).toMatch(/You revoked/);
    expect(await bridge.command(alice, `mr assign ${PROJECT.path}!11`, channel.id)).toMatch(/You are now assigned/);
    expect(await bridge.command(bob, `mr review ${PROJECT.path}!11`, channel.id)).toMatch(/You are now a reviewer/);
    expect(await bridge.command(alice, `mr merge ${PROJECT.path}!11`, channel.id)).toMatch(/did not let you merge/);
    expect(await bridge.command(bob, `mr merge ${PROJECT.path}!11 --squash`, channel.id)).toMatch(/You merged .*squashed/);
    expect(bridge.gitlab.mergeRequest(PROJECT.path, 11).state).toBe('merged');
    expect(await auditRows('gitlab.merge', bob)).toContainEqual(expect.objectContaining({ details: expect.objectContaining({ via: 'command' }) }));
  });

  it('answers the unconnected with a connect link, and those GitLab refuses with its reason', async () => {
    expect(await bridge.command(erin, `mr approve ${PROJECT.path}!11`, channel.id)).toMatch(/\[connect it\]\(http[^)]+oauth\/connect\?link=/);
    expect(await bridge.command(carol, `mr approve ${PROJECT.path}!11`, channel.id)).toMatch(/does not exist on GitLab, or your GitLab account cannot see it|did not let you/);
    expect(await bridge.command(alice, `mr frobnicate ${PROJECT.path}!11`, channel.id)).toMatch(/^Usage:/);
    expect(await bridge.command(alice, `mr approve ${PROJECT.path}#11`, channel.id)).toMatch(/does not name a merge request/);
  });

  it('/gitlab deployment approve|reject and /gitlab job retry', async () => {
    const deployment = bridge.gitlab.addDeployment(PROJECT.path, { environment: 'production', status: 'blocked', userId: BOB.id }).id;
    expect(await bridge.command(erin, `deployment approve ${PROJECT.path} ${deployment}`, channel.id)).toMatch(/connect it/);
    expect(await bridge.command(carol, `deployment approve ${PROJECT.path} ${deployment}`, channel.id)).toMatch(/did not let you approve|cannot see it/);
    expect(await bridge.command(alice, `deployment approve ${PROJECT.path} nine`, channel.id)).toMatch(/is not a deployment id/);
    expect(await bridge.command(alice, `deployment approve ${PROJECT.path} ${deployment} --comment "fine by me"`, channel.id)).toMatch(/You approved the deployment to \*\*production\*\*/);
    expect(await bridge.command(alice, `deployment approve ${PROJECT.path} ${deployment}`, channel.id)).toMatch(/You approved/);
    expect(bridge.gitlab.deploymentsOf(PROJECT.path).find((candidate) => candidate.id === deployment)!.approvals).toHaveLength(1);
    expect(await bridge.command(bob, `deployment approve ${PROJECT.path} ${deployment}`, channel.id)).toMatch(/You cannot approve your own deployment|no longer waits/);
    expect(await bridge.command(erin, `deployment reject ${PROJECT.path} ${deployment}`, channel.id)).toMatch(/connect it/);
    expect(await bridge.command(carol, `deployment reject ${PROJECT.path} ${deployment}`, channel.id)).toMatch(/did not let you reject|cannot see it/);
    const other = bridge.gitlab.addDeployment(PROJECT.path, { environment: 'production', status: 'blocked', userId: BOB.id }).id;
    expect(await bridge.command(alice, `deployment reject ${PROJECT.path} ${other} --comment "not today"`, channel.id)).toMatch(/You rejected the deployment/);
    expect(await bridge.command(alice, `deployment reject ${PROJECT.path} ${other}`, channel.id)).toMatch(/You rejected the deployment/);
    expect(requestsTo('POST', new RegExp(`deployments/${other}/approval$`))).toHaveLength(1);
    const pipeline = bridge.gitlab.addPipeline(PROJECT.path, { status: 'failed', userId: BOB.id, ref: 'main' }).id;
    const job = bridge.gitlab.addJob(PROJECT.path, { pipelineId: pipeline, name: 'e2e', status: 'failed' }).id;
    expect(await bridge.command(carol, `job retry ${PROJECT.path} ${job}`, channel.id)).toMatch(/cannot see it|did not let you/);
    expect(await bridge.command(erin, `job retry ${PROJECT.path} ${job}`, channel.id)).toMatch(/connect it/);
    expect(await bridge.command(alice, `job retry ${PROJECT.path} ${job}`, channel.id)).toMatch(/Retrying job .*e2e/);
    expect(await bridge.command(alice, `job retry ${bridge.gitlab.url}/${PROJECT.path}/-/jobs/${job}`, channel.id)).toMatch(/Retrying job .*e2e/);
    expect(requestsTo('POST', new RegExp(`jobs/${job}/retry$`))).toHaveLength(1);
  });
});

describe('buttons on direct messages', () => {
  const reviewRequested = (iid: number) => (payload: Json) => {
    const alicePerson = { id: ALICE.id, name: ALICE.name, username: ALICE.username, avatar_url: null };
    payload.object_attributes.iid = iid;
    payload.object_attributes.id = 10_000 + iid;
    payload.object_attributes.title = `MR ${iid}`;
    payload.object_attributes.detailed_merge_status = 'mergeable';
    payload.object_attributes.author_id = BOB.id;
    payload.object_attributes.reviewer_ids = [ALICE.id];
    payload.reviewers = [alicePerson];
    payload.changes.reviewers = { previous: [], current: [alicePerson] };
    payload.assignees = [];
  };

  it('a review request reaches the reviewer with buttons; in a DM, Approve turns into Revoke approval', async () => {
    bridge.gitlab.addMergeRequest(PROJECT.path, { iid: 12, title: 'Review me', authorId: BOB.id, reviewerIds: [ALICE.id] });
    await send('merge_request.update.reviewers.json', reviewRequested(12));
    await settled();
    const [message] = bridge.mattermost.directMessagesTo(alice).filter((post) => /MR 12/.test(post.message));
    expect(message).toBeDefined();
    expect(bridge.mattermost.buttonsOf(message!.id)).toEqual(['Approve', 'Merge', 'Assign me', 'Review', 'Comment']);
    expect((await press(message!, 'Approve', alice)).text).toMatch(/You approved/);
    expect(bridge.mattermost.buttonsOf(message!.id)).toEqual(['Revoke approval', 'Merge', 'Assign me', 'Review', 'Comment']);
    expect(bridge.gitlab.mergeRequest(PROJECT.path, 12).approvedBy).toEqual([ALICE.id]);
    // Bob is not in Alice's direct message channel with the bot.
    const context = sign({ action: 'approve', target: { kind: 'merge_request', project: PROJECT.id, iid: 12 }, channel: message!.channel_id, audience: 'direct' });
    const dm = bridge.mattermost.channels.get(message!.channel_id)!;
    expect(await pressDirectly(bob, dm, message!.id, context)).toMatch(/Only members of this channel/);
  });

  it('/gitlab settings buttons off: the next direct messages come without buttons, and older ones lose theirs when pressed', async () => {
    expect(await bridge.command(alice, 'settings buttons off', channel.id)).toMatch(/buttons/i);
    const [older] = bridge.mattermost.directMessagesTo(alice).filter((post) => /MR 12/.test(post.message));
    expect((await press(older!, 'Revoke approval', alice)).text).toMatch(/turned off on your direct messages/);
    expect(bridge.mattermost.buttonsOf(older!.id)).toEqual([]);
    expect(bridge.gitlab.mergeRequest(PROJECT.path, 12).approvedBy).toEqual([ALICE.id]);
    bridge.gitlab.addMergeRequest(PROJECT.path, { iid: 13, title: 'Review me too', authorId: BOB.id, reviewerIds: [ALICE.id] });
    await send('merge_request.update.reviewers.json', reviewRequested(13));
    await settled();
    const [message] = bridge.mattermost.directMessagesTo(alice).filter((post) => /MR 13/.test(post.message));
    expect(message).toBeDefined();
    expect(bridge.mattermost.buttonsOf(message!.id)).toEqual([]);
    await bridge.command(alice, 'settings buttons on', channel.id);
  });
});

describe('a subscription with --buttons off', () => {
  it('posts without buttons in that channel only', async () => {
    const quiet = bridge.mattermost.addChannel('quiet', { type: 'P', members: [alice, botId], teamId: bridge.team.id });
    expect(await bridge.command(alice, `subscriptions add ${PROJECT.path} --events issues --buttons off`, quiet.id)).toMatch(/subscribed/i);
    await send('issue.open.json', (payload) => {
      payload.object_attributes.iid = 14;
      payload.object_attributes.id = 20_014;
      payload.object_attributes.title = 'Quiet issue';
    });
    await settled();
    expect(bridge.mattermost.buttonsOf(rootPost(/Quiet issue/, quiet).id)).toEqual([]);
    const loud = rootPost(/Quiet issue/, otherChannel);
    expect(bridge.mattermost.buttonsOf(loud.id)).toEqual(['Assign me', 'Close', 'Comment']);
    // Turned off later: the buttons already posted go at the next press, and nothing is done.
    const [subscription] = (await bridge.pool.query<{ id: string }>('SELECT id FROM subscriptions WHERE channel_id = $1', [otherChannel.id])).rows;
    expect(await bridge.command(alice, `subscriptions edit ${subscription!.id} --buttons off`, otherChannel.id)).toMatch(/no buttons/);
    expect((await press(loud, 'Close', alice)).text).toMatch(/turned off for this channel’s subscriptions/);
    expect(bridge.mattermost.buttonsOf(loud.id)).toEqual([]);
    expect(bridge.gitlab.issuesOf(PROJECT.path).find((issue) => issue.iid === 14)?.state ?? 'opened').toBe('opened');
  });
});

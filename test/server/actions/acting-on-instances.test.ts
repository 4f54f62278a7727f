/**
 * Acting on the right GitLab when the bridge has two: a running bridge with
 * two fake GitLabs (the default one and `corp`, each with its own OAuth
 * application and webhook door), the fake Mattermost, real PostgreSQL. Both
 * fakes hold a project `acme/app` with the same id (900) and a merge request
 * !7, so anything done on the wrong GitLab, or with the wrong instance's
 * token, shows. Commands take a corp URL or `--instance corp`; a corp post's
 * buttons act on corp; an old default-instance context still acts on the
 * default one, and no context can be pointed at the other GitLab; link
 * tooltips and code previews read corp as the viewer's corp account; a reply
 * in a corp thread becomes a comment on corp, known as corp's (note ids repeat
 * across GitLabs).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ButtonClaims, PostAttachment } from '../../../server/src/actions/render-buttons.js';
import { toEncryptionKey } from '../../../server/src/crypto/secret-box.js';
import { createSigner } from '../../../server/src/crypto/signed-claims.js';
import { createSubscription } from '../../../server/src/store/subscriptions.js';
import type { FakeGitLab, FakeGitLabRequest } from '../../fakes/fake-gitlab.js';
import type { FakeChannel, FakePost } from '../../fakes/fake-mattermost.js';
import { startCommandBridge, type CommandBridge } from '../../helpers/command-bridge.js';
import { webhookFixture } from '../../helpers/fixtures.js';
import { waitFor } from '../../helpers/wait-for.js';
import { webappClient } from '../../helpers/webapp-client.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The command bridge's ENCRYPTION_KEY (test/helpers/command-bridge.ts). */
const signer = createSigner([toEncryptionKey(Buffer.from('cd'.repeat(32), 'hex'))]);

const PROJECT = { id: 900, path: 'acme/app' };
/** Alice on each GitLab: two accounts, one person. */
const ALICE = { id: 301, username: 'alice.gl', name: 'Alice' };
const ALICE_CORP = { id: 501, username: 'alice.corp', name: 'Alice at Corp' };
const BOB = { id: 302, username: 'bob.gl', name: 'Bob' };
const AUTHOR = { id: 399, username: 'author', name: 'Author' };
const CODE = 'export const where = "corp";\n// @channel never pings\n';

let bridge: CommandBridge;
let corp: FakeGitLab;
/** alice: connected on both GitLabs; bob: on the default one only. */
let alice: string, bob: string;
let tokens: { alice: string; aliceCorp: string; bob: string };
let dev: FakeChannel;

beforeAll(async () => {
  bridge = await startCommandBridge({ users: ['alice', 'bob'], oauth: true, corp: true, env: () => ({ MATTERMOST_WEBSOCKET_RETRY_MS: '200' }) });
  corp = bridge.corp!;
  ({ alice, bob } = bridge.users as { alice: string; bob: string });
  const { gitlab, mattermost } = bridge;
  for (const fake of [gitlab, corp]) {
    fake.addProject(PROJECT.path, { visibility: 'public', id: PROJECT.id });
    fake.addUser(AUTHOR);
  }
  tokens = {
    alice: (await bridge.connectGitLab(alice, ALICE)).token,
    aliceCorp: (await bridge.connectGitLab(alice, ALICE_CORP, 'corp')).token,
    bob: (await bridge.connectGitLab(bob, BOB)).token,
  };
  gitlab.grant(tokens.alice, PROJECT.path, 30);
  gitlab.grant(tokens.bob, PROJECT.path, 30);
  corp.grant(tokens.aliceCorp, PROJECT.path, 30);
  gitlab.addMergeRequest(PROJECT.path, { iid: 7, title: 'Default change', authorId: AUTHOR.id });
  corp.addMergeRequest(PROJECT.path, { iid: 7, title: 'Corp change', authorId: AUTHOR.id });
  corp.addMergeRequest(PROJECT.path, { iid: 8, title: 'Corp change by command', authorId: AUTHOR.id });
  corp.addIssue(PROJECT.path, { iid: 3, title: 'Corp issue', authorId: AUTHOR.id });
  gitlab.addIssue(PROJECT.path, { iid: 3, title: 'Default issue', authorId: AUTHOR.id });
  corp.addFile(PROJECT.path, 'src/where.ts', CODE);

  const botId = [...mattermost.users.values()].find((user) => user.is_bot)!.id;
  bridge.team.members.add(botId);
  dev = mattermost.addChannel('dev', { type: 'P', members: [alice, bob, botId], teamId: bridge.team.id });
  // The channel follows acme/app on both GitLabs, with buttons and replies to GitLab (as `subscriptions add` makes them).
  for (const instance of ['default', 'corp']) {
    await createSubscription(bridge.pool, { channelId: dev.id, teamId: bridge.team.id, instance, targetKind: 'project', targetPath: PROJECT.path, targetId: PROJECT.id, filters: { events: ['merge_request', 'note'] }, syncReplies: true, creatorId: alice });
  }
  await mattermost.waitForSocket();
}, 180_000);

afterAll(async () => {
  await bridge?.close();
});

// --- GitLab's side ---

/** A merge request opened on one GitLab, sent to that GitLab's own webhook door with its own secret. */
async function mergeRequestOpened(instance: 'default' | 'corp', iid: number, title: string): Promise<void> {
  const fake = instance === 'corp' ? corp : bridge.gitlab;
  const fixture = webhookFixture('merge_request.open.json');
  const payload = JSON.parse(fixture.body) as Json;
  payload.project.id = PROJECT.id;
  payload.project.path_with_namespace = PROJECT.path;
  payload.project.web_url = `${fake.url}/${PROJECT.path}`;
  payload.project.visibility_level = 20;
  payload.object_attributes.iid = iid;
  payload.object_attributes.id = 30_000 + iid + (instance === 'corp' ? 1000 : 0);
  payload.object_attributes.target_project_id = PROJECT.id;
  payload.object_attributes.title = title;
  payload.object_attributes.url = `${fake.url}/${PROJECT.path}/-/merge_requests/${iid}`;
  payload.object_attributes.author_id = AUTHOR.id;
  payload.object_attributes.detailed_merge_status = 'mergeable';
  const response = await fetch(`${bridge.publicUrl}/webhook${instance === 'corp' ? '/corp' : ''}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Gitlab-Token': instance === 'corp' ? 'corp-hook-secret' : 'hook-secret', 'X-Gitlab-Event': fixture.event, 'Idempotency-Key': randomUUID() },
    body: JSON.stringify(payload),
  });
  expect(response.status).toBe(202);
  await settled();
}

async function settled(): Promise<void> {
  await waitFor(async () => {
    const { rows } = await bridge.pool.query<{ busy: string }>(
      `SELECT (SELECT count(*) FROM webhook_deliveries WHERE processed_at IS NULL) + (SELECT count(*) FROM channel_outbox WHERE state = 'pending')
            + (SELECT count(*) FROM chat_replies WHERE state = 'pending' OR change IS NOT NULL) AS busy`,
    );
    return rows[0]!.busy === '0';
  }, 'everything sent', 20_000);
}

function rootPost(pattern: RegExp): FakePost {
  const found = bridge.mattermost.posts.filter((post) => post.channel_id === dev.id && post.root_id === '' && pattern.test(post.message));
  if (found.length !== 1) throw new Error(`expected one post matching ${pattern}, found ${found.length}`);
  return found[0]!;
}

/** Successful API writes a GitLab accepted. */
const writes = (fake: FakeGitLab, path: RegExp) => fake.requests.filter((request) => request.method !== 'GET' && path.test(request.path) && (request.status ?? 500) < 300);
/** Whether every request came with an OAuth token that GitLab issued to that user (through the bridge's sign-in). */
const allAs = (fake: FakeGitLab, userId: number, requests: FakeGitLabRequest[]) => requests.length > 0 && requests.every((request) => fake.tokensOf(userId).includes(request.token ?? ''));
/** Whether any request to `fake` came with a token another GitLab issued to that user. */
const anyWithTokenOf = (fake: FakeGitLab, issuer: FakeGitLab, userId: number) => fake.requests.some((request) => issuer.tokensOf(userId).includes(request.token ?? ''));

// --- Mattermost's side ---

const sessionOf = (userId: string) => bridge.sessions[bridge.mattermost.users.get(userId)!.username]!;

/** A press sent to the internal listener as Mattermost sends one. */
async function pressDirectly(userId: string, postId: string, claims: unknown): Promise<string> {
  const response = await fetch(`${bridge.internalUrl}/mattermost/action`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ user_id: userId, channel_id: dev.id, team_id: bridge.team.id, post_id: postId, trigger_id: '', type: 'button', context: { claims } }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { ephemeral_text?: string }).ephemeral_text ?? '';
}

/** The signed context of a post's button, as the bridge drew it (Mattermost keeps it from clients). */
function contextOf(post: FakePost, label: string): string {
  const stored = bridge.mattermost.posts.find((candidate) => candidate.id === post.id)!;
  const action = (stored.props.attachments as PostAttachment[]).flatMap((attachment) => attachment.actions).find((candidate) => candidate.name === label);
  if (!action) throw new Error(`no ${label} button on the post`);
  return action.integration.context.claims;
}

/** The claims inside a signed context, changed by `edit`, with the original signature kept. */
function tampered(signed: string, edit: (claims: ButtonClaims) => void): string {
  const [body, signature] = signed.split('.');
  const parsed = JSON.parse(Buffer.from(body!, 'base64url').toString('utf8')) as { c: ButtonClaims; exp: number };
  edit(parsed.c);
  return `${Buffer.from(JSON.stringify(parsed)).toString('base64url')}.${signature}`;
}

describe('commands act on the GitLab a URL or --instance names, as the person there', () => {
  it('`mr approve <corp URL>` approves on corp with Alice’s corp token, and nothing on the default GitLab', async () => {
    const answer = await bridge.command(alice, `mr approve ${corp.url}/${PROJECT.path}/-/merge_requests/8`, dev.id);
    expect(answer).toMatch(/approved/i);
    expect(corp.mergeRequest(PROJECT.path, 8).approvedBy).toEqual([ALICE_CORP.id]);
    const approvals = writes(corp, /merge_requests\/8\/approve$/);
    expect(approvals).toHaveLength(1);
    expect(allAs(corp, ALICE_CORP.id, approvals)).toBe(true);
    expect(writes(bridge.gitlab, /approve$/)).toEqual([]);
    // Audited as an object on corp: project ids repeat across GitLabs.
    const { rows } = await bridge.pool.query<{ target: string }>("SELECT target FROM audit_log WHERE action = 'gitlab.approve' AND actor = $1", [alice]);
    expect(rows).toEqual([{ target: `corp~merge_request:${PROJECT.id}:8` }]);
  });

  it('`--instance corp` with a path reads corp; without it, the default GitLab', async () => {
    expect(await bridge.command(alice, `issue show ${PROJECT.path}#3 --instance corp`, dev.id)).toContain('Corp issue');
    expect(await bridge.command(alice, `issue show ${PROJECT.path}#3`, dev.id)).toContain('Default issue');
    expect(allAs(corp, ALICE_CORP.id, corp.requests.filter((request) => request.path.includes('/issues/3')))).toBe(true);
    expect(allAs(bridge.gitlab, ALICE.id, bridge.gitlab.requests.filter((request) => request.path.includes('/issues/3')))).toBe(true);
  });

  it('`pipeline retry <corp URL>` retries corp’s pipeline, audited as corp’s', async () => {
    const pipeline = corp.addPipeline(PROJECT.path, { status: 'failed', userId: AUTHOR.id, ref: 'main' }).id;
    corp.addJob(PROJECT.path, { pipelineId: pipeline, name: 'test', status: 'failed' });
    expect(await bridge.command(alice, `pipeline retry ${corp.url}/${PROJECT.path}/-/pipelines/${pipeline}`, dev.id)).toMatch(/^Retried \[pipeline #\d+\]/);
    expect(allAs(corp, ALICE_CORP.id, writes(corp, new RegExp(`pipelines/${pipeline}/retry$`)))).toBe(true);
    expect(writes(bridge.gitlab, /retry$/)).toEqual([]);
    const { rows } = await bridge.pool.query<{ target: string }>("SELECT target FROM audit_log WHERE action = 'pipeline.retried' AND actor = $1", [alice]);
    expect(rows).toEqual([{ target: `corp~project:${PROJECT.path}` }]);
  });

  it('says which GitLab a URL is on when --instance names another, and refuses URLs of unknown GitLabs, asking nobody', async () => {
    const before = corp.requests.length + bridge.gitlab.requests.length;
    expect(await bridge.command(alice, `mr approve ${corp.url}/${PROJECT.path}/-/merge_requests/8 --instance ${new URL(bridge.gitlab.url).host}`, dev.id)).toMatch(/is on corp, not on 127\.0\.0\.1:\d+/);
    expect(await bridge.command(alice, `mr approve https://gitlab.elsewhere.example/${PROJECT.path}/-/merge_requests/8`, dev.id)).toMatch(/not on a GitLab this bridge knows \(`127\.0\.0\.1:\d+`, `corp`\)/);
    expect(await bridge.command(alice, `job retry ${PROJECT.path} 5 --instance nowhere`, dev.id)).toMatch(/no GitLab instance `nowhere`/);
    expect(corp.requests.length + bridge.gitlab.requests.length).toBe(before);
  });

  it('someone not connected on corp gets a link that connects them to corp, and the command that does', async () => {
    const answer = await bridge.command(bob, `mr approve ${corp.url}/${PROJECT.path}/-/merge_requests/8`, dev.id);
    expect(answer).toMatch(/GitLab actions run as your own GitLab account on \*\*corp\*\*: \[connect it\]\(http[^)]+\/oauth\/connect\?link=[^)]+\) \(or `\/gitlab connect corp`\)/);
    const { rows } = await bridge.pool.query<{ instance: string }>('SELECT instance FROM connect_links WHERE mattermost_user_id = $1 ORDER BY expires_at DESC LIMIT 1', [bob]);
    expect(rows).toEqual([{ instance: 'corp' }]);
    expect(await bridge.command(bob, `issue show ${PROJECT.path}#3 --instance corp`, dev.id)).toBe('Issues are read and written as your GitLab account on **corp**: `/gitlab connect corp` first.');
    // Bob's default-instance token never went to corp.
    expect(anyWithTokenOf(corp, bridge.gitlab, BOB.id)).toBe(false);
  });
});

describe('buttons act on the GitLab their post came from', () => {
  let corpPost: FakePost;
  let defaultPost: FakePost;

  beforeAll(async () => {
    await mergeRequestOpened('corp', 7, 'Corp change');
    await mergeRequestOpened('default', 7, 'Default change');
    corpPost = rootPost(/Corp change/);
    defaultPost = rootPost(/Default change/);
  }, 60_000);

  it('Approve on a corp post approves corp’s !7 as Alice’s corp account, not the default GitLab’s !7', async () => {
    const pressed = await bridge.mattermost.pressButton(corpPost.id, 'Approve', sessionOf(alice));
    expect(pressed.ephemeral.map((ephemeral) => ephemeral.message).join('\n')).toMatch(/You approved/);
    expect(corp.mergeRequest(PROJECT.path, 7).approvedBy).toEqual([ALICE_CORP.id]);
    expect(allAs(corp, ALICE_CORP.id, writes(corp, /merge_requests\/7\/approve$/))).toBe(true);
    expect(anyWithTokenOf(corp, bridge.gitlab, ALICE.id)).toBe(false);
    expect(bridge.gitlab.mergeRequest(PROJECT.path, 7).approvedBy).toEqual([]);
    // The redrawn post's buttons still act on corp: Revoke approval is signed for corp's !7.
    const revoke = JSON.parse(Buffer.from(contextOf(corpPost, 'Revoke approval').split('.')[0]!, 'base64url').toString('utf8')) as { c: ButtonClaims };
    expect(revoke.c.target).toEqual({ kind: 'merge_request', project: PROJECT.id, iid: 7, instance: 'corp' });
  });

  it('someone not connected on corp pressing a corp button is sent to connect on corp', async () => {
    const pressed = await bridge.mattermost.pressButton(corpPost.id, 'Assign me', sessionOf(bob));
    expect(pressed.ephemeral.map((ephemeral) => ephemeral.message).join('\n')).toMatch(/on \*\*corp\*\*: \[connect it\]\(.+\) \(or `\/gitlab connect corp`\)/);
    expect(anyWithTokenOf(corp, bridge.gitlab, BOB.id)).toBe(false);
  });

  it('a context made before several GitLabs (no instance in it) still acts on the default GitLab', async () => {
    // As every button drawn by the previous version was signed: the target without an instance.
    const old = signer.sign('button', { action: 'approve', target: { kind: 'merge_request', project: PROJECT.id, iid: 7 }, channel: dev.id, audience: 'channel' } satisfies ButtonClaims, Date.now() + 3_600_000);
    expect(await pressDirectly(bob, defaultPost.id, old)).toMatch(/You approved/);
    expect(bridge.gitlab.mergeRequest(PROJECT.path, 7).approvedBy).toEqual([BOB.id]);
    expect(allAs(bridge.gitlab, BOB.id, writes(bridge.gitlab, /merge_requests\/7\/approve$/))).toBe(true);
    // The default instance's buttons are signed as they always were: no instance in them.
    const drawn = JSON.parse(Buffer.from(contextOf(defaultPost, 'Merge').split('.')[0]!, 'base64url').toString('utf8')) as { c: ButtonClaims };
    expect(drawn.c.target).toEqual({ kind: 'merge_request', project: PROJECT.id, iid: 7 });
  });

  it('a context cannot be turned to the other GitLab: the instance is signed with the rest', async () => {
    const before = { corp: writes(corp, /./).length, default: writes(bridge.gitlab, /./).length };
    // Corp's Assign me, pointed at the default GitLab (the instance taken out), and the default's Merge pointed at corp.
    const toDefault = tampered(contextOf(corpPost, 'Assign me'), (claims) => {
      delete claims.target.instance;
    });
    const toCorp = tampered(contextOf(defaultPost, 'Assign me'), (claims) => {
      claims.target.instance = 'corp';
    });
    for (const [claims, post] of [
      [toDefault, defaultPost],
      [toCorp, corpPost],
    ] as const) {
      expect(await pressDirectly(alice, post.id, claims)).toBe('This button was not made by the GitLab bridge (or was changed), so nothing was done.');
    }
    // Signed properly, but for an instance this bridge does not have: refused, and audited.
    const unknown = signer.sign('button', { action: 'assignme', target: { kind: 'merge_request', project: PROJECT.id, iid: 7, instance: 'gone' }, channel: dev.id, audience: 'channel' } satisfies ButtonClaims, Date.now() + 3_600_000);
    expect(await pressDirectly(alice, corpPost.id, unknown)).toMatch(/GitLab this bridge is no longer connected to/);
    expect({ corp: writes(corp, /./).length, default: writes(bridge.gitlab, /./).length }).toEqual(before);
  });
});

describe('link tooltips and code previews read the GitLab a link is on, as the viewer there', () => {
  const corpMr = () => `${corp.url}/${PROJECT.path}/-/merge_requests/7`;
  const corpCode = () => `${corp.url}/${PROJECT.path}/-/blob/main/src/where.ts#L1-2`;

  it('/me lists each GitLab and whether the viewer is connected there: the webapp previews links of those', async () => {
    const host = new URL(bridge.gitlab.url).host;
    expect((await webappClient(bridge, 'bob')<Json>('GET', '/me')).body.instances).toEqual([
      { name: 'default', label: host, url: bridge.gitlab.url, connected: true },
      { name: 'corp', label: 'corp', url: corp.url, connected: false },
    ]);
    expect((await webappClient(bridge, 'alice')<Json>('GET', '/me')).body.instances.map((instance: Json) => instance.connected)).toEqual([true, true]);
  });

  it('a corp merge request’s tooltip comes from corp, read with Alice’s corp token', async () => {
    const before = bridge.gitlab.requests.length;
    const answer = await webappClient(bridge, 'alice')<Json>('GET', `/preview?url=${encodeURIComponent(corpMr())}`);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ kind: 'merge_request', title: 'Corp change', url: expect.stringContaining(corp.url) });
    expect(allAs(corp, ALICE_CORP.id, corp.requests.filter((request) => request.path.includes('/merge_requests/7') && request.method === 'GET'))).toBe(true);
    expect(bridge.gitlab.requests.length).toBe(before);
  });

  it('a corp code link’s lines come from corp, read as Alice there', async () => {
    const answer = await webappClient(bridge, 'alice')<Json>('GET', `/code-preview?url=${encodeURIComponent(corpCode())}`);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ project: PROJECT.path, path: 'src/where.ts', lines: ['export const where = "corp";', '// @channel never pings'] });
    expect(answer.body.permalink).toMatch(new RegExp(`^${corp.url}/acme/app/-/blob/[0-9a-f]{40}/src/where\\.ts#L1-2$`));
    expect(allAs(corp, ALICE_CORP.id, corp.requests.filter((request) => request.path.includes('/repository/files/')))).toBe(true);
  });

  it('a viewer not connected on corp is told to connect there, and corp is not asked with their other token', async () => {
    for (const path of [`/preview?url=${encodeURIComponent(corpMr())}`, `/code-preview?url=${encodeURIComponent(corpCode())}`]) {
      const answer = await webappClient(bridge, 'bob')<Json>('GET', path);
      expect(answer).toMatchObject({ status: 403, body: { code: 'not_connected', error: 'Connect your GitLab account on corp first (`/gitlab connect corp`).' } });
    }
    expect(anyWithTokenOf(corp, bridge.gitlab, BOB.id)).toBe(false);
  });

  it('links to a host no instance is on are not previewed, and no GitLab is asked', async () => {
    const before = corp.requests.length + bridge.gitlab.requests.length;
    for (const path of ['/preview?url=https%3A%2F%2Fgitlab.elsewhere.example%2Facme%2Fapp%2F-%2Fmerge_requests%2F7', '/code-preview?url=https%3A%2F%2Fgitlab.elsewhere.example%2Facme%2Fapp%2F-%2Fblob%2Fmain%2Fa.ts%23L1']) {
      expect((await webappClient(bridge, 'alice')<Json>('GET', path)).status).toBe(404);
    }
    expect(corp.requests.length + bridge.gitlab.requests.length).toBe(before);
  });
});

describe('replies in a corp thread', () => {
  it('become comments on corp’s merge request, as Alice’s corp account', async () => {
    const root = rootPost(/Corp change/);
    const answer = await bridge.mattermost.postAs(sessionOf(alice), { channelId: dev.id, rootId: root.id, message: 'Looks right to me, @bob' });
    expect(answer.status).toBe(201);
    let note: { body: string; authorId: number } | undefined;
    await waitFor(() => {
      note = corp.notesOf(PROJECT.path, 'merge_request', 7).find((candidate) => candidate.body.includes(`/pl/${answer.post!.id})`)) as typeof note;
      return note !== undefined;
    }, 'a comment on corp', 15_000);
    expect(note!.body).toMatch(/^Looks right to me/);
    // Bob's GitLab account is on the default instance: on corp that name is someone else, so it is not written as a mention.
    expect(note!.body).not.toContain('@bob.gl');
    expect(note!.body).toContain('`@bob`');
    expect(note!.authorId).toBe(ALICE_CORP.id);
    expect(bridge.gitlab.notesOf(PROJECT.path, 'merge_request', 7)).toEqual([]);
    expect(allAs(corp, ALICE_CORP.id, writes(corp, /merge_requests\/7\/notes$/))).toBe(true);
  });

  it('from someone not connected on corp: not posted, and they are asked once, by DM, to connect on corp', async () => {
    const root = rootPost(/Corp change/);
    const answer = await bridge.mattermost.postAs(sessionOf(bob), { channelId: dev.id, rootId: root.id, message: 'Me too' });
    expect(answer.status).toBe(201);
    await settled();
    const told = () => bridge.mattermost.directMessagesTo(bob).map((post) => post.message);
    await waitFor(() => told().some((message) => message.includes('on **corp**')), 'a DM to bob', 15_000);
    expect(told().find((message) => message.includes('on **corp**'))).toMatch(/\[Connect your GitLab account on \*\*corp\*\*\]\(http[^)]+\) \(the link works once, within 10 minutes; or `\/gitlab connect corp`\)/);
    expect(corp.notesOf(PROJECT.path, 'merge_request', 7).some((note) => note.body.startsWith('Me too'))).toBe(false);
    expect(anyWithTokenOf(corp, bridge.gitlab, BOB.id)).toBe(false);
  });

  // Each GitLab numbers its notes from 1: the bridge's record of a comment names the instance it is on.
  it('a corp comment with the id of a default one the bridge made is recorded too, and someone’s own corp comment of that id is still posted', async () => {
    const defaultRoot = rootPost(/Default change/);
    const corpRoot = rootPost(/Corp change/);
    alignNoteIds();
    const onDefault = await replyAs(alice, defaultRoot, 'First, on the default GitLab');
    const defaultNote = await commentOn(bridge.gitlab, onDefault);
    const onCorp = await replyAs(alice, corpRoot, 'Then on corp');
    expect((await commentOn(corp, onCorp)).id).toBe(defaultNote.id);
    await settled();
    const { rows } = await bridge.pool.query('SELECT instance, state, note_id FROM chat_replies WHERE post_id = ANY($1) ORDER BY instance', [[onDefault.id, onCorp.id]]);
    expect(rows).toEqual([
      { instance: 'corp', state: 'sent', note_id: String(defaultNote.id) },
      { instance: 'default', state: 'sent', note_id: String(defaultNote.id) },
    ]);
    expect(bridge.mattermost.directMessagesTo(alice).some((post) => post.message.includes('was not posted'))).toBe(false);

    alignNoteIds();
    const bridgeMade = await commentOn(bridge.gitlab, await replyAs(alice, defaultRoot, 'The bridge made this one'));
    const byHand = corp.addNote(PROJECT.path, { targetType: 'MergeRequest', targetIid: 7, authorId: AUTHOR.id, body: 'Written in corp by hand' });
    expect(byHand.id).toBe(bridgeMade.id);
    await corpNoteHook(byHand.id, byHand.body);
    expect(bridge.mattermost.posts.some((post) => post.root_id === corpRoot.id && post.message.includes('Written in corp by hand'))).toBe(true);
  });
});

/** Comments by the author on whichever GitLab numbered fewer notes, until both give the next note the same id. */
function alignNoteIds(): void {
  const filler = (fake: FakeGitLab) => fake.addNote(PROJECT.path, { targetType: 'MergeRequest', targetIid: 7, authorId: AUTHOR.id, body: 'filler' }).id;
  let [onDefault, onCorp] = [filler(bridge.gitlab), filler(corp)];
  while (onDefault < onCorp) onDefault = filler(bridge.gitlab);
  while (onCorp < onDefault) onCorp = filler(corp);
}

async function replyAs(userId: string, root: FakePost, message: string): Promise<FakePost> {
  const answer = await bridge.mattermost.postAs(sessionOf(userId), { channelId: dev.id, rootId: root.id, message });
  expect(answer.status).toBe(201);
  return answer.post!;
}

/** The comment a reply became on `fake`. */
async function commentOn(fake: FakeGitLab, post: FakePost): Promise<{ id: number }> {
  let found: { id: number } | undefined;
  await waitFor(() => {
    found = fake.notesOf(PROJECT.path, 'merge_request', 7).find((note) => note.body.includes(`/pl/${post.id})`));
    return found !== undefined;
  }, `a comment for ${post.message}`, 15_000);
  return found!;
}

/** The Note Hook corp sends about a comment on its !7, through corp's own door. */
async function corpNoteHook(noteId: number, body: string): Promise<void> {
  const fixture = webhookFixture('note.merge_request.json');
  const payload = JSON.parse(fixture.body) as Json;
  payload.project_id = PROJECT.id;
  payload.project.id = PROJECT.id;
  payload.project.path_with_namespace = PROJECT.path;
  payload.project.web_url = `${corp.url}/${PROJECT.path}`;
  payload.project.visibility_level = 20;
  payload.user = { id: AUTHOR.id, name: AUTHOR.name, username: AUTHOR.username };
  Object.assign(payload.object_attributes, { id: noteId, note: body, author_id: AUTHOR.id, project_id: PROJECT.id, url: `${corp.url}/${PROJECT.path}/-/merge_requests/7#note_${noteId}` });
  Object.assign(payload.merge_request, { iid: 7, target_project_id: PROJECT.id, source_project_id: PROJECT.id, title: 'Corp change', url: `${corp.url}/${PROJECT.path}/-/merge_requests/7` });
  const response = await fetch(`${bridge.publicUrl}/webhook/corp`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Gitlab-Token': 'corp-hook-secret', 'X-Gitlab-Event': fixture.event, 'Idempotency-Key': randomUUID() },
    body: JSON.stringify(payload),
  });
  expect(response.status).toBe(202);
  await settled();
}

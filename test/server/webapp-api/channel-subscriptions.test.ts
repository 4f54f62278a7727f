/**
 * A channel's subscriptions through the webapp API, as the plugin's panel uses
 * them: the same rules as `/gitlab subscriptions`, for members of the channel
 * only. Real bridge process, real PostgreSQL, both fakes on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FakeChannel } from '../../fakes/fake-mattermost.js';
import { startCommandBridge, type CommandBridge } from '../../helpers/command-bridge.js';
import { webappClient } from '../../helpers/webapp-client.js';

let running: CommandBridge;
let alice: ReturnType<typeof webappClient>;
let dana: ReturnType<typeof webappClient>;
let carol: ReturnType<typeof webappClient>;
const tokens: Record<string, string> = {};
let botId: string;

type Subscription = { id: string; target: { kind: string; path: string; url: string }; events: string[]; labels: string[]; style: string; threads: boolean; buttons: boolean; syncReplies: boolean; webhook: { state: string; text: string }; canCreateWebhook: boolean; createdBy: { username: string } };

beforeAll(async () => {
  running = await startCommandBridge({ users: ['alice', 'carol', 'dana'], oauth: true });
  const { mattermost, gitlab, users } = running;
  // Dana is a system admin (before her session is first checked: the bridge keeps it for a minute).
  mattermost.users.get(users.dana!)!.roles = 'system_user system_admin';
  botId = [...mattermost.users.values()].find((user) => user.username === 'gitlab')!.id;
  gitlab.addProject('platform/web', { visibility: 'public' });
  gitlab.addProject('platform/deep/down/api', { visibility: 'public' });
  gitlab.addProject('secret/vault', { visibility: 'private' });
  gitlab.addProject('hidden/thing', { visibility: 'private' });
  tokens.alice = (await running.connectGitLab(users.alice!, { id: 101, username: 'alice.gl', name: 'Alice' })).token;
  tokens.dana = (await running.connectGitLab(users.dana!, { id: 103, username: 'dana.gl', name: 'Dana' })).token;
  gitlab.grant(tokens.alice, 'secret', 20);
  gitlab.grant(tokens.dana, 'secret', 20);
  alice = webappClient(running, 'alice');
  dana = webappClient(running, 'dana');
  carol = webappClient(running, 'carol');
}, 60_000);
afterAll(() => running.close());

const channel = (name: string, members: string[], type: 'O' | 'P' = 'O'): FakeChannel =>
  running.mattermost.addChannel(name, { type, members: members.map((name) => running.users[name] ?? name), teamId: running.team.id });
const botPosts = (where: FakeChannel) => running.mattermost.posts.filter((post) => post.channel_id === where.id && post.user_id === botId);
const liveEvents = async (channelId: string) =>
  (await running.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM live_events WHERE kind = 'subscriptions' AND channel_id = $1", [channelId])).rows[0]!.n;

describe('channel subscriptions through the webapp API', () => {
  it('lists, adds, edits and deletes, with the same effects as the slash command', async () => {
    const town = channel('town', ['alice']);
    const path = `/channels/${town.id}/subscriptions`;
    expect(await alice('GET', path)).toMatchObject({ status: 200, body: { subscriptions: [], canCreateWebhooks: true } });

    const added = await alice<{ subscription: Subscription }>('POST', path, { body: { target: 'https://' + new URL(running.gitlab.url).host + '/platform/deep/down/api/-/issues/3', events: ['mr:merged', 'issues'], style: 'compact' } });
    expect(added.status).toBe(201);
    const { subscription } = added.body;
    expect(subscription).toMatchObject({
      target: { kind: 'project', path: 'platform/deep/down/api' },
      events: ['merge_request:merged', 'issue'],
      style: 'compact',
      threads: true,
      buttons: true,
      createdBy: { username: 'alice' },
      // Alice is no Maintainer: GitLab does not show her the project's hooks.
      webhook: { state: 'unknown' },
      canCreateWebhook: false,
    });
    expect(botPosts(town).at(-1)!.message).toMatch(/^alice subscribed this channel to the GitLab project \[platform\/deep\/down\/api\]/);
    expect(await running.command(running.users.alice!, 'subscriptions list', town.id)).toContain(`**${subscription.id}** · project \`platform/deep/down/api\``);
    expect(await liveEvents(town.id)).toBe(1);

    const edited = await alice<{ subscription: Subscription }>('PATCH', `${path}/${subscription.id}`, { body: { labels: ['bug'], events: null, threads: false } });
    expect(edited.status).toBe(200);
    expect(edited.body.subscription).toMatchObject({ labels: ['bug'], events: ['merge_request', 'issue', 'tag_push', 'pipeline', 'release'], style: 'compact', threads: false });
    expect(botPosts(town).at(-1)!.message).toMatch(/^alice changed this channel's subscription to `platform\/deep\/down\/api`/);

    const listed = await alice<{ subscriptions: Subscription[] }>('GET', path);
    expect(listed.body.subscriptions.map((item) => [item.id, item.labels])).toEqual([[subscription.id, ['bug']]]);

    expect(await alice('DELETE', `${path}/${subscription.id}`)).toMatchObject({ status: 200, body: { ok: true } });
    expect(await alice('DELETE', `${path}/${subscription.id}`)).toMatchObject({ status: 404, body: { code: 'not_found' } });
    expect((await alice<{ subscriptions: Subscription[] }>('GET', path)).body.subscriptions).toEqual([]);
    expect(await liveEvents(town.id)).toBe(3);

    // The slash command's changes are announced to the webapp too.
    expect(await running.command(running.users.alice!, 'subscriptions add platform/web', town.id)).toMatch(/^Subscribed/);
    expect(await liveEvents(town.id)).toBe(4);
    expect(await alice('POST', path, { body: { target: 'platform/web' } })).toMatchObject({ status: 409, body: { code: 'conflict', error: 'This channel already follows `platform/web`.' } });
  });

  it('adds with the buttons off, shows it, and turns them back on', async () => {
    const porch = channel('porch', ['alice']);
    const path = `/channels/${porch.id}/subscriptions`;
    const stored = async () => (await running.pool.query('SELECT buttons FROM subscriptions WHERE channel_id = $1', [porch.id])).rows.map((row: { buttons: boolean }) => row.buttons);
    const added = await alice<{ subscription: Subscription }>('POST', path, { body: { target: 'platform/web', buttons: false } });
    expect(added).toMatchObject({ status: 201, body: { subscription: { buttons: false, threads: true } } });
    expect(await stored()).toEqual([false]);
    expect((await alice<{ subscriptions: Subscription[] }>('GET', path)).body.subscriptions.map((item) => item.buttons)).toEqual([false]);
    expect(botPosts(porch).at(-1)!.message).toContain('no buttons');

    const { id } = added.body.subscription;
    expect(await alice('PATCH', `${path}/${id}`, { body: { buttons: 'on' } })).toMatchObject({ status: 400, body: { code: 'bad_request', error: expect.stringMatching(/^`buttons`/) } });
    expect(await alice('PATCH', `${path}/${id}`, { body: { buttons: true } })).toMatchObject({ status: 200, body: { subscription: { buttons: true } } });
    expect(await stored()).toEqual([true]);
    // A change that does not name it keeps it.
    await alice('PATCH', `${path}/${id}`, { body: { buttons: false } });
    expect(await alice('PATCH', `${path}/${id}`, { body: { style: 'title' } })).toMatchObject({ status: 200, body: { subscription: { buttons: false, style: 'title' } } });
  });

  it('sends thread replies to GitLab as the channel’s type says unless told, shows it, and switches it', async () => {
    const hall = channel('hall', ['alice']);
    const den = channel('den', ['alice', botId], 'P');
    const stored = async (where: FakeChannel) => (await running.pool.query('SELECT sync_replies FROM subscriptions WHERE channel_id = $1', [where.id])).rows.map((row: { sync_replies: boolean }) => row.sync_replies);
    const add = (where: FakeChannel, body: Record<string, unknown>) => alice<{ subscription: Subscription }>('POST', `/channels/${where.id}/subscriptions`, { body: { target: 'platform/web', ...body } });

    expect(await add(hall, {})).toMatchObject({ status: 201, body: { subscription: { syncReplies: false } } });
    const added = await add(den, {});
    expect(added).toMatchObject({ status: 201, body: { subscription: { syncReplies: true } } });
    expect([await stored(hall), await stored(den)]).toEqual([[false], [true]]);
    expect((await alice<{ subscriptions: Subscription[] }>('GET', `/channels/${den.id}/subscriptions`)).body.subscriptions.map((item) => item.syncReplies)).toEqual([true]);

    const path = `/channels/${den.id}/subscriptions/${added.body.subscription.id}`;
    expect(await alice('PATCH', path, { body: { syncReplies: 'off' } })).toMatchObject({ status: 400, body: { code: 'bad_request', error: expect.stringMatching(/^`syncReplies`/) } });
    expect(await alice('PATCH', path, { body: { syncReplies: false } })).toMatchObject({ status: 200, body: { subscription: { syncReplies: false } } });
    expect(await stored(den)).toEqual([false]);
    // A change that does not name it keeps it; said outright when adding, it wins over the channel's type.
    expect(await alice('PATCH', path, { body: { style: 'title' } })).toMatchObject({ status: 200, body: { subscription: { syncReplies: false, style: 'title' } } });
    const porch = channel('porch-sync', ['alice']);
    expect(await add(porch, { syncReplies: true })).toMatchObject({ status: 201, body: { subscription: { syncReplies: true } } });
    expect(botPosts(porch).at(-1)!.message).toContain('replies → GitLab');
  });

  it('answers only members of the channel', async () => {
    const elsewhere = channel('elsewhere', ['carol']);
    const secretRoom = channel('secret-room', ['carol'], 'P');
    for (const where of [elsewhere, secretRoom]) {
      expect(await alice('GET', `/channels/${where.id}/subscriptions`)).toMatchObject({ status: 403, body: { code: 'not_channel_member' } });
      expect(await alice('POST', `/channels/${where.id}/subscriptions`, { body: { target: 'platform/web' } })).toMatchObject({ status: 403, body: { code: 'not_channel_member' } });
    }
    expect(await alice('GET', '/channels/not-a-channel/subscriptions')).toMatchObject({ status: 400, body: { code: 'bad_request' } });
    expect((await running.pool.query('SELECT count(*)::int AS n FROM subscriptions WHERE channel_id = ANY($1)', [[elsewhere.id, secretRoom.id]])).rows[0].n).toBe(0);
  });

  it('keeps a private project out of a public channel unless a system admin forces it', async () => {
    const open = channel('open-plan', ['alice', 'dana']);
    const core = channel('core', ['alice', botId], 'P');
    const path = `/channels/${open.id}/subscriptions`;
    expect(await alice('POST', path, { body: { target: 'secret/vault' } })).toMatchObject({
      status: 403,
      body: { code: 'forbidden', error: expect.stringContaining('is private: its events would show to everyone who can read this public channel') },
    });
    expect(await alice('POST', path, { body: { target: 'secret/vault', force: true } })).toMatchObject({ status: 403, body: { error: 'Only a system admin can use `force`.' } });
    expect(await alice('POST', path, { body: { target: 'platform/web', confidential: true } })).toMatchObject({ status: 400, body: { error: expect.stringContaining('only go to a private channel') } });
    expect(await dana('POST', path, { body: { target: 'secret/vault', force: true } })).toMatchObject({ status: 201, body: { subscription: { target: { path: 'secret/vault' } } } });
    expect((await running.pool.query("SELECT actor FROM audit_log WHERE action = 'subscription.created_forced'")).rows).toEqual([{ actor: running.users.dana }]);
    expect(await alice('POST', `/channels/${core.id}/subscriptions`, { body: { target: 'secret/vault', confidential: true } })).toMatchObject({ status: 201 });
  });

  it('turns confidential on only for a connected Reporter, public projects included, and records who did', async () => {
    const vault = channel('vault-room', ['alice', 'carol', 'dana', botId], 'P');
    const path = `/channels/${vault.id}/subscriptions`;
    expect(await carol('POST', path, { body: { target: 'platform/web', confidential: true } })).toMatchObject({ status: 403, body: { code: 'not_connected' } });
    // Dana is connected (and a system admin) but not a member of the project on GitLab.
    expect(await dana('POST', path, { body: { target: 'platform/web', confidential: true } })).toMatchObject({
      status: 403,
      body: { code: 'forbidden', error: expect.stringContaining('You need at least Reporter access to `platform/web` to turn on confidential issues and notes') },
    });
    expect((await running.pool.query('SELECT count(*)::int AS n FROM subscriptions WHERE channel_id = $1', [vault.id])).rows[0].n).toBe(0);
    running.gitlab.grant(tokens.alice!, 'platform/web', 20);
    expect(await alice('POST', path, { body: { target: 'platform/web', confidential: true } })).toMatchObject({ status: 201, body: { subscription: { confidential: true } } });
    const [row] = (await running.pool.query('SELECT confidential, confidential_by FROM subscriptions WHERE channel_id = $1', [vault.id])).rows;
    expect(row).toEqual({ confidential: true, confidential_by: running.users.alice });
  });

  it('lets only the creator or an admin edit, and turning confidential on needs Reporter access', async () => {
    const den = channel('den', ['alice', 'carol', 'dana', botId], 'P');
    const path = `/channels/${den.id}/subscriptions`;
    const { subscription } = (await alice<{ subscription: Subscription }>('POST', path, { body: { target: 'platform/deep/down/api' } })).body;
    expect(await carol('PATCH', `${path}/${subscription.id}`, { body: { style: 'title' } })).toMatchObject({
      status: 403,
      body: { code: 'forbidden', error: 'Only whoever added this subscription, or a channel, team or system admin, can change it.' },
    });
    expect(await carol('PATCH', `${path}/${subscription.id}`, { body: { confidential: true } })).toMatchObject({ status: 403, body: { code: 'forbidden' } });
    // A system admin may change it, but GitLab does not show her the project's confidential issues.
    expect(await dana('PATCH', `${path}/${subscription.id}`, { body: { confidential: true } })).toMatchObject({ status: 403, body: { error: expect.stringContaining('Reporter access') } });
    expect(await dana('PATCH', `${path}/${subscription.id}`, { body: { style: 'title' } })).toMatchObject({ status: 200, body: { subscription: { style: 'title' } } });
    expect((await running.pool.query('SELECT style, confidential FROM subscriptions WHERE id = $1', [subscription.id])).rows[0]).toEqual({ style: 'title', confidential: false });
  });

  it('refuses a target the user cannot see, and settings that do not fit it', async () => {
    const lab = channel('lab', ['alice']);
    const path = `/channels/${lab.id}/subscriptions`;
    expect(await alice('POST', path, { body: { target: 'hidden/thing' } })).toMatchObject({ status: 404, body: { code: 'not_found', error: '`hidden/thing` does not exist on GitLab, or your GitLab account cannot see it.' } });
    expect(await alice('POST', path, { body: { target: 'platform/web', exclude: ['legacy/*'] } })).toMatchObject({ status: 400, body: { error: expect.stringContaining('`exclude` leaves projects out of a group subscription') } });
    expect(await alice('POST', path, { body: { target: 'platform', poll: true } })).toMatchObject({ status: 400, body: { error: expect.stringContaining('`poll` works for projects only') } });
  });

  it('answers bad input with a 400 that names the field', async () => {
    const desk = channel('desk', ['alice']);
    const path = `/channels/${desk.id}/subscriptions`;
    const refusal = async (body: unknown) => {
      const answer = await alice<{ code: string; error: string }>('POST', path, { body });
      expect(answer.status).toBe(400);
      expect(answer.body.code).toBe('bad_request');
      return answer.body.error;
    };
    expect(await refusal({})).toMatch(/^`target`/);
    expect(await refusal({ target: 'platform/web', events: 'mr' })).toMatch(/^`events`/);
    expect(await refusal({ target: 'platform/web', events: ['builds'] })).toContain('`builds` is not an event kind');
    expect(await refusal({ target: 'platform/web', style: 'huge' })).toContain('`style` is `full`, `compact`');
    expect(await refusal({ target: 'platform/web', colour: 'red' })).toContain('`colour`');
    expect(await refusal({ target: 'https://gitlab.example.org/platform/web' })).toMatch(/^`target`: .* is not on this bridge's GitLab/);
    const subscription = (await alice<{ subscription: Subscription }>('POST', path, { body: { target: 'platform/web' } })).body.subscription;
    expect(await alice('PATCH', `${path}/${subscription.id}`, { body: { threads: 'no' } })).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^`threads`/) } });
    expect(await alice('PATCH', `${path}/${subscription.id}`, { body: {} })).toMatchObject({ status: 400, body: { error: expect.stringContaining('Say what to change') } });
  });

  it('asks for a GitLab connection and a same-origin request with the CSRF token', async () => {
    const hall = channel('hall', ['carol', 'alice']);
    const path = `/channels/${hall.id}/subscriptions`;
    expect(await carol('POST', path, { body: { target: 'platform/web' } })).toMatchObject({ status: 403, body: { code: 'not_connected' } });
    expect(await carol('GET', path)).toMatchObject({ status: 200, body: { subscriptions: [], canCreateWebhooks: false } });
    expect(await alice('POST', path, { body: { target: 'platform/web' }, csrf: 'wrong' })).toMatchObject({ status: 403, body: { code: 'csrf' } });
    expect(await alice('POST', path, { body: { target: 'platform/web' }, origin: 'https://evil.example.com' })).toMatchObject({ status: 403, body: { code: 'cross_origin' } });
    expect((await running.pool.query('SELECT count(*)::int AS n FROM subscriptions WHERE channel_id = $1', [hall.id])).rows[0].n).toBe(0);
  });

  it("creates the project's webhook for a Maintainer and then shows it working", async () => {
    const ops = channel('ops', ['alice']);
    running.gitlab.addProject('platform/ops', { visibility: 'public' });
    const path = `/channels/${ops.id}/subscriptions`;
    const { subscription } = (await alice<{ subscription: Subscription }>('POST', path, { body: { target: 'platform/ops' } })).body;
    running.gitlab.grant(tokens.alice!, 'platform/ops', 30);
    expect(await alice('POST', `${path}/${subscription.id}/webhook`)).toMatchObject({ status: 403, body: { code: 'forbidden', error: expect.stringContaining('Maintainer') } });
    running.gitlab.grant(tokens.alice!, 'platform/ops', 40);
    expect((await alice<{ subscriptions: Subscription[] }>('GET', path)).body.subscriptions[0]).toMatchObject({ webhook: { state: 'missing' }, canCreateWebhook: true });
    const created = await alice<{ webhook: { state: string } }>('POST', `${path}/${subscription.id}/webhook`);
    expect(created).toMatchObject({ status: 201, body: { webhook: { state: 'ok' } } });
    expect(running.gitlab.hooksOf('platform/ops')).toEqual([expect.objectContaining({ url: `${running.publicUrl}/webhook`, token: 'hook-secret', merge_requests_events: true })]);
    expect(await alice('POST', `${path}/${subscription.id}/webhook`)).toMatchObject({ status: 409, body: { code: 'conflict' } });
  });
});

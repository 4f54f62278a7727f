/**
 * Connecting a GitLab account, as a user does it: `/gitlab connect` in
 * Mattermost, the link in a browser signed in to Mattermost, GitLab's consent
 * (a fake OAuth provider that checks PKCE), back to the bridge; then tokens in
 * use, refreshed, revoked. And what another user's browser gets with that link.
 * Real bridge process behind a stand-in for Mattermost's site and reverse proxy
 * (PUBLIC_URL under MATTERMOST_SITE_URL, as deployed), real PostgreSQL, both
 * fakes on loopback.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { open, toEncryptionKey } from '../../../server/src/crypto/secret-box.js';
import type { FakeGitLab } from '../../fakes/fake-gitlab.js';
import type { FakeMattermost, FakeTeam } from '../../fakes/fake-mattermost.js';
import { browse, startCommandBridge, type CommandBridge } from '../../helpers/command-bridge.js';
import { webhookFixture } from '../../helpers/fixtures.js';
import { waitFor } from '../../helpers/wait-for.js';
import { startMattermostOrigin, type MattermostOrigin } from '../../e2e/mattermost-origin.js';

const aliceOnGitLab = 4242;
const bobOnGitLab = 4343;

let running: CommandBridge;
let mattermost: FakeMattermost;
let gitlab: FakeGitLab;
let pool: pg.Pool;
let team: FakeTeam;
let publicUrl: string;
let alice: string;
let bob: string;
let aliceGitLabToken: string;
/** Mattermost's site: its pages, and the bridge under /plugins/gitlab-bridge/ through the proxy. */
let site: MattermostOrigin;

beforeEach(async () => {
  site = await startMattermostOrigin({ hostScript: Buffer.alloc(0), bundle: Buffer.alloc(0), assetsDir: '/nonexistent' });
  running = await startCommandBridge({
    users: ['alice', 'bob'],
    oauth: true,
    publicUrl: `${site.url}/plugins/gitlab-bridge`,
    env: ({ gitlab: fake }) => {
      aliceGitLabToken = fake.addUser({ id: aliceOnGitLab, username: 'alice.gl', name: 'Alice' }).token;
      fake.addUser({ id: bobOnGitLab, username: 'bob.gl', name: 'Bob' });
      return { MATTERMOST_SITE_URL: site.url };
    },
  });
  ({ mattermost, gitlab, pool, team, publicUrl } = running);
  site.route({ bridge: running.listenerUrl, mattermost: mattermost.url });
  mattermost.config.ServiceSettings.SiteURL = site.url;
  alice = running.users.alice!;
  bob = running.users.bob!;
});
afterEach(async () => {
  await running.close();
  await site.close();
});

const gitlabCommand = (userId: string, text: string, channelId?: string) => running.command(userId, text, channelId);
/** The Cookie header of a browser signed in to Mattermost as this user. */
const signedInAs = (name: 'alice' | 'bob') => ({ cookie: `MMAUTHTOKEN=${running.sessions[name]}` });

async function connectLink(userId: string): Promise<string> {
  const answer = await gitlabCommand(userId, 'connect');
  return /\((http[^)]+\/oauth\/connect\?link=[^)]+)\)/.exec(answer)![1]!;
}

async function connectAlice() {
  gitlab.signIn(aliceOnGitLab);
  const link = await connectLink(alice);
  return { link, result: await browse(link, signedInAs('alice')) };
}

/** The bridge's one-line answer to a browser, without following it. */
async function visit(url: string, cookie?: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { redirect: 'manual', headers: { ...headers, ...(cookie ? { Cookie: cookie } : {}) } });
  return { status: response.status, location: response.headers.get('location'), body: await response.text() };
}

/**
 * What the webapp plugin's route at /plug/gitlab-bridge/connect does with the address Mattermost's login
 * brings the browser back to: only the link goes on, to the bridge under the site (its own test:
 * test/webapp/plugin.test.tsx).
 */
function throughPluginRoute(back: string): string {
  const url = new URL(back, site.url);
  expect(url.pathname).toBe('/plug/gitlab-bridge/connect');
  return `${site.url}/plugins/gitlab-bridge/oauth/connect?link=${url.searchParams.get('link')}`;
}

const auditRows = async (action: string) => (await pool.query('SELECT actor, target, details FROM audit_log WHERE action = $1 ORDER BY id', [action])).rows;
const accounts = async () => (await pool.query('SELECT mattermost_user_id, gitlab_username FROM gitlab_accounts')).rows;
const codeExchanges = () => gitlab.oauthRequests.filter((request) => request.grantType === 'authorization_code').length;

describe('connecting a GitLab account', () => {
  it('goes through GitLab with PKCE and a single-use state, stores the tokens sealed, and welcomes the user', async () => {
    const { result } = await connectAlice();
    expect(result.status).toBe(200);
    expect(result.body).toContain('connected to GitLab as <b>alice.gl</b>');
    const authorize = new URL(result.hops.find((hop) => hop.includes('/oauth/authorize'))!);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorize.searchParams.get('scope')).toBe('api read_user');

    const [row] = (await pool.query('SELECT * FROM gitlab_accounts')).rows;
    expect(row).toMatchObject({ mattermost_user_id: alice, gitlab_username: 'alice.gl', disconnected_at: null });
    // The tokens are nowhere in the database in the clear.
    const dump = JSON.stringify((await pool.query('SELECT * FROM gitlab_accounts')).rows) + JSON.stringify((await pool.query('SELECT * FROM oauth_states')).rows);
    for (const token of gitlab.tokensOf(aliceOnGitLab)) expect(dump).not.toContain(token);
    // Readable with the bridge's key only: another key under the same id fails authentication.
    const sealed = { keyId: row.key_id, payload: row.access_token };
    const context = `gitlab_accounts:${alice}:access_token`;
    expect(open(sealed, [toEncryptionKey(Buffer.from('cd'.repeat(32), 'hex'))], context)).toBe(gitlab.tokensOf(aliceOnGitLab)[0]);
    expect(() => open(sealed, [{ ...toEncryptionKey(randomBytes(32)), id: row.key_id }], context)).toThrow();
    expect(mattermost.directMessagesTo(alice).map((post) => post.message)).toEqual([expect.stringContaining('connected to GitLab as **alice.gl**')]);
    expect(await gitlabCommand(alice, 'me')).toContain('Token: accepted by GitLab, scopes api, read_user');
    expect(await gitlabCommand(alice, 'connect')).toBe('You are connected to GitLab as **alice.gl**. To use another account, `/gitlab disconnect` first.');
    expect((await pool.query("SELECT action FROM audit_log WHERE actor = $1", [alice])).rows.map((r) => r.action)).toContain('account.connected');
  });

  it('refuses a replayed state and a reused link, exchanging no second code', async () => {
    const { link, result } = await connectAlice();
    expect(result.status).toBe(200);
    const complete = result.hops.find((hop) => hop.includes('/oauth/complete'))!;
    const exchanges = gitlab.oauthRequests.filter((request) => request.grantType === 'authorization_code').length;

    const replayed = await browse(complete, signedInAs('alice'));
    expect(replayed.status).toBe(400);
    expect(replayed.body).toContain('finished already');
    const reused = await browse(link, signedInAs('alice'));
    expect(reused.status).toBe(400);
    expect(reused.body).toContain('used already');
    expect(gitlab.oauthRequests.filter((request) => request.grantType === 'authorization_code')).toHaveLength(exchanges);
  });

  it("connects the signed-in user from the webapp's popup, which has no link", async () => {
    gitlab.signIn(aliceOnGitLab);
    const popup = await browse(`${publicUrl}/oauth/connect`, signedInAs('alice'));
    expect(popup.status).toBe(200);
    expect(popup.body).toContain('connected to GitLab as <b>alice.gl</b>');
    expect(await accounts()).toEqual([{ mattermost_user_id: alice, gitlab_username: 'alice.gl' }]);
    // Not signed in: nothing starts.
    const anonymous = await visit(`${publicUrl}/oauth/connect`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toContain('not signed in to Mattermost');
  });

  it("refuses the popup's sign-in when another website starts it, and starts nothing; Mattermost's own pages and a typed address still work", async () => {
    // A page elsewhere signed the victim's browser in to GitLab as its author, then sends it here: the
    // author's GitLab account would end up on the victim's Mattermost account (login CSRF).
    gitlab.signIn(bobOnGitLab);
    const popup = `${publicUrl}/oauth/connect`;
    const fromElsewhere: Record<string, string>[] = [
      { 'Sec-Fetch-Site': 'cross-site' },
      // A sibling host, such as GitLab itself next to Mattermost, carries anyone's links.
      { 'Sec-Fetch-Site': 'same-site' },
      // A browser without Fetch Metadata says where it came from in Referer.
      { Referer: 'https://evil.example/page' },
    ];
    for (const headers of fromElsewhere) {
      const refused = await visit(popup, signedInAs('alice').cookie, headers);
      expect(refused).toMatchObject({ status: 403, location: null });
      expect(refused.body).toContain('Started from another website');
      expect(refused.body).toContain('nothing was started');
    }
    expect((await pool.query('SELECT count(*)::int AS n FROM oauth_states')).rows[0].n).toBe(0);
    expect(await accounts()).toEqual([]);

    gitlab.signIn(aliceOnGitLab);
    const fromMattermost: Record<string, string>[] = [
      { 'Sec-Fetch-Site': 'same-origin' }, // the webapp's popup
      { 'Sec-Fetch-Site': 'none' }, // typed, or handed to a browser by the desktop app
      { Referer: `${site.url}/team-one/channels/town-square` },
      {}, // neither header: an old browser with its referrer hidden, or not a browser
    ];
    for (const headers of fromMattermost) {
      const started = await visit(popup, signedInAs('alice').cookie, headers);
      expect(started.status).toBe(302);
      expect(started.location).toContain('/oauth/authorize');
    }
    // A link is not the popup: only its owner ever sees it, so it may come from anywhere (a mail, another chat).
    const link = await connectLink(alice);
    const fromMail = await visit(link, signedInAs('alice').cookie, { 'Sec-Fetch-Site': 'cross-site' });
    expect(fromMail.status).toBe(302);
    expect(fromMail.location).toContain('/oauth/authorize');
  });

  it('refreshes an expired token once even when two commands need it at the same moment', async () => {
    await connectAlice();
    gitlab.expireAccessTokens();
    await pool.query("UPDATE gitlab_accounts SET expires_at = now() - interval '1 minute'");
    gitlab.setTokenDelay(300);
    const answers = await Promise.all([gitlabCommand(alice, 'me'), gitlabCommand(alice, 'me')]);
    for (const answer of answers) expect(answer).toContain('Token: accepted by GitLab');
    expect(gitlab.oauthRequests.filter((request) => request.grantType === 'refresh_token')).toHaveLength(1);
  });

  it('marks the user disconnected and tells them once when GitLab refuses the grant', async () => {
    await connectAlice();
    gitlab.revokeAuthorization(aliceOnGitLab);
    await pool.query("UPDATE gitlab_accounts SET expires_at = now() - interval '1 minute'");
    expect(await gitlabCommand(alice, 'me')).toContain('GitLab no longer accepts the token');
    expect(await gitlabCommand(alice, 'me')).toContain('Your GitLab connection (alice.gl) ended on');
    const told = mattermost.directMessagesTo(alice).filter((post) => post.message.includes('stopped working'));
    expect(told).toHaveLength(1);
    const [row] = (await pool.query('SELECT access_token, refresh_token, disconnected_at FROM gitlab_accounts')).rows;
    expect(row).toMatchObject({ access_token: null, refresh_token: null });
    expect(row.disconnected_at).not.toBeNull();
  });

  it('disconnects: the token is revoked at GitLab and forgotten', async () => {
    await connectAlice();
    const [token] = gitlab.tokensOf(aliceOnGitLab);
    expect(await gitlabCommand(alice, 'disconnect')).toBe('Disconnected from GitLab (alice.gl); its token is revoked.');
    expect((await fetch(`${gitlab.url}/api/v4/user`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(401);
    expect((await pool.query('SELECT count(*)::int AS n FROM gitlab_accounts')).rows[0].n).toBe(0);
    expect(await gitlabCommand(alice, 'me')).toContain('You have no GitLab account connected');
    expect(await gitlabCommand(alice, 'disconnect')).toBe('You had no GitLab account connected.');
  });

  it('lets a connected Reporter subscribe a private channel to a private project, and keeps it out of public channels', async () => {
    gitlab.addProject('secret/vault', { visibility: 'private' });
    const bot = [...mattermost.users.values()].find((user) => user.username === 'gitlab')!;
    const privateChannel = mattermost.addChannel('core', { type: 'P', members: [alice, bot.id], teamId: team.id });
    const publicChannel = mattermost.addChannel('town', { type: 'O', members: [alice], teamId: team.id });
    const add = (channelId: string, extra = '') => gitlabCommand(alice, `subscriptions add secret/vault${extra}`, channelId);

    expect(await add(privateChannel.id)).toContain('connect your GitLab account first: `/gitlab connect`');
    await connectAlice();
    expect(await add(privateChannel.id)).toContain('does not exist on GitLab, or your GitLab account cannot see it');
    gitlab.grant(aliceGitLabToken, 'secret/vault', 10);
    expect(await add(privateChannel.id)).toBe('You need at least Reporter access to `secret/vault` to subscribe a channel to it.');
    gitlab.grant(aliceGitLabToken, 'secret', 20);
    expect(await add(publicChannel.id)).toContain('is private: its events would show to everyone who can read this public channel');
    expect(await add(publicChannel.id, ' --force')).toBe('Only a system admin can use `--force`.');
    expect(await add(privateChannel.id)).toMatch(/^Subscribed this channel to `secret\/vault`/);
    const rows = (await pool.query('SELECT channel_id, private_access FROM subscriptions')).rows;
    expect(rows).toEqual([{ channel_id: privateChannel.id, private_access: true }]);
  });

  it('adds a project webhook for a Maintainer, shows its health, tests it, and explains what GitLab refuses', async () => {
    gitlab.addProject('platform/web', { visibility: 'public' });
    expect(await gitlabCommand(alice, 'webhook add platform/web')).toContain('`/gitlab connect` first');
    await connectAlice();
    gitlab.grant(aliceGitLabToken, 'platform/web', 30);
    expect(await gitlabCommand(alice, 'webhook add platform/web')).toBe("GitLab refused: a project's webhooks need the Maintainer or Owner role in `platform/web`.");

    gitlab.grant(aliceGitLabToken, 'platform/web', 40);
    expect(await gitlabCommand(alice, 'webhook test platform/web')).toBe('`platform/web` sends no webhooks to this bridge. `/gitlab webhook add platform/web` adds one.');
    expect(await gitlabCommand(alice, 'webhook add platform/web --events mr,pipelines')).toMatch(/^Added a webhook to the project `platform\/web` \(hook \d+, SSL verification on\): merge_requests_events, pipeline_events\.$/);
    const [hook] = gitlab.hooksOf('platform/web');
    expect(hook).toMatchObject({ url: `${publicUrl}/webhook`, token: 'hook-secret', enable_ssl_verification: true, merge_requests_events: true, push_events: false });
    expect(await gitlabCommand(alice, 'webhook add platform/web')).toContain('already sends webhooks to this bridge');
    expect(await gitlabCommand(alice, 'webhook list platform/web')).toContain(`- Hook ${hook!.id}: working · merge_requests, pipeline`);
    gitlab.disableHook(hook!.id, { until: new Date('2030-01-01T00:00:00Z') });
    expect(await gitlabCommand(alice, 'webhook list platform/web')).toContain('**paused by GitLab after failures** until 2030-01-01');
    expect(await gitlabCommand(alice, 'webhook test platform/web')).toContain(`through hook ${hook!.id}`);
    expect(gitlab.hookTests).toEqual([{ hookId: hook!.id, trigger: 'merge_requests_events' }]);
    const audited = (await pool.query("SELECT details FROM audit_log WHERE action = 'webhook.created'")).rows;
    expect(audited).toHaveLength(1);
    expect(JSON.stringify(audited)).not.toContain('hook-secret');

    gitlab.grant(aliceGitLabToken, 'platform', 50);
    gitlab.setEdition('ce');
    expect(await gitlabCommand(alice, 'webhook add platform')).toContain('need GitLab Premium or Ultimate');
    gitlab.setEdition('premium');
    expect(await gitlabCommand(alice, 'webhook add platform')).toMatch(/^Added a webhook to the group `platform`/);
  });

  it('shows in `subscriptions list` whether webhooks arrive and what GitLab says of its hook', async () => {
    // The fixture's project, so that its webhook is about the subscribed project.
    const { body, event } = webhookFixture('issue.open.json');
    gitlab.addProject('gitlabhq/gitlab-test', { visibility: 'public', id: 1 });
    const channel = mattermost.addChannel('dev', { type: 'O', members: [alice], teamId: team.id });
    await connectAlice();
    await gitlabCommand(alice, 'subscriptions add gitlabhq/gitlab-test', channel.id);
    const list = () => gitlabCommand(alice, 'subscriptions list', channel.id);
    // A Developer cannot read the project's hooks: the list says only what arrived.
    gitlab.grant(aliceGitLabToken, 'gitlabhq/gitlab-test', 30);
    expect(await list()).toMatch(/\n {2}- Webhook: \*\*no event has arrived yet\*\*$/);

    gitlab.grant(aliceGitLabToken, 'gitlabhq/gitlab-test', 40);
    expect(await list()).toContain('Webhook: **no event has arrived yet** · no GitLab hook of `gitlabhq/gitlab-test` points at this bridge: `/gitlab webhook add gitlabhq/gitlab-test`');
    await gitlabCommand(alice, 'webhook add gitlabhq/gitlab-test');
    const [hook] = gitlab.hooksOf('gitlabhq/gitlab-test');
    const delivered = await fetch(`${publicUrl}/webhook`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Gitlab-Event': event, 'X-Gitlab-Token': 'hook-secret' }, body });
    expect(delivered.status).toBe(202);
    await waitFor(async () => (await list()).includes(`Webhook: last event just now · GitLab hook ${hook!.id} working`));
    gitlab.disableHook(hook!.id);
    expect(await list()).toContain(`GitLab hook ${hook!.id} **disabled by GitLab after repeated failures**`);
  });
});

describe("a connect link works only in the browser of the Mattermost user it was made for", () => {
  it("refuses Alice's link in Bob's browser: nothing is connected to Alice, the link still works for her, and the attempt is audited", async () => {
    const link = await connectLink(alice);
    // Bob, signed in to Mattermost and to GitLab as himself, opens the link Alice sent him.
    gitlab.signIn(bobOnGitLab);
    const inBobsBrowser = await browse(link, signedInAs('bob'));
    expect(inBobsBrowser.status).toBe(403);
    expect(inBobsBrowser.body).toContain('This link was made for another Mattermost account');
    expect(inBobsBrowser.body).toContain('run <code>/gitlab connect</code> yourself');
    expect(inBobsBrowser.hops).toEqual([]); // never sent to GitLab
    expect(await accounts()).toEqual([]);
    expect(codeExchanges()).toBe(0);
    const [refusal, ...more] = await auditRows('account.connect_refused');
    expect(more).toEqual([]);
    expect(refusal).toEqual({ actor: bob, target: `mattermost_user:${alice}`, details: { step: 'link', reason: 'the connect link was made for another Mattermost user' } });
    const logged = JSON.stringify(await auditRows('account.connect_refused')) + JSON.stringify(running.bridge.logs);
    for (const secret of [running.sessions.alice!, running.sessions.bob!, new URL(link).searchParams.get('link')!]) expect(logged).not.toContain(secret);

    // Alice herself still can, once.
    gitlab.signIn(aliceOnGitLab);
    const inAlicesBrowser = await browse(link, signedInAs('alice'));
    expect(inAlicesBrowser.status).toBe(200);
    expect(inAlicesBrowser.body).toContain('connected to GitLab as <b>alice.gl</b>');
    expect(await accounts()).toEqual([{ mattermost_user_id: alice, gitlab_username: 'alice.gl' }]);
    expect((await browse(link, signedInAs('alice'))).status).toBe(400);
    // What `/gitlab connect` says matches.
    expect(await gitlabCommand(bob, 'connect')).toContain('It works only in a browser signed in to Mattermost as you');
  });

  it("sends a browser without a Mattermost session through Mattermost's login and back to the same link, which then works", async () => {
    const link = await connectLink(alice);
    for (const cookie of [undefined, 'MMAUTHTOKEN=not-a-session']) {
      const bounced = await visit(link, cookie);
      expect(bounced.status).toBe(302);
      const login = new URL(bounced.location!);
      expect(`${login.origin}${login.pathname}`).toBe(`${site.url}/login`);
      // A path on Mattermost's own site, as its login page requires: the webapp plugin's route, which
      // Mattermost's app renders after a password login too (it follows redirect_to in-app), with this link.
      const back = login.searchParams.get('redirect_to')!;
      expect(back).toBe(`/plug/gitlab-bridge/connect?link=${new URL(link).searchParams.get('link')}`);
      expect(throughPluginRoute(back)).toBe(link);
    }
    expect(await accounts()).toEqual([]);

    // Signed in now: Mattermost shows the plugin's route, which sends the browser on to the bridge.
    gitlab.signIn(aliceOnGitLab);
    const back = throughPluginRoute(new URL((await visit(link)).location!).searchParams.get('redirect_to')!);
    const afterLogin = await browse(back, signedInAs('alice'));
    expect(afterLogin.status).toBe(200);
    expect(afterLogin.body).toContain('connected to GitLab as <b>alice.gl</b>');
    expect(await accounts()).toEqual([{ mattermost_user_id: alice, gitlab_username: 'alice.gl' }]);
    // Still single-use: gone now, with or without a session; an unknown link is never bounced anywhere.
    expect((await visit(link)).status).toBe(400);
    const made = await visit(`${publicUrl}/oauth/connect?link=${encodeURIComponent('//evil.example/')}`);
    expect(made).toMatchObject({ status: 400, location: null });
    // An empty or repeated link is a link that cannot work, not the popup's request without one.
    for (const query of ['link=', 'link=a&link=b']) {
      expect(await visit(`${publicUrl}/oauth/connect?${query}`, signedInAs('alice').cookie)).toMatchObject({ status: 400, location: null });
    }
  });

  it('expires a link that only ever bounced to the login', async () => {
    const link = await connectLink(alice);
    expect((await visit(link)).status).toBe(302);
    await pool.query("UPDATE connect_links SET expires_at = now() - interval '1 second'");
    const late = await browse(link, signedInAs('alice'));
    expect(late.status).toBe(400);
    expect(late.body).toContain('more than 10 minutes old');
  });

  it("refuses to finish Alice's GitLab sign-in in Bob's browser, or in a browser signed in to no one, and burns it", async () => {
    gitlab.signIn(bobOnGitLab);
    // Alice starts in her browser and sends Bob GitLab's consent page; Bob consents as himself.
    const toGitLab = await visit(await connectLink(alice), signedInAs('alice').cookie);
    expect(toGitLab.location).toContain('/oauth/authorize');
    const complete = (await visit(toGitLab.location!)).location!;
    expect(complete).toContain(`${publicUrl}/oauth/complete?`);

    const inBobsBrowser = await visit(complete, signedInAs('bob').cookie);
    expect(inBobsBrowser.status).toBe(403);
    expect(inBobsBrowser.body).toContain('started for another Mattermost account');
    // The state is used up: Alice cannot finish it with the code Bob's browser got.
    const inAlicesBrowser = await visit(complete, signedInAs('alice').cookie);
    expect(inAlicesBrowser.status).toBe(400);
    expect(await accounts()).toEqual([]);
    expect(codeExchanges()).toBe(0);

    // The same with no Mattermost session where GitLab sends the browser back.
    const again = (await visit((await visit(await connectLink(alice), signedInAs('alice').cookie)).location!)).location!;
    const anonymous = await visit(again);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toContain('not signed in to Mattermost');
    expect((await visit(again, signedInAs('alice').cookie)).status).toBe(400);
    expect(await accounts()).toEqual([]);
    expect(codeExchanges()).toBe(0);
    expect(await auditRows('account.connect_refused')).toEqual([
      { actor: bob, target: `mattermost_user:${alice}`, details: { step: 'complete', reason: 'the GitLab sign-in was started by another Mattermost user' } },
      { actor: 'nobody', target: `mattermost_user:${alice}`, details: { step: 'complete', reason: 'no Mattermost session in the browser that came back from GitLab' } },
    ]);
  });

  it('refuses a browser that carries a second, planted Mattermost session, on the link and back from GitLab: nothing is connected, and it is audited', async () => {
    // Bob (the attacker) controls a host next to Mattermost's and planted his own session in Alice's browser
    // (`MMAUTHTOKEN=<Bob's>; Domain=<parent>; Path=/plugins/gitlab-bridge/oauth`), which sends it first.
    // He sends her his own link: were his session taken, her GitLab account would be tied to his Mattermost one.
    gitlab.signIn(aliceOnGitLab);
    const link = await connectLink(bob);
    const tossed = `MMAUTHTOKEN=${running.sessions.bob}; MMAUTHTOKEN=${running.sessions.alice}; MMUSERID=${alice}`;
    const onLink = await browse(link, { cookie: tossed });
    expect(onLink.status).toBe(400);
    expect(onLink.body).toContain('Your browser sends two Mattermost sessions');
    expect(onLink.body).toContain('Sign out of Mattermost and sign in again');
    expect(onLink.hops).toEqual([]); // never sent to GitLab
    // With only Bob's session planted and Alice's MMUSERID beside it: the same.
    const mixed = await browse(link, { cookie: `MMAUTHTOKEN=${running.sessions.bob}; MMUSERID=${alice}` });
    expect(mixed.status).toBe(400);
    expect(mixed.body).toContain('Your browser sends two Mattermost sessions');

    // Bob starts in his own browser and gets Alice to consent at GitLab: the way back is refused too, and burnt.
    const toGitLab = await visit(link, signedInAs('bob').cookie);
    expect(toGitLab.location).toContain('/oauth/authorize');
    const complete = (await visit(toGitLab.location!)).location!;
    const back = await visit(complete, tossed);
    expect(back.status).toBe(400);
    expect(back.body).toContain('Your browser sends two Mattermost sessions');
    expect((await visit(complete, signedInAs('bob').cookie)).status).toBe(400);
    expect(await accounts()).toEqual([]);
    expect(codeExchanges()).toBe(0);
    expect(await auditRows('account.connect_refused')).toEqual([
      { actor: 'unknown', target: `mattermost_user:${bob}`, details: { step: 'link', reason: 'the browser sent two Mattermost sessions (2 MMAUTHTOKEN cookies)' } },
      { actor: 'unknown', target: `mattermost_user:${bob}`, details: { step: 'link', reason: 'the browser sent two Mattermost sessions (MMUSERID names another user than the session)' } },
      { actor: 'unknown', target: `mattermost_user:${bob}`, details: { step: 'complete', reason: 'the browser sent two Mattermost sessions (2 MMAUTHTOKEN cookies)' } },
    ]);
    await running.bridge.waitForLog((line) => line.msg === 'refused a GitLab sign-in from a browser that sends two Mattermost sessions' && line.step === 'complete');
    const logged = JSON.stringify(running.bridge.logs);
    for (const secret of [running.sessions.alice!, running.sessions.bob!]) expect(logged).not.toContain(secret);
  });

  it("audits another browser that burns a sign-in with GitLab's `?error=`, but not the user declining at GitLab", async () => {
    /** Where GitLab sends the browser back with an error instead of a code (RFC 6749 §4.1.2.1, as GitLab's Doorkeeper does). */
    const errorReturn = async (error: string) => {
      const authorize = new URL((await visit(await connectLink(alice), signedInAs('alice').cookie)).location!);
      return `${publicUrl}/oauth/complete?error=${error}&error_description=denied&state=${authorize.searchParams.get('state')}`;
    };

    // Bob's browser comes back with Alice's state and an error: refused as another user's, on record, and used up.
    const burnt = await errorReturn('access_denied');
    const inBobsBrowser = await visit(burnt, signedInAs('bob').cookie);
    expect(inBobsBrowser.status).toBe(403);
    expect(inBobsBrowser.body).toContain('started for another Mattermost account');
    expect((await visit(burnt, signedInAs('alice').cookie)).status).toBe(400);
    // And a browser signed in to nobody.
    const anonymous = await visit(await errorReturn('server_error'));
    expect(anonymous.status).toBe(401);

    // Alice clicks Deny at GitLab: she is told so, and that is nobody's security event.
    const declined = await visit(await errorReturn('access_denied'), signedInAs('alice').cookie);
    expect(declined.status).toBe(400);
    expect(declined.body).toContain('GitLab did not connect your account (access_denied)');
    expect(await accounts()).toEqual([]);
    expect(codeExchanges()).toBe(0);
    expect(await auditRows('account.connect_refused')).toEqual([
      { actor: bob, target: `mattermost_user:${alice}`, details: { step: 'complete', reason: 'the GitLab sign-in was started by another Mattermost user' } },
      { actor: 'nobody', target: `mattermost_user:${alice}`, details: { step: 'complete', reason: 'no Mattermost session in the browser that came back from GitLab' } },
    ]);
  });

  it('answers 502 when Mattermost cannot confirm the session, and uses nothing up', async () => {
    gitlab.signIn(aliceOnGitLab);
    const link = await connectLink(alice);
    // Only the session check fails: the bridge's own calls as the bot (its listener, pollers) go on meanwhile.
    mattermost.inject('GetUser', { status: 500 }, 1, alice);
    const down = await visit(link, signedInAs('alice').cookie);
    expect(down.status).toBe(502);
    expect(down.body).toContain('Mattermost could not confirm who is signed in');
    const toGitLab = await visit(link, signedInAs('alice').cookie);
    expect(toGitLab.status).toBe(302);
    const complete = (await visit(toGitLab.location!)).location!;
    // Back from GitLab with a session the bridge has not seen yet (the one above it remembers for a while).
    const cookie = `MMAUTHTOKEN=${mattermost.addSession(alice)}`;
    mattermost.inject('GetUser', { status: 500 }, 1, alice);
    expect((await visit(complete, cookie)).status).toBe(502);
    const done = await visit(complete, cookie);
    expect(done.status).toBe(200);
    expect(await accounts()).toEqual([{ mattermost_user_id: alice, gitlab_username: 'alice.gl' }]);
  });
});

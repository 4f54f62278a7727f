/**
 * Connecting a GitLab account, as a user does it: `/gitlab connect` in
 * Mattermost, the link in a browser, GitLab's consent (a fake OAuth provider
 * that checks PKCE), back to the bridge; then tokens in use, refreshed,
 * revoked. Real bridge process, real PostgreSQL, both fakes on loopback.
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

const aliceOnGitLab = 4242;

let running: CommandBridge;
let mattermost: FakeMattermost;
let gitlab: FakeGitLab;
let pool: pg.Pool;
let team: FakeTeam;
let publicUrl: string;
let alice: string;
let aliceGitLabToken: string;

beforeEach(async () => {
  running = await startCommandBridge({
    users: ['alice'],
    oauth: true,
    env: ({ gitlab: fake }) => {
      aliceGitLabToken = fake.addUser({ id: aliceOnGitLab, username: 'alice.gl', name: 'Alice' }).token;
      return {};
    },
  });
  ({ mattermost, gitlab, pool, team, publicUrl } = running);
  alice = running.users.alice!;
});
afterEach(() => running.close());

const gitlabCommand = (userId: string, text: string, channelId?: string) => running.command(userId, text, channelId);

async function connectAlice() {
  gitlab.signIn(aliceOnGitLab);
  const answer = await gitlabCommand(alice, 'connect');
  const link = /\((http[^)]+\/oauth\/connect\?link=[^)]+)\)/.exec(answer)![1]!;
  return { link, result: await browse(link) };
}

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

    const replayed = await browse(complete);
    expect(replayed.status).toBe(400);
    expect(replayed.body).toContain('finished already');
    const reused = await browse(link);
    expect(reused.status).toBe(400);
    expect(reused.body).toContain('used already');
    expect(gitlab.oauthRequests.filter((request) => request.grantType === 'authorization_code')).toHaveLength(exchanges);
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


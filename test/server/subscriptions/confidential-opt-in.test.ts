/**
 * Confidential issues and notes reach a channel only while a connected user
 * GitLab lets read them (Reporter or more, public projects included) vouches
 * for it: at subscribe time, every day after, and when that user disconnects.
 * A channel made public stops getting them within seconds, and a private
 * project's events too, unless a system admin forced it there. Real bridge
 * process, real PostgreSQL, fake GitLab and Mattermost on loopback; webhooks
 * arrive over HTTP as GitLab sends them.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CHANNEL_TYPE_FRESH_MS } from '../../../server/src/mattermost/channel-gateway.js';
import type { FakeChannel } from '../../fakes/fake-mattermost.js';
import { startCommandBridge, type CommandBridge } from '../../helpers/command-bridge.js';
import { webhookFixture } from '../../helpers/fixtures.js';
import { waitFor } from '../../helpers/wait-for.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let running: CommandBridge;
let botId: string;
let projectId: number;
let vaultId: number;
const tokens: Record<string, string> = {};
const user = (name: string) => running.users[name]!;

beforeAll(async () => {
  running = await startCommandBridge({ users: ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'], oauth: true });
  botId = [...running.mattermost.users.values()].find((candidate) => candidate.username === 'gitlab')!.id;
  projectId = running.gitlab.addProject('platform/web', { visibility: 'public' }).id;
  running.gitlab.addProject('platform/api', { visibility: 'public' });
  vaultId = running.gitlab.addProject('platform/vault', { visibility: 'private' }).id;
  tokens.alice = (await running.connectGitLab(user('alice'), { id: 201, username: 'alice.gl', name: 'Alice' })).token;
  tokens.bob = (await running.connectGitLab(user('bob'), { id: 202, username: 'bob.gl', name: 'Bob' })).token;
  tokens.dave = (await running.connectGitLab(user('dave'), { id: 204, username: 'dave.gl', name: 'Dave' })).token;
  tokens.erin = (await running.connectGitLab(user('erin'), { id: 205, username: 'erin.gl', name: 'Erin' })).token;
  tokens.frank = (await running.connectGitLab(user('frank'), { id: 206, username: 'frank.gl', name: 'Frank' })).token;
  // Alice reports in the whole group; Bob is a Guest of the project only; Carol has no GitLab account here.
  running.gitlab.grant(tokens.alice, 'platform', 20);
  running.gitlab.grant(tokens.bob, 'platform/web', 10);
  running.gitlab.grant(tokens.dave, 'platform/web', 20);
  running.gitlab.grant(tokens.erin, 'platform/web', 30);
  // Frank is a system admin in Mattermost and reports in the private platform/vault.
  running.mattermost.users.get(user('frank'))!.roles = 'system_user system_admin';
  running.gitlab.grant(tokens.frank, 'platform/vault', 20);
}, 90_000);
afterAll(() => running.close());

const privateChannel = (name: string, members: string[]): FakeChannel =>
  running.mattermost.addChannel(name, { type: 'P', members: [...members.map(user), botId], teamId: running.team.id });
const botPosts = (channel: FakeChannel, pattern: RegExp = /./) => running.mattermost.posts.filter((post) => post.channel_id === channel.id && post.user_id === botId && pattern.test(post.message));
const subscriptionRow = async (channel: FakeChannel) =>
  (await running.pool.query('SELECT * FROM subscriptions WHERE channel_id = $1', [channel.id])).rows[0] as Json | undefined;

/** An issue of platform/web (or `project`) opened on GitLab, as its webhook; `confidential` as GitLab sends those. */
async function sendIssue(title: string, confidential: boolean, project: { id: number; path: string; visibilityLevel: number } = { id: projectId, path: 'platform/web', visibilityLevel: 20 }): Promise<void> {
  const payload = JSON.parse(webhookFixture('issue.open.json').body) as Json;
  payload.project.id = project.id;
  payload.project.path_with_namespace = project.path;
  payload.project.web_url = `${running.gitlab.url}/${project.path}`;
  payload.project.visibility_level = project.visibilityLevel;
  payload.object_attributes.project_id = project.id;
  payload.object_attributes.iid = Math.floor(Math.random() * 1e6);
  payload.object_attributes.id = payload.object_attributes.iid;
  payload.object_attributes.title = title;
  payload.object_attributes.confidential = confidential;
  payload.object_attributes.url = `${running.gitlab.url}/${project.path}/-/issues/${payload.object_attributes.iid}`;
  if (confidential) payload.event_type = 'confidential_issue';
  const response = await fetch(`${running.listenerUrl}/webhook`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Gitlab-Token': 'hook-secret', 'X-Gitlab-Event': confidential ? 'Confidential Issue Hook' : 'Issue Hook', 'Idempotency-Key': randomUUID() },
    body: JSON.stringify(payload),
  });
  expect(response.status).toBeLessThan(300);
}

const VAULT = () => ({ id: vaultId, path: 'platform/vault', visibilityLevel: 0 });

/** A system admin converts the channel, through Mattermost's API as the webapp does. */
async function setPrivacy(channel: FakeChannel, privacy: 'O' | 'P'): Promise<void> {
  const { token } = running.mattermost.addUser(`sysadmin-${randomUUID().slice(0, 8)}`, { roles: 'system_user system_admin' });
  const converted = await fetch(`${running.mattermost.url}/api/v4/channels/${channel.id}/privacy`, {
    method: 'PUT',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ privacy }),
  });
  expect(converted.status).toBe(200);
}

/** Made public; then as long as the bridge may take to notice ("within seconds": the channel's type it checks is at most this old). */
async function makePublic(channel: FakeChannel): Promise<void> {
  await setPrivacy(channel, 'O');
  await new Promise((resolve) => setTimeout(resolve, CHANNEL_TYPE_FRESH_MS + 200));
}
const makePrivate = (channel: FakeChannel) => setPrivacy(channel, 'P');

/** A confidential issue, then an ordinary one: a channel's posts go out in order, so once the second is there the first was decided. */
async function confidentialThenOrdinary(channel: FakeChannel, tag: string): Promise<void> {
  await sendIssue(`Secret ${tag}`, true);
  await sendIssue(`Ordinary ${tag}`, false);
  await waitFor(() => botPosts(channel, new RegExp(`Ordinary ${tag}`)).length === 1, `the ordinary issue ${tag} in ${channel.name}`, 20_000);
}

describe('confidential opt-in', () => {
  it('needs a connected subscriber with Reporter access, public projects included, and records who it is', async () => {
    const security = privateChannel('security', ['alice', 'bob', 'carol']);
    const refusedCarol = await running.command(user('carol'), 'subscriptions add platform/web --confidential', security.id);
    expect(refusedCarol).toBe('Confidential issues and notes go only where a subscriber GitLab shows them to vouches for them. Connect your GitLab account first: `/gitlab connect`.');
    const refusedBob = await running.command(user('bob'), 'subscriptions add platform/web --confidential', security.id);
    expect(refusedBob).toContain('You need at least Reporter access to `platform/web` to turn on confidential issues and notes');
    expect(await running.command(user('bob'), 'subscriptions add platform --confidential', security.id)).toContain('Reporter access to `platform`');
    expect(await subscriptionRow(security)).toBeUndefined();

    expect(await running.command(user('alice'), 'subscriptions add platform/web --confidential --events issue', security.id)).toMatch(/^Subscribed this channel to `platform\/web`.*confidential included/);
    expect(await subscriptionRow(security)).toMatchObject({ confidential: true, confidential_by: user('alice'), confidential_checked_at: expect.any(Date) });
    const groupRoom = privateChannel('group-room', ['alice']);
    expect(await running.command(user('alice'), 'subscriptions add platform --confidential', groupRoom.id)).toMatch(/^Subscribed/);
    expect(await subscriptionRow(groupRoom)).toMatchObject({ target_kind: 'group', confidential: true, confidential_by: user('alice') });
  });

  it('lets only the creator or an admin edit, and turning confidential on needs Reporter access too', async () => {
    const ops = privateChannel('ops', ['bob', 'carol']);
    running.mattermost.channels.get(ops.id)!.admins.add(user('carol'));
    expect(await running.command(user('bob'), 'subscriptions add platform/web', ops.id)).toMatch(/^Subscribed/);
    const { id } = (await subscriptionRow(ops))!;
    const other = privateChannel('ops-2', ['bob', 'dave']);
    expect(await running.command(user('bob'), 'subscriptions add platform/api', other.id)).toMatch(/^Subscribed/);
    const { id: otherId } = (await subscriptionRow(other))!;

    expect(await running.command(user('dave'), `subscriptions edit ${otherId} --style compact`, other.id)).toBe('Only whoever added this subscription, or a channel, team or system admin, can change it.');
    expect(await running.command(user('dave'), `subscriptions edit ${otherId} --confidential`, other.id)).toBe('Only whoever added this subscription, or a channel, team or system admin, can change it.');
    expect(await subscriptionRow(other)).toMatchObject({ style: 'full', confidential: false });

    // The creator, but a Guest: no confidential. A channel admin with no GitLab account: neither.
    expect(await running.command(user('bob'), `subscriptions edit ${id} --confidential`, ops.id)).toContain('You need at least Reporter access to `platform/web`');
    expect(await running.command(user('carol'), `subscriptions edit ${id} --confidential`, ops.id)).toContain('Connect your GitLab account first: `/gitlab connect`.');
    expect(await running.command(user('carol'), `subscriptions edit ${id} --style compact`, ops.id)).toMatch(/^Changed subscription/);
    expect(await subscriptionRow(ops)).toMatchObject({ style: 'compact', confidential: false, confidential_by: null });
  });

  it("checks the subscribed project itself, not whatever took its path after a rename", async () => {
    const original = running.gitlab.addProject('labs/tools', { visibility: 'public' });
    const lab = privateChannel('lab', ['bob']);
    expect(await running.command(user('bob'), 'subscriptions add labs/tools --events issue', lab.id)).toMatch(/^Subscribed/);
    const { id } = (await subscriptionRow(lab))!;
    // Renamed on GitLab; Bob, no member of it, creates a project of his own at the old path.
    Object.assign(original, { path: 'tools-archive', name: 'tools-archive', path_with_namespace: 'labs/tools-archive' });
    running.gitlab.addProject('labs/tools', { visibility: 'public' });
    running.gitlab.grant(tokens.bob!, 'labs/tools', 50);

    expect(await running.command(user('bob'), `subscriptions edit ${id} --confidential`, lab.id)).toContain('You need at least Reporter access to `labs/tools-archive`');
    expect(await subscriptionRow(lab)).toMatchObject({ confidential: false, confidential_by: null });

    // Made a Reporter of the original (at its new path): now he may.
    running.gitlab.grant(tokens.bob!, 'labs/tools-archive', 20);
    expect(await running.command(user('bob'), `subscriptions edit ${id} --confidential`, lab.id)).toMatch(/^Changed subscription/);
    expect(await subscriptionRow(lab)).toMatchObject({ confidential: true, confidential_by: user('bob') });
  });

  it('stops confidential delivery when the daily re-check finds the access gone, and tells the channel once', async () => {
    const audit = privateChannel('audit', ['dave']);
    expect(await running.command(user('dave'), 'subscriptions add platform/web --confidential --events issue', audit.id)).toMatch(/^Subscribed/);
    const { id } = (await subscriptionRow(audit))!;
    await confidentialThenOrdinary(audit, 'one');
    expect(botPosts(audit, /Secret one/)).toHaveLength(1);

    // The first check runs soon after the opt-in; then a day passes and Dave is now a Guest.
    const job = async () => (await running.pool.query("SELECT last_success_at FROM poll_jobs WHERE kind = 'confidential_access' AND subject = $1", [id])).rows[0] as Json | undefined;
    await waitFor(async () => Boolean((await job())?.last_success_at), 'the first re-check', 20_000);
    expect(await subscriptionRow(audit)).toMatchObject({ confidential: true, confidential_by: user('dave') });
    running.gitlab.grant(tokens.dave!, 'platform/web', 10);
    await running.pool.query("UPDATE poll_jobs SET next_run_at = now() WHERE kind = 'confidential_access' AND subject = $1", [id]);

    await waitFor(async () => (await subscriptionRow(audit))!.confidential === false, 'confidential turned off', 20_000);
    expect(await subscriptionRow(audit)).toMatchObject({ confidential_by: null, confidential_stopped_reason: expect.stringContaining('Reporter'), confidential_stopped_at: expect.any(Date) });
    await waitFor(() => botPosts(audit, /no longer come to this channel/).length === 1, 'the notice', 20_000);
    expect(botPosts(audit, /no longer come to this channel/)[0]!.message).toContain('`platform/web`');
    expect((await running.pool.query("SELECT actor FROM audit_log WHERE action = 'subscription.confidential_stopped' AND target = $1", [`subscription:${id}`])).rows).toHaveLength(1);

    await confidentialThenOrdinary(audit, 'two');
    expect(botPosts(audit, /Secret two/)).toEqual([]);
    expect(botPosts(audit, /no longer come to this channel/)).toHaveLength(1);
    expect(await running.command(user('dave'), 'subscriptions list', audit.id)).toContain('**Confidential issues and notes stopped**');
  });

  it('stops confidential delivery when the person who opted in disconnects', async () => {
    const incidents = privateChannel('incidents', ['erin']);
    expect(await running.command(user('erin'), 'subscriptions add platform/web --confidential --events issue', incidents.id)).toMatch(/^Subscribed/);
    await confidentialThenOrdinary(incidents, 'three');
    expect(botPosts(incidents, /Secret three/)).toHaveLength(1);

    expect(await running.command(user('erin'), 'disconnect', incidents.id)).toMatch(/^Disconnected from GitLab/);
    expect(await subscriptionRow(incidents)).toMatchObject({ confidential: false, confidential_by: null, confidential_stopped_reason: expect.stringContaining('disconnected') });
    await waitFor(() => botPosts(incidents, /no longer come to this channel/).length === 1, 'the notice', 20_000);
    expect(botPosts(incidents, /no longer come to this channel/)[0]!.message).toContain('disconnected their GitLab account');

    await confidentialThenOrdinary(incidents, 'four');
    expect(botPosts(incidents, /Secret four/)).toEqual([]);
    expect(botPosts(incidents, /no longer come to this channel/)).toHaveLength(1);
  });

  it('stops posting confidential content within seconds of the channel being made public', async () => {
    const team = privateChannel('red-team', ['alice']);
    expect(await running.command(user('alice'), 'subscriptions add platform/web --confidential --events issue', team.id)).toMatch(/^Subscribed/);
    await confidentialThenOrdinary(team, 'five');
    expect(botPosts(team, /Secret five/)).toHaveLength(1);

    await makePublic(team);
    await confidentialThenOrdinary(team, 'six');
    expect(botPosts(team, /Secret six/)).toEqual([]);
    expect((await subscriptionRow(team))!.last_failure).toMatch(/public channel/);
  });

  it("stops posting a private project's events within seconds of the channel being made public", async () => {
    const vault = privateChannel('vault-room', ['alice']);
    expect(await running.command(user('alice'), 'subscriptions add platform/vault --events issue', vault.id)).toMatch(/^Subscribed/);
    // Public issues of platform/web come after each vault issue: posts go out in order, so once one is there the vault issue was decided.
    expect(await running.command(user('alice'), 'subscriptions add platform/web --events issue', vault.id)).toMatch(/^Subscribed/);
    const vaultThenPublic = async (tag: string) => {
      await sendIssue(`Vault ${tag}`, false, VAULT());
      await sendIssue(`Public ${tag}`, false);
      await waitFor(() => botPosts(vault, new RegExp(`Public ${tag}`)).length === 1, `the public issue ${tag}`, 20_000);
    };
    await vaultThenPublic('seven');
    expect(botPosts(vault, /Vault seven/)).toHaveLength(1);

    await makePublic(vault);
    await vaultThenPublic('eight');
    expect(botPosts(vault, /Vault eight/)).toEqual([]);
    const list = await running.command(user('alice'), 'subscriptions list', vault.id);
    expect(list).toMatch(/platform\/vault[^]*\*\*Posting failed:\*\* this channel is public now/);
    expect(list.split('platform/web')[1]).not.toContain('Posting failed');
  });

  it('keeps posting a private project a system admin forced into a public channel', async () => {
    const lobby = running.mattermost.addChannel('lobby', { type: 'O', members: [user('alice'), user('frank')], teamId: running.team.id });
    expect(await running.command(user('alice'), 'subscriptions add platform/vault --events issue --force', lobby.id)).toBe('Only a system admin can use `--force`.');
    expect(await running.command(user('frank'), 'subscriptions add platform/vault --events issue', lobby.id)).toContain('is private: its events would show to everyone who can read this public channel');
    expect(await running.command(user('frank'), 'subscriptions add platform/vault --events issue --force', lobby.id)).toMatch(/^Subscribed/);
    expect(await subscriptionRow(lobby)).toMatchObject({ private_access: true, forced: true });

    await sendIssue('Vault nine', false, VAULT());
    await waitFor(() => botPosts(lobby, /Vault nine/).length === 1, 'the vault issue in the public channel', 20_000);
    // Made private and public again: still what the system admin chose.
    await makePrivate(lobby);
    await makePublic(lobby);
    await sendIssue('Vault ten', false, VAULT());
    await waitFor(() => botPosts(lobby, /Vault ten/).length === 1, 'the next vault issue', 20_000);
    expect((await subscriptionRow(lobby))!.last_failure).toBeNull();
  });
});

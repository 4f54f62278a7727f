/**
 * Subscriptions and webhooks on two GitLab instances at once: a target is a path on the default GitLab
 * (or on `--instance`), or a URL of either; the same path on both is two subscriptions; each door's
 * deliveries reach only its own instance's subscriptions and threads; `webhook add` makes the hook on
 * that GitLab, towards its own door, with its own secret; and an account on one GitLab never vouches
 * for a target on the other. Real bridge process, two fake GitLabs and the fake Mattermost on loopback,
 * real PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FakeChannel } from '../../fakes/fake-mattermost.js';
import { startCommandBridge, type CommandBridge } from '../../helpers/command-bridge.js';
import { intoPublicProject, sendFixtureTo } from '../../helpers/fixtures.js';
import { waitFor } from '../../helpers/wait-for.js';
import { webappClient } from '../../helpers/webapp-client.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The same project, path and id on both GitLabs: ids are numbered from 1 on each. */
const PROJECT = { id: 7, path: 'group/project' };
const SECRET = { id: 9, path: 'corp/secret' };

let running: CommandBridge;
let alice: string; // connected to both; Maintainer of group/project on corp only
let bob: string; // connected to the default GitLab only, where he is a Reporter of corp/secret
let defaultHost: string;
let aliceCorpToken: string;

beforeAll(async () => {
  running = await startCommandBridge({ users: ['alice', 'bob'], oauth: true, corp: true });
  alice = running.users.alice!;
  bob = running.users.bob!;
  defaultHost = new URL(running.gitlab.url).host;
  const corp = running.corp!;
  for (const gitlab of [running.gitlab, corp]) {
    gitlab.addProject(PROJECT.path, { visibility: 'public', id: PROJECT.id });
    gitlab.addProject(SECRET.path, { visibility: 'private', id: SECRET.id });
  }
  await running.connectGitLab(alice, { id: 11, username: 'alice', name: 'Alice' });
  aliceCorpToken = (await running.connectGitLab(alice, { id: 11, username: 'alice.corp', name: 'Alice at Corp' }, 'corp')).token;
  corp.grant(aliceCorpToken, PROJECT.path, 40);
  const { token: bobToken } = await running.connectGitLab(bob, { id: 21, username: 'bob', name: 'Bob' });
  running.gitlab.grant(bobToken, SECRET.path, 20);
}, 120_000);
afterAll(() => running.close());

const botId = () => [...running.mattermost.users.values()].find((user) => user.username === 'gitlab')!.id;
const channel = (name: string, members: string[], type: 'O' | 'P' = 'O'): FakeChannel => running.mattermost.addChannel(name, { type, members, teamId: running.team.id });
const say = (where: FakeChannel, userId: string, text: string) => running.command(userId, text, where.id);
const roots = (where: FakeChannel) => running.mattermost.posts.filter((post) => post.channel_id === where.id && post.user_id === botId() && post.root_id === '');
const repliesTo = (rootId: string) => running.mattermost.posts.filter((post) => post.root_id === rootId);
const rows = async (where: FakeChannel) =>
  (await running.pool.query<{ instance: string; target_path: string; target_id: string; style: string }>('SELECT instance, target_path, target_id, style FROM subscriptions WHERE channel_id = $1 ORDER BY instance', [where.id])).rows;

async function settled(): Promise<void> {
  await waitFor(async () => {
    const { rows: [row] } = await running.pool.query<{ busy: string }>(
      `SELECT (SELECT count(*) FROM webhook_deliveries WHERE processed_at IS NULL) + (SELECT count(*) FROM channel_outbox WHERE state = 'pending') AS busy`,
    );
    return row!.busy === '0';
  }, 'webhooks processed and posts sent', 20_000);
}

/** A merge request event as `instance`'s GitLab sends it, through that instance's door. */
function sendMergeRequest(instance: 'default' | 'corp', fixture: string, title: string): Promise<number> {
  const door = instance === 'corp' ? `${running.publicUrl}/webhook/corp` : `${running.publicUrl}/webhook`;
  return sendFixtureTo(door, instance === 'corp' ? 'corp-hook-secret' : 'hook-secret', fixture, intoPublicProject(PROJECT), (payload: Json) => {
    payload.object_attributes.iid = 1;
    payload.object_attributes.title = title;
  });
}

describe('subscriptions on several GitLab instances', () => {
  it('subscribes one channel to the same path on both GitLabs, by --instance and by URL, and names the GitLab on each line', async () => {
    const both = channel('both', [alice]);
    expect(await say(both, alice, `subscriptions add ${PROJECT.path}`)).toMatch(new RegExp(`^Subscribed this channel to \`group/project\` on ${defaultHost.replace('.', '\\.')} \\(subscription \\d+\\)`));
    expect(await say(both, alice, `subscriptions add ${running.corp!.url}/Group/Project/-/merge_requests/1`)).toMatch(/^Subscribed this channel to `group\/project` on corp \(subscription \d+\)/);
    expect(await rows(both)).toEqual([
      { instance: 'corp', target_path: PROJECT.path, target_id: String(PROJECT.id), style: 'full' },
      { instance: 'default', target_path: PROJECT.path, target_id: String(PROJECT.id), style: 'full' },
    ]);
    // The same again on corp, named by --instance this time, is the same subscription.
    expect(await say(both, alice, `subscriptions add ${PROJECT.path} --instance corp`)).toBe(
      'This channel already follows `group/project` on corp. Delete that subscription first to change it (`/gitlab subscriptions list` shows it).',
    );
    expect(roots(both).map((post) => post.message)).toEqual([
      expect.stringMatching(new RegExp(`^alice subscribed this channel to the GitLab project \\[group/project\\]\\(${running.gitlab.url}/group/project\\) on ${defaultHost}:`)),
      expect.stringMatching(new RegExp(`^alice subscribed this channel to the GitLab project \\[group/project\\]\\(${running.corp!.url}/group/project\\) on corp:`)),
    ]);

    const listed = await say(both, alice, 'subscriptions list');
    expect(listed).toContain(`project \`group/project\` on ${defaultHost} · events:`);
    expect(listed).toContain('project `group/project` on corp · events:');

    // A path alone is ambiguous now; an id, or --instance, says which.
    expect(await say(both, alice, `subscriptions edit ${PROJECT.path} --style compact`)).toMatch(/^This channel follows `group\/project` on more than one GitLab \(\d+ on 127\.0\.0\.1:\d+, \d+ on corp\): name it by its id, or add `--instance <name>`\.$/);
    expect(await say(both, alice, `subscriptions edit ${PROJECT.path} --instance corp --style compact`)).toMatch(/^Changed subscription \d+ \(`group\/project` on corp\): .* · style compact\.$/);
    expect((await rows(both)).map((row) => [row.instance, row.style])).toEqual([
      ['corp', 'compact'],
      ['default', 'full'],
    ]);
    expect(await say(both, alice, `subscriptions remove ${running.corp!.url}/group/project`)).toMatch(/^Deleted subscription \d+ \(`group\/project` on corp\)\.$/);
    expect((await rows(both)).map((row) => row.instance)).toEqual(['default']);
  });

  it("delivers each door's events to its own instance's subscriptions only, in threads of their own", async () => {
    const mixed = channel('mixed', [alice]);
    const corpOnly = channel('corp-only', [alice]);
    const defaultOnly = channel('default-only', [alice]);
    await say(mixed, alice, `subscriptions add ${PROJECT.path}`);
    await say(mixed, alice, `subscriptions add ${PROJECT.path} --instance corp`);
    await say(corpOnly, alice, `subscriptions add ${PROJECT.path} --instance corp`);
    await say(defaultOnly, alice, `subscriptions add ${PROJECT.path}`);
    const announced = (where: FakeChannel) => roots(where).length;
    const before = { mixed: announced(mixed), corpOnly: announced(corpOnly), defaultOnly: announced(defaultOnly) };

    // Another instance's secret opens no door but its own.
    expect(await sendFixtureTo(`${running.publicUrl}/webhook/corp`, 'hook-secret', 'merge_request.open.json', intoPublicProject(PROJECT))).toBe(401);

    // Merge request !1 of project 7 on corp…
    expect(await sendMergeRequest('corp', 'merge_request.open.json', 'Corp change')).toBe(202);
    await settled();
    const titled = (where: FakeChannel, title: string) => roots(where).filter((post) => post.message.includes(title));
    expect(titled(mixed, 'Corp change')).toHaveLength(1);
    expect(titled(corpOnly, 'Corp change')).toHaveLength(1);
    expect(titled(defaultOnly, 'Corp change')).toHaveLength(0);

    // …and merge request !1 of project 7 on the default GitLab: a thread of its own.
    expect(await sendMergeRequest('default', 'merge_request.open.json', 'Default change')).toBe(202);
    await settled();
    expect(titled(mixed, 'Default change')).toHaveLength(1);
    expect(titled(defaultOnly, 'Default change')).toHaveLength(1);
    expect(titled(corpOnly, 'Default change')).toHaveLength(0);
    expect(roots(mixed)).toHaveLength(before.mixed + 2);
    expect(roots(corpOnly)).toHaveLength(before.corpOnly + 1);
    expect(roots(defaultOnly)).toHaveLength(before.defaultOnly + 1);

    // Closing the default's !1 goes to the default's thread, never to corp's.
    const [corpRoot] = titled(mixed, 'Corp change');
    const [defaultRoot] = titled(mixed, 'Default change');
    expect(await sendMergeRequest('default', 'merge_request.close.json', 'Default change')).toBe(202);
    await settled();
    expect(repliesTo(defaultRoot!.id).length).toBeGreaterThan(0);
    expect(repliesTo(corpRoot!.id)).toEqual([]);
    expect(roots(mixed)).toHaveLength(before.mixed + 2);
    const keys = (await running.pool.query<{ thread_key: string }>('SELECT thread_key FROM channel_threads WHERE channel_id = $1 ORDER BY thread_key', [mixed.id])).rows.map((row) => row.thread_key);
    expect(keys).toEqual([expect.any(String), `corp~${keys[0]}`]);
  });

  it("adds corp's webhook on corp only, towards /webhook/corp with corp's secret, and events then come through it", async () => {
    const notes = channel('notes', [alice]);
    await say(notes, alice, `subscriptions add ${PROJECT.path} --events mr,notes`);
    await say(notes, alice, `subscriptions add ${PROJECT.path} --instance corp --events mr,notes`);

    expect(await say(notes, alice, `webhook add ${PROJECT.path} --instance corp --events mr,notes`)).toMatch(
      /^Added a webhook to the project `group\/project` on corp \(hook \d+, SSL verification on\): note_events, confidential_note_events, merge_requests_events\.$/,
    );
    expect(running.corp!.hooksOf(PROJECT.path).map((hook) => ({ url: hook.url, token: hook.token }))).toEqual([{ url: `${running.publicUrl}/webhook/corp`, token: 'corp-hook-secret' }]);
    expect(running.gitlab.hooksOf(PROJECT.path)).toEqual([]);
    const audited = (await running.pool.query("SELECT details FROM audit_log WHERE action = 'webhook.created'")).rows.map((row: { details: Json }) => row.details);
    expect(audited).toEqual([expect.objectContaining({ path: PROJECT.path, instance: 'corp' })]);
    expect(await say(notes, alice, `webhook add ${PROJECT.path} --instance corp`)).toMatch(/^`group\/project` on corp already sends webhooks to this bridge/);
    expect(await say(notes, alice, `webhook list ${PROJECT.path} --instance corp`)).toMatch(/^#### Webhooks of `group\/project` to this bridge\n- Hook \d+: working · note, confidential_note, merge_requests$/);
    // On the default GitLab alice is no Maintainer: GitLab refuses her there.
    expect(await say(notes, alice, `webhook add ${PROJECT.path}`)).toBe("GitLab refused: a project's webhooks need the Maintainer or Owner role in `group/project`.");

    // What corp then sends through that hook reaches corp's subscription, once.
    running.corp!.addMergeRequest(PROJECT.path, { iid: 3, title: 'Corp work', authorId: 11 });
    running.corp!.addNote(PROJECT.path, { targetType: 'MergeRequest', targetIid: 3, authorId: 11, body: 'Said on corp' });
    const [delivery] = await running.corp!.waitForHooks((sent) => sent.event === 'Note Hook');
    expect(delivery).toMatchObject({ url: `${running.publicUrl}/webhook/corp`, status: 202 });
    await settled();
    expect(running.mattermost.posts.filter((post) => post.channel_id === notes.id && post.message.includes('Said on corp'))).toHaveLength(1);

    // The list reads each GitLab's hooks as alice's account there.
    const listed = await say(notes, alice, 'subscriptions list');
    const lineOf = (label: string) => listed.split('\n- ').find((line) => line.includes(`\`group/project\` on ${label} ·`))!;
    expect(lineOf('corp')).toMatch(/GitLab hook \d+ working/);
    expect(lineOf(defaultHost)).not.toMatch(/GitLab hook \d+/);
  });

  it("keeps a corp group's project hooks (corp without group webhooks) on corp, towards corp's door", async () => {
    const corp = running.corp!;
    corp.setEdition('ce');
    try {
      corp.addGroup('team', { visibility: 'public', id: 70 });
      corp.addProject('team/app', { visibility: 'public', id: 71 });
      corp.grant(aliceCorpToken, 'team/app', 40);
      // The default GitLab has a group of that path too, which nobody asked about.
      running.gitlab.addGroup('team', { visibility: 'public', id: 70 });
      running.gitlab.addProject('team/app', { visibility: 'public', id: 71 });
      const town = channel('team-town', [alice]);
      expect(await say(town, alice, 'webhook add team --instance corp --projects')).toContain('Added a webhook to 1 project of `team`');
      expect(corp.hooksOf('team/app').map((hook) => ({ url: hook.url, token: hook.token }))).toEqual([{ url: `${running.publicUrl}/webhook/corp`, token: 'corp-hook-secret' }]);
      expect(running.gitlab.hooksOf('team/app')).toEqual([]);
      expect((await running.pool.query('SELECT instance, group_id FROM group_hook_sets')).rows).toEqual([{ instance: 'corp', group_id: '70' }]);
      expect((await running.pool.query("SELECT instance, subject FROM poll_jobs WHERE kind = 'group_hooks'")).rows).toEqual([{ instance: 'corp', subject: '70' }]);
      // Its audit entry says which GitLab project 71 is on.
      const audited = (await running.pool.query("SELECT details FROM audit_log WHERE action = 'webhook.created' AND details->>'group' = 'team'")).rows;
      expect(audited).toEqual([{ details: expect.objectContaining({ path: 'team/app', instance: 'corp' }) }]);
    } finally {
      corp.setEdition('premium');
    }
  });

  it('shows the GitLab of each subscription in the webapp, and adds one on the GitLab it names', async () => {
    const api = webappClient(running, 'alice');
    const panel = channel('panel', [alice]);
    const path = `/channels/${panel.id}/subscriptions`;
    expect((await api('GET', path)).body).toMatchObject({ subscriptions: [], instances: [{ name: 'default', label: defaultHost }, { name: 'corp', label: 'corp' }] });
    const added = await api<{ subscription: Json }>('POST', path, { body: { target: PROJECT.path, instance: 'corp' } });
    expect(added.status).toBe(201);
    expect(added.body.subscription).toMatchObject({ target: { path: PROJECT.path, url: `${running.corp!.url}/group/project` }, instance: { name: 'corp', label: 'corp' } });
    expect((await rows(panel)).map((row) => row.instance)).toEqual(['corp']);
    // Its hooks are corp's, read as alice's account there (she made one above): working, nothing to create.
    expect(added.body.subscription).toMatchObject({ webhook: { state: 'ok', text: expect.stringMatching(/GitLab hook \d+ working/) }, canCreateWebhook: false });
    expect(await api('POST', `${path}/${added.body.subscription.id}/webhook`)).toMatchObject({ status: 409, body: { code: 'conflict' } });
    expect(await api('POST', path, { body: { target: PROJECT.path, instance: 'eu' } })).toMatchObject({ status: 400, body: { code: 'bad_request' } });
    expect(await api('POST', path, { body: { target: `${running.gitlab.url}/group/project`, instance: 'corp' } })).toMatchObject({ status: 400, body: { error: expect.stringContaining('is on 127.0.0.1') } });
    // The picker lists what corp shows alice's account there.
    const lookup = await api<{ items: { path: string }[] }>('GET', '/lookup/projects?instance=corp');
    expect(lookup.body.items.map((item) => item.path).sort()).toEqual([PROJECT.path, 'team/app']);
    // On the default GitLab alice is a member of nothing.
    expect((await api<{ items: unknown[] }>('GET', '/lookup/projects')).body.items).toEqual([]);
  });
});

describe('what several GitLabs must not let through', () => {
  it('refuses a URL of a GitLab the bridge does not know, and an --instance the URL contradicts, in words', async () => {
    const town = channel('town', [alice, bob]);
    expect(await say(town, alice, 'subscriptions add https://gitlab.evil.example/group/project')).toBe(
      `\`https://gitlab.evil.example/group/project\` is not on a GitLab this bridge knows (\`${defaultHost}\`, \`corp\`).`,
    );
    expect(await say(town, alice, 'webhook add https://gitlab.evil.example/group/project')).toContain('is not on a GitLab this bridge knows');
    expect(await say(town, alice, `subscriptions add ${running.gitlab.url}/group/project --instance corp`)).toBe(`\`${running.gitlab.url}/group/project\` is on ${defaultHost}, not on corp.`);
    expect(await say(town, alice, `webhook add ${running.gitlab.url}/group/project --instance corp`)).toBe(`\`${running.gitlab.url}/group/project\` is on ${defaultHost}, not on corp.`);
    expect(await say(town, alice, `subscriptions add ${PROJECT.path} --instance eu`)).toBe(`This bridge has no GitLab instance \`eu\`; it knows \`${defaultHost}\`, \`corp\`.`);
    expect(await rows(town)).toEqual([]);
  });

  it("does not let an account on one GitLab vouch for a private project of the same path on another", async () => {
    const hidden = channel('hidden', [bob, botId()], 'P');
    // Bob's Reporter access is on the default GitLab; corp's corp/secret is another project he cannot see.
    expect(await say(hidden, bob, `subscriptions add ${SECRET.path} --instance corp`)).toBe(
      '`corp/secret` is not a public GitLab project or group on corp. For private and internal ones, connect your GitLab account there first: `/gitlab connect corp`.',
    );
    expect(await say(hidden, bob, `subscriptions add ${running.corp!.url}/corp/secret`)).toContain('is not a public GitLab project or group on corp');
    expect(await say(hidden, bob, `webhook add ${PROJECT.path} --instance corp`)).toBe('Webhooks are made with your own GitLab account on corp: `/gitlab connect corp` first.');
    expect(await rows(hidden)).toEqual([]);
    // The same path on his own GitLab is his to subscribe, with private access there only.
    expect(await say(hidden, bob, `subscriptions add ${SECRET.path}`)).toMatch(/^Subscribed this channel to `corp\/secret` on 127\.0\.0\.1:\d+/);
    expect((await running.pool.query('SELECT instance, private_access FROM subscriptions WHERE channel_id = $1', [hidden.id])).rows).toEqual([{ instance: 'default', private_access: true }]);
  });
});

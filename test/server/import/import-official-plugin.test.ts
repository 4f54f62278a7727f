/**
 * `gitlab-bridge import official-plugin` as an admin runs it: the plugin's stored state (from its source,
 * test/fixtures/official-plugin) in a Mattermost database made here with Mattermost's pluginkeyvaluestore
 * table, or in an exported file; the fake Mattermost with the channels and people it names; the fake
 * GitLab answering which projects are public; the bridge's own database. A dry run changes nothing;
 * --apply makes only what GitLab shows everyone, tells each channel once and asks each person once.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { startFakeGitLab, type FakeGitLab } from '../../fakes/fake-gitlab.js';
import { startFakeMattermost, type FakeChannel, type FakeMattermost, type FakeUser } from '../../fakes/fake-mattermost.js';
import { runCommand, tempWorkDir } from '../../helpers/bridge-process.js';
import { createTestDatabase, openPool, testServers, type TestDatabase } from '../../helpers/databases.js';

const PLUGIN_ID = 'com.github.manland.mattermost-plugin-gitlab';
const FIXTURES = new URL('../../fixtures/official-plugin/', import.meta.url);
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const PUBLIC_URL = 'http://127.0.0.1:9/plugins/gitlab-bridge';

let mattermost: FakeMattermost;
let gitlab: FakeGitLab;
let bridgeDb: TestDatabase;
let bridge: pg.Pool;
let mattermostDb: TestDatabase;
let admin: FakeUser;
let adminToken: string;
let botToken: string;
let websiteId: number;
let people: Record<'alice' | 'bob' | 'carol' | 'dave', FakeUser>;
let bot: FakeUser;
let channels: Record<'town' | 'eng' | 'hidden' | 'old', FakeChannel>;

/** The fixture's placeholder ids, swapped for the fake's. */
let swap: (text: string) => string;

beforeEach(async () => {
  mattermost = await startFakeMattermost();
  gitlab = await startFakeGitLab();
  ({ user: admin, token: adminToken } = mattermost.addUser('root', { roles: 'system_user system_admin' }));
  const made = mattermost.addUser('gitlab', { bot: true });
  bot = made.user;
  botToken = made.token;
  people = { alice: mattermost.addUser('alice').user, bob: mattermost.addUser('bob').user, carol: mattermost.addUser('carol').user, dave: mattermost.addUser('dave').user };
  const team = mattermost.addTeam('acme', { members: Object.values(people).map((user) => user.id) });
  channels = {
    town: mattermost.addChannel('town-square', { type: 'O', teamId: team.id, members: [people.alice.id, people.bob.id] }),
    eng: mattermost.addChannel('engineering', { type: 'P', teamId: team.id, members: [people.bob.id, bot.id] }),
    hidden: mattermost.addChannel('hidden', { type: 'P', teamId: team.id, members: [people.carol.id] }),
    old: mattermost.addChannel('old', { type: 'O', teamId: team.id }),
  };
  channels.old.delete_at = Date.now();
  const ids: [string, string][] = [
    ['chanpublictown000000000000', channels.town.id],
    ['chanprivateeng000000000000', channels.eng.id],
    ['chanprivatehidden000000000', channels.hidden.id],
    ['chanarchived00000000000000', channels.old.id],
    ['useralice00000000000000000', people.alice.id],
    ['userbob0000000000000000000', people.bob.id],
    ['usercarol00000000000000000', people.carol.id],
    ['userdave000000000000000000', people.dave.id],
  ];
  swap = (text) => ids.reduce((result, [placeholder, id]) => result.replaceAll(placeholder, id), text);

  gitlab.addGroup('acme', { visibility: 'public' });
  websiteId = gitlab.addProject('acme/website', { visibility: 'public' }).id;
  gitlab.addProject('acme/tools', { visibility: 'public' });
  gitlab.addProject('acme/secret', { visibility: 'private' });

  bridgeDb = await createTestDatabase(testServers()[0]!);
  bridge = openPool(bridgeDb.url);
  mattermostDb = await createTestDatabase(testServers()[0]!);
});
afterEach(async () => {
  expect(mattermost.violations).toEqual([]);
  await bridge.end();
  await bridgeDb.drop();
  await mattermostDb.drop();
  await gitlab.close();
  await mattermost.close();
});

/** Mattermost's table as its PostgreSQL migrations make it, with the plugin's rows (and others' it must not read). */
async function fillMattermostDatabase(subscriptions = swap(readFileSync(new URL('subscriptions.json', FIXTURES), 'utf8'))): Promise<void> {
  const pool = openPool(mattermostDb.url);
  try {
    await pool.query(`CREATE TABLE pluginkeyvaluestore (
      pluginid varchar(190) NOT NULL, pkey varchar(150) NOT NULL, pvalue bytea, expireat bigint DEFAULT 0, PRIMARY KEY (pluginid, pkey))`);
    const insert = (pluginId: string, key: string, value: string, expireAt = 0) =>
      pool.query('INSERT INTO pluginkeyvaluestore (pluginid, pkey, pvalue, expireat) VALUES ($1, $2, $3, $4)', [pluginId, key, Buffer.from(value), expireAt]);
    await insert(PLUGIN_ID, 'subscriptions', subscriptions);
    for (const row of JSON.parse(readFileSync(new URL('kv-rows.json', FIXTURES), 'utf8')) as { PKey: string; PValue: string }[]) await insert(PLUGIN_ID, swap(row.PKey), swap(row.PValue));
    // Another plugin's subscriptions, and a token row that has expired: neither is the plugin's state now.
    await insert('github', 'subscriptions', '{"Repositories":{"x/y":[{"ChannelID":"chanpublictown000000000000","CreatorID":"u","Features":"pulls"}]}}');
    await insert(PLUGIN_ID, `${people.carol.id}_gitlabtoken`, '{}', Date.now() - 60_000);
  } finally {
    await pool.end();
  }
}

function importCommand(args: string[], env: Record<string, string> = {}) {
  return runCommand(['import', 'official-plugin', ...args], {
    DATABASE_URL: bridgeDb.url,
    MATTERMOST_URL: mattermost.url,
    MATTERMOST_ADMIN_TOKEN: adminToken,
    MATTERMOST_BOT_TOKEN: botToken,
    MATTERMOST_DATABASE_URL: mattermostDb.url,
    GITLAB_URL: gitlab.url,
    PUBLIC_URL,
    ...env,
  });
}

const writes = () => mattermost.requests.filter((request) => WRITES.has(request.method) && request.operationId !== 'GetUsersByIds');
const channelPosts = (channel: FakeChannel) => mattermost.posts.filter((post) => post.channel_id === channel.id);
async function subscriptions() {
  const { rows } = await bridge.query<{ channel_id: string; target_kind: string; target_path: string; target_id: string; filters: object; private_access: boolean; confidential: boolean; creator_id: string }>(
    'SELECT channel_id, target_kind, target_path, target_id, filters, private_access, confidential, creator_id FROM subscriptions ORDER BY channel_id, target_path',
  );
  return rows;
}
async function bridgeTableExists(name: string): Promise<boolean> {
  return (await bridge.query('SELECT to_regclass($1) IS NOT NULL AS found', [name])).rows[0].found as boolean;
}

describe('gitlab-bridge import official-plugin', () => {
  it('by default only prints what it would do, what cannot be mapped and whom it would ask, and changes nothing', async () => {
    await fillMattermostDatabase();

    const run = await importCommand([]);

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = run.stdout;
    expect(out).toContain("The GitLab plugin's subscriptions, read from Mattermost's database: 8.");
    expect(out).toMatch(/^would create {2}acme\/~town-square \(public\) {2}group acme \(plugin features: merges,pipeline,label:"bug",label:"needs review"\)$/m);
    expect(out).toContain('as: merges → merge_request; pipeline → pipeline (running, success and failed, on every branch, as the plugin posted them); label → --labels bug, needs review (any of them)');
    expect(out).toMatch(/^would create {2}acme\/~town-square \(public\) {2}project acme\/website/m);
    expect(out).toMatch(/^would create {2}acme\/~engineering \(private\) {2}project acme\/website/m);
    // A private project: left for someone with access, never made by the import.
    expect(out).toMatch(/^would leave for the channel {2}acme\/~engineering \(private\) {2}project acme\/secret/m);
    expect(out).toContain('they run: /gitlab subscriptions add acme/secret --events merge_request,issue');
    expect(out).toMatch(/^would leave for the channel {2}acme\/~hidden \(private\) {2}project acme\/tools[^\n]*\n\s+why: the bot is not a member of this private channel\n[^\n]*\n\s+told: the subscriber, by direct message/m);
    expect(out).toMatch(/^skipped {2}channel \S+ {2}project acme\/website[^\n]*\n\s+why: the channel is archived/m);
    expect(out).toMatch(/^skipped {2}channel changone000000000000000000 {2}project acme\/website[^\n]*\n\s+why: the channel no longer exists/m);
    expect(out).toContain('cannot map: `wiki` is not a feature of the GitLab plugin; left out');
    expect(out).toContain('cannot map: confidential_issues: confidential issues come over only when');
    // Whom the plugin held a token for (not the expired row, not another plugin's).
    expect(out).toContain('Would ask 3 people by direct message to connect their GitLab account: @alice, @bob, @dave (0 connected already, 0 asked before, 0 gone or bots).');
    expect(out).toContain('Nothing was changed: this was a dry run.');

    expect(writes()).toEqual([]);
    expect(mattermost.posts).toEqual([]);
    expect(await subscriptions()).toEqual([]);
    expect((await bridge.query('SELECT count(*)::int AS n FROM official_plugin_imports')).rows[0].n).toBe(0);
    expect(channels.town.members.has(bot.id)).toBe(false);
  });

  it('--apply makes the public ones with the same filters as theirs, tells each channel and asks each person once; a rerun makes and asks nothing', async () => {
    await fillMattermostDatabase();

    const run = await importCommand(['--apply']);

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('3 created, 3 left for their channels, 2 channel posts, 3 asked to connect.');
    const made = await subscriptions();
    const byPlace = (channel: FakeChannel, targetPath: string) => made.find((row) => row.channel_id === channel.id && row.target_path === targetPath);
    expect(made).toHaveLength(3);
    expect(byPlace(channels.town, 'acme')).toMatchObject({
      target_kind: 'group',
      filters: { events: ['merge_request', 'pipeline'], labels: ['bug', 'needs review'], pipelines: ['running', 'success', 'failed'], branches: ['**'] },
      creator_id: people.alice.id,
    });
    expect(byPlace(channels.town, 'acme/website')).toMatchObject({ target_kind: 'project', filters: { events: ['merge_request', 'issue', 'tag_push'] }, target_id: String(websiteId) });
    expect(byPlace(channels.eng, 'acme/website')).toMatchObject({ filters: { events: ['job', 'deployment', 'release', 'merge_request:approved', 'merge_request:unapproved', 'note'] }, creator_id: people.bob.id });
    // Nobody vouched for access: what GitLab shows everyone only, and no confidential issues.
    expect(made.every((row) => !row.private_access && !row.confidential)).toBe(true);
    expect(made.some((row) => row.target_path === 'acme/secret' || row.target_path === 'acme/tools')).toBe(false);
    // The bot joined the public channel to post there, as `subscriptions add` does.
    expect(channels.town.members.has(bot.id)).toBe(true);

    const [townPost] = channelPosts(channels.town);
    expect(channelPosts(channels.town)).toHaveLength(1);
    expect(townPost!.user_id).toBe(bot.id);
    expect(townPost!.message).toContain('- group `acme`: events `merge_request`, `pipeline`, labels `bug`, `needs review`');
    expect(townPost!.message).toContain('`/gitlab subscriptions add acme/secret --events push`');
    expect(channelPosts(channels.eng)).toHaveLength(1);
    expect(channelPosts(channels.eng)[0]!.message).toContain('--confidential');
    expect(channelPosts(channels.hidden)).toEqual([]);

    for (const name of ['alice', 'bob', 'dave'] as const) {
      const messages = mattermost.directMessagesTo(people[name].id);
      expect(messages).toHaveLength(1);
      expect(messages[0]!.message).toContain(`[Connect your GitLab account](${PUBLIC_URL}/oauth/connect?link=`);
    }
    // Carol had no token left, but subscribed a private channel the bot is not in: told how to bring it over.
    const [toCarol] = mattermost.directMessagesTo(people.carol.id);
    expect(toCarol!.message).toContain('~hidden: add the bot with `/invite @gitlab`, then run `/gitlab subscriptions add acme/tools --events merge_request,issue,tag_push`');
    expect(toCarol!.message).not.toContain('Connect your GitLab account');
    // The admin who ran it answers for it in the audit log.
    const audit = await bridge.query("SELECT actor FROM audit_log WHERE action = 'subscription.imported'");
    expect(audit.rows.map((row) => row.actor)).toEqual([admin.id, admin.id, admin.id]);

    // A channel removes one; nothing comes back, nobody is asked or told again.
    await bridge.query("DELETE FROM subscriptions WHERE channel_id = $1 AND target_path = 'acme'", [channels.town.id]);
    const postsBefore = mattermost.posts.length;
    const again = await importCommand(['--apply']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('0 created, 0 left for their channels, 0 channel posts, 0 asked to connect.');
    expect(again.stdout).toContain('why: an earlier import handled it');
    expect(again.stdout).toContain('0 connected already, 3 asked before');
    expect(mattermost.posts).toHaveLength(postsBefore);
    expect(await subscriptions()).toHaveLength(2);
  });

  it('reads an exported file the same way, and then asks the subscribers, whom the file names', async () => {
    const file = path.join(tempWorkDir(), 'subscriptions.json');
    writeFileSync(file, `${swap(readFileSync(new URL('subscriptions.json', FIXTURES), 'utf8'))}\n`);

    const dry = await importCommand(['--from-file', file], { MATTERMOST_DATABASE_URL: '' });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`read from the file ${file}: 8.`);
    expect(dry.stdout).toContain('Would ask 3 people by direct message to connect their GitLab account: @alice, @bob, @carol');

    const applied = await importCommand(['--from-file', file, '--apply'], { MATTERMOST_DATABASE_URL: '' });
    expect(applied.code).toBe(0);
    expect(await subscriptions()).toHaveLength(3);
    expect(mattermost.directMessagesTo(people.carol.id)).toHaveLength(1);
    expect(mattermost.directMessagesTo(people.carol.id)[0]!.message).toContain('Connect your GitLab account');
    expect(mattermost.directMessagesTo(people.dave.id)).toEqual([]);
  });

  it('brings the subscriptions onto the GitLab instance named by --instance, and refuses a name the bridge does not have', async () => {
    const file = path.join(tempWorkDir(), 'subscriptions.json');
    writeFileSync(file, swap(readFileSync(new URL('subscriptions.json', FIXTURES), 'utf8')));
    // The official plugin was connected to the GitLab this bridge calls corp.
    const corp = { GITLAB_URL: 'https://gitlab.example.invalid', GITLAB_INSTANCES: 'corp', GITLAB_CORP_URL: gitlab.url, MATTERMOST_DATABASE_URL: '' };

    const unknown = await importCommand(['--from-file', file, '--instance', 'elsewhere', '--apply'], corp);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("this bridge has no GitLab instance 'elsewhere' (it has default, corp)");
    expect(await bridgeTableExists('subscriptions')).toBe(false);

    const applied = await importCommand(['--from-file', file, '--instance', 'corp', '--apply'], corp);
    expect(applied.code).toBe(0);
    const { rows } = await bridge.query<{ instance: string }>('SELECT DISTINCT instance FROM subscriptions');
    expect(rows).toEqual([{ instance: 'corp' }]);
    // The link in the DM connects to corp.
    const link = /\((http[^)]+\/oauth\/connect\?link=[^)]+)\)/.exec(mattermost.directMessagesTo(people.carol.id)[0]!.message)?.[1];
    expect(link).toBeDefined();
    const stored = await bridge.query<{ instance: string }>('SELECT instance FROM connect_links WHERE mattermost_user_id = $1', [people.carol.id]);
    expect(stored.rows).toEqual([{ instance: 'corp' }]);
  });

  it('keeps text from the plugin store from pinging anyone in the posts it makes', async () => {
    const file = path.join(tempWorkDir(), 'subscriptions.json');
    // A feature word with a backtick must not close its code span and post a link or an image as the bot.
    const sneaky = 'x` [sign in](https://evil.example) ![t](https://track.example/p.png) `x';
    const value = { Repositories: { 'acme/website': [{ ChannelID: channels.town.id, CreatorID: people.alice.id, Features: `merges,label:"@channel",${sneaky}`, Repository: 'acme/website' }] } };
    writeFileSync(file, JSON.stringify(value));
    expect((await importCommand(['--from-file', file, '--apply'])).code).toBe(0);
    const [post] = channelPosts(channels.town);
    expect(post!.message).toContain('`@\u200Bchannel`');
    expect(post!.message).not.toMatch(/@channel/);
    const noteLine = post!.message.split('\n').find((line) => line.includes('evil.example'))!;
    expect(noteLine).toMatch(/`x' \[sign in\]\(https:\/\/evil\.example\) !\[t\]\(https:\/\/track\.example\/p\.png\) 'x`/);
  });

  it('leaves replies in Mattermost for what it imports, even in a private channel: nobody there chose to publish them', async () => {
    const file = path.join(tempWorkDir(), 'subscriptions.json');
    const value = { Repositories: { 'acme/website': [{ ChannelID: channels.eng.id, CreatorID: people.bob.id, Features: 'merges', Repository: 'acme/website' }] } };
    writeFileSync(file, JSON.stringify(value));
    expect((await importCommand(['--from-file', file, '--apply'])).code).toBe(0);
    expect((await bridge.query('SELECT sync_replies FROM subscriptions')).rows).toEqual([{ sync_replies: false }]);
  });

  it.each([
    ['a file that is not JSON', async () => ['--from-file', await written('{"Repositories": {"acme/website": [')], /--from-file \S+: it is not JSON/],
    ['a file with another value', async () => ['--from-file', await written('{"acme/website": []}')], /"Repositories" was expected/],
    ['a file that is not there', () => Promise.resolve(['--from-file', '/nonexistent/subscriptions.json']), /cannot read it \(ENOENT\)/],
  ])('refuses %s with a clear error and changes nothing', async (_, args, message) => {
    const run = await importCommand([...(await args()), '--apply']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(message);
    expect(writes()).toEqual([]);
    expect(mattermost.posts).toEqual([]);
    // Refused before the bridge's database was even opened.
    expect(await bridgeTableExists('subscriptions')).toBe(false);
  });

  it("refuses a Mattermost database without the plugin table, or malformed stored JSON, and no source at all", async () => {
    const noTable = await importCommand(['--apply']);
    expect(noTable.code).toBe(1);
    expect(noTable.stderr).toContain("Mattermost's database has no pluginkeyvaluestore table");
    expect(noTable.stderr).toContain("must be Mattermost's own database");

    await fillMattermostDatabase('{"Repositories":{"acme/website":[{"ChannelID":42}]}}');
    const malformed = await importCommand(['--apply']);
    expect(malformed.code).toBe(1);
    expect(malformed.stderr).toContain('"Repositories"."acme/website"[0] has no valid ChannelID');

    const nowhere = await importCommand([], { MATTERMOST_DATABASE_URL: '' });
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr).toContain('set MATTERMOST_DATABASE_URL, or export it to a file and use --from-file');

    expect((await runCommand(['import', 'other-plugin'], {})).code).toBe(2);
    expect(writes()).toEqual([]);
    expect(mattermost.posts).toEqual([]);
    expect(await bridgeTableExists('subscriptions')).toBe(false);
  });
});

async function written(text: string): Promise<string> {
  const file = path.join(tempWorkDir(), 'export.json');
  writeFileSync(file, text);
  return file;
}

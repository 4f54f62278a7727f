/**
 * `/gitlab subscriptions …` end to end: setup provisions the fake Mattermost,
 * a bridge runs with what it made, and commands arrive as Mattermost sends
 * them; GitLab is a fake on loopback too.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { startFakeGitLab, type FakeGitLab } from '../../fakes/fake-gitlab.js';
import { startFakeMattermost, type FakeChannel, type FakeMattermost, type FakeTeam } from '../../fakes/fake-mattermost.js';
import { runBridge, runCommand, type BridgeProcess } from '../../helpers/bridge-process.js';
import { createTestDatabase, openPool, testServers, type TestDatabase } from '../../helpers/databases.js';

const INTERNAL_URL = 'http://127.0.0.1:3501';

let mattermost: FakeMattermost;
let gitlab: FakeGitLab;
let database: TestDatabase;
let pool: pg.Pool;
let bridge: BridgeProcess;
let team: FakeTeam;
let internalPort: number;
let users: Record<'alice' | 'carol' | 'dana', string>;

beforeEach(async () => {
  mattermost = await startFakeMattermost();
  gitlab = await startFakeGitLab();
  database = await createTestDatabase(testServers()[0]!);
  pool = openPool(database.url);
  const adminToken = mattermost.addUser('root', { roles: 'system_user system_admin' }).token;
  mattermost.config.ServiceSettings.AllowedUntrustedInternalConnections = '127.0.0.1';
  users = { alice: mattermost.addUser('alice').user.id, carol: mattermost.addUser('carol').user.id, dana: mattermost.addUser('dana').user.id };
  team = mattermost.addTeam('alpha', { members: Object.values(users), admins: [] });
  const setup = await runCommand(['setup'], { DATABASE_URL: database.url, MATTERMOST_URL: mattermost.url, MATTERMOST_ADMIN_TOKEN: adminToken, INTERNAL_URL });
  const token = /^MATTERMOST_BOT_TOKEN=(\S+)$/m.exec(setup.stdout)![1]!;
  bridge = runBridge(['start'], { DATABASE_URL: database.url, MATTERMOST_URL: mattermost.url, MATTERMOST_BOT_TOKEN: token, INTERNAL_URL, GITLAB_URL: gitlab.url });
  internalPort = (await bridge.ready()).internalPort;
  gitlab.addProject('platform/web', { visibility: 'public' });
  gitlab.addGroup('platform/infra', { visibility: 'public' });
  gitlab.addProject('secret/vault', { visibility: 'private' });
});
afterEach(async () => {
  await bridge.stop();
  expect(mattermost.violations).toEqual([]);
  await pool.end();
  await database.drop();
  await gitlab.close();
  await mattermost.close();
});

async function gitlabCommand(channel: FakeChannel, userId: string, text: string): Promise<string> {
  const command = [...mattermost.commands.values()].find((candidate) => candidate.team_id === team.id && candidate.trigger === 'gitlab')!;
  const user = mattermost.users.get(userId)!;
  const response = await fetch(`http://127.0.0.1:${internalPort}/mattermost/command`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Token ${command.token}` },
    body: new URLSearchParams({ team_id: team.id, channel_id: channel.id, user_id: userId, user_name: user.username, command: '/gitlab', text }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { text: string }).text;
}
const botPosts = (channel: FakeChannel) => mattermost.posts.filter((post) => post.channel_id === channel.id);

describe('/gitlab subscriptions', () => {
  it('adds a public project with filters, announces it in the channel, lists it, and audits it', async () => {
    const channel = mattermost.addChannel('dev', { type: 'O', members: [users.alice], teamId: team.id });
    const answer = await gitlabCommand(channel, users.alice, 'subscriptions add https://gitlab.example.invalid/x --events mr');
    expect(answer).toContain("is not on this bridge's GitLab");

    const added = await gitlabCommand(channel, users.alice, `subscriptions add ${gitlab.url}/Platform/Web/-/merge_requests/3 --events "mr:merged, issues" --style=compact --no-threads`);
    expect(added).toMatch(/^Subscribed this channel to `platform\/web` \(subscription \d+\): events: merge_request:merged, issue · pipelines: failed, fixed \(default\) · style compact · no threads\.$/);
    const [row] = (await pool.query('SELECT * FROM subscriptions')).rows;
    expect(row).toMatchObject({ channel_id: channel.id, team_id: team.id, target_kind: 'project', target_path: 'platform/web', style: 'compact', threads: false, creator_id: users.alice });
    expect(row.filters).toEqual({ events: ['merge_request:merged', 'issue'] });
    expect(botPosts(channel).map((post) => post.message)).toEqual([expect.stringMatching(/^alice subscribed this channel to the GitLab project \[platform\/web\]/)]);
    expect((await pool.query("SELECT actor, action FROM audit_log WHERE action LIKE 'subscription.%'")).rows).toEqual([{ actor: users.alice, action: 'subscription.created' }]);

    const edited = await gitlabCommand(channel, users.carol, `subscriptions edit ${row.id} --labels bug --threads --style=full`);
    expect(edited).toBe(`Changed subscription ${row.id} (\`platform/web\`): events: merge_request:merged, issue · labels (any): bug · pipelines: failed, fixed (default) · style full.`);
    expect(await gitlabCommand(channel, users.carol, 'subscriptions edit platform/web --confidential')).toContain('only go to a private channel');
    expect(await gitlabCommand(channel, users.carol, 'subscriptions edit platform/web')).toContain('Say what to change');
    expect(botPosts(channel).at(-1)!.message).toMatch(/^carol changed this channel's subscription to `platform\/web`/);
    await gitlabCommand(channel, users.alice, `subscriptions edit ${row.id} --no-threads --style compact --labels=`);

    const listed = await gitlabCommand(channel, users.carol, 'subscriptions list');
    expect(listed).toContain(`**${row.id}** · project \`platform/web\``);
    expect(listed).toContain('added by alice');
    expect(listed).toContain('no threads');
  });

  it('answers the likely mistakes with one clear line and stores nothing', async () => {
    const open = mattermost.addChannel('open', { type: 'O', members: [users.alice], teamId: team.id });
    const hidden = mattermost.addChannel('hidden', { type: 'P', members: [users.alice], teamId: team.id });
    expect(await gitlabCommand(open, users.alice, 'subscriptions add secret/vault')).toContain('is not a public GitLab project or group');
    expect(await gitlabCommand(open, users.alice, 'subscriptions add platform/web --events builds')).toContain('`builds` is not an event kind');
    expect(await gitlabCommand(open, users.alice, 'subscriptions add platform/web --colour red')).toMatch(/^Unknown option '--colour'\. Usage: `\/gitlab subscriptions add/);
    expect(await gitlabCommand(open, users.alice, 'subscriptions add platform/web --confidential')).toContain('only go to a private channel');
    expect(await gitlabCommand(open, users.alice, 'subscriptions add platform/web --exclude "legacy/*"')).toContain('this is a project');
    expect(await gitlabCommand(hidden, users.alice, 'subscriptions add platform/web')).toContain('/invite @gitlab');
    expect(await gitlabCommand(open, users.alice, 'subscriptions add')).toContain('Name one project or group');
    expect((await pool.query('SELECT count(*)::int AS n FROM subscriptions')).rows[0].n).toBe(0);

    expect(await gitlabCommand(open, users.alice, 'subscriptions add platform/infra --exclude platform/infra/legacy/*')).toMatch(/^Subscribed/);
    expect(await gitlabCommand(open, users.alice, 'subscriptions add platform/infra')).toContain('already follows `platform/infra`');
  });

  it('lets the creator or a channel admin delete a subscription, but not another member', async () => {
    const channel = mattermost.addChannel('dev', { type: 'O', members: [users.alice, users.carol, users.dana], admins: [users.dana], teamId: team.id });
    await gitlabCommand(channel, users.alice, 'subscriptions add platform/web');
    await gitlabCommand(channel, users.alice, 'subscriptions add platform/infra');
    const [web, infra] = (await pool.query('SELECT id FROM subscriptions ORDER BY target_path DESC')).rows.map((row) => String(row.id));

    expect(await gitlabCommand(channel, users.carol, `subscriptions delete ${web}`)).toBe('Only whoever added this subscription, or a channel, team or system admin, can delete it.');
    expect(await gitlabCommand(channel, users.dana, `subscriptions delete #${web}`)).toBe(`Deleted subscription ${web} (\`platform/web\`).`);
    expect(await gitlabCommand(channel, users.alice, 'subscriptions delete platform/INFRA')).toBe(`Deleted subscription ${infra} (\`platform/infra\`).`);
    expect(await gitlabCommand(channel, users.alice, 'subscriptions delete platform/web')).toContain('has no subscription');
    expect((await pool.query('SELECT count(*)::int AS n FROM subscriptions')).rows[0].n).toBe(0);
    expect(botPosts(channel).at(-1)!.message).toBe('alice unsubscribed this channel from the GitLab group `platform/infra`.');
    expect((await pool.query("SELECT actor FROM audit_log WHERE action = 'subscription.deleted' ORDER BY id")).rows.map((row) => row.actor)).toEqual([users.dana, users.alice]);
  });
});

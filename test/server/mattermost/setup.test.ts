/**
 * `gitlab-bridge setup` as an admin runs it, against the fake Mattermost (every
 * request checked against Mattermost's OpenAPI spec) and a real PostgreSQL;
 * then the /gitlab command endpoint of a bridge started with what setup made.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { startFakeMattermost, type FakeMattermost } from '../../fakes/fake-mattermost.js';
import { runBridge, runCommand, type BridgeProcess } from '../../helpers/bridge-process.js';
import { createTestDatabase, openPool, testServers, type TestDatabase } from '../../helpers/databases.js';

const INTERNAL_URL = 'http://127.0.0.1:3501';
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

let mattermost: FakeMattermost;
let database: TestDatabase;
let pool: pg.Pool;
let adminToken: string;

beforeEach(async () => {
  mattermost = await startFakeMattermost();
  adminToken = mattermost.addUser('root', { roles: 'system_user system_admin' }).token;
  mattermost.config.ServiceSettings.AllowedUntrustedInternalConnections = '127.0.0.1';
  database = await createTestDatabase(testServers()[0]!);
  pool = openPool(database.url);
});
afterEach(async () => {
  expect(mattermost.violations).toEqual([]);
  await pool.end();
  await database.drop();
  await mattermost.close();
});

function setup(args: string[] = [], env: Record<string, string> = {}) {
  return runCommand(['setup', ...args], { DATABASE_URL: database.url, MATTERMOST_URL: mattermost.url, MATTERMOST_ADMIN_TOKEN: adminToken, INTERNAL_URL, ...env });
}
const ourCommands = () => [...mattermost.commands.values()].filter((command) => command.delete_at === 0 && command.trigger === 'gitlab');
const bot = () => [...mattermost.users.values()].find((user) => user.username === 'gitlab');

describe('gitlab-bridge setup', () => {
  it('creates the bot with its icon and a token shown once, registers /gitlab on every team, and a second run changes nothing', async () => {
    mattermost.addTeam('alpha');
    mattermost.addTeam('beta');

    const first = await setup();
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('created the bot @gitlab');
    expect(bot()).toMatchObject({ is_bot: true, bot: { display_name: 'GitLab' } });
    expect(bot()!.bot!.icon?.contentType).toBe('image/svg+xml');
    const token = /^MATTERMOST_BOT_TOKEN=(\S+)$/m.exec(first.stdout)?.[1];
    expect(token).toBeDefined();

    const commands = ourCommands();
    expect(commands.map((command) => mattermost.teams.get(command.team_id)?.name).sort()).toEqual(['alpha', 'beta']);
    for (const command of commands) {
      expect(command).toMatchObject({ creator_id: bot()!.id, url: `${INTERNAL_URL}/mattermost/command`, method: 'P', auto_complete: true });
      expect(command.auto_complete_hint).not.toBe('');
    }
    const stored = await pool.query('SELECT team_id, command_id, token_hash FROM slash_commands ORDER BY team_name');
    expect(stored.rows.map((row) => row.command_id).sort()).toEqual(commands.map((command) => command.id).sort());
    expect(JSON.stringify(stored.rows)).not.toContain(commands[0]!.token);
    expect((await pool.query("SELECT count(*)::int AS n FROM audit_log WHERE actor = 'setup'")).rows[0].n).toBeGreaterThan(0);

    const writesBefore = mattermost.requests.filter((request) => WRITES.has(request.method)).length;
    const second = await setup([], { MATTERMOST_BOT_TOKEN: token! });
    expect(second.code).toBe(0);
    expect(second.stdout).not.toMatch(/^changed/m);
    expect(second.stdout).not.toContain('MATTERMOST_BOT_TOKEN=');
    expect(mattermost.requests.filter((request) => WRITES.has(request.method))).toHaveLength(writesBefore);
    expect(ourCommands()).toHaveLength(2);
  });

  it('adds teams created since, and moves every command when INTERNAL_URL changes', async () => {
    mattermost.addTeam('alpha');
    const token = /^MATTERMOST_BOT_TOKEN=(\S+)$/m.exec((await setup()).stdout)![1]!;
    mattermost.addTeam('gamma');

    const again = await setup([], { MATTERMOST_BOT_TOKEN: token });
    expect(again.stdout).toMatch(/^changed\s+team gamma: registered \/gitlab$/m);
    expect(again.stdout).toMatch(/^ok\s+team alpha: \/gitlab$/m);

    const moved = await setup([], { MATTERMOST_BOT_TOKEN: token, INTERNAL_URL: 'http://127.0.0.1:4501' });
    expect(moved.stdout).toMatch(/^changed\s+team alpha: updated \/gitlab$/m);
    expect(ourCommands().map((command) => command.url)).toEqual(['http://127.0.0.1:4501/mattermost/command', 'http://127.0.0.1:4501/mattermost/command']);
  });

  it('reports a trigger already taken by another integration without failing, and --trigger picks another', async () => {
    const team = mattermost.addTeam('alpha');
    const other = mattermost.addUser('someone').user;
    mattermost.addCommand({ team_id: team.id, trigger: 'gitlab', creator_id: other.id });

    const taken = await setup();
    expect(taken.code).toBe(0);
    expect(taken.stdout).toMatch(/^warn\s+team alpha: \/gitlab is already taken/m);
    expect(taken.stdout).toContain('--trigger');
    expect(ourCommands().filter((command) => command.creator_id !== other.id)).toHaveLength(0);

    const renamed = await setup(['--trigger', 'gl', '--team', 'alpha']);
    expect(renamed.code).toBe(0);
    expect([...mattermost.commands.values()].some((command) => command.trigger === 'gl' && command.creator_id === bot()!.id)).toBe(true);
  });

  it('prints the exact change for each Mattermost setting the bridge needs, and exits 1', async () => {
    mattermost.addTeam('alpha');
    mattermost.config.ServiceSettings.EnableCommands = false;
    mattermost.config.ServiceSettings.AllowedUntrustedInternalConnections = '';
    const result = await setup();
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('mmctl config set ServiceSettings.EnableCommands true');
    expect(result.stdout).toContain('mmctl config set ServiceSettings.AllowedUntrustedInternalConnections "127.0.0.1"');
    // With commands off, Mattermost refuses the command itself too: reported, not a crash.
    expect(result.stdout).toMatch(/^FAIL\s+team alpha: registering \/gitlab: Mattermost answered/m);
    expect(result.stdout).toMatch(/3 things need fixing/);
  });

  it('refuses a token that is not a system admin’s, an unknown team, and a missing admin token', async () => {
    const notAdmin = await setup([], { MATTERMOST_ADMIN_TOKEN: mattermost.addUser('bob').token });
    expect(notAdmin.code).toBe(1);
    expect(notAdmin.stdout).toContain('belongs to bob, who is not a system admin');

    const unknownTeam = await setup(['--team', 'nope']);
    expect(unknownTeam.code).toBe(1);
    expect(unknownTeam.stdout).toContain("no team named 'nope'");

    const missing = await runCommand(['setup'], { DATABASE_URL: database.url, MATTERMOST_URL: mattermost.url });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('setup needs MATTERMOST_URL and MATTERMOST_ADMIN_TOKEN');
  });
});

describe('POST /mattermost/command', () => {
  let bridge: BridgeProcess | undefined;
  afterEach(async () => {
    await bridge?.stop();
    bridge = undefined;
  });

  async function provisioned() {
    const alpha = mattermost.addTeam('alpha');
    const beta = mattermost.addTeam('beta');
    const token = /^MATTERMOST_BOT_TOKEN=(\S+)$/m.exec((await setup()).stdout)![1]!;
    bridge = runBridge(['start'], { DATABASE_URL: database.url, MATTERMOST_URL: mattermost.url, MATTERMOST_BOT_TOKEN: token, INTERNAL_URL });
    const { internalPort } = await bridge.ready();
    const commandOf = (teamId: string) => ourCommands().find((command) => command.team_id === teamId)!;
    const invoke = (teamId: string, text: string, options: { token?: string; userId?: string } = {}) =>
      fetch(`http://127.0.0.1:${internalPort}/mattermost/command`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Token ${options.token ?? commandOf(teamId).token}` },
        body: new URLSearchParams({ team_id: teamId, channel_id: 'c1', user_id: options.userId ?? 'u1', user_name: 'alice', command: '/gitlab', text, response_url: `${mattermost.url}/hooks/commands/x` }),
      });
    return { alpha, beta, invoke, commandOf };
  }

  it('answers help ephemerally, and a mistake with one usage line', async () => {
    const { alpha, invoke } = await provisioned();
    const help = await invoke(alpha.id, 'help');
    expect(help.status).toBe(200);
    const answer = (await help.json()) as { response_type: string; text: string };
    expect(answer.response_type).toBe('ephemeral');
    expect(answer.text).toContain('/gitlab status');
    const wrong = (await (await invoke(alpha.id, 'frobnicate')).json()) as { text: string };
    expect(wrong.text).toBe('Unknown command `frobnicate`. Try `/gitlab help`.');
  });

  it('refuses a forged token, and one team’s token used for another team, with 401', async () => {
    const { alpha, beta, invoke, commandOf } = await provisioned();
    expect((await invoke(alpha.id, 'help', { token: 'forged-token' })).status).toBe(401);
    expect((await invoke(beta.id, 'help', { token: commandOf(alpha.id).token })).status).toBe(401);
    expect((await invoke('no-such-team', 'help', { token: commandOf(alpha.id).token })).status).toBe(401);
  });

  it('shows status to system admins only', async () => {
    const { alpha, invoke } = await provisioned();
    const admin = [...mattermost.users.values()].find((user) => user.username === 'root')!;
    const user = mattermost.addUser('carol').user;
    const forUser = (await (await invoke(alpha.id, 'status', { userId: user.id })).json()) as { text: string };
    expect(forUser.text).toBe('`status` is for system admins.');
    const forAdmin = (await (await invoke(alpha.id, 'status', { userId: admin.id })).json()) as { text: string };
    expect(forAdmin.text).toContain('Webhooks waiting to be processed: 0');
    expect(forAdmin.text).toContain('Last webhook received: never');
    // Without a GitLab OAuth application nobody can act in GitLab as themselves: replies stay in Mattermost.
    expect(forAdmin.text).toMatch(/Mattermost stream: off \(accounts cannot be connected/);
  });
});

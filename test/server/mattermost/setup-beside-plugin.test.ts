/**
 * `gitlab-bridge setup` and `doctor` on a Mattermost where the official GitLab plugin is enabled and
 * has registered /gitlab as a plugin command (invisible to the custom-command list): setup stops with
 * the admin's two choices instead of registering a command that would never be called; `--trigger gl`
 * proceeds; doctor reports the same conflict, also when the plugin was enabled after setup.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { Check } from '../../../server/src/doctor/check.js';
import { officialGitLabPlugin } from '../../fakes/fake-mattermost-plugins.js';
import { startFakeMattermost, type FakeMattermost } from '../../fakes/fake-mattermost.js';
import { runCommand } from '../../helpers/bridge-process.js';
import { createTestDatabase, testServers, type TestDatabase } from '../../helpers/databases.js';

const INTERNAL_URL = 'http://127.0.0.1:3501';
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const PLUGIN_ID = 'com.github.manland.mattermost-plugin-gitlab';

let mattermost: FakeMattermost;
let database: TestDatabase;
let adminToken: string;

beforeEach(async () => {
  mattermost = await startFakeMattermost();
  adminToken = mattermost.addUser('root', { roles: 'system_user system_admin' }).token;
  mattermost.config.ServiceSettings.AllowedUntrustedInternalConnections = '127.0.0.1';
  database = await createTestDatabase(testServers()[0]!);
});
afterEach(async () => {
  expect(mattermost.violations).toEqual([]);
  await database.drop();
  await mattermost.close();
});

const env = (more: Record<string, string> = {}) => ({ DATABASE_URL: database.url, MATTERMOST_URL: mattermost.url, MATTERMOST_ADMIN_TOKEN: adminToken, INTERNAL_URL, ...more });
const setup = (args: string[] = [], more: Record<string, string> = {}) => runCommand(['setup', ...args], env(more));
async function slashCommandChecks(more: Record<string, string> = {}): Promise<Check[]> {
  // PUBLIC_URL off Mattermost's address: the public URL check is not what this is about.
  const run = await runCommand(['doctor', '--json'], env({ PUBLIC_URL: 'http://127.0.0.1:9/plugins/gitlab-bridge', ...more }));
  return (JSON.parse(run.stdout) as Check[]).filter((check) => check.check === 'slash command');
}
const customCommands = () => [...mattermost.commands.values()].filter((command) => command.delete_at === 0);

describe('setup beside the official GitLab plugin', () => {
  it('stops with the choice (--trigger, or disable the plugin) and changes nothing in Mattermost', async () => {
    mattermost.addTeam('alpha');
    mattermost.addTeam('beta');
    mattermost.addPlugin(officialGitLabPlugin());
    // What an admin would check first: the custom-command list does not show the plugin's /gitlab.
    const listed = await fetch(`${mattermost.url}/api/v4/commands?team_id=${[...mattermost.teams.keys()][0]}&custom_only=true`, { headers: { Authorization: `Bearer ${adminToken}` } });
    expect(await listed.json()).toEqual([]);
    const writesBefore = mattermost.requests.filter((request) => WRITES.has(request.method)).length;

    const result = await setup();

    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^FAIL\s+\/gitlab is the official GitLab plugin's command \(com\.github\.manland\.mattermost-plugin-gitlab\) on team alpha, beta/m);
    expect(result.stdout).toContain('would never be called');
    expect(result.stdout).toContain('Nothing was changed');
    expect(result.stdout).toContain('gitlab-bridge setup --trigger gl');
    expect(result.stdout).toContain(`mmctl plugin disable ${PLUGIN_ID}`);
    expect(result.stdout).toContain('System Console › Plugins');
    expect(result.stdout).toContain('gitlab-bridge import official-plugin');
    expect(result.stdout).not.toContain('MATTERMOST_BOT_TOKEN=');
    expect(mattermost.requests.filter((request) => WRITES.has(request.method))).toHaveLength(writesBefore);
    expect(customCommands()).toEqual([]);
    // The plugin's bot is left as the plugin made it.
    const bot = [...mattermost.users.values()].find((user) => user.username === 'gitlab')!;
    expect(bot.bot).toMatchObject({ display_name: 'GitLab Plugin', owner_id: PLUGIN_ID });

    // doctor says the same, before anything was registered.
    expect(await slashCommandChecks()).toContainEqual(
      expect.objectContaining({ status: 'fail', detail: expect.stringContaining("/gitlab is the official GitLab plugin's command"), fix: expect.stringContaining('--trigger gl') }),
    );
  });

  it('--trigger gl proceeds beside the plugin, says the plugin made the bot, and doctor is content', async () => {
    const team = mattermost.addTeam('alpha');
    mattermost.addPlugin(officialGitLabPlugin());

    const result = await setup(['--trigger', 'gl']);

    expect(result.stdout).toMatch(/^changed\s+team alpha: registered \/gl$/m);
    expect(result.stdout).toMatch(new RegExp(`^warn\\s+the bot @gitlab was made by the plugin ${PLUGIN_ID.replace(/\./g, '\\.')}`, 'm'));
    expect(result.code).toBe(0);
    expect(customCommands()).toEqual([expect.objectContaining({ team_id: team.id, trigger: 'gl', url: `${INTERNAL_URL}/mattermost/command` })]);
    const botToken = /^MATTERMOST_BOT_TOKEN=(\S+)$/m.exec(result.stdout)![1]!;

    const checks = await slashCommandChecks({ MATTERMOST_BOT_TOKEN: botToken });
    expect(checks).toEqual([expect.objectContaining({ status: 'ok', detail: expect.stringContaining('/gl on 1 team (alpha)') })]);
  });

  it('goes ahead once the plugin is disabled; doctor fails when the plugin is enabled again later', async () => {
    mattermost.addTeam('alpha');
    const plugin = mattermost.addPlugin(officialGitLabPlugin());
    expect((await setup()).code).toBe(1);

    plugin.active = false;
    const result = await setup();
    expect(result.stdout).toMatch(/^changed\s+team alpha: registered \/gitlab$/m);
    const botToken = /^MATTERMOST_BOT_TOKEN=(\S+)$/m.exec(result.stdout)![1]!;
    expect(await slashCommandChecks({ MATTERMOST_BOT_TOKEN: botToken })).toEqual([expect.objectContaining({ status: 'ok' })]);

    // Enabled again: its /gitlab takes every call, although the bridge's is still registered.
    plugin.active = true;
    const checks = await slashCommandChecks({ MATTERMOST_BOT_TOKEN: botToken });
    expect(checks).toContainEqual(expect.objectContaining({ status: 'fail', detail: expect.stringContaining('would never be called'), fix: expect.stringContaining(`mmctl plugin disable ${PLUGIN_ID}`) }));
  });

  it('names no owner it cannot know: another plugin holding the word', async () => {
    mattermost.addTeam('alpha');
    mattermost.addPlugin({ ...officialGitLabPlugin(), id: 'com.example.gitlab-helper', name: 'Helper', bot: undefined });
    const result = await setup();
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^FAIL\s+\/gitlab is a plugin's command \(active plugins: com\.example\.gitlab-helper\) on team alpha/m);
    expect(result.stdout).not.toContain('official');
  });
});

/**
 * A bridge as a team runs it for `/gitlab`: the fake Mattermost provisioned by
 * the real `gitlab-bridge setup`, a fake GitLab, a test database, and the
 * bridge started with the bot token setup printed. `command` sends `/gitlab …`
 * the way Mattermost does.
 */
import net from 'node:net';
import pg from 'pg';
import { startFakeGitLab, type FakeGitLab } from '../fakes/fake-gitlab.js';
import { startFakeMattermost, type FakeMattermost, type FakeTeam } from '../fakes/fake-mattermost.js';
import { runBridge, runCommand, type BridgeProcess } from './bridge-process.js';
import { createTestDatabase, openPool, testServers, type TestDatabase } from './databases.js';

export const INTERNAL_URL = 'http://127.0.0.1:3501';

export interface CommandBridge {
  mattermost: FakeMattermost;
  gitlab: FakeGitLab;
  pool: pg.Pool;
  bridge: BridgeProcess;
  /** The team everyone in `users` belongs to, with /gitlab registered. */
  team: FakeTeam;
  /** Mattermost user ids by username. */
  users: Record<string, string>;
  /** What browsers and GitLab reach: the public listener, on a port chosen before start. */
  publicUrl: string;
  /** `/gitlab <text>` from a user in a channel; the ephemeral answer's text. */
  command(userId: string, text: string, channelId?: string): Promise<string>;
  /** Stops everything; fails the test if the fake Mattermost saw a request its spec does not allow. */
  close(): Promise<void>;
}

export async function startCommandBridge(options: {
  users: string[];
  /** More bridge environment; PUBLIC_URL is known by then, for an OAuth application's redirect URI. */
  env?(setup: { publicUrl: string; gitlab: FakeGitLab }): Record<string, string>;
}): Promise<CommandBridge> {
  const mattermost = await startFakeMattermost();
  const gitlab = await startFakeGitLab();
  const database: TestDatabase = await createTestDatabase(testServers()[0]!);
  const pool = openPool(database.url);
  const adminToken = mattermost.addUser('root', { roles: 'system_user system_admin' }).token;
  mattermost.config.ServiceSettings.AllowedUntrustedInternalConnections = '127.0.0.1';
  const users = Object.fromEntries(options.users.map((name) => [name, mattermost.addUser(name).user.id]));
  const team = mattermost.addTeam('alpha', { members: Object.values(users) });
  const setup = await runCommand(['setup'], { DATABASE_URL: database.url, MATTERMOST_URL: mattermost.url, MATTERMOST_ADMIN_TOKEN: adminToken, INTERNAL_URL });
  const botToken = /^MATTERMOST_BOT_TOKEN=(\S+)$/m.exec(setup.stdout)?.[1];
  if (!botToken) throw new Error(`setup printed no bot token:\n${setup.stdout}${setup.stderr}`);

  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const bridge = runBridge(['start'], {
    DATABASE_URL: database.url,
    MATTERMOST_URL: mattermost.url,
    MATTERMOST_BOT_TOKEN: botToken,
    INTERNAL_URL,
    PORT: String(port),
    PUBLIC_URL: publicUrl,
    GITLAB_URL: gitlab.url,
    ...options.env?.({ publicUrl, gitlab }),
  });
  const { internalPort } = await bridge.ready();

  return {
    mattermost,
    gitlab,
    pool,
    bridge,
    team,
    users,
    publicUrl,
    async command(userId, text, channelId = 'c1') {
      const command = [...mattermost.commands.values()].find((candidate) => candidate.team_id === team.id && candidate.trigger === 'gitlab')!;
      const response = await fetch(`http://127.0.0.1:${internalPort}/mattermost/command`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Token ${command.token}` },
        body: new URLSearchParams({ team_id: team.id, channel_id: channelId, user_id: userId, user_name: mattermost.users.get(userId)!.username, command: '/gitlab', text }),
      });
      if (response.status !== 200) throw new Error(`/mattermost/command answered ${response.status}`);
      return ((await response.json()) as { text: string }).text;
    },
    async close() {
      await bridge.stop();
      await pool.end();
      await database.drop();
      await gitlab.close();
      await mattermost.close();
      if (mattermost.violations.length > 0) throw new Error(`requests the Mattermost spec does not allow:\n${mattermost.violations.join('\n')}`);
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

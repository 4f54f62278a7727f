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


export interface CommandBridge {
  mattermost: FakeMattermost;
  gitlab: FakeGitLab;
  /** With `corp: true`, a second fake GitLab, configured as the instance `corp` (GITLAB_INSTANCES=corp). */
  corp: FakeGitLab | null;
  pool: pg.Pool;
  bridge: BridgeProcess;
  /** The team everyone in `users` belongs to, with /gitlab registered. */
  team: FakeTeam;
  /** Mattermost user ids by username. */
  users: Record<string, string>;
  /** Their Mattermost session tokens (what the MMAUTHTOKEN cookie holds), by username. */
  sessions: Record<string, string>;
  /** What browsers and GitLab reach (PUBLIC_URL): the public listener, or the `publicUrl` option's proxy in front of it. */
  publicUrl: string;
  /** The public listener itself, on a port chosen before start (what a reverse proxy forwards to). */
  listenerUrl: string;
  /** INTERNAL_URL: the internal listener, on a port chosen before start, where Mattermost sends commands, presses and dialogs. */
  internalUrl: string;
  /** The environment the bridge was started with (secrets included), e.g. to run other commands against it. */
  readonly env: Readonly<Record<string, string>>;
  /**
   * `/gitlab <text>` from a user in a channel; the ephemeral answer's text. The `response_url` is a fresh
   * one of the fake Mattermost unless given.
   */
  command(userId: string, text: string, channelId?: string, options?: { responseUrl?: string }): Promise<string>;
  /**
   * Makes a GitLab user and connects the Mattermost user to them the way a person does (`connect`, the
   * link, GitLab's consent); needs `oauth: true`. The personal token is for the fake's grant().
   */
  connectGitLab(userId: string, gitlabUser: { id: number; username: string; name: string }, instance?: 'corp'): Promise<{ token: string }>;
  /** Stops everything; fails the test if the fake Mattermost saw a request its spec does not allow. */
  close(): Promise<void>;
}

export async function startCommandBridge(options: {
  users: string[];
  /** Registers the bridge as an OAuth application on the fake GitLab and configures the bridge for it. */
  oauth?: boolean;
  /** PUBLIC_URL when a reverse proxy stands in front of the public listener (e.g. `<origin>/plugins/gitlab-bridge`). */
  publicUrl?: string;
  /**
   * A second GitLab, instance `corp` (its own fake, OAuth application when `oauth`, and webhook secret
   * `corp-hook-secret` at /webhook/corp).
   */
  corp?: boolean;
  /** More bridge environment; PUBLIC_URL is known by then, for an OAuth application's redirect URI. */
  env?(setup: { publicUrl: string; gitlab: FakeGitLab; corp: FakeGitLab | null }): Record<string, string>;
}): Promise<CommandBridge> {
  const mattermost = await startFakeMattermost();
  const gitlab = await startFakeGitLab();
  const corp = options.corp ? await startFakeGitLab() : null;
  const database: TestDatabase = await createTestDatabase(testServers()[0]!);
  const pool = openPool(database.url);
  const adminToken = mattermost.addUser('root', { roles: 'system_user system_admin' }).token;
  mattermost.config.ServiceSettings.AllowedUntrustedInternalConnections = '127.0.0.1';
  const added = options.users.map((name) => [name, mattermost.addUser(name)] as const);
  const users = Object.fromEntries(added.map(([name, { user }]) => [name, user.id]));
  const sessions = Object.fromEntries(added.map(([name, { token }]) => [name, token]));
  const team = mattermost.addTeam('alpha', { members: Object.values(users) });
  // Chosen before setup, which registers /gitlab calling it; buttons call it too.
  const internalPort = await freePort();
  const internalUrl = `http://127.0.0.1:${internalPort}`;
  const setup = await runCommand(['setup'], { DATABASE_URL: database.url, MATTERMOST_URL: mattermost.url, MATTERMOST_ADMIN_TOKEN: adminToken, INTERNAL_URL: internalUrl });
  const botToken = /^MATTERMOST_BOT_TOKEN=(\S+)$/m.exec(setup.stdout)?.[1];
  if (!botToken) throw new Error(`setup printed no bot token:\n${setup.stdout}${setup.stderr}`);

  const port = await freePort();
  const listenerUrl = `http://127.0.0.1:${port}`;
  const publicUrl = options.publicUrl ?? listenerUrl;
  const env: Record<string, string> = {
    DATABASE_URL: database.url,
    MATTERMOST_URL: mattermost.url,
    MATTERMOST_BOT_TOKEN: botToken,
    INTERNAL_URL: internalUrl,
    INTERNAL_PORT: String(internalPort),
    PORT: String(port),
    PUBLIC_URL: publicUrl,
    GITLAB_URL: gitlab.url,
    ...(options.oauth ? oauthApplication(gitlab, publicUrl) : {}),
    ...(corp ? corpInstance(corp, publicUrl, options.oauth ?? false) : {}),
    ...options.env?.({ publicUrl, gitlab, corp }),
  };
  const bridge = runBridge(['start'], env);
  try {
    await bridge.ready();
  } catch (error) {
    // A bridge that never came up must not keep the test run alive, nor its database and fakes.
    await bridge.stop();
    await pool.end();
    await database.drop();
    await gitlab.close();
    await corp?.close();
    await mattermost.close();
    throw error;
  }

  const running: CommandBridge = {
    mattermost,
    gitlab,
    corp,
    pool,
    bridge,
    team,
    users,
    sessions,
    publicUrl,
    listenerUrl,
    internalUrl,
    env,
    async command(userId, text, channelId = 'c1', { responseUrl = mattermost.responseUrl() } = {}) {
      const command = [...mattermost.commands.values()].find((candidate) => candidate.team_id === team.id && candidate.trigger === 'gitlab')!;
      const response = await fetch(`${internalUrl}/mattermost/command`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Token ${command.token}` },
        body: new URLSearchParams({ team_id: team.id, channel_id: channelId, user_id: userId, user_name: mattermost.users.get(userId)!.username, command: '/gitlab', text, response_url: responseUrl }),
      });
      if (response.status !== 200) throw new Error(`/mattermost/command answered ${response.status}`);
      return ((await response.json()) as { text: string }).text;
    },
    async connectGitLab(userId, gitlabUser, instance) {
      const fake = instance === 'corp' ? corp : gitlab;
      if (!fake) throw new Error('connectGitLab(…, "corp") needs startCommandBridge({ corp: true })');
      const { token } = fake.addUser(gitlabUser);
      fake.signIn(gitlabUser.id);
      const answer = await running.command(userId, instance ? `connect ${instance}` : 'connect');
      const link = /\((http[^)]+\/oauth\/connect\?link=[^)]+)\)/.exec(answer)?.[1];
      if (!link) throw new Error(`connect gave no link: ${answer}`);
      // In the browser of that user: signed in to Mattermost as them (the link works in no other).
      const page = await browse(link, { cookie: `MMAUTHTOKEN=${sessions[mattermost.users.get(userId)!.username]}` });
      if (page.status !== 200) throw new Error(`connecting ended with ${page.status}: ${page.body}`);
      fake.signOut();
      return { token };
    },
    async close() {
      await bridge.stop();
      await pool.end();
      await database.drop();
      await gitlab.close();
      await corp?.close();
      await mattermost.close();
      if (mattermost.violations.length > 0) throw new Error(`requests the Mattermost spec does not allow:\n${mattermost.violations.join('\n')}`);
    },
  };
  return running;
}

export const OAUTH_CLIENT = { clientId: 'bridge-app', clientSecret: 'bridge-app-secret' };

function oauthApplication(gitlab: FakeGitLab, publicUrl: string): Record<string, string> {
  gitlab.registerApplication({ ...OAUTH_CLIENT, redirectUri: `${publicUrl}/oauth/complete` });
  return {
    GITLAB_OAUTH_CLIENT_ID: OAUTH_CLIENT.clientId,
    GITLAB_OAUTH_CLIENT_SECRET: OAUTH_CLIENT.clientSecret,
    ENCRYPTION_KEY: 'cd'.repeat(32),
    GITLAB_WEBHOOK_SECRET: 'hook-secret',
  };
}

function corpInstance(corp: FakeGitLab, publicUrl: string, oauth: boolean): Record<string, string> {
  if (oauth) corp.registerApplication({ clientId: 'corp-app', clientSecret: 'corp-app-secret', redirectUri: `${publicUrl}/oauth/complete` });
  return {
    GITLAB_INSTANCES: 'corp',
    GITLAB_CORP_URL: corp.url,
    GITLAB_CORP_WEBHOOK_SECRET: 'corp-hook-secret',
    ...(oauth ? { GITLAB_CORP_OAUTH_CLIENT_ID: 'corp-app', GITLAB_CORP_OAUTH_CLIENT_SECRET: 'corp-app-secret' } : {}),
  };
}

/**
 * A browser's part: follows redirects by hand, through the bridge and the fake GitLab. `cookie` (a
 * Cookie header, e.g. Mattermost's session) goes only to the first URL's origin, as a browser keeps
 * Mattermost's cookies to Mattermost's site.
 */
export async function browse(url: string, options: { cookie?: string } = {}): Promise<{ status: number; url: string; body: string; hops: string[] }> {
  const hops: string[] = [];
  const site = new URL(url).origin;
  for (let hop = 0; hop < 10; hop += 1) {
    const headers: Record<string, string> = options.cookie && new URL(url).origin === site ? { Cookie: options.cookie } : {};
    const response = await fetch(url, { redirect: 'manual', headers });
    if (response.status !== 302) return { status: response.status, url, body: await response.text(), hops };
    url = new URL(response.headers.get('location')!, url).toString();
    hops.push(url);
  }
  throw new Error('too many redirects');
}

/** A port nothing listens on right now (for a server to take, or as an address that answers nothing). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

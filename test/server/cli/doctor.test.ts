/**
 * `gitlab-bridge doctor` as an admin runs it beside a running bridge: the fake
 * Mattermost provisioned by the real `setup`, the fake GitLab with the bridge's
 * OAuth application, a real PostgreSQL. Each case breaks one thing and expects
 * the check that names it, with its fix, and never a secret in the output.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Check } from '../../../server/src/doctor/check.js';
import { runCommand } from '../../helpers/bridge-process.js';
import { startCommandBridge, type CommandBridge } from '../../helpers/command-bridge.js';

let running: CommandBridge;
let env: Record<string, string>;

beforeAll(async () => {
  running = await startCommandBridge({ users: [], oauth: true });
  const adminToken = running.mattermost.addUser('doctor-admin', { roles: 'system_user system_admin' }).token;
  env = { ...running.env, MATTERMOST_ADMIN_TOKEN: adminToken };
});
afterAll(async () => {
  await running?.close();
});

async function doctor(overrides: Record<string, string> = {}) {
  const run = await runCommand(['doctor', '--json'], { ...env, ...overrides });
  let checks: Check[];
  try {
    checks = JSON.parse(run.stdout) as Check[];
  } catch {
    throw new Error(`doctor --json printed no JSON (exit ${run.code}):\n${run.stdout}${run.stderr}`);
  }
  return { code: run.code, checks, output: `${run.stdout}${run.stderr}` };
}

const named = (checks: Check[], name: string) => checks.filter((check) => check.check === name);

function expectNoSecrets(output: string, more: string[] = []): void {
  const password = new URL(env.DATABASE_URL!).password;
  const secrets = [env.MATTERMOST_BOT_TOKEN, env.MATTERMOST_ADMIN_TOKEN, env.GITLAB_OAUTH_CLIENT_SECRET, env.GITLAB_WEBHOOK_SECRET, env.ENCRYPTION_KEY, password, ...more];
  for (const secret of secrets.filter((value): value is string => Boolean(value))) expect(output).not.toContain(secret);
}

describe('gitlab-bridge doctor', () => {
  it('finds nothing wrong with a healthy setup, checks every area, and prints no secret', async () => {
    const { code, checks, output } = await doctor();

    expect(checks.filter((check) => check.status !== 'ok')).toEqual([]);
    expect(code).toBe(0);
    expect(checks.map((check) => check.check)).toEqual([
      'configuration',
      'database',
      'migrations',
      'encryption key',
      'Mattermost',
      'Mattermost bot token',
      'Mattermost admin token',
      'slash command',
      'Mattermost settings',
      'GitLab',
      'GitLab OAuth app',
      'GitLab webhook secret',
      'GitLab scopes',
      'public URL',
      'clock',
    ]);
    expect(named(checks, 'slash command')[0]!.detail).toContain(`/gitlab on 1 team (alpha), calling ${running.internalUrl}/mattermost/command`);
    expect(named(checks, 'Mattermost bot token')[0]!.detail).toContain('@gitlab');
    expectNoSecrets(output);
  });

  it('prints one aligned line per check, and a summary', async () => {
    const run = await runCommand(['doctor'], env);

    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines.at(-1)).toBe('all 15 checks ok');
    const checkLines = lines.slice(0, -1);
    expect(checkLines).toHaveLength(15);
    for (const line of checkLines) expect(line).toMatch(/^ok {3}\S/);
    // The detail column starts at the same place on every line.
    const column = (line: string) => /^ok {3}.+? {2}(?=\S)/.exec(line)![0].length;
    expect(new Set(checkLines.map(column)).size).toBe(1);
    expect(lines).toContain(`ok   ${'GitLab webhook secret'.padEnd('Mattermost admin token'.length)}  GITLAB_WEBHOOK_SECRET is set; its webhooks go to /webhook`);
    expectNoSecrets(run.stdout + run.stderr);
  });

  it('fails on a bot token Mattermost does not accept, naming it, and exits 1', async () => {
    const wrong = 'wrongbottoken7h3x9qk2m4p8s1';
    const { code, checks, output } = await doctor({ MATTERMOST_BOT_TOKEN: wrong });

    expect(code).toBe(1);
    const [bot] = named(checks, 'Mattermost bot token');
    expect(bot).toMatchObject({ status: 'fail' });
    expect(bot!.detail).toContain('MATTERMOST_BOT_TOKEN');
    expect(bot!.fix).toContain('gitlab-bridge setup');
    expectNoSecrets(output, [wrong]);
  });

  it('fails when the /gitlab command setup registered was deleted in Mattermost, with setup as the fix', async () => {
    const command = [...running.mattermost.commands.values()].find((candidate) => candidate.team_id === running.team.id && candidate.trigger === 'gitlab')!;
    command.delete_at = Date.now();
    try {
      const { code, checks } = await doctor();

      expect(code).toBe(1);
      expect(named(checks, 'slash command')).toEqual([
        { check: 'slash command', status: 'fail', detail: expect.stringContaining('team alpha: /gitlab no longer exists in Mattermost'), fix: expect.stringContaining('run gitlab-bridge setup') },
      ]);
    } finally {
      command.delete_at = 0;
    }
  });

  it('without MATTERMOST_ADMIN_TOKEN warns that the command and settings checks are partial, and still exits 0', async () => {
    const { code, checks } = await doctor({ MATTERMOST_ADMIN_TOKEN: '' });

    expect(code).toBe(0);
    expect(named(checks, 'Mattermost admin token')).toEqual([]);
    expect(named(checks, 'slash command')[0]).toMatchObject({ status: 'warn', detail: expect.stringContaining('partial check'), fix: expect.stringContaining('MATTERMOST_ADMIN_TOKEN') });
    expect(named(checks, 'Mattermost settings')[0]).toMatchObject({ status: 'warn', detail: expect.stringMatching(/^skipped: /) });
  });

  it('fails when GitLab does not answer, and skips the OAuth check that needs it', async () => {
    const port = await closedPort();
    const { code, checks } = await doctor({ GITLAB_URL: `http://127.0.0.1:${port}` });

    expect(code).toBe(1);
    expect(named(checks, 'GitLab')[0]).toMatchObject({ status: 'fail', detail: expect.stringContaining(`cannot reach GitLab at http://127.0.0.1:${port}`) });
    expect(named(checks, 'GitLab OAuth app')[0]).toMatchObject({ status: 'warn', detail: expect.stringMatching(/^skipped: /) });
  });

  it('fails on an OAuth client secret GitLab does not accept, without printing it', async () => {
    const wrong = 'not-the-application-secret-5150';
    const { code, checks, output } = await doctor({ GITLAB_OAUTH_CLIENT_SECRET: wrong });

    expect(code).toBe(1);
    const [oauth] = named(checks, 'GitLab OAuth app');
    expect(oauth).toMatchObject({ status: 'fail', detail: expect.stringContaining('invalid_client'), fix: expect.stringContaining('GITLAB_OAUTH_CLIENT_SECRET') });
    expectNoSecrets(output, [wrong]);
  });
});

/** A loopback port nothing listens on. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * What an admin sees of several GitLab instances: `/readyz`, the status page, `/gitlab status` and
 * `gitlab-bridge doctor` report each one (URL, webhook path, OAuth, read-only), and one that is set up
 * halfway or unreachable is named, never taking the default's work down with it. Real bridge process,
 * two fake GitLabs and the fake Mattermost on loopback, real PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Check } from '../../server/src/doctor/check.js';
import type { Readiness } from '../../server/src/readiness.js';
import { runCommand } from '../helpers/bridge-process.js';
import { freePort, startCommandBridge, type CommandBridge } from '../helpers/command-bridge.js';

let running: CommandBridge;
let admin: string;

beforeAll(async () => {
  running = await startCommandBridge({ users: [], oauth: true, corp: true, env: () => ({ GITLAB_CORP_OAUTH_SCOPES: 'read_api' }) });
  admin = running.mattermost.addUser('boss', { roles: 'system_user system_admin' }).user.id;
  running.team.members.add(admin);
}, 120_000);
afterAll(() => running.close());

async function readyz(): Promise<Readiness> {
  return (await (await fetch(`${running.internalUrl}/readyz`)).json()) as Readiness;
}

describe('several GitLab instances in the reports', () => {
  it('lists each instance in /readyz with its webhook path, OAuth and access, and nothing secret', async () => {
    const readiness = await readyz();
    expect(readiness.ready).toBe(true);
    expect(readiness.gitlabInstances).toEqual([
      expect.objectContaining({ name: 'default', label: new URL(running.gitlab.url).host, url: running.gitlab.url, webhookPath: '/webhook', oauth: true, webhookSecret: true, scopes: 'api', state: 'ok' }),
      expect.objectContaining({ name: 'corp', label: 'corp', url: running.corp!.url, webhookPath: '/webhook/corp', oauth: true, webhookSecret: true, scopes: 'read_api', state: 'ok' }),
    ]);
    expect(JSON.stringify(readiness)).not.toContain('corp-hook-secret');
    expect(JSON.stringify(readiness)).not.toContain('corp-app-secret');
  });

  it("shows each instance's webhook URL on the status page", async () => {
    const page = await (await fetch(`${running.listenerUrl}/`)).text();
    expect(page).toContain('id="gitlab-instances"');
    expect(page).toContain(`<code>${running.publicUrl}/webhook/corp</code>`);
    expect(page).toContain(`<code>${running.publicUrl}/webhook</code>`);
    expect(page).toContain('read-only');
    expect(page).toContain('GITLAB_CORP_WEBHOOK_SECRET');
    // What an admin new to the bridge looks for: Free-tier groups, read-only, moving over.
    const notes = /<ul id="notes">([\s\S]*?)<\/ul>/.exec(page)?.[1] ?? '';
    expect(notes).toContain('webhook add &lt;group&gt; --projects');
    expect(notes).toContain('GITLAB_OAUTH_SCOPES=read_api');
    expect(notes).toContain('gitlab-bridge import official-plugin');
  });

  it('reports each instance in /gitlab status', async () => {
    const status = await running.command(admin, 'status');
    expect(status).toContain(`- GitLab corp (${running.corp!.url}): answers; webhooks to \`/webhook/corp\`; people can connect; read-only (read_api)`);
    expect(status).toContain(`- GitLab ${new URL(running.gitlab.url).host} (${running.gitlab.url}): answers; webhooks to \`/webhook\`; people can connect`);
  });

  it("has the doctor check each instance's URL, OAuth application and webhook secret by its own variables", async () => {
    const run = await runCommand(['doctor', '--json'], running.env);
    const checks = JSON.parse(run.stdout) as Check[];
    const byName = (name: string) => checks.find((check) => check.check === name);
    expect(byName('GitLab corp')).toMatchObject({ status: 'ok' });
    expect(byName('GitLab OAuth app (corp)')).toMatchObject({ status: 'ok' });
    expect(byName('GitLab corp webhook secret')).toMatchObject({ status: 'ok', detail: expect.stringContaining('/webhook/corp') });
    expect(run.stdout).not.toContain('corp-hook-secret');

    // A corp whose address answers nothing, and whose OAuth secret is wrong: named by corp's variables.
    const dead = await freePort();
    const broken = await runCommand(['doctor', '--json'], { ...running.env, GITLAB_CORP_URL: `http://127.0.0.1:${dead}` });
    const brokenChecks = JSON.parse(broken.stdout) as Check[];
    expect(brokenChecks.find((check) => check.check === 'GitLab corp')).toMatchObject({ status: 'fail', fix: expect.stringContaining('GITLAB_CORP_URL') });
    expect(brokenChecks.find((check) => check.check === 'GitLab')).toMatchObject({ status: 'ok' });
    const wrongSecret = await runCommand(['doctor', '--json'], { ...running.env, GITLAB_CORP_OAUTH_CLIENT_SECRET: 'not-it' });
    expect((JSON.parse(wrongSecret.stdout) as Check[]).find((check) => check.check === 'GitLab OAuth app (corp)')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('GITLAB_CORP_OAUTH_CLIENT_ID'),
    });
    expect(broken.code).not.toBe(0);
  });
});

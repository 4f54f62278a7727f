/**
 * Groups on a GitLab without group webhooks (Free, CE), end to end: `/gitlab webhook add <group>` offers
 * a webhook on each project, `--projects` adds them where the asker is a Maintainer, and the bridge
 * keeps the set in step as its keeper (a system hook about a new project, the hourly job), with the
 * coverage in `subscriptions list` and `webhook list`. Real bridge process, real PostgreSQL, the fake
 * Mattermost and the fake GitLab (as CE, or Premium) on loopback.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import type { FakeGitLab } from '../../fakes/fake-gitlab.js';
import type { FakeMattermost } from '../../fakes/fake-mattermost.js';
import { runBridge } from '../../helpers/bridge-process.js';
import { startCommandBridge, type CommandBridge } from '../../helpers/command-bridge.js';
import { sendFixture } from '../../helpers/fixtures.js';
import { waitFor } from '../../helpers/wait-for.js';
import { webappClient } from '../../helpers/webapp-client.js';

let running: CommandBridge;
let gitlab: FakeGitLab;
let mattermost: FakeMattermost;
let pool: pg.Pool;
let users: Record<string, string>;
/** Personal tokens of the GitLab users connected, for grant(). */
const tokens = { alice: '', dev: '', eve: '' };

beforeEach(async () => {
  running = await startCommandBridge({ users: ['alice', 'dev', 'eve'], oauth: true });
  ({ gitlab, mattermost, pool, users } = running);
  gitlab.setEdition('ce');
  // A public group; alice maintains three of its five live projects (one through a subgroup she owns).
  gitlab.addGroup('acme', { visibility: 'public', id: 50 });
  gitlab.addProject('acme/site', { visibility: 'public', id: 501 });
  gitlab.addProject('acme/tools', { visibility: 'public', id: 502 });
  gitlab.addProject('acme/ops/deploy', { visibility: 'private', id: 503 });
  gitlab.addProject('acme/docs', { visibility: 'public', id: 504 });
  gitlab.addProject('acme/secret', { visibility: 'private', id: 505 });
  gitlab.addProject('acme/old', { visibility: 'public', id: 506 });
  gitlab.archiveProject('acme/old');
  gitlab.addProject('vault/keys', { visibility: 'private', id: 601 });
  tokens.alice = (await running.connectGitLab(users.alice!, { id: 7001, username: 'alice.gl', name: 'Alice' })).token;
  tokens.dev = (await running.connectGitLab(users.dev!, { id: 7002, username: 'dev.gl', name: 'Dev' })).token;
  tokens.eve = (await running.connectGitLab(users.eve!, { id: 7003, username: 'eve.gl', name: 'Eve' })).token;
  gitlab.grant(tokens.alice, 'acme', 30);
  for (const path of ['acme/site', 'acme/tools', 'acme/old']) gitlab.grant(tokens.alice, path, 40);
  gitlab.grant(tokens.alice, 'acme/ops', 50);
  gitlab.grant(tokens.alice, 'vault', 50);
  gitlab.grant(tokens.dev, 'acme', 30);
});
afterEach(() => running.close());

const as = (name: 'alice' | 'dev' | 'eve', text: string, channelId?: string) => running.command(users[name]!, text, channelId);
const ours = (path: string) => gitlab.hooksOf(path).filter((hook) => hook.url === `${running.publicUrl}/webhook`);
/** As the hourly run would: the group's job is due now. */
const runJobNow = () => pool.query("UPDATE poll_jobs SET next_run_at = now() WHERE kind = 'group_hooks'");

describe('a group on a GitLab without group webhooks', () => {
  it('offers project hooks, adds them where the asker is a Maintainer, and shows the coverage', async () => {
    const offer = await as('alice', 'webhook add acme');
    expect(offer).toContain('This GitLab has no group webhooks: they need GitLab Premium or Ultimate.');
    expect(offer).toContain('where you are a Maintainer (3 of its 5 projects)');
    expect(offer).toContain('`/gitlab webhook add acme --projects` does it.');
    // The offer changes nothing in GitLab.
    expect(ours('acme/site')).toEqual([]);

    const added = await as('alice', 'webhook add acme --projects');
    expect(added).toContain('Added a webhook to 3 projects of `acme` (SSL verification on): `acme/ops/deploy`, `acme/site`, `acme/tools`.');
    expect(added).toContain('3 of 5 projects hooked; 2 need a Maintainer: `acme/docs` and `acme/secret`');
    expect(added).toContain("kept in step hourly with alice's GitLab account");
    for (const path of ['acme/site', 'acme/tools', 'acme/ops/deploy']) {
      expect(ours(path)).toEqual([expect.objectContaining({ token: 'hook-secret', enable_ssl_verification: true, push_events: true, merge_requests_events: true })]);
    }
    // Developer only, and archived: no hook.
    expect(gitlab.hooksOf('acme/docs')).toEqual([]);
    expect(gitlab.hooksOf('acme/old')).toEqual([]);
    const audited = (await pool.query("SELECT actor, target FROM audit_log WHERE action = 'webhook.created' ORDER BY target")).rows;
    expect(audited).toEqual(['project:501', 'project:502', 'project:503'].map((target) => ({ actor: users.alice, target })));

    // Again: nothing doubles.
    expect(await as('alice', 'webhook add acme --projects')).toContain('No project of `acme` that you maintain needed a new webhook.');
    expect(ours('acme/site')).toHaveLength(1);
    expect(await as('alice', 'webhook list acme')).toContain('#### Project webhooks of `acme` to this bridge\n- Project hooks (no group webhooks on this GitLab): 3 of 5 projects hooked');

    // A public channel's list names public projects only: its subscription gets no private project's events.
    const channel = mattermost.addChannel('town', { type: 'O', members: [users.alice!, users.eve!], teamId: running.team.id });
    expect(await as('alice', 'subscriptions add acme', channel.id)).toContain('Subscribed this channel to `acme`');
    const list = await as('eve', 'subscriptions list', channel.id);
    expect(list).toContain('3 of 5 projects hooked; 2 need a Maintainer: `acme/docs` and 1 not public');
    expect(list).not.toContain('acme/secret');
  });

  it('keeps the set in step: a new project gets a hook when a system hook says so, archived and removed ones drop out', async () => {
    await as('alice', 'webhook add acme --projects');
    gitlab.addProject('acme/ops/new', { visibility: 'private', id: 507 });
    const status = await sendFixture(running.publicUrl, 'hook-secret', 'system.project_create.json', (payload) => {
      payload.path_with_namespace = 'acme/ops/new';
      payload.project_id = 507;
    });
    expect(status).toBe(202);
    await waitFor(() => ours('acme/ops/new').length === 1, 'a hook on the new project');
    const list = () => as('alice', 'webhook list acme');
    await waitFor(async () => (await list()).includes('4 of 6 projects hooked'), 'the coverage with the new project');

    gitlab.archiveProject('acme/tools');
    gitlab.removeProject('acme/site');
    await runJobNow();
    await waitFor(async () => (await list()).includes('2 of 4 projects hooked; 2 need a Maintainer'), 'archived and removed projects gone from the set');
    // Nothing is deleted in GitLab: the archived project keeps its hook.
    expect(ours('acme/tools')).toHaveLength(1);
  });

  it('refuses a system hook without the secret: nothing is reconciled', async () => {
    await as('alice', 'webhook add acme --projects');
    gitlab.addProject('acme/ops/sneaky', { visibility: 'private', id: 508 });
    const status = await sendFixture(running.publicUrl, 'not-the-secret', 'system.project_create.json', (payload) => {
      payload.path_with_namespace = 'acme/ops/sneaky';
      payload.project_id = 508;
    });
    expect(status).toBe(401);
    const { rows } = await pool.query<{ wanted_at: Date | null }>('SELECT wanted_at FROM group_hook_sets');
    expect(rows).toEqual([{ wanted_at: null }]);
  });

  it('on Premium adds a group hook, as before, and keeps no project set', async () => {
    gitlab.setEdition('premium');
    gitlab.grant(tokens.alice, 'acme', 50);
    expect(await as('alice', 'webhook add acme')).toMatch(/^Added a webhook to the group `acme` \(hook \d+, SSL verification on\)/);
    expect(gitlab.hooksOf('acme')).toHaveLength(1);
    expect(ours('acme/site')).toEqual([]);
    expect((await pool.query('SELECT 1 FROM group_hook_sets')).rowCount).toBe(0);
  });
});

describe('who may do what with a group’s project hooks', () => {
  it('tells a non-member of a private group nothing, and makes nothing', async () => {
    for (const text of ['webhook add vault --projects', 'webhook add vault', 'webhook list vault']) {
      expect(await as('eve', text)).toBe('`vault` does not exist on GitLab, or your GitLab account cannot see it.');
    }
    expect(gitlab.hooksOf('vault/keys')).toEqual([]);
    expect((await pool.query('SELECT 1 FROM group_hook_sets')).rowCount).toBe(0);
  });

  it('names to a non-member of a public group only the projects GitLab shows them', async () => {
    await as('alice', 'webhook add acme --projects');
    const seen = await as('eve', 'webhook list acme');
    expect(seen).toContain('3 of 5 projects hooked; 2 need a Maintainer: `acme/docs` and 1 not public');
    expect(seen).not.toContain('acme/secret');
    expect(seen).not.toContain('acme/ops/deploy');
  });

  it("shows the coverage in the webapp's channel panel, to the channel's members only", async () => {
    await as('alice', 'webhook add acme --projects');
    const town = mattermost.addChannel('town', { type: 'O', members: [users.alice!, users.eve!], teamId: running.team.id });
    await as('alice', 'subscriptions add acme', town.id);
    await as('alice', 'subscriptions add acme/site', town.id);
    const path = `/channels/${town.id}/subscriptions`;
    const listed = await webappClient(running, 'eve')<{ subscriptions: { target: { path: string }; projectHooks: unknown }[] }>('GET', path);
    expect(listed.status).toBe(200);
    expect(listed.body.subscriptions.map((subscription) => [subscription.target.path, subscription.projectHooks])).toEqual([
      [
        'acme',
        {
          state: 'partial',
          text: "Project hooks: 3 of 5 projects hooked; 2 need a Maintainer: acme/docs and 1 not public · kept in step hourly with alice's GitLab account · checked just now.",
        },
      ],
      ['acme/site', null],
    ]);
    expect(await webappClient(running, 'dev')('GET', path)).toMatchObject({ status: 403, body: { code: 'not_channel_member' } });
  });

  it('gives a Developer no hooks but an honest line, and leaves the set to the Maintainer who keeps it', async () => {
    const alone = await as('dev', 'webhook add acme --projects');
    expect(alone).toContain('No project of `acme` that you maintain needed a new webhook.');
    expect(alone).toContain('0 of 5 projects hooked; 5 need a Maintainer');
    expect(ours('acme/site')).toEqual([]);

    // A Maintainer asks: the set becomes theirs (they can hook more), and a Developer asking again does not take it back.
    await as('alice', 'webhook add acme --projects');
    const again = await as('dev', 'webhook add acme --projects');
    expect(again).toContain('3 of 5 projects hooked');
    expect(again).toContain("The set stays kept in step with alice's GitLab account");
    const { rows } = await pool.query<{ requested_by: string }>('SELECT requested_by FROM group_hook_sets');
    expect(rows).toEqual([{ requested_by: users.alice }]);
    expect((await pool.query("SELECT 1 FROM audit_log WHERE action = 'webhook.created' AND actor = $1", [users.dev!])).rowCount).toBe(0);
  });

  it('lets nobody take the set over by asking twice: its keeper, events and projects stay', async () => {
    await as('alice', 'webhook add acme --projects --events push,merge_request');
    const snapshot = async () => ({
      set: (await pool.query('SELECT requested_by, maintainable, kinds FROM group_hook_sets')).rows,
      projects: (await pool.query('SELECT project_id::int AS id, state FROM group_hook_projects ORDER BY project_id')).rows,
    });
    const before = await snapshot();
    expect(before.set).toEqual([{ requested_by: users.alice, maintainable: 3, kinds: ['push', 'merge_request'] }]);
    // The set holds two private projects that eve (no member of the public group) does not see.
    expect(before.projects.map((row) => row.id)).toEqual([501, 502, 503, 504, 505]);

    // A Developer of the group asks, with other events, and again; then someone who merely sees it. The
    // first ask once left their count (0) as the keeper's, so that the second took the set and its
    // events over; and eve's listing dropped the projects she cannot see.
    for (const [who, run] of [['dev', 1], ['dev', 2], ['eve', 1], ['eve', 2]] as const) {
      const answer = await as(who, 'webhook add acme --projects --events issue');
      expect([who, run, answer]).toEqual([who, run, expect.stringContaining("The set stays kept in step with alice's GitLab account")]);
      expect(answer).toContain('Its webhooks carry the events its keeper chose (push, merge_request), not those you asked for.');
    }
    expect(await snapshot()).toEqual(before);
    expect(await as('alice', 'webhook list acme')).toContain("3 of 5 projects hooked; 2 need a Maintainer: `acme/docs` and `acme/secret` · kept in step hourly with alice's GitLab account");

    // The hourly run still goes with alice's account and events: a new project gets her hook.
    gitlab.addProject('acme/ops/new', { visibility: 'private', id: 507 });
    await runJobNow();
    await waitFor(() => ours('acme/ops/new').length === 1, 'the keeper’s hook on the new project');
    expect(ours('acme/ops/new')).toEqual([expect.objectContaining({ push_events: true, merge_requests_events: true, issues_events: false })]);
    // The audit row is written just after GitLab answers the hook's creation: wait for it, not for the hook.
    const audited = async () => (await pool.query("SELECT actor FROM audit_log WHERE action = 'webhook.created' AND target = 'project:507'")).rows;
    await waitFor(async () => (await audited()).length > 0, 'the hook’s audit row');
    expect(await audited()).toEqual([{ actor: users.alice }]);
  });

  it('stops adding hooks when the keeper disconnects, and says so', async () => {
    await as('alice', 'webhook add acme --projects');
    const bot = [...mattermost.users.values()].find((user) => user.username === 'gitlab')!;
    const channel = mattermost.addChannel('ops', { type: 'P', members: [users.alice!, users.dev!, bot.id], teamId: running.team.id });
    expect(await as('alice', 'subscriptions add acme', channel.id)).toContain('Subscribed this channel to `acme`');
    expect(await as('alice', 'disconnect')).toContain('Disconnected');
    gitlab.addProject('acme/ops/late', { visibility: 'private', id: 509 });
    await runJobNow();
    await waitFor(async () => (await pool.query("SELECT 1 FROM poll_jobs WHERE kind = 'group_hooks' AND last_error LIKE '%no longer connected%'")).rowCount === 1, 'the job giving up');
    expect(ours('acme/ops/late')).toEqual([]);
    const list = await as('dev', 'subscriptions list', channel.id);
    expect(list).toContain('**alice is no longer connected to GitLab, so new projects get no hook** until someone runs `/gitlab webhook add acme --projects`');
    // A private channel whose subscriber had access: private projects are named.
    expect(list).toContain('2 need a Maintainer: `acme/docs` and `acme/secret`');
  });
});

describe('a read-only bridge (GITLAB_OAUTH_SCOPES=read_api)', () => {
  it('keeps no set in step with a token made with api before, and says why', async () => {
    await as('alice', 'webhook add acme --projects');
    // The admin restarts the bridge read-only; alice's token (made with api) keeps working for reads.
    await running.bridge.stop();
    const readOnly = runBridge(['start'], { ...running.env, GITLAB_OAUTH_SCOPES: 'read_api' });
    try {
      await readOnly.ready();
      await mattermost.waitForSocket();
      const seen = gitlab.requests.length;

      // A new project, and the system hook that tells the bridge at once.
      const sent = (await pool.query<{ now: Date }>('SELECT now()')).rows[0]!.now;
      gitlab.addProject('acme/ops/new', { visibility: 'private', id: 507 });
      expect(
        await sendFixture(running.publicUrl, 'hook-secret', 'system.project_create.json', (payload) => {
          payload.path_with_namespace = 'acme/ops/new';
          payload.project_id = 507;
        }),
      ).toBe(202);
      const ran = "SELECT last_error FROM poll_jobs WHERE kind = 'group_hooks' AND last_run_at >= $1 AND lease_until IS NULL";
      await waitFor(async () => (await pool.query(ran, [sent])).rowCount === 1, 'the job’s run after the system hook');
      expect(ours('acme/ops/new')).toEqual([]);
      // Reads only (GraphQL queries are POSTs); the hook API saw nothing at all.
      const writes = gitlab.requests.slice(seen).filter((request) => request.method !== 'GET' && request.path.startsWith('/api/v4/'));
      expect(writes).toEqual([]);
      expect(gitlab.requests.slice(seen).filter((request) => request.path.includes('/hooks'))).toEqual([]);
      expect((await pool.query(ran, [sent])).rows).toEqual([{ last_error: 'not kept in step: this bridge connects to GitLab read-only (GITLAB_OAUTH_SCOPES=read_api), so it adds no webhooks' }]);
      expect(await as('alice', 'webhook list acme')).toContain(
        '**last check failed:** not kept in step: this bridge connects to GitLab read-only (GITLAB_OAUTH_SCOPES=read_api), so it adds no webhooks',
      );
      // Asking again is refused as every write is.
      expect(await as('alice', 'webhook add acme --projects')).toContain('This bridge connects to GitLab read-only (GITLAB_OAUTH_SCOPES=read_api), so it cannot add webhooks.');
      expect(ours('acme/ops/new')).toEqual([]);
    } finally {
      await readOnly.stop();
    }
  });
});

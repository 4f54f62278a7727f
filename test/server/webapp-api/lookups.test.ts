/**
 * The pickers' look-ups (GET /api/v1/lookup/…): read from GitLab as the user,
 * at most 20, narrowed by `search`. Real bridge process, both fakes on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startCommandBridge, type CommandBridge } from '../../helpers/command-bridge.js';
import { webappClient } from '../../helpers/webapp-client.js';

let running: CommandBridge;
let alice: ReturnType<typeof webappClient>;
let carol: ReturnType<typeof webappClient>;
const ALICE = 101;
const BOB = 102;

beforeAll(async () => {
  running = await startCommandBridge({ users: ['alice', 'carol'], oauth: true });
  const { gitlab } = running;
  gitlab.addProject('platform/web', { visibility: 'public' });
  gitlab.addProject('platform/deep/api', { visibility: 'private' });
  gitlab.addProject('other/tool', { visibility: 'public' });
  gitlab.addProject('secret/vault', { visibility: 'private' });
  for (let n = 1; n <= 25; n += 1) gitlab.addProject(`many/project-${n}`, { visibility: 'private' });
  const { token } = await running.connectGitLab(running.users.alice!, { id: ALICE, username: 'alice.gl', name: 'Alice' });
  gitlab.addUser({ id: BOB, username: 'bob', name: 'Bob Builder' });
  gitlab.grant(token, 'platform', 30);
  gitlab.grant(token, 'many', 30);
  gitlab.addLabel('platform/web', { name: 'bug', color: '#d9534f' });
  gitlab.addLabel('platform/web', { name: 'feature', color: '#f0ad4e' });
  gitlab.addMilestone('platform/web', { title: '1.0', dueDate: '2030-01-31' });
  gitlab.addMilestone('platform/web', { title: '0.9', state: 'closed' });
  gitlab.addBranch('platform/web', 'release/1.0');
  gitlab.addIssue('platform/web', { title: 'Crash on save', authorId: BOB });
  gitlab.addIssue('platform/web', { title: 'Slow start', authorId: BOB, state: 'closed' });
  alice = webappClient(running, 'alice');
  carol = webappClient(running, 'carol');
}, 60_000);
afterAll(() => running.close());

const items = async (path: string) => {
  const answer = await alice<{ items: Record<string, unknown>[] }>('GET', path);
  expect(answer.status).toBe(200);
  return answer.body.items;
};

describe('look-ups for pickers', () => {
  it('offers the projects and groups the user belongs to, at most 20', async () => {
    expect(await items('/lookup/projects?search=api')).toEqual([{ id: expect.any(Number), path: 'platform/deep/api', name: 'api', visibility: 'private', webUrl: `${running.gitlab.url}/platform/deep/api` }]);
    const all = await items('/lookup/projects');
    expect(all).toHaveLength(20);
    expect(all.map((item) => item.path)).not.toContain('secret/vault');
    expect(all.map((item) => item.path)).not.toContain('other/tool');
    expect((await items('/lookup/groups?search=deep')).map((item) => item.path)).toEqual(['platform/deep']);
    expect((await items('/lookup/groups')).map((item) => item.path)).toEqual(['many', 'platform', 'platform/deep']);
  });

  it("offers a project's labels, milestones, members, branches and issues", async () => {
    const project = 'project=platform%2Fweb';
    expect(await items(`/lookup/labels?${project}&search=bu`)).toEqual([{ title: 'bug', color: '#d9534f', textColor: '#FFFFFF' }]);
    expect(await items(`/lookup/milestones?${project}`)).toEqual([{ id: expect.any(Number), title: '1.0', dueDate: '2030-01-31' }]);
    expect(await items(`/lookup/members?${project}&search=alice`)).toEqual([{ id: ALICE, username: 'alice.gl', name: 'Alice' }]);
    expect(await items(`/lookup/branches?${project}&search=release`)).toEqual([{ name: 'release/1.0' }]);
    expect(await items(`/lookup/issues?${project}&search=crash`)).toEqual([{ iid: 1, reference: 'platform/web#1', title: 'Crash on save', state: 'opened', url: `${running.gitlab.url}/platform/web/-/issues/1` }]);
    expect((await items(`/lookup/issues?${project}&search=%232`)).map((item) => item.title)).toEqual(['Slow start']);
  });

  it('validates the project and refuses what the user may not see', async () => {
    expect(await alice('GET', '/lookup/labels')).toMatchObject({ status: 400, body: { code: 'bad_request', error: expect.stringMatching(/^`project`/) } });
    expect(await alice('GET', '/lookup/labels?project=..%2Fetc')).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^`project`/) } });
    expect(await alice('GET', '/lookup/labels?project=secret%2Fvault')).toMatchObject({ status: 404, body: { code: 'not_found' } });
    expect(await alice('GET', `/lookup/projects?search=${'x'.repeat(101)}`)).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^`search`/) } });
    expect(await alice('GET', '/lookup/wikis')).toMatchObject({ status: 404, body: { code: 'not_found' } });
    expect(await carol('GET', '/lookup/projects')).toMatchObject({ status: 403, body: { code: 'not_connected' } });
  });
});

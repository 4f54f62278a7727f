/**
 * The fake GitLab's groups: a group's projects with its subgroups', paginated and filtered as GitLab's
 * Groups API does, and projects archived or removed.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startFakeGitLab, type FakeGitLab } from './fake-gitlab.js';

describe("the fake GitLab's group projects", () => {
  let gitlab: FakeGitLab;
  let maintainer: string;
  let developer: string;
  let outsider: string;
  beforeAll(async () => {
    gitlab = await startFakeGitLab();
    gitlab.addGroup('acme', { visibility: 'private', id: 10 });
    gitlab.addProject('acme/site', { visibility: 'private', id: 100 });
    gitlab.addProject('acme/tools', { visibility: 'private', id: 101 });
    gitlab.addProject('acme/ops/deploy', { visibility: 'private', id: 102 });
    gitlab.addProject('acme/ops/old', { visibility: 'private', id: 103 });
    gitlab.addProject('other/thing', { visibility: 'private', id: 200 });
    maintainer = gitlab.addUser({ id: 1, username: 'mia', name: 'Mia' }).token;
    developer = gitlab.addUser({ id: 2, username: 'dev', name: 'Dev' }).token;
    outsider = gitlab.addUser({ id: 3, username: 'out', name: 'Out' }).token;
    gitlab.grant(maintainer, 'acme', 30);
    gitlab.grant(maintainer, 'acme/site', 40);
    gitlab.grant(maintainer, 'acme/ops', 50);
    gitlab.grant(developer, 'acme', 30);
    gitlab.grant(outsider, 'other/thing', 40);
    gitlab.archiveProject('acme/ops/old');
  });
  afterAll(() => gitlab.close());

  const list = async (token: string | undefined, query: Record<string, string>, group = 'acme') => {
    const response = await fetch(`${gitlab.url}/api/v4/groups/${encodeURIComponent(group)}/projects?${new URLSearchParams(query)}`, {
      headers: token ? { Authorization: `Bearer ${token}` } : {},
    });
    const body = (await response.json()) as { path_with_namespace: string; archived: boolean; permissions?: unknown }[] | { message: string; error: string };
    return { status: response.status, body, headers: response.headers };
  };
  const paths = (body: unknown) => (body as { path_with_namespace: string }[]).map((project) => project.path_with_namespace);

  it("lists the group's own projects unless asked for its subgroups', newest first, with `archived` and no permissions", async () => {
    const own = await list(maintainer, {});
    expect(own.status).toBe(200);
    expect(paths(own.body)).toEqual(['acme/tools', 'acme/site']);
    const all = await list(maintainer, { include_subgroups: 'true' });
    expect(paths(all.body)).toEqual(['acme/ops/old', 'acme/ops/deploy', 'acme/tools', 'acme/site']);
    expect((all.body as { archived: boolean }[]).map((project) => project.archived)).toEqual([true, false, false, false]);
    expect((all.body as { permissions?: unknown }[]).some((project) => 'permissions' in project)).toBe(false);
  });

  it('filters by archived status and by the caller’s role (min_access_level)', async () => {
    expect(paths((await list(maintainer, { include_subgroups: 'true', archived: 'false' })).body)).toEqual(['acme/ops/deploy', 'acme/tools', 'acme/site']);
    expect(paths((await list(maintainer, { include_subgroups: 'true', archived: 'true' })).body)).toEqual(['acme/ops/old']);
    // Maintainer of site, Owner of ops (and so of its projects); only Developer of tools.
    expect(paths((await list(maintainer, { include_subgroups: 'true', archived: 'false', min_access_level: '40' })).body)).toEqual(['acme/ops/deploy', 'acme/site']);
    expect(paths((await list(developer, { include_subgroups: 'true', min_access_level: '40' })).body)).toEqual([]);
    expect(await list(maintainer, { min_access_level: '41' })).toMatchObject({ status: 400, body: { error: 'min_access_level does not have a valid value' } });
  });

  it('pages with x-next-page and x-total, the last page with an empty x-next-page', async () => {
    const first = await list(maintainer, { include_subgroups: 'true', per_page: '3', order_by: 'id', sort: 'asc' });
    expect(paths(first.body)).toEqual(['acme/site', 'acme/tools', 'acme/ops/deploy']);
    expect([first.headers.get('x-next-page'), first.headers.get('x-total'), first.headers.get('x-total-pages')]).toEqual(['2', '4', '2']);
    const second = await list(maintainer, { include_subgroups: 'true', per_page: '3', order_by: 'id', sort: 'asc', page: '2' });
    expect(paths(second.body)).toEqual(['acme/ops/old']);
    expect(second.headers.get('x-next-page')).toBe('');
  });

  it('hides a group from those who may not see it, as GitLab does: 404', async () => {
    expect(await list(outsider, {})).toMatchObject({ status: 404, body: { message: '404 Group Not Found' } });
    expect(await list(undefined, {})).toMatchObject({ status: 404 });
  });

  it('removes a project with its webhooks, and unarchives one', async () => {
    const created = await fetch(`${gitlab.url}/api/v4/projects/acme%2Ftools/hooks`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${maintainer}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ url: 'https://bridge.example.com/webhook' }),
    });
    // Developer of tools through the group: hooks need Maintainer.
    expect(created.status).toBe(403);
    gitlab.grant(maintainer, 'acme/tools', 40);
    await fetch(`${gitlab.url}/api/v4/projects/acme%2Ftools/hooks`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${maintainer}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ url: 'https://bridge.example.com/webhook' }),
    });
    expect(gitlab.hooksOf('acme/tools')).toHaveLength(1);
    gitlab.removeProject('acme/tools');
    expect(() => gitlab.hooksOf('acme/tools')).toThrow(/no project or group/);
    expect((await fetch(`${gitlab.url}/api/v4/projects/101`, { headers: { Authorization: `Bearer ${maintainer}` } })).status).toBe(404);
    gitlab.archiveProject('acme/ops/old', false);
    expect(paths((await list(maintainer, { include_subgroups: 'true', archived: 'false' })).body)).toEqual(['acme/ops/old', 'acme/ops/deploy', 'acme/site']);
  });
});

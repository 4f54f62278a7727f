import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startFakeGitLab, type FakeGitLab } from './fake-gitlab.js';

describe('the fake GitLab', () => {
  let gitlab: FakeGitLab;
  beforeAll(async () => {
    gitlab = await startFakeGitLab();
    gitlab.addGroup('acme', { visibility: 'public', id: 10 });
    gitlab.addGroup('acme/secret', { visibility: 'private' });
    gitlab.addProject('acme/site', { visibility: 'public', id: 100, defaultBranch: 'trunk' });
    gitlab.addProject('acme/tools', { visibility: 'internal' });
    gitlab.addProject('acme/secret/vault', { visibility: 'private' });
    gitlab.addProject('acme/secret/keys', { visibility: 'private' });
  });
  afterAll(() => gitlab.close());

  const get = async (path: string, token?: string, header: 'bearer' | 'private' = 'bearer') => {
    const headers: Record<string, string> = token === undefined ? {} : header === 'bearer' ? { Authorization: `Bearer ${token}` } : { 'PRIVATE-TOKEN': token };
    const response = await fetch(`${gitlab.url}/api/v4${path}`, { headers });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const project = (path: string) => [...gitlab.projects.values()].find((candidate) => candidate.path_with_namespace === path)!;

  it('keeps a model, giving ids that were not chosen', () => {
    expect(gitlab.groups.get(10)).toMatchObject({ full_path: 'acme', visibility: 'public' });
    expect(gitlab.groups.get(11)).toMatchObject({ full_path: 'acme/secret', parent: gitlab.groups.get(10) });
    expect(project('acme/tools').id).toBe(101);
    // Like GitLab, nothing is more visible than its group.
    expect(() => gitlab.addProject('acme/secret/open', { visibility: 'public' })).toThrow(/cannot be public in the private group acme\/secret/);
    expect(() => gitlab.addGroup('acme', { visibility: 'public' })).toThrow(/taken/);
  });

  it('shows public projects and groups to anyone, by id or by URL-encoded path in any case', async () => {
    const byId = await get('/projects/100');
    expect(byId.status).toBe(200);
    expect(byId.body).toEqual({
      id: 100,
      name: 'site',
      path: 'site',
      path_with_namespace: 'acme/site',
      name_with_namespace: 'acme / site',
      web_url: `${gitlab.url}/acme/site`,
      visibility: 'public',
      default_branch: 'trunk',
      namespace: { id: 10, name: 'acme', path: 'acme', kind: 'group', full_path: 'acme', parent_id: null, web_url: `${gitlab.url}/groups/acme` },
    });
    expect((await get(`/projects/${encodeURIComponent('ACME/Site')}`)).body).toMatchObject({ id: 100 });
    expect((await get('/groups/acme')).body).toMatchObject({ id: 10, full_path: 'acme', visibility: 'public', web_url: `${gitlab.url}/groups/acme` });
    expect(gitlab.requests.at(-1)).toEqual({ method: 'GET', path: '/api/v4/groups/acme' });
  });

  it('hides internal and private projects and groups from anonymous callers, as if they did not exist', async () => {
    for (const path of ['acme/tools', 'acme/secret/vault', 'acme/nothing']) {
      expect(await get(`/projects/${encodeURIComponent(path)}`)).toEqual({ status: 404, body: { message: '404 Project Not Found' } });
    }
    expect(await get(`/projects/${project('acme/secret/vault').id}`)).toEqual({ status: 404, body: { message: '404 Project Not Found' } });
    expect(await get(`/groups/${encodeURIComponent('acme/secret')}`)).toEqual({ status: 404, body: { message: '404 Group Not Found' } });
    expect(await get('/user')).toEqual({ status: 401, body: { message: '401 Unauthorized' } });
  });

  it('refuses an unknown token, even where no token is needed', async () => {
    expect(await get('/projects/100', 'glpat-nope')).toEqual({ status: 401, body: { message: '401 Unauthorized' } });
    expect(await get('/user', 'glpat-nope', 'private')).toEqual({ status: 401, body: { message: '401 Unauthorized' } });
    expect(gitlab.requests.at(-1)).toEqual({ method: 'GET', path: '/api/v4/user', token: 'glpat-nope' });
  });

  it('shows a signed-in user internal projects, and private ones through a membership of the project or a group above it', async () => {
    const { token } = gitlab.addUser({ id: 7, username: 'ada', name: 'Ada' });
    expect(await get('/user', token, 'private')).toEqual({ status: 200, body: { id: 7, username: 'ada', name: 'Ada', state: 'active', web_url: `${gitlab.url}/ada` } });

    expect((await get('/projects/100', token)).body).toMatchObject({ permissions: { project_access: null, group_access: null } });
    expect((await get(`/projects/${encodeURIComponent('acme/tools')}`, token)).body).toMatchObject({ visibility: 'internal', permissions: { project_access: null, group_access: null } });
    expect((await get(`/projects/${encodeURIComponent('acme/secret/vault')}`, token)).status).toBe(404);
    expect((await get(`/groups/${encodeURIComponent('acme/secret')}`, token)).status).toBe(404);

    // A member of one project sees it and the private group around it, not its sibling.
    gitlab.grant(token, 'acme/secret/vault', 30);
    expect((await get(`/projects/${encodeURIComponent('acme/secret/vault')}`, token, 'private')).body).toMatchObject({
      name_with_namespace: 'acme / secret / vault',
      namespace: { id: 11, full_path: 'acme/secret', kind: 'group', parent_id: 10 },
      permissions: { project_access: { access_level: 30 }, group_access: null },
    });
    expect((await get(`/groups/${encodeURIComponent('acme/secret')}`, token)).body).toMatchObject({ id: 11, visibility: 'private' });
    expect((await get(`/projects/${encodeURIComponent('acme/secret/keys')}`, token)).status).toBe(404);

    // A membership of a group above counts for everything inside, the highest one winning.
    gitlab.grant(token, 'acme', 20);
    expect((await get(`/projects/${encodeURIComponent('acme/secret/keys')}`, token)).body).toMatchObject({ permissions: { project_access: null, group_access: { access_level: 20 } } });
    gitlab.grant(token, 'acme/secret', 40);
    expect((await get(`/projects/${encodeURIComponent('acme/secret/vault')}`, token)).body).toMatchObject({
      permissions: { project_access: { access_level: 30 }, group_access: { access_level: 40 } },
    });

    // Memberships belong to the token's user only.
    const other = gitlab.addUser({ id: 8, username: 'bob', name: 'Bob' });
    expect((await get(`/projects/${encodeURIComponent('acme/secret/keys')}`, other.token)).status).toBe(404);
    expect(() => gitlab.grant(other.token, 'acme/missing', 10)).toThrow(/no project or group/);
  });

  it('keeps /version behind a token', async () => {
    expect((await get('/version')).status).toBe(401);
    expect(await get('/version', 'any')).toEqual({ status: 200, body: { version: '18.6.0', revision: 'fake' } });
  });
});

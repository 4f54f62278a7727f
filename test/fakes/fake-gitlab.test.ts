import { createHash, randomBytes } from 'node:crypto';
import { Gitlab } from '@gitbeaker/rest';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readWork, WORK_QUERY } from '../../server/src/gitlab/work-query.js';
import { startFakeGitLab, type FakeGitLab, type FakeGitLabMergeRequest } from './fake-gitlab.js';

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
    expect(gitlab.requests.at(-1)).toEqual({ method: 'GET', path: '/api/v4/groups/acme', status: 200 });
  });

  it('hides internal and private projects and groups from anonymous callers, as if they did not exist', async () => {
    for (const path of ['acme/tools', 'acme/secret/vault', 'acme/nothing']) {
      expect(await get(`/projects/${encodeURIComponent(path)}`)).toEqual({ status: 404, body: { message: '404 Project Not Found' } });
    }
    expect(await get(`/projects/${project('acme/secret/vault').id}`)).toEqual({ status: 404, body: { message: '404 Project Not Found' } });
    expect(await get(`/groups/${encodeURIComponent('acme/secret')}`)).toEqual({ status: 404, body: { message: '404 Group Not Found' } });
    expect(await get('/user')).toEqual({ status: 401, body: { message: '401 Unauthorized' } });
  });

  it('tells anonymous callers what a public project shows them through GraphQL only, not the REST feature levels', async () => {
    gitlab.addProject('acme/docs', { visibility: 'public', features: { merge_requests: 'private', wiki: 'disabled' } });
    const rest = await get(`/projects/${encodeURIComponent('acme/docs')}`);
    expect(rest.status).toBe(200);
    expect(Object.keys(rest.body).filter((key) => key.endsWith('_access_level') || key === 'public_jobs')).toEqual([]);
    const response = await fetch(`${gitlab.url}/api/graphql`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ query: '{ project(fullPath: "acme/docs") { issuesEnabled mergeRequestsEnabled wikiEnabled jobsEnabled publicJobs repository { exists } } }' }),
    });
    expect(await response.json()).toEqual({
      data: { project: { issuesEnabled: true, mergeRequestsEnabled: false, wikiEnabled: false, jobsEnabled: true, publicJobs: true, repository: { exists: true } } },
    });
  });

  it('refuses an unknown token, even where no token is needed', async () => {
    expect(await get('/projects/100', 'glpat-nope')).toEqual({ status: 401, body: { message: '401 Unauthorized' } });
    expect(await get('/user', 'glpat-nope', 'private')).toEqual({ status: 401, body: { message: '401 Unauthorized' } });
    expect(gitlab.requests.at(-1)).toEqual({ method: 'GET', path: '/api/v4/user', token: 'glpat-nope', status: 401 });
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

describe('the fake GitLab as an OAuth provider', () => {
  const APP = { clientId: 'bridge-app', clientSecret: 'bridge-secret', redirectUri: 'http://bridge.example.com/oauth/complete' };
  let gitlab: FakeGitLab;
  let personal: string;
  beforeAll(async () => {
    gitlab = await startFakeGitLab();
    gitlab.addProject('acme/vault', { visibility: 'private' });
    personal = gitlab.addUser({ id: 7, username: 'ada', name: 'Ada' }).token;
    gitlab.addUser({ id: 8, username: 'bob', name: 'Bob' });
    gitlab.registerApplication(APP);
  });
  afterAll(() => gitlab.close());

  const pkce = () => {
    const verifier = randomBytes(32).toString('base64url');
    return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
  };
  const authorize = async (params: Record<string, string>) => {
    const query = new URLSearchParams({ client_id: APP.clientId, redirect_uri: APP.redirectUri, response_type: 'code', state: 's1', scope: 'api read_user', ...params });
    const response = await fetch(`${gitlab.url}/oauth/authorize?${query}`, { redirect: 'manual' });
    return { status: response.status, location: response.headers.get('location'), type: response.headers.get('content-type'), body: await response.text() };
  };
  /** A code for the signed-in user, with an S256 challenge unless told otherwise. */
  const codeFor = async (userId: number, params: Record<string, string> = {}) => {
    gitlab.signIn(userId);
    const { verifier, challenge } = pkce();
    const { location } = await authorize({ code_challenge: challenge, code_challenge_method: 'S256', ...params });
    return { code: new URL(location!).searchParams.get('code')!, verifier };
  };
  const post = async (path: string, params: Record<string, string>, options: { json?: boolean; basic?: boolean } = {}) => {
    const { client_id, client_secret, ...rest } = { client_id: APP.clientId, client_secret: APP.clientSecret, ...params };
    const headers: Record<string, string> = { 'Content-Type': options.json ? 'application/json' : 'application/x-www-form-urlencoded' };
    if (options.basic) headers.Authorization = `Basic ${Buffer.from(`${client_id}:${client_secret}`).toString('base64')}`;
    const fields = options.basic ? rest : { client_id, client_secret, ...rest };
    const response = await fetch(`${gitlab.url}${path}`, { method: 'POST', headers, body: options.json ? JSON.stringify(fields) : new URLSearchParams(fields) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const exchange = (code: string, verifier: string | undefined, extra: Record<string, string> = {}, options: { json?: boolean; basic?: boolean } = {}) =>
    post('/oauth/token', { grant_type: 'authorization_code', code, redirect_uri: APP.redirectUri, ...(verifier === undefined ? {} : { code_verifier: verifier }), ...extra }, options);
  const refresh = (refreshToken: string) => post('/oauth/token', { grant_type: 'refresh_token', refresh_token: refreshToken });
  const connect = async (userId: number) => {
    const { code, verifier } = await codeFor(userId);
    const { body } = await exchange(code, verifier);
    return body as { access_token: string; refresh_token: string };
  };
  const api = async (path: string, headers: Record<string, string>) => {
    const response = await fetch(`${gitlab.url}/api/v4${path}`, { headers });
    return { status: response.status, body: (await response.json()) as Record<string, unknown>, authenticate: response.headers.get('www-authenticate') };
  };
  const INVALID_GRANT = {
    error: 'invalid_grant',
    error_description:
      'The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.',
  };

  it('sends a browser without a session to sign in, and never redirects for an unknown client or redirect URI', async () => {
    gitlab.signOut();
    expect(await authorize({})).toMatchObject({ status: 302, location: `${gitlab.url}/users/sign_in` });
    gitlab.signIn(7);
    const refused: Record<string, string>[] = [{ client_id: 'nobody' }, { redirect_uri: `${APP.redirectUri}/` }, { redirect_uri: 'http://evil.example.com/oauth/complete' }];
    for (const params of refused) {
      expect(await authorize(params)).toMatchObject({ status: 400, location: null, type: expect.stringContaining('text/html') });
    }
    const unsupported = new URL((await authorize({ response_type: 'token' })).location!);
    expect(`${unsupported.origin}${unsupported.pathname}`).toBe(APP.redirectUri);
    expect(Object.fromEntries(unsupported.searchParams)).toMatchObject({ error: 'unsupported_response_type', state: 's1' });
    expect(new URL((await authorize({ scope: 'api sudo' })).location!).searchParams.get('error')).toBe('invalid_scope');
  });

  it('exchanges a code once, with an S256 verifier, for tokens as GitLab words them', async () => {
    const { verifier, challenge } = pkce();
    gitlab.signIn(7);
    const redirect = new URL((await authorize({ code_challenge: challenge, code_challenge_method: 'S256' })).location!);
    expect(`${redirect.origin}${redirect.pathname}`).toBe(APP.redirectUri);
    expect(redirect.searchParams.get('state')).toBe('s1');
    const code = redirect.searchParams.get('code')!;

    const before = gitlab.oauthRequests.length;
    const now = Math.floor(Date.now() / 1000);
    const first = await exchange(code, verifier);
    expect(first).toEqual({
      status: 200,
      body: { access_token: expect.stringMatching(/^[0-9a-f]{64}$/), token_type: 'Bearer', expires_in: 7200, refresh_token: expect.stringMatching(/^[0-9a-f]{64}$/), scope: 'api read_user', created_at: expect.any(Number) },
    });
    expect(first.body.created_at).toBeGreaterThanOrEqual(now);
    expect(gitlab.tokensOf(7)).toContain(first.body.access_token);
    // The code is single-use.
    expect(await exchange(code, verifier)).toEqual({ status: 400, body: INVALID_GRANT });
    expect(gitlab.oauthRequests.slice(before)).toEqual([
      { grantType: 'authorization_code', status: 200, at: expect.any(Number) },
      { grantType: 'authorization_code', status: 400, at: expect.any(Number) },
    ]);
    expect(gitlab.requests.filter((request) => request.path === '/oauth/token').length).toBeGreaterThanOrEqual(2);
  });

  it('refuses a wrong verifier, another redirect URI or client, and bad client credentials, leaving the code usable', async () => {
    const { code, verifier } = await codeFor(7);
    expect(await exchange(code, pkce().verifier)).toEqual({ status: 400, body: INVALID_GRANT });
    expect(await exchange(code, verifier, { redirect_uri: `${APP.redirectUri}?again=1` })).toEqual({ status: 400, body: INVALID_GRANT });
    expect(await exchange(code, verifier, { client_secret: 'wrong' })).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    gitlab.registerApplication({ ...APP, clientId: 'other-app', clientSecret: 'other-secret' });
    expect(await exchange(code, verifier, { client_id: 'other-app', client_secret: 'other-secret' })).toEqual({ status: 400, body: INVALID_GRANT });
    // Without the verifier a PKCE code cannot even be asked for.
    expect(await exchange(code, undefined)).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    // Client credentials in HTTP Basic, parameters in JSON: GitLab takes both.
    expect(await exchange(code, verifier, {}, { basic: true, json: true })).toMatchObject({ status: 200, body: { token_type: 'Bearer' } });
  });

  it('takes a code without PKCE only without a verifier', async () => {
    const plain = await codeFor(7, { code_challenge: '', code_challenge_method: '' });
    expect(await exchange(plain.code, 'made-up-verifier')).toEqual({ status: 400, body: INVALID_GRANT });
    expect((await exchange(plain.code, undefined)).status).toBe(200);
  });

  it('rotates both tokens on refresh: the old refresh and access tokens stop working at once', async () => {
    gitlab.setTokenLifetime(60);
    const old = await connect(7);
    const renewed = await refresh(old.refresh_token);
    expect(renewed).toMatchObject({ status: 200, body: { token_type: 'Bearer', expires_in: 60, scope: 'api read_user' } });
    expect(renewed.body.access_token).not.toBe(old.access_token);
    expect(renewed.body.refresh_token).not.toBe(old.refresh_token);
    gitlab.setTokenLifetime(7200);

    expect(await refresh(old.refresh_token)).toEqual({ status: 400, body: INVALID_GRANT });
    expect(await api('/user', { Authorization: `Bearer ${old.access_token}` })).toMatchObject({
      status: 401,
      body: { error: 'invalid_token', error_description: 'Token was revoked. You have to re-authorize from the user.' },
    });
    expect((await api('/user', { Authorization: `Bearer ${renewed.body.access_token as string}` })).body).toMatchObject({ id: 7 });
    // A refresh needs the client that got the token.
    expect(await post('/oauth/token', { grant_type: 'refresh_token', refresh_token: renewed.body.refresh_token as string, client_secret: 'wrong' })).toMatchObject({
      status: 401,
      body: { error: 'invalid_client' },
    });
  });

  it('lets only one of two concurrent refreshes of a token win', async () => {
    const { refresh_token } = await connect(7);
    gitlab.setTokenDelay(100);
    try {
      const before = gitlab.oauthRequests.length;
      const answers = await Promise.all([refresh(refresh_token), refresh(refresh_token)]);
      expect(answers.map((answer) => answer.status).sort()).toEqual([200, 400]);
      expect(gitlab.oauthRequests.slice(before).map((request) => request.grantType)).toEqual(['refresh_token', 'refresh_token']);
    } finally {
      gitlab.setTokenDelay(0);
    }
  });

  it('revokes a token with its pair, and answers 200 to an unknown one', async () => {
    const byAccess = await connect(7);
    expect(await post('/oauth/revoke', { token: byAccess.access_token })).toEqual({ status: 200, body: {} });
    expect(await refresh(byAccess.refresh_token)).toEqual({ status: 400, body: INVALID_GRANT });

    const byRefresh = await connect(7);
    expect(await post('/oauth/revoke', { token: byRefresh.refresh_token }, { basic: true })).toEqual({ status: 200, body: {} });
    expect((await api('/user', { Authorization: `Bearer ${byRefresh.access_token}` })).status).toBe(401);

    expect(await post('/oauth/revoke', { token: 'never-issued' })).toEqual({ status: 200, body: {} });
  });

  it('describes a live access token at /oauth/token/info', async () => {
    const { access_token } = await connect(8);
    const info = await fetch(`${gitlab.url}/oauth/token/info`, { headers: { Authorization: `Bearer ${access_token}` } });
    expect(info.status).toBe(200);
    expect(await info.json()).toMatchObject({
      resource_owner_id: 8,
      scope: ['api', 'read_user'],
      expires_in: expect.any(Number),
      application: { uid: APP.clientId },
      created_at: expect.any(Number),
    });
    const refused: Record<string, string>[] = [{ Authorization: 'Bearer nope' }, {}, { Authorization: `Bearer ${personal}` }];
    for (const headers of refused) {
      const refused = await fetch(`${gitlab.url}/oauth/token/info`, { headers });
      expect(refused.status).toBe(401);
      expect(await refused.json()).toMatchObject({ error: 'invalid_token' });
    }
  });

  it('lets an OAuth access token use the API as its user, until it expires or the authorization is revoked', async () => {
    gitlab.grant(personal, 'acme/vault', 30);
    const tokens = await connect(7);
    const bearer = { Authorization: `Bearer ${tokens.access_token}` };
    expect((await api('/user', bearer)).body).toMatchObject({ id: 7, username: 'ada' });
    // The memberships are the user's, whichever token they come with.
    expect((await api(`/projects/${encodeURIComponent('acme/vault')}`, bearer)).body).toMatchObject({ permissions: { project_access: { access_level: 30 } } });
    // GitLab takes OAuth tokens as Bearer only, not as PRIVATE-TOKEN.
    expect(await api('/user', { 'PRIVATE-TOKEN': tokens.access_token })).toMatchObject({ status: 401, body: { message: '401 Unauthorized' } });

    gitlab.expireAccessTokens();
    expect(await api('/user', bearer)).toEqual({
      status: 401,
      body: { error: 'invalid_token', error_description: 'Token is expired. You can either do re-authorization or token refresh.' },
      authenticate: expect.stringContaining('error="invalid_token"'),
    });
    // The personal token is not an OAuth token: it does not expire with them.
    expect((await api('/user', { 'PRIVATE-TOKEN': personal })).status).toBe(200);
    const renewed = (await refresh(tokens.refresh_token)).body as { access_token: string; refresh_token: string };
    expect((await api(`/projects/${encodeURIComponent('acme/vault')}`, { Authorization: `Bearer ${renewed.access_token}` })).status).toBe(200);

    gitlab.revokeAuthorization(7);
    expect((await api('/user', { Authorization: `Bearer ${renewed.access_token}` })).body).toMatchObject({ error_description: 'Token was revoked. You have to re-authorize from the user.' });
    expect(await refresh(renewed.refresh_token)).toEqual({ status: 400, body: INVALID_GRANT });
    // Someone else's authorization is untouched.
    const bob = await connect(8);
    expect((await api('/user', { Authorization: `Bearer ${bob.access_token}` })).body).toMatchObject({ id: 8 });
  });

  it('refuses an OAuth token the API outside its scopes', async () => {
    gitlab.registerApplication({ ...APP, clientId: 'profile-app', clientSecret: 'profile-secret', scopes: 'read_user' });
    gitlab.signIn(7);
    const { verifier, challenge } = pkce();
    const { location } = await authorize({ client_id: 'profile-app', scope: 'read_user', code_challenge: challenge, code_challenge_method: 'S256' });
    const code = new URL(location!).searchParams.get('code')!;
    const { body } = await exchange(code, verifier, { client_id: 'profile-app', client_secret: 'profile-secret' });
    expect(body).toMatchObject({ scope: 'read_user' });
    const bearer = { Authorization: `Bearer ${body.access_token as string}` };
    expect((await api('/user', bearer)).status).toBe(200);
    expect(await api(`/projects/${encodeURIComponent('acme/vault')}`, bearer)).toMatchObject({ status: 403, body: { error: 'insufficient_scope' } });

    // GraphQL wants api or read_api too; a token that authenticates nobody there is an invalid one.
    const graphql = async (headers: Record<string, string>) => {
      const response = await fetch(`${gitlab.url}/api/graphql`, { method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' }, body: '{"query":"{ currentUser { username } }"}' });
      return { status: response.status, body: (await response.json()) as unknown };
    };
    expect(await graphql(bearer)).toEqual({ status: 401, body: { errors: [{ message: 'Invalid token' }] } });
    const { access_token } = await connect(7);
    expect(await graphql({ Authorization: `Bearer ${access_token}` })).toEqual({ status: 200, body: { data: { currentUser: { username: 'ada' } } } });
    gitlab.expireAccessTokens();
    expect(await graphql({ Authorization: `Bearer ${access_token}` })).toEqual({ status: 401, body: { errors: [{ message: 'Invalid token' }] } });
  });
});

describe("the fake GitLab's webhook API", () => {
  let gitlab: FakeGitLab;
  let maintainer: string;
  let developer: string;
  let owner: string;
  beforeAll(async () => {
    gitlab = await startFakeGitLab();
    gitlab.addProject('acme/web', { visibility: 'public' });
    gitlab.addProject('acme/api', { visibility: 'public' });
    gitlab.addProject('acme/secret/vault', { visibility: 'private' });
    maintainer = gitlab.addUser({ id: 7, username: 'ada', name: 'Ada' }).token;
    developer = gitlab.addUser({ id: 8, username: 'bob', name: 'Bob' }).token;
    owner = gitlab.addUser({ id: 9, username: 'cy', name: 'Cy' }).token;
    gitlab.grant(maintainer, 'acme/web', 40);
    gitlab.grant(maintainer, 'acme/secret', 40);
    gitlab.grant(developer, 'acme/web', 30);
    gitlab.grant(owner, 'acme', 50);
  });
  afterAll(() => gitlab.close());

  const call = async (method: 'GET' | 'POST', path: string, token?: string, body?: Record<string, unknown>, form = false) => {
    const headers: Record<string, string> = token === undefined ? {} : { 'PRIVATE-TOKEN': token };
    if (body) headers['Content-Type'] = form ? 'application/x-www-form-urlencoded' : 'application/json';
    const payload = body && (form ? new URLSearchParams(Object.entries(body).map(([name, value]) => [name, String(value)])) : JSON.stringify(body));
    const response = await fetch(`${gitlab.url}/api/v4${path}`, { method, headers, ...(payload === undefined ? {} : { body: payload }) });
    return { status: response.status, body: (await response.json()) as unknown };
  };
  const web = `/projects/${encodeURIComponent('acme/web')}`;

  it('lets a Maintainer add a project hook and list it, never answering with the token', async () => {
    const created = await call('POST', `${web}/hooks`, maintainer, { url: 'https://bridge.example.com/webhook', token: 's3cret', name: 'Bridge', merge_requests_events: true, push_events: false });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.any(Number),
      url: 'https://bridge.example.com/webhook',
      name: 'Bridge',
      description: null,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      push_events: false,
      tag_push_events: false,
      merge_requests_events: true,
      repository_update_events: false,
      enable_ssl_verification: true,
      alert_status: 'executable',
      disabled_until: null,
      url_variables: [],
      push_events_branch_filter: null,
      branch_filter_strategy: 'wildcard',
      custom_webhook_template: null,
      custom_headers: [],
      project_id: gitlab.hooksOf('acme/web')[0]!.project_id,
      issues_events: false,
      confidential_issues_events: false,
      note_events: false,
      confidential_note_events: false,
      pipeline_events: false,
      job_events: false,
      deployment_events: false,
      releases_events: false,
      wiki_page_events: false,
      feature_flag_events: false,
      milestone_events: false,
      emoji_events: false,
      resource_access_token_events: false,
    });
    const { id } = created.body as { id: number };

    // A form body, booleans as Grape takes them; unset flags keep GitLab's defaults.
    const byForm = await call('POST', `${web}/hooks`, maintainer, { url: 'http://127.0.0.1:9/hook', enable_ssl_verification: 'false', pipeline_events: '1' }, true);
    expect(byForm).toMatchObject({ status: 201, body: { push_events: true, pipeline_events: true, enable_ssl_verification: false, name: null } });

    const listed = await call('GET', `${web}/hooks`, maintainer);
    expect(listed.status).toBe(200);
    expect((listed.body as { id: number }[]).map((hook) => hook.id)).toEqual([id, (byForm.body as { id: number }).id]);
    for (const hook of [created.body, byForm.body, ...(listed.body as unknown[])]) expect(hook).not.toHaveProperty('token');
    expect(JSON.stringify(listed.body)).not.toContain('s3cret');
    expect(listed.body).toEqual([expect.not.objectContaining({ url_variables: expect.anything() }), expect.anything()]);
    // The secret stays GitLab's, for tests to see.
    expect(gitlab.hooksOf('acme/web')).toMatchObject([
      { id, token: 's3cret', merge_requests_events: true, push_events: false },
      { token: undefined, pipeline_events: true },
    ]);
    expect(gitlab.hooksOf('acme/api')).toEqual([]);

    // Maintainer through a group counts as well.
    const vault = `/projects/${encodeURIComponent('acme/secret/vault')}/hooks`;
    expect((await call('POST', vault, maintainer, { url: 'https://bridge.example.com/webhook' })).status).toBe(201);

    expect(await call('POST', `${web}/hooks`, maintainer, { token: 'x' })).toEqual({ status: 400, body: { error: 'url is missing' } });
    expect(await call('POST', `${web}/hooks`, maintainer, { url: 'https://x.example.com', push_events: 'maybe' })).toEqual({ status: 400, body: { error: 'push_events is invalid' } });
    expect(await call('POST', `${web}/hooks`, maintainer, { url: 'ftp://x.example.com' })).toEqual({ status: 422, body: { error: 'Invalid url given' } });
  });

  it('refuses a Developer with 403, an anonymous caller with 401, and hides a project the caller cannot see', async () => {
    const forbidden = { status: 403, body: { message: '403 Forbidden' } };
    expect(await call('GET', `${web}/hooks`, developer)).toEqual(forbidden);
    expect(await call('POST', `${web}/hooks`, developer, { url: 'https://bridge.example.com/webhook' })).toEqual(forbidden);
    expect(await call('POST', `${web}/hooks/${gitlab.hooksOf('acme/web')[0]!.id}/test/push_events`, developer)).toEqual(forbidden);
    expect(await call('GET', `${web}/hooks`)).toEqual({ status: 401, body: { message: '401 Unauthorized' } });
    expect(await call('GET', `/projects/${encodeURIComponent('acme/secret/vault')}/hooks`, developer)).toEqual({ status: 404, body: { message: '404 Project Not Found' } });
    expect(gitlab.hooksOf('acme/web')).toHaveLength(2);
  });

  it('keeps group hooks for Premium: missing from CE, refused by an unlicensed EE, and for Owners only', async () => {
    const hooks = `/groups/${encodeURIComponent('acme/secret')}/hooks`;
    const groupId = [...gitlab.groups.values()].find((group) => group.full_path === 'acme/secret')!.id;
    const body = { url: 'https://bridge.example.com/webhook', token: 'group-secret', member_events: true };
    try {
      gitlab.setEdition('ce');
      expect(await call('POST', hooks, owner, body)).toEqual({ status: 404, body: { message: '404 Not Found' } });
      expect(await call('GET', hooks)).toEqual({ status: 404, body: { message: '404 Not Found' } });
      gitlab.setEdition('ee-free');
      expect(await call('POST', hooks, owner, body)).toEqual({ status: 403, body: { message: '403 Forbidden' } });
      expect(await call('GET', hooks)).toEqual({ status: 401, body: { message: '401 Unauthorized' } });
    } finally {
      gitlab.setEdition('premium');
    }
    // A Maintainer of the group is not enough.
    expect(await call('POST', hooks, maintainer, body)).toEqual({ status: 403, body: { message: '403 Forbidden' } });
    expect(await call('GET', hooks, developer)).toEqual({ status: 404, body: { message: '404 Group Not Found' } });

    // An Owner of an ancestor group is.
    const created = await call('POST', hooks, owner, body);
    expect(created).toMatchObject({ status: 201, body: { group_id: groupId, push_events: true, member_events: true, subgroup_events: false, project_events: false } });
    expect(created.body).not.toHaveProperty('project_id');
    expect(created.body).not.toHaveProperty('token');
    expect((await call('GET', hooks, owner)).body).toEqual([created.body]);
    expect(gitlab.hooksOf('acme/secret')).toMatchObject([{ token: 'group-secret', group_id: groupId }]);
  });

  it('answers a hook test with 201 and records it, and shows hooks GitLab disabled', async () => {
    const [hook] = gitlab.hooksOf('acme/web');
    const before = gitlab.hookTests.length;
    expect(await call('POST', `${web}/hooks/${hook!.id}/test/merge_requests_events`, maintainer)).toEqual({ status: 201, body: { message: '201 Created' } });
    expect(await call('POST', `${web}/hooks/${hook!.id}/test/pushes`, maintainer)).toEqual({ status: 400, body: { error: 'trigger does not have a valid value' } });
    // Another project's hook is not found through this one.
    expect(await call('POST', `/projects/${encodeURIComponent('acme/api')}/hooks/${hook!.id}/test/push_events`, owner)).toEqual({ status: 404, body: { message: '404 Not found' } });
    const [groupHook] = gitlab.hooksOf('acme/secret');
    expect(await call('POST', `/groups/acme/hooks/${groupHook!.id}/test/push_events`, owner)).toMatchObject({ status: 404 });
    expect(await call('POST', `/groups/${encodeURIComponent('acme/secret')}/hooks/${groupHook!.id}/test/tag_push_events`, owner)).toEqual({ status: 201, body: { message: '201 Created' } });
    expect(gitlab.hookTests.slice(before)).toEqual([
      { hookId: hook!.id, trigger: 'merge_requests_events' },
      { hookId: groupHook!.id, trigger: 'tag_push_events' },
    ]);

    gitlab.disableHook(hook!.id, { until: new Date('2030-01-01T00:00:00Z') });
    expect((await call('GET', `${web}/hooks`, maintainer)).body).toMatchObject([{ id: hook!.id, alert_status: 'temporarily_disabled', disabled_until: '2030-01-01T00:00:00.000Z' }, { alert_status: 'executable' }]);
    gitlab.disableHook(hook!.id);
    expect(gitlab.hooksOf('acme/web')[0]).toMatchObject({ alert_status: 'disabled', disabled_until: null });
    // A test still goes out to a disabled hook, as GitLab forces it.
    expect((await call('POST', `${web}/hooks/${hook!.id}/test/push_events`, maintainer)).status).toBe(201);
    expect(() => gitlab.disableHook(999)).toThrow(/no hook 999/);
  });
});

/** An API call with a Bearer token (or none) and a JSON body, as @gitbeaker/rest sends them. */
const apiCall = async (gitlab: FakeGitLab, method: 'GET' | 'POST' | 'PUT', path: string, token?: string, body?: Record<string, unknown>) => {
  const headers: Record<string, string> = token === undefined ? {} : { Authorization: `Bearer ${token}` };
  if (body) headers['Content-Type'] = 'application/json';
  const response = await fetch(`${gitlab.url}/api/v4${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: response.status, body: (await response.json()) as unknown, headers: response.headers };
};
const titles = (body: unknown) => (body as { title: string }[]).map((item) => item.title);
const user = (gitlab: FakeGitLab, id: number, username: string, name: string) => ({ id, username, name, state: 'active', avatar_url: null, web_url: `${gitlab.url}/${username}` });

describe("the fake GitLab's issues API", () => {
  let gitlab: FakeGitLab;
  // ada: Developer of the vault; bob: no membership; cy: Planner of the acme group; dee: Guest of the vault.
  let ada: string;
  let bob: string;
  let cy: string;
  let dee: string;
  beforeAll(async () => {
    gitlab = await startFakeGitLab();
    gitlab.addProject('acme/site', { visibility: 'public' });
    gitlab.addProject('acme/secret/vault', { visibility: 'private' });
    ada = gitlab.addUser({ id: 7, username: 'ada', name: 'Ada' }).token;
    bob = gitlab.addUser({ id: 8, username: 'bob', name: 'Bob' }).token;
    cy = gitlab.addUser({ id: 9, username: 'cy', name: 'Cy' }).token;
    dee = gitlab.addUser({ id: 10, username: 'dee', name: 'Dee' }).token;
    gitlab.grant(ada, 'acme/secret/vault', 30);
    gitlab.grant(cy, 'acme', 15);
    gitlab.grant(dee, 'acme/secret/vault', 10);
  });
  afterAll(() => gitlab.close());

  const call = (method: 'GET' | 'POST' | 'PUT', path: string, token?: string, body?: Record<string, unknown>) => apiCall(gitlab, method, path, token, body);
  const site = `/projects/${encodeURIComponent('acme/site')}`;
  const vault = `/projects/${encodeURIComponent('acme/secret/vault')}`;
  const siteId = () => [...gitlab.projects.values()].find((project) => project.path_with_namespace === 'acme/site')!.id;

  it('shows an issue as GitLab words it, and a confidential one only to its author, assignees and Planners', async () => {
    const issue = gitlab.addIssue('acme/site', { title: 'Broken link', description: 'On the home page', authorId: 7, assigneeIds: [9], labels: ['bug', 'Docs'] });
    // Anonymous callers read a public project's issues.
    const shown = await call('GET', `${site}/issues/${issue.iid}`);
    expect(shown.status).toBe(200);
    expect(shown.body).toEqual({
      id: issue.id,
      iid: 1,
      project_id: siteId(),
      title: 'Broken link',
      description: 'On the home page',
      state: 'opened',
      created_at: issue.createdAt,
      updated_at: issue.createdAt,
      closed_at: null,
      closed_by: null,
      labels: ['Docs', 'bug'],
      milestone: null,
      assignees: [user(gitlab, 9, 'cy', 'Cy')],
      author: user(gitlab, 7, 'ada', 'Ada'),
      type: 'ISSUE',
      assignee: user(gitlab, 9, 'cy', 'Cy'),
      user_notes_count: 0,
      merge_requests_count: 0,
      upvotes: 0,
      downvotes: 0,
      due_date: null,
      confidential: false,
      discussion_locked: null,
      issue_type: 'issue',
      web_url: `${gitlab.url}/acme/site/-/issues/1`,
      time_stats: { time_estimate: 0, total_time_spent: 0, human_time_estimate: null, human_total_time_spent: null },
      task_completion_status: { count: 0, completed_count: 0 },
      subscribed: false,
      _links: {
        self: `${gitlab.url}/api/v4/projects/${siteId()}/issues/1`,
        notes: `${gitlab.url}/api/v4/projects/${siteId()}/issues/1/notes`,
        award_emoji: `${gitlab.url}/api/v4/projects/${siteId()}/issues/1/award_emoji`,
        project: `${gitlab.url}/api/v4/projects/${siteId()}`,
      },
      references: { short: '#1', relative: '#1', full: 'acme/site#1' },
      severity: 'UNKNOWN',
      moved_to_id: null,
      imported: false,
      imported_from: 'none',
      service_desk_reply_to: null,
    });
    // By numeric project id too.
    expect((await call('GET', `/projects/${siteId()}/issues/1`, bob)).body).toMatchObject({ id: issue.id });

    const secret = gitlab.addIssue('acme/site', { title: 'Leak', confidential: true, authorId: 8, assigneeIds: [10] });
    const path = `${site}/issues/${secret.iid}`;
    const hidden = { status: 404, body: { message: '404 Not found' } };
    for (const token of [undefined, ada]) expect(await call('GET', path, token)).toMatchObject(hidden);
    for (const token of [bob, dee, cy]) expect(await call('GET', path, token)).toMatchObject({ status: 200, body: { confidential: true, title: 'Leak' } });

    expect(await call('GET', `${site}/issues/99`, bob)).toMatchObject(hidden);
    expect(await call('GET', `${site}/issues/abc`, bob)).toMatchObject({ status: 400, body: { error: 'issue_iid is invalid' } });
    gitlab.addIssue('acme/secret/vault', { title: 'Rotate keys', authorId: 7 });
    expect(await call('GET', `${vault}/issues/1`, bob)).toMatchObject({ status: 404, body: { message: '404 Project Not Found' } });
    // A Guest of a private project reads its issues.
    expect(await call('GET', `${vault}/issues/1`, dee)).toMatchObject({ status: 200, body: { title: 'Rotate keys' } });
    expect(await call('GET', `${site}/issues/1`, 'glpat-nope')).toMatchObject({ status: 401, body: { message: '401 Unauthorized' } });
  });

  it('lets any signed-in user who sees a project open an issue, keeping assignees for members only', async () => {
    // bob is no member: GitLab drops his assignees without a word, but keeps labels and confidentiality.
    const byOutsider = await call('POST', `${site}/issues`, bob, { title: 'Typo', description: 'In the footer', labels: 'docs, good first issue', assignee_ids: [7], confidential: true });
    expect(byOutsider.status).toBe(201);
    expect(byOutsider.body).toMatchObject({
      title: 'Typo',
      description: 'In the footer',
      state: 'opened',
      author: { id: 8, username: 'bob' },
      labels: ['docs', 'good first issue'],
      confidential: true,
      assignees: [],
      assignee: null,
    });
    const iid = (byOutsider.body as { iid: number }).iid;
    expect(gitlab.issuesOf('acme/site').find((issue) => issue.iid === iid)).toMatchObject({ authorId: 8, assigneeIds: [], labels: ['docs', 'good first issue'], notes: [] });

    // A member's are kept; assignee_ids may come as "7,10" too.
    const byMember = await call('POST', `${vault}/issues`, dee, { title: 'Audit', assignee_ids: '7,10' });
    expect(byMember).toMatchObject({
      status: 201,
      body: { iid: 2, assignees: [{ id: 7 }, { id: 10 }], web_url: `${gitlab.url}/acme/secret/vault/-/issues/2`, references: { short: '#2', full: 'acme/secret/vault#2' } },
    });
    // Without Premium, an issue has one assignee.
    try {
      gitlab.setEdition('ce');
      expect((await call('POST', `${vault}/issues`, ada, { title: 'Backup', assignee_ids: [7, 10] })).body).toMatchObject({ assignees: [{ id: 7 }] });
    } finally {
      gitlab.setEdition('premium');
    }
    expect(gitlab.issuesOf('acme/secret/vault').map((issue) => [issue.title, issue.assigneeIds])).toEqual([
      ['Rotate keys', []],
      ['Audit', [7, 10]],
      ['Backup', [7]],
    ]);

    const before = gitlab.issuesOf('acme/site').length;
    expect(await call('POST', `${site}/issues`, undefined, { title: 'Anonymous' })).toMatchObject({ status: 401, body: { message: '401 Unauthorized' } });
    expect(await call('POST', `${site}/issues`, bob, { description: 'No title' })).toMatchObject({ status: 400, body: { error: 'title is missing' } });
    expect(await call('POST', `${site}/issues`, bob, { title: ' ' })).toMatchObject({ status: 400, body: { message: { title: ["can't be blank"] } } });
    expect(await call('POST', `${vault}/issues`, bob, { title: 'Let me in' })).toMatchObject({ status: 404, body: { message: '404 Project Not Found' } });
    expect(gitlab.issuesOf('acme/site')).toHaveLength(before);
  });

  it('lets the author, assignees and Planners close, reopen and edit an issue; closing a closed one changes nothing', async () => {
    const issue = gitlab.addIssue('acme/site', { title: 'Flaky test', authorId: 8, assigneeIds: [10] });
    const path = `${site}/issues/${issue.iid}`;
    // ada sees the public project but is neither a member, nor the author, nor an assignee.
    expect(await call('PUT', path, ada, { state_event: 'close' })).toMatchObject({ status: 403, body: { message: '403 Forbidden' } });

    const closed = await call('PUT', path, bob, { state_event: 'close' });
    expect(closed).toMatchObject({ status: 200, body: { state: 'closed', closed_by: { id: 8 }, closed_at: expect.stringMatching(/^\d{4}-/) } });
    const { closed_at, updated_at } = closed.body as { closed_at: string; updated_at: string };
    expect(updated_at).toBe(closed_at);
    expect(updated_at > issue.updatedAt).toBe(true);
    // The assignee closes it again: 200, still closed, untouched.
    expect(await call('PUT', path, dee, { state_event: 'close' })).toMatchObject({ status: 200, body: { state: 'closed', closed_at, updated_at } });

    const reopened = await call('PUT', path, cy, { state_event: 'reopen', title: 'Flaky test in CI', labels: 'ci' });
    expect(reopened).toMatchObject({ status: 200, body: { state: 'opened', closed_at: null, closed_by: null, title: 'Flaky test in CI', labels: ['ci'] } });
    expect(gitlab.issuesOf('acme/site').find((candidate) => candidate.id === issue.id)).toMatchObject({ state: 'opened', title: 'Flaky test in CI', closedById: null });

    // A locked discussion keeps a closed issue closed.
    const locked = gitlab.addIssue('acme/site', { title: 'Heated', authorId: 8, state: 'closed', discussionLocked: true });
    expect(await call('PUT', `${site}/issues/${locked.iid}`, bob, { state_event: 'reopen' })).toMatchObject({ status: 200, body: { state: 'closed', discussion_locked: true } });

    expect(await call('PUT', path, bob, {})).toMatchObject({
      status: 400,
      body: {
        error:
          'assignee_id, assignee_ids, confidential, created_at, description, discussion_locked, due_date, labels, add_labels, remove_labels, milestone_id, state_event, title, issue_type are missing, at least one parameter must be provided',
      },
    });
    expect(await call('PUT', path, bob, { state_event: 'shut' })).toMatchObject({ status: 400, body: { error: 'state_event does not have a valid value' } });
    expect(await call('PUT', `${site}/issues/99`, bob, { state_event: 'close' })).toMatchObject({ status: 404, body: { message: '404 Not found' } });
    expect(await call('PUT', path, undefined, { state_event: 'close' })).toMatchObject({ status: 401 });
  });

  it('lets a Guest author close their own issue, dropping the assignees only Planners and above may set', async () => {
    const issue = gitlab.addIssue('acme/secret/vault', { title: 'Mine', authorId: 10 });
    const path = `${vault}/issues/${issue.iid}`;
    expect(await call('PUT', path, dee, { state_event: 'close', assignee_ids: [7] })).toMatchObject({ status: 200, body: { state: 'closed', closed_by: { id: 10 }, assignees: [] } });
    expect(await call('PUT', path, cy, { state_event: 'reopen', assignee_ids: [7] })).toMatchObject({ status: 200, body: { state: 'opened', assignees: [{ id: 7 }] } });
    // 0 unassigns everyone.
    expect(await call('PUT', path, cy, { assignee_ids: [0] })).toMatchObject({ status: 200, body: { assignees: [] } });
  });

  it('takes a comment from whoever may read the issue, and from members only on a locked discussion', async () => {
    const issue = gitlab.addIssue('acme/site', { title: 'Question', authorId: 7 });
    const notes = `${site}/issues/${issue.iid}/notes`;
    const note = await call('POST', notes, bob, { body: 'Me too' });
    expect(note.status).toBe(201);
    const { id, created_at } = note.body as { id: number; created_at: string };
    expect(note.body).toEqual({
      id,
      type: null,
      body: 'Me too',
      attachment: null,
      author: user(gitlab, 8, 'bob', 'Bob'),
      created_at,
      updated_at: created_at,
      system: false,
      noteable_id: issue.id,
      noteable_type: 'Issue',
      project_id: siteId(),
      resolvable: false,
      confidential: false,
      internal: false,
      imported: false,
      imported_from: 'none',
      noteable_iid: issue.iid,
      commands_changes: {},
    });
    expect(gitlab.issuesOf('acme/site').find((candidate) => candidate.id === issue.id)!.notes).toEqual([{ id, body: 'Me too', authorId: 8 }]);
    // A note touches its issue.
    expect((await call('GET', `${site}/issues/${issue.iid}`)).body).toMatchObject({ user_notes_count: 1, updated_at: created_at });

    expect(await call('POST', notes, bob, {})).toMatchObject({ status: 400, body: { error: 'body is missing' } });
    expect(await call('POST', `${site}/issues/x/notes`, bob, {})).toMatchObject({ status: 400, body: { error: 'noteable_id is invalid, body is missing' } });
    expect(await call('POST', notes, undefined, { body: 'Hi' })).toMatchObject({ status: 401 });
    const secret = gitlab.addIssue('acme/site', { title: 'Secret', confidential: true, authorId: 7 });
    expect(await call('POST', `${site}/issues/${secret.iid}/notes`, bob, { body: 'Peek' })).toMatchObject({ status: 404, body: { message: '404 Issue Not Found' } });
    expect(await call('POST', `${site}/issues/99/notes`, bob, { body: 'Hello?' })).toMatchObject({ status: 404, body: { message: '404 Issue Not Found' } });

    // Locked: cy is a member (Planner through the group), bob is not.
    const locked = gitlab.addIssue('acme/site', { title: 'Locked', authorId: 7, discussionLocked: true });
    expect(await call('POST', `${site}/issues/${locked.iid}/notes`, bob, { body: 'But…' })).toMatchObject({ status: 403, body: { message: '403 Forbidden' } });
    expect(await call('POST', `${site}/issues/${locked.iid}/notes`, cy, { body: 'Settled.' })).toMatchObject({ status: 201, body: { body: 'Settled.' } });
  });
});

describe("the fake GitLab's lists: issues, merge requests and to-do items", () => {
  let gitlab: FakeGitLab;
  // ada: Developer of the vault; bob: no membership; dee: Guest of the vault.
  let ada: string;
  let bob: string;
  let dee: string;
  beforeAll(async () => {
    gitlab = await startFakeGitLab();
    gitlab.addProject('acme/site', { visibility: 'public' });
    gitlab.addProject('acme/secret/vault', { visibility: 'private' });
    ada = gitlab.addUser({ id: 7, username: 'ada', name: 'Ada' }).token;
    bob = gitlab.addUser({ id: 8, username: 'bob', name: 'Bob' }).token;
    dee = gitlab.addUser({ id: 10, username: 'dee', name: 'Dee' }).token;
    gitlab.grant(ada, 'acme/secret/vault', 30);
    gitlab.grant(dee, 'acme/secret/vault', 10);

    gitlab.addIssue('acme/site', { title: 'Broken link', description: 'The docs LINK is dead', authorId: 7, assigneeIds: [8] });
    gitlab.addIssue('acme/site', { title: 'Slow search', authorId: 8, state: 'closed' });
    gitlab.addIssue('acme/site', { title: 'Leak', authorId: 7, confidential: true });
    gitlab.addIssue('acme/secret/vault', { title: 'Rotate keys', authorId: 7, assigneeIds: [10] });
    gitlab.addIssue('acme/secret/vault', { title: 'Audit', authorId: 10, state: 'closed' });

    gitlab.addMergeRequest('acme/site', { title: 'Fix link', authorId: 7, assigneeIds: [7], reviewerIds: [8], sourceBranch: 'fix-link' });
    gitlab.addMergeRequest('acme/site', { title: 'Faster search', draft: true, authorId: 8, reviewerIds: [7] });
    gitlab.addMergeRequest('acme/site', { title: 'Draft: Cache', authorId: 8, state: 'closed' });
    gitlab.addMergeRequest('acme/site', { title: 'Old idea', authorId: 8, state: 'closed' });
    gitlab.addMergeRequest('acme/secret/vault', { title: 'Rotate', authorId: 7, reviewerIds: [10] });
    gitlab.addMergeRequest('acme/site', { title: 'Shipped', authorId: 7, state: 'merged' });
  });
  afterAll(() => gitlab.close());

  const call = (path: string, token?: string) => apiCall(gitlab, 'GET', path, token);

  it('lists the issues the caller created unless told another scope, only those they may read', async () => {
    expect(titles((await call('/issues', ada)).body)).toEqual(['Rotate keys', 'Leak', 'Broken link']);
    expect(titles((await call('/issues?scope=all', bob)).body)).toEqual(['Slow search', 'Broken link']);
    expect(titles((await call('/issues?scope=assigned_to_me', bob)).body)).toEqual(['Broken link']);
    expect(titles((await call('/issues?scope=assigned-to-me', dee)).body)).toEqual(['Rotate keys']);
    // A Guest of the vault reads its issues, not someone else's confidential one.
    expect(titles((await call('/issues?scope=all', dee)).body)).toEqual(['Audit', 'Rotate keys', 'Slow search', 'Broken link']);
    expect(titles((await call('/issues?scope=all&state=closed', ada)).body)).toEqual(['Audit', 'Slow search']);
    expect(titles((await call('/issues?scope=all&state=opened&sort=asc', ada)).body)).toEqual(['Broken link', 'Leak', 'Rotate keys']);
    expect(titles((await call('/issues?scope=all&search=link', bob)).body)).toEqual(['Broken link']);
    expect(titles((await call('/issues?scope=all&search=dead', bob)).body)).toEqual(['Broken link']);
    expect(titles((await call('/issues?scope=all&author_id=8', ada)).body)).toEqual(['Slow search']);
    expect(titles((await call('/issues?scope=all&assignee_id=None&state=opened', ada)).body)).toEqual(['Leak']);
    // The default scope and a filter both apply.
    expect(titles((await call('/issues?author_id=8', ada)).body)).toEqual([]);

    // Without a user, scope=all only, and public issues only.
    expect(await call('/issues')).toMatchObject({ status: 401, body: { message: '401 Unauthorized' } });
    expect(titles((await call('/issues?scope=all')).body)).toEqual(['Slow search', 'Broken link']);

    expect(await call('/issues?state=shut', ada)).toMatchObject({ status: 400, body: { error: 'state does not have a valid value' } });
    expect(await call('/issues?scope=mine&per_page=many', ada)).toMatchObject({ status: 400, body: { error: 'scope does not have a valid value, per_page is invalid' } });
  });

  it('pages a list as GitLab does, with its headers and Link', async () => {
    const page = await call('/issues?scope=all&per_page=2&page=2', ada);
    expect(titles(page.body)).toEqual(['Leak', 'Slow search']);
    const headers = Object.fromEntries(['x-page', 'x-per-page', 'x-total', 'x-total-pages', 'x-next-page', 'x-prev-page'].map((name) => [name, page.headers.get(name)]));
    expect(headers).toEqual({ 'x-page': '2', 'x-per-page': '2', 'x-total': '5', 'x-total-pages': '3', 'x-next-page': '3', 'x-prev-page': '1' });
    const link = (number: number) => `<${gitlab.url}/api/v4/issues?page=${number}&per_page=2&scope=all>`;
    expect(page.headers.get('link')).toBe(`${link(1)}; rel="prev", ${link(3)}; rel="next", ${link(1)}; rel="first", ${link(3)}; rel="last"`);

    // Beyond the last page: nothing, and neither a next nor a previous page.
    const beyond = await call('/issues?scope=all&per_page=2&page=9', ada);
    expect(beyond.body).toEqual([]);
    expect([beyond.headers.get('x-next-page'), beyond.headers.get('x-prev-page'), beyond.headers.get('x-total-pages')]).toEqual(['', '', '3']);
    // 20 a page unless asked, 100 at most; at least one page even when there is nothing.
    expect((await call('/issues?scope=all', ada)).headers.get('x-per-page')).toBe('20');
    expect((await call('/issues?scope=all&per_page=500', ada)).headers.get('x-per-page')).toBe('100');
    const none = await call('/issues?scope=all&search=nothing-like-this', ada);
    expect([none.headers.get('x-total'), none.headers.get('x-total-pages'), none.headers.get('x-next-page')]).toEqual(['0', '1', '']);
  });

  it('lists a project’s issues, all of them unless a scope is asked for, and finds users by username', async () => {
    const site = `/projects/${encodeURIComponent('acme/site')}/issues`;
    expect(titles((await call(site, bob)).body)).toEqual(['Slow search', 'Broken link']);
    expect(titles((await call(`${site}?state=opened`, ada)).body)).toEqual(['Leak', 'Broken link']);
    expect(titles((await call(`${site}?scope=created_by_me`, ada)).body)).toEqual(['Leak', 'Broken link']);
    expect(titles((await call(site)).body)).toEqual(['Slow search', 'Broken link']);
    expect(await call(`/projects/${encodeURIComponent('acme/secret/vault')}/issues`, bob)).toMatchObject({ status: 404, body: { message: '404 Project Not Found' } });
    expect((await call(`${site}?per_page=1`, bob)).headers.get('x-total-pages')).toBe('2');

    expect(await call('/users?username=BOB', ada)).toMatchObject({ status: 200, body: [user(gitlab, 8, 'bob', 'Bob')] });
    expect((await call('/users?username=nobody', ada)).body).toEqual([]);
    expect(((await call('/users')).body as { id: number }[]).map((found) => found.id)).toEqual([10, 8, 7]);
  });

  it('lists merge requests by scope, state, author and reviewer, hiding a private project’s from its Guests', async () => {
    const listed = await call('/merge_requests?scope=all&source_branch=fix-link', bob);
    expect(listed.status).toBe(200);
    const mergeRequest = (listed.body as Record<string, unknown>[])[0]!;
    expect(mergeRequest).toEqual({
      id: 1,
      iid: 1,
      project_id: expect.any(Number),
      title: 'Fix link',
      description: null,
      state: 'opened',
      created_at: mergeRequest.created_at,
      updated_at: mergeRequest.created_at,
      merged_by: null,
      merge_user: null,
      merged_at: null,
      closed_by: null,
      closed_at: null,
      target_branch: 'main',
      source_branch: 'fix-link',
      user_notes_count: 0,
      upvotes: 0,
      downvotes: 0,
      author: user(gitlab, 7, 'ada', 'Ada'),
      assignees: [user(gitlab, 7, 'ada', 'Ada')],
      assignee: user(gitlab, 7, 'ada', 'Ada'),
      reviewers: [user(gitlab, 8, 'bob', 'Bob')],
      source_project_id: mergeRequest.project_id,
      target_project_id: mergeRequest.project_id,
      labels: [],
      draft: false,
      work_in_progress: false,
      milestone: null,
      imported: false,
      imported_from: 'none',
      merge_when_pipeline_succeeds: false,
      merge_status: 'can_be_merged',
      detailed_merge_status: 'mergeable',
      merge_after: null,
      sha: expect.stringMatching(/^[0-9a-f]{40}$/),
      merge_commit_sha: null,
      squash_commit_sha: null,
      discussion_locked: null,
      should_remove_source_branch: null,
      force_remove_source_branch: false,
      prepared_at: mergeRequest.created_at,
      reference: '!1',
      references: { short: '!1', relative: '!1', full: 'acme/site!1' },
      web_url: `${gitlab.url}/acme/site/-/merge_requests/1`,
      time_stats: { time_estimate: 0, total_time_spent: 0, human_time_estimate: null, human_total_time_spent: null },
      squash: false,
      squash_on_merge: false,
      task_completion_status: { count: 0, completed_count: 0 },
      has_conflicts: false,
      blocking_discussions_resolved: true,
    });
    expect(titles((await call('/merge_requests', ada)).body)).toEqual(['Shipped', 'Rotate', 'Fix link']);
    expect(titles((await call('/merge_requests?scope=reviews_for_me', ada)).body)).toEqual(['Faster search']);
    // reviewer_id narrows the scope, which is the caller's own merge requests unless scope=all.
    expect(titles((await call('/merge_requests?reviewer_id=8', ada)).body)).toEqual(['Fix link']);
    expect(titles((await call('/merge_requests?reviewer_id=8', bob)).body)).toEqual([]);
    expect(titles((await call('/merge_requests?scope=all&reviewer_username=ada', bob)).body)).toEqual(['Faster search']);
    expect(titles((await call('/merge_requests?scope=all&state=merged', bob)).body)).toEqual(['Shipped']);
    expect(titles((await call('/merge_requests?scope=all&author_username=bob&state=opened', ada)).body)).toEqual(['Faster search']);
    // Guests of a private project do not see its merge requests; its Developers do.
    expect(titles((await call('/merge_requests?scope=all&reviewer_id=10', dee)).body)).toEqual([]);
    expect(titles((await call('/merge_requests?scope=all&reviewer_id=10', ada)).body)).toEqual(['Rotate']);

    const draft = (await call('/merge_requests?scope=all&draft=true&state=opened', ada)).body as Record<string, unknown>[];
    expect(draft).toMatchObject([{ title: 'Faster search', draft: true, work_in_progress: true, detailed_merge_status: 'draft_status', source_branch: 'feature-2' }]);
    // Without `draft`, the title decides, as in GitLab.
    expect((await call('/merge_requests?scope=all&state=closed', ada)).body).toMatchObject([
      { title: 'Old idea', draft: false, detailed_merge_status: 'not_open' },
      { title: 'Draft: Cache', draft: true, detailed_merge_status: 'not_open' },
    ]);
    expect((await call('/merge_requests?scope=all&per_page=2', ada)).headers.get('x-total')).toBe('6');

    expect(await call('/merge_requests')).toMatchObject({ status: 401 });
    expect(titles((await call('/merge_requests?scope=all&state=opened')).body)).toEqual(['Faster search', 'Fix link']);
    expect(await call('/merge_requests?reviewer_id=8&reviewer_username=bob', ada)).toMatchObject({ status: 400, body: { error: 'reviewer_id, reviewer_username are mutually exclusive' } });
    expect(await call('/merge_requests?reviewer_id=someone', ada)).toMatchObject({ status: 400, body: { error: 'reviewer_id should be an integer, none, or any, however got someone' } });
  });

  it('lists the caller’s pending to-do items, newest first, and their done ones when asked', async () => {
    const assigned = gitlab.addTodo(7, { projectPath: 'acme/site', targetType: 'Issue', targetIid: 1, actionName: 'assigned', authorId: 8 });
    gitlab.addTodo(7, { projectPath: 'acme/site', targetType: 'MergeRequest', targetIid: 2, actionName: 'review_requested', authorId: 8 });
    gitlab.addTodo(7, { projectPath: 'acme/site', targetType: 'Issue', targetIid: 1, actionName: 'mentioned', authorId: 8, body: 'ping @ada', state: 'done' });
    gitlab.addTodo(8, { projectPath: 'acme/site', targetType: 'Issue', targetIid: 1, actionName: 'directly_addressed', authorId: 7 });
    // dee cannot read the vault's merge requests: GitLab would have taken this one away.
    gitlab.addTodo(10, { projectPath: 'acme/secret/vault', targetType: 'MergeRequest', targetIid: 1, actionName: 'review_requested', authorId: 7 });

    const pending = await call('/todos', ada);
    expect(pending.body).toMatchObject([
      { action_name: 'review_requested', target_type: 'MergeRequest', target: { iid: 2, draft: true }, target_url: `${gitlab.url}/acme/site/-/merge_requests/2` },
      { id: assigned.id },
    ]);
    expect((pending.body as unknown[])[1]).toEqual({
      id: assigned.id,
      project: { id: expect.any(Number), name: 'site', name_with_namespace: 'acme / site', path: 'site', path_with_namespace: 'acme/site' },
      author: user(gitlab, 8, 'bob', 'Bob'),
      action_name: 'assigned',
      target_type: 'Issue',
      target: expect.objectContaining({ iid: 1, title: 'Broken link', references: { short: '#1', relative: '#1', full: 'acme/site#1' } }),
      target_url: `${gitlab.url}/acme/site/-/issues/1`,
      // No body given: the target's title, as GitLab's Todo#body.
      body: 'Broken link',
      state: 'pending',
      created_at: assigned.createdAt,
      updated_at: assigned.updatedAt,
    });
    expect((await call('/todos?state=done', ada)).body).toMatchObject([{ action_name: 'mentioned', body: 'ping @ada', state: 'done' }]);
    expect((await call('/todos?type=Issue', ada)).body).toMatchObject([{ id: assigned.id }]);
    const paged = await call('/todos?per_page=1', ada);
    expect([paged.headers.get('x-total'), paged.headers.get('x-total-pages'), paged.headers.get('x-next-page')]).toEqual(['2', '2', '2']);
    expect((await call('/todos', bob)).body).toMatchObject([{ action_name: 'directly_addressed' }]);
    expect((await call('/todos', dee)).body).toEqual([]);

    expect(await call('/todos')).toMatchObject({ status: 401, body: { message: '401 Unauthorized' } });
    expect(await call('/todos?state=open', ada)).toMatchObject({ status: 400, body: { error: 'state does not have a valid value' } });
    expect(() => gitlab.addTodo(7, { projectPath: 'acme/site', targetType: 'Issue', targetIid: 99, actionName: 'marked', authorId: 7 })).toThrow(/no issue #99/);
  });
});

describe("the fake GitLab's pipelines API", () => {
  let gitlab: FakeGitLab;
  // ada: Developer of the site; bob: its Reporter; cy: no membership.
  let ada: string;
  let bob: string;
  let cy: string;
  beforeAll(async () => {
    gitlab = await startFakeGitLab();
    gitlab.addProject('acme/site', { visibility: 'public' });
    gitlab.addProject('acme/api', { visibility: 'public' });
    gitlab.addProject('acme/secret/vault', { visibility: 'private' });
    gitlab.addBranch('acme/site', 'release');
    ada = gitlab.addUser({ id: 7, username: 'ada', name: 'Ada' }).token;
    bob = gitlab.addUser({ id: 8, username: 'bob', name: 'Bob' }).token;
    cy = gitlab.addUser({ id: 9, username: 'cy', name: 'Cy' }).token;
    gitlab.grant(ada, 'acme/site', 30);
    gitlab.grant(ada, 'acme/api', 30);
    gitlab.grant(bob, 'acme/site', 20);
  });
  afterAll(() => gitlab.close());

  const post = (path: string, token?: string, body?: Record<string, unknown>) => apiCall(gitlab, 'POST', path, token, body);
  const site = `/projects/${encodeURIComponent('acme/site')}`;

  it('lets a Developer run a pipeline on a branch with variables, as GitLab answers it', async () => {
    const variables = [
      { key: 'DEPLOY', value: 'yes' },
      { key: 'CERT', value: '-----BEGIN-----', variable_type: 'file' },
    ];
    const created = await post(`${site}/pipeline`, ada, { ref: 'release', variables });
    expect(created.status).toBe(201);
    const { id, iid, created_at } = created.body as { id: number; iid: number; created_at: string };
    expect(created.body).toEqual({
      id,
      iid,
      project_id: expect.any(Number),
      sha: expect.stringMatching(/^[0-9a-f]{40}$/),
      ref: 'release',
      status: 'created',
      source: 'api',
      created_at,
      updated_at: created_at,
      web_url: `${gitlab.url}/acme/site/-/pipelines/${id}`,
      before_sha: '0000000000000000000000000000000000000000',
      tag: false,
      yaml_errors: null,
      user: user(gitlab, 7, 'ada', 'Ada'),
      started_at: null,
      finished_at: null,
      committed_at: null,
      duration: null,
      queued_duration: null,
      coverage: null,
      detailed_status: {
        icon: 'status_created',
        text: 'Created',
        label: 'created',
        group: 'created',
        tooltip: 'created',
        has_details: true,
        details_path: `/acme/site/-/pipelines/${id}`,
        illustration: null,
        favicon: '/assets/ci_favicons/favicon_status_created.png',
      },
    });
    expect(gitlab.pipelinesOf('acme/site')).toEqual([
      {
        id,
        iid,
        projectId: expect.any(Number),
        ref: 'release',
        sha: (created.body as { sha: string }).sha,
        status: 'created',
        source: 'api',
        mergeRequestIid: null,
        userId: 7,
        variables: [
          { key: 'DEPLOY', value: 'yes', variable_type: 'env_var' },
          { key: 'CERT', value: '-----BEGIN-----', variable_type: 'file' },
        ],
        retriedBy: [],
        createdAt: created_at,
        updatedAt: created_at,
        startedAt: null,
        finishedAt: null,
      },
    ]);
    // The default branch is always there, as refs/heads/… too; ref may come in the query string.
    expect(await post(`${site}/pipeline?ref=main`, ada)).toMatchObject({ status: 201, body: { ref: 'main', iid: iid + 1 } });
    expect(await post(`${site}/pipeline`, ada, { ref: 'refs/heads/main', inputs: { env: 'staging' } })).toMatchObject({ status: 201, body: { ref: 'main' } });
    expect(gitlab.pipelinesOf('acme/site')).toHaveLength(3);
  });

  it('refuses a pipeline on a ref that does not exist, without a ref, or to less than a Developer', async () => {
    const before = gitlab.pipelinesOf('acme/site').length;
    expect(await post(`${site}/pipeline`, ada, { ref: 'nope' })).toMatchObject({ status: 400, body: { message: { base: ['Reference not found'] } } });
    expect(await post(`${site}/pipeline`, ada, { variables: [] })).toMatchObject({ status: 400, body: { error: 'ref is missing' } });
    expect(await post(`${site}/pipeline`, ada, { ref: 'main', variables: { DEPLOY: 'yes' } })).toMatchObject({ status: 400, body: { error: 'variables is invalid' } });
    expect(await post(`${site}/pipeline`, ada, { ref: 'main', variables: [{ key: 'A', value: '1', variable_type: 'secret' }] })).toMatchObject({
      status: 400,
      body: { error: 'variables[0][variable_type] does not have a valid value' },
    });
    expect(await post(`${site}/pipeline`, bob, { ref: 'main' })).toMatchObject({ status: 403, body: { message: '403 Forbidden' } });
    expect(await post(`${site}/pipeline`, cy, { ref: 'main' })).toMatchObject({ status: 403, body: { message: '403 Forbidden' } });
    expect(await post(`/projects/${encodeURIComponent('acme/secret/vault')}/pipeline`, ada, { ref: 'main' })).toMatchObject({ status: 404, body: { message: '404 Project Not Found' } });
    expect(await post(`${site}/pipeline`, undefined, { ref: 'main' })).toMatchObject({ status: 401, body: { message: '401 Unauthorized' } });
    expect(gitlab.pipelinesOf('acme/site')).toHaveLength(before);
  });

  it('retries a failed pipeline for a Developer, and answers a pipeline with nothing to retry as it is', async () => {
    const failed = gitlab.addPipeline('acme/site', { ref: 'main', status: 'failed', userId: 8, variables: [{ key: 'X', value: '1' }] });
    expect(failed).toMatchObject({ source: 'push', variables: [{ key: 'X', value: '1', variable_type: 'env_var' }], retriedBy: [] });
    expect(await post(`${site}/pipelines/${failed.id}/retry`, bob)).toMatchObject({ status: 403, body: { message: '403 Forbidden' } });
    // The pipeline stays bob's: a retry does not change its user.
    expect(await post(`${site}/pipelines/${failed.id}/retry`, ada)).toMatchObject({ status: 201, body: { id: failed.id, status: 'running', user: { id: 8 } } });
    expect(gitlab.pipelinesOf('acme/site').find((pipeline) => pipeline.id === failed.id)).toMatchObject({ status: 'running', userId: 8, retriedBy: [7] });

    const passed = gitlab.addPipeline('acme/site', { ref: 'release', status: 'success', userId: 7 });
    expect(await post(`${site}/pipelines/${passed.id}/retry`, ada)).toMatchObject({ status: 201, body: { id: passed.id, status: 'success', updated_at: passed.updatedAt } });
    expect(gitlab.pipelinesOf('acme/site').find((pipeline) => pipeline.id === passed.id)).toMatchObject({ status: 'success', retriedBy: [] });

    // Another project's pipeline is not found through this one.
    const elsewhere = gitlab.addPipeline('acme/api', { ref: 'main', status: 'failed', userId: 7 });
    expect(await post(`${site}/pipelines/${elsewhere.id}/retry`, ada)).toMatchObject({ status: 404, body: { message: '404 Not found' } });
    expect(await post(`${site}/pipelines/9999/retry`, bob)).toMatchObject({ status: 404, body: { message: '404 Not found' } });
    expect(await post(`${site}/pipelines/latest/retry`, ada)).toMatchObject({ status: 400, body: { error: 'pipeline_id is invalid' } });
    expect(await post(`${site}/pipelines/${failed.id}/retry`)).toMatchObject({ status: 401 });
  });
});

describe('the fake GitLab through @gitbeaker/rest', () => {
  it('understands the real client: an issue, a comment, a pipeline with variables, and a list across pages', async () => {
    const gitlab = await startFakeGitLab();
    try {
      gitlab.addProject('acme/site', { visibility: 'public' });
      const { token } = gitlab.addUser({ id: 7, username: 'ada', name: 'Ada' });
      gitlab.grant(token, 'acme/site', 30);
      const api = new Gitlab({ host: gitlab.url, oauthToken: token });

      const issue = await api.Issues.create('acme/site', 'From gitbeaker', { description: 'Made by the real client', labels: 'bridge,test', assigneeIds: [7], confidential: true });
      expect(issue).toMatchObject({ iid: 1, title: 'From gitbeaker', labels: ['bridge', 'test'], assignees: [{ id: 7 }], confidential: true });
      const note = await api.IssueNotes.create('acme/site', issue.iid, 'A comment');
      expect(note).toMatchObject({ body: 'A comment', noteable_iid: 1, author: { username: 'ada' } });
      const pipeline = await api.Pipelines.create('acme/site', 'main', {
        variables: [
          { key: 'DEPLOY', value: 'yes' },
          { key: 'CERT', value: 'pem', variable_type: 'file' },
        ],
      });
      expect(pipeline).toMatchObject({ ref: 'main', status: 'created', web_url: `${gitlab.url}/acme/site/-/pipelines/${pipeline.id}` });

      expect(gitlab.issuesOf('acme/site')).toMatchObject([{ title: 'From gitbeaker', labels: ['bridge', 'test'], assigneeIds: [7], notes: [{ body: 'A comment', authorId: 7 }] }]);
      expect(gitlab.pipelinesOf('acme/site')).toMatchObject([
        {
          userId: 7,
          variables: [
            { key: 'DEPLOY', value: 'yes', variable_type: 'env_var' },
            { key: 'CERT', value: 'pem', variable_type: 'file' },
          ],
        },
      ]);
      // The project travels URL-encoded, with the token as Bearer.
      expect(gitlab.requests).toContainEqual({ method: 'POST', path: '/api/v4/projects/acme%2Fsite/pipeline', token, status: 201 });

      // gitbeaker follows the Link header from page to page.
      for (const title of ['Two', 'Three']) await api.Issues.create('acme/site', title);
      const before = gitlab.requests.length;
      const all = await api.Issues.all({ scope: 'all', perPage: 2 });
      expect(all.map((candidate) => candidate.title)).toEqual(['Three', 'Two', 'From gitbeaker']);
      expect(gitlab.requests.slice(before).map((request) => request.path)).toEqual(['/api/v4/issues', '/api/v4/issues']);
    } finally {
      await gitlab.close();
    }
  });
});

describe("the fake GitLab's GraphQL endpoint", () => {
  let gitlab: FakeGitLab;
  // ada: Developer of the vault; bob: no membership; dee: Guest of the vault.
  let ada: string;
  let bob: string;
  let dee: string;
  let mention: number;
  beforeAll(async () => {
    gitlab = await startFakeGitLab();
    gitlab.addProject('acme/site', { visibility: 'public' });
    gitlab.addProject('acme/secret/vault', { visibility: 'private' });
    ada = gitlab.addUser({ id: 7, username: 'ada', name: 'Ada' }).token;
    bob = gitlab.addUser({ id: 8, username: 'bob', name: 'Bob' }).token;
    dee = gitlab.addUser({ id: 10, username: 'dee', name: 'Dee' }).token;
    gitlab.grant(ada, 'acme/secret/vault', 30);
    gitlab.grant(dee, 'acme/secret/vault', 10);

    gitlab.addMergeRequest('acme/site', { title: 'Fix link', authorId: 8, sourceBranch: 'fix-link', labels: ['docs', 'bug'], approvalsRequired: 2, approvedBy: [10] });
    gitlab.requestReview('acme/site', 1, 7, 8);
    gitlab.addPipeline('acme/site', { ref: 'fix-link', status: 'failed', userId: 8 });
    gitlab.addMergeRequest('acme/site', { title: 'Draft: Faster search', authorId: 7 });
    gitlab.assignMergeRequest('acme/site', 2, 7, 7);
    gitlab.addMergeRequest('acme/site', { title: 'Old idea', authorId: 7, state: 'closed' });
    gitlab.addMergeRequest('acme/secret/vault', { title: 'Rotate keys', authorId: 7 });
    // GitLab gives dee the to-do item, but a Guest may not read a private project's merge requests.
    gitlab.requestReview('acme/secret/vault', 1, 10, 7);

    gitlab.addIssue('acme/site', { title: 'Broken link', authorId: 8, assigneeIds: [8] });
    gitlab.assignIssue('acme/site', 1, 7, 8);
    gitlab.addIssue('acme/site', { title: 'Secret', authorId: 7, assigneeIds: [7], confidential: true });
    gitlab.addIssue('acme/secret/vault', { title: 'Leak', authorId: 7, assigneeIds: [7, 10] });
    mention = gitlab.addNote('acme/site', { targetType: 'Issue', targetIid: 1, authorId: 8, body: '@ada have a look' }).id;
    gitlab.addTodo(7, { projectPath: 'acme/site', targetType: 'Issue', targetIid: 1, actionName: 'mentioned', authorId: 8, noteId: mention });
  });
  afterAll(() => gitlab.close());

  const graphql = async (token: string | undefined, query: string, variables?: Record<string, unknown>) => {
    const headers: Record<string, string> = { 'Content-Type': 'application/json', ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }) };
    const response = await fetch(`${gitlab.url}/api/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
    return { status: response.status, body: (await response.json()) as { data?: Record<string, unknown> | null; errors?: Record<string, unknown>[] } };
  };
  const work = async (token: string, username: string) => {
    const answer = await graphql(token, WORK_QUERY, { username });
    expect(answer).toMatchObject({ status: 200 });
    expect(answer.body.errors).toBeUndefined();
    // What the bridge itself makes of the answer.
    return readWork(answer.body.data);
  };
  const references = (list: { total: number; items: { reference: string }[] }) => [list.total, list.items.map((item) => item.reference)];

  it('answers the bridge’s WORK_QUERY with the lists of the token’s user, as far as they may see', async () => {
    const snapshot = await work(ada, 'ada');
    expect(snapshot.gitlabUserId).toBe(7);
    expect(references(snapshot.reviews)).toEqual([1, ['acme/site!1']]);
    expect(references(snapshot.assignedMergeRequests)).toEqual([1, ['acme/site!2']]);
    // Open ones only, the last updated first: the vault's got a reviewer after the site's was assigned.
    expect(references(snapshot.myMergeRequests)).toEqual([2, ['acme/secret/vault!1', 'acme/site!2']]);
    // Her confidential issue is hers to see, as is the vault's.
    expect(references(snapshot.assignedIssues)).toEqual([3, ['acme/site#1', 'acme/secret/vault#1', 'acme/site#2']]);
    expect(snapshot.reviews.items[0]).toEqual({
      type: 'merge_request',
      projectId: [...gitlab.projects.values()].find((project) => project.path_with_namespace === 'acme/site')!.id,
      reference: 'acme/site!1',
      iid: 1,
      title: 'Fix link',
      url: `${gitlab.url}/acme/site/-/merge_requests/1`,
      author: { id: 8, username: 'bob', name: 'Bob' },
      // Sorted by title, each with a colour of its own.
      labels: [
        { title: 'bug', color: expect.stringMatching(/^#[0-9a-f]{6}$/), textColor: expect.stringMatching(/^#[0-9A-F]{6}$/) },
        { title: 'docs', color: expect.stringMatching(/^#[0-9a-f]{6}$/), textColor: expect.stringMatching(/^#[0-9A-F]{6}$/) },
      ],
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      draft: false,
      pipelineStatus: 'failed',
      approvals: { required: 2, given: 1 },
      conflicts: false,
    });
    expect(snapshot.assignedMergeRequests.items[0]).toMatchObject({ draft: true, pipelineStatus: null, approvals: { required: 0, given: 0 } });
    // Newest first: the mention (with its comment), the issue assigned, the self-assigned merge request, the review.
    expect(snapshot.todos.items.map((todo) => [todo.action, todo.targetType, todo.targetIid, todo.author?.username])).toEqual([
      ['mentioned', 'issue', 1, 'bob'],
      ['assigned', 'issue', 1, 'bob'],
      ['assigned', 'merge_request', 2, 'ada'],
      ['review_requested', 'merge_request', 1, 'bob'],
    ]);
    expect(snapshot.todos.items[0]).toMatchObject({ body: '@ada have a look', noteId: mention, url: `${gitlab.url}/acme/site/-/issues/1#note_${mention}`, projectPath: 'acme/site' });
    expect(snapshot.moreTodos).toBe(false);
  });

  it('shows another user less: no private merge requests or issues, no confidential issue of someone else', async () => {
    const bobs = await work(bob, 'bob');
    expect([references(bobs.reviews), references(bobs.assignedMergeRequests), references(bobs.myMergeRequests)]).toEqual([
      [0, []],
      [0, []],
      [1, ['acme/site!1']],
    ]);
    expect(references(bobs.assignedIssues)).toEqual([1, ['acme/site#1']]);
    expect(bobs.todos.items).toEqual([]);
    // The issues assigned to ada, as bob sees them.
    const asBob = await graphql(bob, WORK_QUERY, { username: 'ada' });
    expect(readWork(asBob.body.data).assignedIssues.items.map((issue) => issue.reference)).toEqual(['acme/site#1']);

    // A Guest of the vault reads its issues, not its merge requests: the review to-do item is not shown either.
    const dees = await work(dee, 'dee');
    expect(references(dees.reviews)).toEqual([0, []]);
    expect(dees.todos.items).toEqual([]);
    expect(references(dees.assignedIssues)).toEqual([1, ['acme/secret/vault#1']]);
  });

  it('pages a connection with first, counting all, and follows GitLab’s arguments and enums', async () => {
    const query = `query($after: String) { currentUser { todos(first: 2, after: $after) { count pageInfo { hasNextPage endCursor } nodes { action targetType } } } }`;
    const first = await graphql(ada, query);
    const todos = (first.body.data!.currentUser as { todos: { count: number; pageInfo: { hasNextPage: boolean; endCursor: string }; nodes: unknown[] } }).todos;
    expect(todos).toMatchObject({ count: 4, pageInfo: { hasNextPage: true }, nodes: [{ action: 'mentioned', targetType: 'ISSUE' }, { action: 'assigned' }] });
    const second = await graphql(ada, query, { after: todos.pageInfo.endCursor });
    expect(second.body.data!.currentUser).toMatchObject({ todos: { pageInfo: { hasNextPage: false }, nodes: [{ targetType: 'MERGEREQUEST' }, { action: 'review_requested' }] } });

    const filtered = await graphql(ada, `{ currentUser { authoredMergeRequests(state: closed, sort: TITLE_ASC) { count nodes { iid state reference } } } }`);
    expect(filtered.body.data).toEqual({ currentUser: { authoredMergeRequests: { count: 1, nodes: [{ iid: '3', state: 'closed', reference: '!3' }] } } });
    // Another user's to-do items are not the caller's to read.
    const other = await graphql(bob, `{ user(username: "ada") { username todos { count } } }`);
    expect(other.body.data).toEqual({ user: { username: 'ada', todos: { count: 0 } } });
  });

  it('answers a query that does not validate as GitLab does: 200 and errors, no data', async () => {
    const unknown = await graphql(ada, '{ currentUser { nope } }');
    expect(unknown).toEqual({
      status: 200,
      body: { errors: [{ message: "Field 'nope' doesn't exist on type 'CurrentUser'", locations: [{ line: 1, column: 17 }], extensions: { code: 'undefinedField', typeName: 'CurrentUser', fieldName: 'nope' } }] },
    });
    const badEnum = await graphql(ada, '{ currentUser { todos(state: [open]) { count } } }');
    expect(badEnum).toMatchObject({ status: 200, body: { errors: [{ message: expect.stringContaining('TodoStateEnum') }] } });
    expect(badEnum.body.data).toBeUndefined();
    expect(await graphql(ada, '{ currentUser {')).toMatchObject({ status: 200, body: { errors: [{ message: expect.stringMatching(/^Syntax Error/) }] } });
    expect(await graphql(ada, WORK_QUERY)).toMatchObject({ status: 200, body: { errors: [{ message: 'Variable "$username" of required type "String!" was not provided.' }] } });
    expect(await graphql(ada, '')).toEqual({ status: 200, body: { errors: [{ message: 'No query string was present' }] } });
    expect(await graphql(ada, `{ currentUser { id } }${' '.repeat(10_000)}`)).toEqual({ status: 422, body: { errors: [{ message: 'Query too large' }] } });

    // The root issues query wants a filter: its field is null, with an error beside the rest of the data.
    const unfiltered = await graphql(ada, '{ issues(sort: UPDATED_DESC) { count } currentUser { username } }');
    expect(unfiltered.body).toMatchObject({ errors: [{ message: 'You must provide at least one filter argument for this query', path: ['issues'] }], data: { issues: null, currentUser: { username: 'ada' } } });
  });

  it('lacks the EE approval fields on CE, so that the bridge’s query does not validate there', async () => {
    try {
      gitlab.setEdition('ce');
      const answer = await graphql(ada, WORK_QUERY, { username: 'ada' });
      expect(answer.status).toBe(200);
      expect(answer.body.data).toBeUndefined();
      expect(new Set(answer.body.errors!.map((error) => error.message))).toEqual(
        new Set(["Field 'approvalsRequired' doesn't exist on type 'MergeRequest'", "Field 'approvalsLeft' doesn't exist on type 'MergeRequest'"]),
      );
    } finally {
      gitlab.setEdition('premium');
    }
  });

  it('takes tokens as the API does, answers anonymous callers with public data, and records each request', async () => {
    expect(await graphql('glpat-nope', '{ currentUser { id } }')).toEqual({ status: 401, body: { errors: [{ message: 'Invalid token' }] } });
    const anonymous = await graphql(undefined, '{ currentUser { id } issues(assigneeUsernames: ["ada"]) { nodes { reference(full: true) } } }');
    expect(anonymous).toEqual({ status: 200, body: { data: { currentUser: null, issues: { nodes: [{ reference: 'acme/site#1' }] } } } });
    expect(gitlab.requests.at(-1)).toEqual({ method: 'POST', path: '/api/graphql', status: 200 });
    await graphql(ada, '{ currentUser { id } }');
    expect(gitlab.requests.at(-1)).toEqual({ method: 'POST', path: '/api/graphql', token: ada, status: 200 });
  });

  it('gives a merge request the latest pipeline of its source branch or run for it as its head pipeline', async () => {
    const head = async () => {
      const answer = await graphql(bob, '{ currentUser { authoredMergeRequests(iids: ["1"]) { nodes { headPipeline { status ref } } } } }');
      return (answer.body.data!.currentUser as { authoredMergeRequests: { nodes: { headPipeline: unknown }[] } }).authoredMergeRequests.nodes[0]!.headPipeline;
    };
    expect(await head()).toEqual({ status: 'FAILED', ref: 'fix-link' });
    const forIt = gitlab.addPipeline('acme/site', { mergeRequestIid: 1, status: 'running', userId: 8 });
    expect(forIt).toMatchObject({ ref: 'refs/merge-requests/1/head', source: 'merge_request_event', mergeRequestIid: 1 });
    expect(await head()).toEqual({ status: 'RUNNING', ref: 'refs/merge-requests/1/head' });
    gitlab.setPipelineStatus(forIt.id, 'success');
    expect(await head()).toEqual({ status: 'SUCCESS', ref: 'refs/merge-requests/1/head' });
  });
});

describe("the fake GitLab's events, commits, merge requests and notes", () => {
  let gitlab: FakeGitLab;
  // ada: Developer of both; bob: no membership; dee: Guest of the vault.
  let ada: string;
  let bob: string;
  let dee: string;
  beforeAll(async () => {
    gitlab = await startFakeGitLab();
    gitlab.addProject('acme/site', { visibility: 'public' });
    gitlab.addProject('acme/secret/vault', { visibility: 'private' });
    ada = gitlab.addUser({ id: 7, username: 'ada', name: 'Ada' }).token;
    bob = gitlab.addUser({ id: 8, username: 'bob', name: 'Bob' }).token;
    dee = gitlab.addUser({ id: 10, username: 'dee', name: 'Dee' }).token;
    gitlab.grant(ada, 'acme', 30);
    gitlab.grant(dee, 'acme/secret/vault', 10);
  });
  afterAll(() => gitlab.close());

  const call = (path: string, token?: string) => apiCall(gitlab, 'GET', path, token);
  const site = `/projects/${encodeURIComponent('acme/site')}`;
  const vault = `/projects/${encodeURIComponent('acme/secret/vault')}`;
  const actions = (body: unknown) => (body as { action_name: string; target_type: string | null }[]).map((event) => `${event.action_name} ${event.target_type ?? ''}`.trim());

  it('records what happens as GitLab’s events, with ids that only grow, newest first unless asked', async () => {
    gitlab.push('acme/site', { ref: 'fix-link', userId: 7, commits: [{ message: 'Fix the link\n\nIt pointed nowhere.' }, { message: 'Test it', authorName: 'A. Lovelace', authorEmail: 'ada@example.org' }] });
    const compare = async () => ((await call(`${site}/repository/compare?from=main&to=fix-link`, bob)).body as { commits: { id: string; title: string; author_name: string }[] }).commits;
    const commits = await compare();
    expect(commits.map((commit) => [commit.title, commit.author_name])).toEqual([
      ['Fix the link', 'Ada'],
      ['Test it', 'A. Lovelace'],
    ]);
    gitlab.addIssue('acme/site', { title: 'Broken link', authorId: 8 });
    gitlab.addMergeRequest('acme/site', { title: 'Fix link', authorId: 7, sourceBranch: 'fix-link' });
    const note = gitlab.addNote('acme/site', { targetType: 'MergeRequest', targetIid: 1, authorId: 8, body: 'Looks good' });
    gitlab.approveMergeRequest('acme/site', 1, 8);
    gitlab.mergeMergeRequest('acme/site', 1, 7);
    gitlab.closeIssue('acme/site', 1, 7);
    gitlab.reopenIssue('acme/site', 1, 8);

    const listed = await call(`${site}/events?sort=asc`, bob);
    expect(actions(listed.body)).toEqual([
      'pushed new',
      'opened Issue',
      'opened MergeRequest',
      'commented on Note',
      'approved MergeRequest',
      'accepted MergeRequest',
      'pushed to',
      'closed Issue',
      'reopened Issue',
    ]);
    const ids = (listed.body as { id: number }[]).map((event) => event.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(actions((await call(`${site}/events`, bob)).body)[0]).toBe('reopened Issue');
    expect(gitlab.eventsOf('acme/site').map((event) => event.id)).toEqual(ids);

    const [pushedNew, , opened, commented] = listed.body as Record<string, unknown>[];
    // Merged: main has everything fix-link has.
    expect(await compare()).toEqual([]);
    expect(pushedNew).toEqual({
      id: ids[0],
      project_id: expect.any(Number),
      action_name: 'pushed new',
      target_id: null,
      target_iid: null,
      target_type: null,
      author_id: 7,
      target_title: null,
      created_at: expect.any(String),
      author: user(gitlab, 7, 'ada', 'Ada'),
      imported: false,
      imported_from: 'none',
      push_data: { commit_count: 2, action: 'created', ref_type: 'branch', commit_from: null, commit_to: commits[1]!.id, ref: 'fix-link', commit_title: 'Test it', ref_count: null },
      author_username: 'ada',
    });
    expect(opened).toMatchObject({ action_name: 'opened', target_type: 'MergeRequest', target_iid: 1, target_title: 'Fix link', author_username: 'ada' });
    expect(commented).toMatchObject({
      action_name: 'commented on',
      target_type: 'Note',
      target_id: note.id,
      // Event#target_iid: a note has no iid, so its id.
      target_iid: note.id,
      target_title: 'Fix link',
      note: { id: note.id, type: null, body: 'Looks good', author: { username: 'bob' }, system: false, noteable_type: 'MergeRequest', noteable_iid: 1, resolvable: false, confidential: false, internal: false },
    });
    expect(gitlab.mergeRequestsOf('acme/site')[0]).toMatchObject({ state: 'merged', mergedById: 7, approvedBy: [8], notes: [{ id: note.id, body: 'Looks good', authorId: 8 }] });
  });

  it('lists events after a day (the day itself excluded), a page at a time, and only what the caller may see', async () => {
    const all = (await call(`${site}/events?per_page=100`, bob)).body as { created_at: string }[];
    const day = all[0]!.created_at.slice(0, 10);
    const dayBefore = new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    expect((await call(`${site}/events?after=${dayBefore}`, bob)).body).toHaveLength(all.length);
    expect((await call(`${site}/events?after=${day}`, bob)).body).toEqual([]);
    expect((await call(`${site}/events?before=${day}`, bob)).body).toEqual([]);
    expect(await call(`${site}/events?after=yesterday`, bob)).toMatchObject({ status: 400, body: { error: 'after is invalid' } });
    expect(actions((await call(`${site}/events?action=merged`, bob)).body)).toEqual(['accepted MergeRequest']);
    expect(actions((await call(`${site}/events?target_type=issue&sort=asc`, bob)).body)).toEqual(['opened Issue', 'closed Issue', 'reopened Issue']);

    const page = await call(`${site}/events?per_page=4&page=2&sort=asc`, bob);
    expect(actions(page.body)).toEqual(['approved MergeRequest', 'accepted MergeRequest', 'pushed to', 'closed Issue']);
    expect([page.headers.get('x-total'), page.headers.get('x-total-pages'), page.headers.get('x-next-page'), page.headers.get('x-prev-page')]).toEqual([String(all.length), '3', '3', '1']);

    // A confidential issue's events are for those who may read it; a private project's are not found at all.
    gitlab.addIssue('acme/site', { title: 'Leak', authorId: 7, confidential: true });
    expect((await call(`${site}/events?per_page=100`, ada)).body).toHaveLength(all.length + 1);
    expect((await call(`${site}/events?per_page=100`, bob)).body).toHaveLength(all.length);
    gitlab.addMergeRequest('acme/secret/vault', { title: 'Rotate', authorId: 7 });
    gitlab.addIssue('acme/secret/vault', { title: 'Audit', authorId: 7 });
    expect(await call(`${vault}/events`, bob)).toMatchObject({ status: 404, body: { message: '404 Project Not Found' } });
    // A Guest sees the vault's issue, not its merge request.
    expect(actions((await call(`${vault}/events`, dee)).body)).toEqual(['opened Issue']);
    expect(actions((await call(`${vault}/events`, ada)).body)).toEqual(['opened Issue', 'opened MergeRequest']);
  });

  it('answers pushed commits and compares them, for those who may read the code', async () => {
    const pushed = gitlab.push('acme/secret/vault', { ref: 'main', userId: 7, commits: [{ message: 'Rotate the keys' }] });
    // The same push gives the same commit every run.
    expect(pushed.commits[0]!.sha).toMatch(/^[0-9a-f]{40}$/);
    expect(pushed.before).toBe(pushed.commits[0]!.parentIds[0]);
    const shown = await call(`${vault}/repository/commits/${pushed.after}`, ada);
    expect(shown.body).toMatchObject({
      id: pushed.after,
      short_id: pushed.after.slice(0, 8),
      title: 'Rotate the keys',
      message: 'Rotate the keys',
      parent_ids: [pushed.before],
      author_name: 'Ada',
      author_email: 'ada@example.com',
      committer_name: 'Ada',
      web_url: `${gitlab.url}/acme/secret/vault/-/commit/${pushed.after}`,
    });
    expect((await call(`${vault}/repository/commits/${pushed.after.slice(0, 8)}`, ada)).body).toMatchObject({ id: pushed.after });
    expect((await call(`${vault}/repository/commits/main`, ada)).body).toMatchObject({ id: pushed.after });
    expect(await call(`${vault}/repository/commits/${pushed.after}`, dee)).toMatchObject({ status: 403, body: { message: '403 Forbidden' } });
    expect(await call(`${vault}/repository/commits/${'0'.repeat(40)}`, ada)).toMatchObject({ status: 404, body: { message: '404 Commit Not Found' } });
    expect(await call(`${vault}/repository/compare?from=main&to=nowhere`, ada)).toMatchObject({ status: 404, body: { message: '404 Ref Not Found' } });
    expect(await call(`${vault}/repository/compare?to=main`, ada)).toMatchObject({ status: 400, body: { error: 'from is missing' } });
    expect(gitlab.eventsOf('acme/secret/vault').at(-1)).toMatchObject({ actionName: 'pushed to', pushData: { action: 'pushed', commit_from: pushed.before, commit_to: pushed.after, commit_count: 1 } });
  });

  it('shows one merge request in GitLab’s shape, with its head pipeline and approvals', async () => {
    gitlab.addMergeRequest('acme/site', { title: 'Cache', authorId: 8, sourceBranch: 'cache', labels: ['perf'], approvalsRequired: 1, conflicts: true });
    const pipeline = gitlab.addPipeline('acme/site', { ref: 'cache', status: 'running', userId: 8 });
    const shown = await call(`${site}/merge_requests/2`, ada);
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({
      iid: 2,
      title: 'Cache',
      state: 'opened',
      labels: ['perf'],
      merged_by: null,
      merge_status: 'cannot_be_merged',
      // Premium checks approvals before anything else.
      detailed_merge_status: 'not_approved',
      has_conflicts: true,
      source_branch: 'cache',
      head_pipeline: { id: pipeline.id, status: 'running', started_at: pipeline.startedAt, finished_at: null, detailed_status: { group: 'running' } },
      pipeline: { id: pipeline.id, status: 'running' },
      // A Developer may not merge into the protected default branch.
      user: { can_merge: false },
      references: { full: 'acme/site!2' },
    });
    expect((await call(`${site}/merge_requests/2`, bob)).body).toMatchObject({ user: { can_merge: false } });
    expect((await call(`${site}/merge_requests/1`, bob)).body).toMatchObject({ state: 'merged', merged_by: { id: 7 }, merge_commit_sha: expect.stringMatching(/^[0-9a-f]{40}$/) });
    expect(await call(`${site}/merge_requests/99`, ada)).toMatchObject({ status: 404, body: { message: '404 Not found' } });
    // A Guest finds the private project's merge request, and may not read it.
    expect(await call(`${vault}/merge_requests/1`, dee)).toMatchObject({ status: 403, body: { message: '403 Forbidden' } });
  });

  it('shows one note of an issue or merge request, and takes notes on merge requests too', async () => {
    const created = await apiCall(gitlab, 'POST', `${site}/merge_requests/2/notes`, bob, { body: 'Why cache?' });
    expect(created).toMatchObject({ status: 201, body: { body: 'Why cache?', noteable_type: 'MergeRequest', noteable_iid: 2 } });
    const noteId = (created.body as { id: number }).id;
    expect(await call(`${site}/merge_requests/2/notes/${noteId}`, ada)).toMatchObject({ status: 200, body: { id: noteId, author: { username: 'bob' } } });
    expect(await call(`${site}/issues/1/notes/${noteId}`, ada)).toMatchObject({ status: 404, body: { message: '404 Note Not Found' } });
    const onIssue = gitlab.addNote('acme/site', { targetType: 'Issue', targetIid: 1, authorId: 7, body: 'Reopened for good' });
    expect(await call(`${site}/issues/1/notes/${onIssue.id}`, bob)).toMatchObject({ status: 200, body: { body: 'Reopened for good', noteable_type: 'Issue' } });
    expect(await call(`${site}/issues/1/notes/${onIssue.id}`)).toMatchObject({ status: 401 });
    expect(await call(`${vault}/merge_requests/1/notes/${noteId}`, dee)).toMatchObject({ status: 404, body: { message: '404 Merge Request Not Found' } });
    expect(gitlab.mergeRequestsOf('acme/site')[1]!.notes).toEqual([{ id: noteId, body: 'Why cache?', authorId: 8 }]);
  });

  it('gives to-do items for review requests and assignments, authored by who asked, once', async () => {
    gitlab.requestReview('acme/site', 2, 7, 8);
    gitlab.requestReview('acme/site', 2, 7, 8);
    gitlab.assignIssue('acme/site', 1, 7, 8);
    const todos = (await call('/todos', ada)).body as { action_name: string; target_type: string; author: { username: string } }[];
    expect(todos.map((todo) => [todo.action_name, todo.target_type, todo.author.username])).toEqual([
      ['assigned', 'Issue', 'bob'],
      ['review_requested', 'MergeRequest', 'bob'],
    ]);
    expect(gitlab.mergeRequestsOf('acme/site')[1]).toMatchObject({ reviewerIds: [7] });
    expect(() => gitlab.mergeMergeRequest('acme/site', 1, 7)).toThrow(/which is merged/);
  });
});

describe("the fake GitLab's pipelines list", () => {
  let gitlab: FakeGitLab;
  let ada: string;
  let dee: string;
  beforeAll(async () => {
    gitlab = await startFakeGitLab();
    gitlab.addProject('acme/secret/vault', { visibility: 'private' });
    ada = gitlab.addUser({ id: 7, username: 'ada', name: 'Ada' }).token;
    dee = gitlab.addUser({ id: 10, username: 'dee', name: 'Dee' }).token;
    gitlab.grant(ada, 'acme/secret/vault', 20);
    gitlab.grant(dee, 'acme/secret/vault', 10);
  });
  afterAll(() => gitlab.close());

  const vault = `/projects/${encodeURIComponent('acme/secret/vault')}`;
  const ids = (body: unknown) => (body as { id: number }[]).map((pipeline) => pipeline.id);

  it('lists pipelines updated after a time (exclusive), newest first or as ordered, to Reporters and above', async () => {
    const older = gitlab.addPipeline('acme/secret/vault', { ref: 'main', status: 'success', userId: 7 });
    const newer = gitlab.addPipeline('acme/secret/vault', { ref: 'main', status: 'running', userId: 7 });
    const third = gitlab.addPipeline('acme/secret/vault', { ref: 'main', status: 'pending', userId: 7 });
    expect(ids((await apiCall(gitlab, 'GET', `${vault}/pipelines`, ada)).body)).toEqual([third.id, newer.id, older.id]);
    // The oldest, finished again now, is the last updated.
    const finished = gitlab.setPipelineStatus(newer.id, 'failed');
    expect(finished.updatedAt > third.updatedAt).toBe(true);
    expect(ids((await apiCall(gitlab, 'GET', `${vault}/pipelines?updated_after=${encodeURIComponent(third.updatedAt)}`, ada)).body)).toEqual([newer.id]);
    expect(ids((await apiCall(gitlab, 'GET', `${vault}/pipelines?order_by=updated_at&sort=asc`, ada)).body)).toEqual([older.id, third.id, newer.id]);
    const listed = await apiCall(gitlab, 'GET', `${vault}/pipelines?per_page=1&status=failed`, ada);
    expect(listed.body).toEqual([
      {
        id: newer.id,
        iid: newer.iid,
        project_id: newer.projectId,
        sha: newer.sha,
        ref: 'main',
        status: 'failed',
        source: 'push',
        created_at: newer.createdAt,
        updated_at: finished.updatedAt,
        web_url: `${gitlab.url}/acme/secret/vault/-/pipelines/${newer.id}`,
      },
    ]);
    expect(listed.headers.get('x-total')).toBe('1');
    expect(await apiCall(gitlab, 'GET', `${vault}/pipelines?updated_after=soon`, ada)).toMatchObject({ status: 400, body: { error: 'updated_after is invalid' } });
    expect(await apiCall(gitlab, 'GET', `${vault}/pipelines`, dee)).toMatchObject({ status: 403, body: { message: '403 Forbidden' } });
  });

  it('shows one pipeline with its times and status details', async () => {
    const pipeline = gitlab.addPipeline('acme/secret/vault', { ref: 'main', status: 'running', userId: 7 });
    const done = gitlab.setPipelineStatus(pipeline.id, 'success');
    const shown = await apiCall(gitlab, 'GET', `${vault}/pipelines/${pipeline.id}`, ada);
    expect(shown.body).toMatchObject({
      id: pipeline.id,
      status: 'success',
      started_at: pipeline.startedAt,
      finished_at: done.finishedAt,
      duration: expect.any(Number),
      user: { id: 7 },
      detailed_status: { icon: 'status_success', text: 'Passed', label: 'passed', group: 'success' },
    });
    expect(done.startedAt).toBe(pipeline.startedAt);
    expect(await apiCall(gitlab, 'GET', `${vault}/pipelines/9999`, ada)).toMatchObject({ status: 404, body: { message: '404 Not found' } });
  });
});

describe("the fake GitLab's rate limit and failures", () => {
  let gitlab: FakeGitLab;
  let ada: string;
  let bob: string;
  beforeAll(async () => {
    gitlab = await startFakeGitLab();
    gitlab.addProject('acme/site', { visibility: 'public' });
    ada = gitlab.addUser({ id: 7, username: 'ada', name: 'Ada' }).token;
    bob = gitlab.addUser({ id: 8, username: 'bob', name: 'Bob' }).token;
  });
  afterAll(() => gitlab.close());

  const raw = async (path: string, token?: string) => {
    const response = await fetch(`${gitlab.url}${path}`, { headers: token === undefined ? {} : { Authorization: `Bearer ${token}` } });
    const header = (name: string) => response.headers.get(name);
    return { status: response.status, text: await response.text(), header };
  };

  it('counts every API and GraphQL request of a user, answers with the RateLimit headers, and 429 beyond the limit', async () => {
    // A window so long that no test run crosses the end of one (Rack::Attack's windows start at the epoch).
    gitlab.setRateLimit({ limit: 3, windowSeconds: 1_000_000_000 });
    try {
      const first = await raw('/api/v4/projects/acme%2Fsite', ada);
      expect(first.status).toBe(200);
      expect([first.header('ratelimit-observed'), first.header('ratelimit-remaining'), first.header('ratelimit-name')]).toEqual(['1', '2', 'throttle_authenticated_api']);
      // The limit as a rate per minute, as GitLab words it.
      expect(first.header('ratelimit-limit')).toBe('1');
      const reset = Number(first.header('ratelimit-reset'));
      expect(reset * 1000).toBeGreaterThan(Date.now());
      expect(first.header('retry-after')).toBeNull();
      await fetch(`${gitlab.url}/api/graphql`, { method: 'POST', headers: { Authorization: `Bearer ${ada}`, 'Content-Type': 'application/json' }, body: '{"query":"{ currentUser { id } }"}' });
      expect((await raw('/api/v4/user', ada)).header('ratelimit-remaining')).toBe('0');

      const refused = await raw('/api/v4/user', ada);
      expect(refused.status).toBe(429);
      expect(refused.text).toBe('Retry later\n');
      expect(Number(refused.header('retry-after'))).toBeGreaterThan(0);
      expect([refused.header('ratelimit-observed'), refused.header('ratelimit-remaining'), refused.header('ratelimit-reset')]).toEqual(['4', '0', String(reset)]);
      expect(gitlab.requests.at(-1)).toEqual({ method: 'GET', path: '/api/v4/user', token: ada, status: 429 });

      // Each user has a count of their own; anonymous callers are counted by address.
      expect((await raw('/api/v4/user', bob)).header('ratelimit-observed')).toBe('1');
      expect((await raw('/api/v4/projects/acme%2Fsite')).header('ratelimit-name')).toBe('throttle_unauthenticated_api');
    } finally {
      gitlab.setRateLimit(null);
    }
    const free = await raw('/api/v4/user', ada);
    expect([free.status, free.header('ratelimit-limit')]).toEqual([200, null]);
  });

  it('fails the next requests as told, then answers again', async () => {
    gitlab.failNextRequests(2, { status: 503, retryAfterSeconds: 7 });
    const before = gitlab.requests.length;
    const failed = await raw('/api/v4/user', ada);
    expect([failed.status, failed.header('retry-after'), failed.header('content-type')]).toEqual([503, '7', 'text/html; charset=utf-8']);
    expect((await raw('/api/v4/user', bob)).status).toBe(503);
    expect((await raw('/api/v4/user', ada)).status).toBe(200);
    expect(gitlab.requests.slice(before).map((request) => request.status)).toEqual([503, 503, 200]);

    gitlab.failNextRequests(1, { status: 429 });
    const throttled = await raw('/api/v4/user', ada);
    expect([throttled.status, throttled.text, throttled.header('retry-after')]).toEqual([429, 'Retry later\n', null]);
    gitlab.failNextRequests(1, { status: 502 });
    expect((await fetch(`${gitlab.url}/api/graphql`, { method: 'POST' })).status).toBe(502);
    expect((await raw('/api/v4/user', ada)).status).toBe(200);
  });
});

describe("the fake GitLab's merge request actions", () => {
  let gitlab: FakeGitLab;
  // ada: Maintainer of the acme group; bob: its Developer; cy: its Reporter; dee: no membership.
  let ada: string;
  let bob: string;
  let cy: string;
  let dee: string;
  beforeAll(async () => {
    gitlab = await startFakeGitLab();
    gitlab.addProject('acme/app', { visibility: 'public' });
    gitlab.addProject('acme/strict', { visibility: 'public', onlyAllowMergeIfPipelineSucceeds: true, onlyAllowMergeIfAllDiscussionsAreResolved: true });
    gitlab.addProject('acme/team', { visibility: 'public', developersCanMerge: true });
    gitlab.addBranch('acme/app', 'release');
    ada = gitlab.addUser({ id: 7, username: 'ada', name: 'Ada' }).token;
    bob = gitlab.addUser({ id: 8, username: 'bob', name: 'Bob' }).token;
    cy = gitlab.addUser({ id: 9, username: 'cy', name: 'Cy' }).token;
    dee = gitlab.addUser({ id: 10, username: 'dee', name: 'Dee' }).token;
    gitlab.grant(ada, 'acme', 40);
    gitlab.grant(bob, 'acme', 30);
    gitlab.grant(cy, 'acme', 20);
  });
  afterAll(() => gitlab.close());

  const call = (method: 'GET' | 'POST' | 'PUT', path: string, token?: string, body?: Record<string, unknown>) => apiCall(gitlab, method, path, token, body);
  const mrPath = (project: string, iid: number) => `/projects/${encodeURIComponent(project)}/merge_requests/${iid}`;
  const shaOf = async (path: string) => ((await call('GET', path, ada)).body as { sha: string }).sha;
  const METHOD_NOT_ALLOWED = { status: 405, body: { message: '405 Method Not Allowed' } };

  it('approves once per user, refusing authors on Premium with 401 and those who may not approve with 403', async () => {
    const mr = gitlab.addMergeRequest('acme/app', { title: 'Retry', authorId: 8, approvalsRequired: 1 });
    const path = mrPath('acme/app', mr.iid);
    gitlab.requestReview('acme/app', mr.iid, 7, 8);
    // Premium keeps authors from approving unless the project allows it: the same bare 401 as approving twice.
    expect(await call('POST', `${path}/approve`, bob)).toMatchObject({ status: 401, body: { message: '401 Unauthorized' } });
    for (const token of [cy, dee]) expect(await call('POST', `${path}/approve`, token)).toMatchObject({ status: 403, body: { message: '403 Forbidden' } });
    const sha = await shaOf(path);
    expect(await call('POST', `${path}/approve`, ada, { sha: 'f'.repeat(40) })).toMatchObject({ status: 409, body: { message: `SHA does not match HEAD of source branch: ${sha}` } });

    const approved = await call('POST', `${path}/approve`, ada, { sha });
    expect(approved).toMatchObject({ status: 201, body: { iid: mr.iid, approved: true, approvals_left: 0, approved_by: [{ user: { id: 7 } }], user_has_approved: true, user_can_approve: false } });
    expect(gitlab.mergeRequest('acme/app', mr.iid).approvedBy).toEqual([7]);
    expect(gitlab.eventsOf('acme/app').at(-1)).toMatchObject({ actionName: 'approved', authorId: 7, targetIid: mr.iid });
    // Approving marks the approver's to-do items on it done.
    expect((await call('GET', '/todos', ada)).body).toEqual([]);
    expect(await call('POST', `${path}/approve`, ada)).toMatchObject({ status: 401, body: { message: '401 Unauthorized' } });

    // Unapproving what one had not approved is a 404 of not_found!'s wording.
    expect(await call('POST', `${path}/unapprove`, bob)).toMatchObject({ status: 404, body: { message: '404 Not Found' } });
    expect(await call('POST', `${path}/unapprove`, cy)).toMatchObject({ status: 403, body: { message: '403 Forbidden' } });
    expect(await call('POST', `${path}/unapprove`, ada)).toMatchObject({ status: 201, body: { approved: false, approvals_left: 1, approved_by: [], user_can_approve: true } });

    expect(await call('POST', `${mrPath('acme/app', 99)}/approve`, ada)).toMatchObject({ status: 404, body: { message: '404 Not found' } });
    expect(await call('POST', `${path}/approve`)).toMatchObject({ status: 401 });
    // CE has no such setting: the author approves.
    try {
      gitlab.setEdition('ce');
      expect(await call('POST', `${path}/approve`, bob)).toMatchObject({ status: 201, body: { approved_by: [{ user: { id: 8 } }] } });
    } finally {
      gitlab.setEdition('premium');
    }
  });

  it('takes approvals on a merged merge request but gives none back', async () => {
    const mr = gitlab.addMergeRequest('acme/app', { title: 'Shipped', authorId: 8, state: 'merged' });
    const path = mrPath('acme/app', mr.iid);
    expect(await call('POST', `${path}/approve`, ada)).toMatchObject({ status: 201, body: { state: 'merged', approved_by: [{ user: { id: 7 } }] } });
    expect(await call('POST', `${path}/unapprove`, ada)).toMatchObject({ status: 404, body: { message: '404 Not Found' } });
  });

  it('merges for whoever may merge into the target branch, with GitLab’s fields afterwards', async () => {
    const mr = gitlab.addMergeRequest('acme/app', { title: 'Docs', authorId: 8, forceRemoveSourceBranch: true });
    const path = mrPath('acme/app', mr.iid);
    expect((await call('GET', path, bob)).body).toMatchObject({ user: { can_merge: false }, force_remove_source_branch: true, detailed_merge_status: 'mergeable' });
    expect((await call('GET', path, ada)).body).toMatchObject({ user: { can_merge: true } });
    // The default branch is protected: Developers may not merge into it.
    for (const token of [bob, cy, dee]) expect(await call('PUT', `${path}/merge`, token)).toMatchObject({ status: 401, body: { message: '401 Unauthorized' } });
    const sha = await shaOf(path);
    expect(await call('PUT', `${path}/merge`, ada, { sha: 'abc' })).toMatchObject({ status: 409, body: { message: `SHA does not match HEAD of source branch: ${sha}` } });

    const merged = await call('PUT', `${path}/merge`, ada, { sha, squash: true });
    expect(merged).toMatchObject({
      status: 200,
      body: { state: 'merged', merged_by: { id: 7 }, merge_user: { id: 7 }, merge_commit_sha: expect.stringMatching(/^[0-9a-f]{40}$/), squash: true, detailed_merge_status: 'not_open' },
    });
    expect(gitlab.mergeRequest('acme/app', mr.iid)).toMatchObject({ state: 'merged', mergedById: 7, squash: true });
    expect(gitlab.eventsOf('acme/app').slice(-2).map((event) => event.actionName)).toEqual(['accepted', 'pushed to']);
    // "Delete source branch" was chosen: the branch is gone.
    const branches = (await call('GET', '/projects/acme%2Fapp/repository/branches', ada)).body as { name: string }[];
    expect(branches.map((branch) => branch.name)).not.toContain(mr.sourceBranch);
    expect(await call('PUT', `${path}/merge`, ada)).toMatchObject(METHOD_NOT_ALLOWED);

    // Developers merge into unprotected branches, and into a default branch the project opened to them.
    const toRelease = gitlab.addMergeRequest('acme/app', { title: 'Backport', authorId: 8, targetBranch: 'release' });
    expect(await call('PUT', `${mrPath('acme/app', toRelease.iid)}/merge`, bob, { should_remove_source_branch: false })).toMatchObject({ status: 200, body: { state: 'merged', should_remove_source_branch: false } });
    const team = gitlab.addMergeRequest('acme/team', { title: 'Together', authorId: 7 });
    expect(await call('PUT', `${mrPath('acme/team', team.iid)}/merge`, bob)).toMatchObject({ status: 200, body: { state: 'merged', merged_by: { id: 8 } } });
    expect(await call('PUT', `${mrPath('acme/app', 99)}/merge`, ada)).toMatchObject({ status: 404, body: { message: '404 Not found' } });
    expect(await call('PUT', `${path}/merge`, undefined)).toMatchObject({ status: 401 });
  });

  it('says why a merge request cannot be merged in detailed_merge_status, and refuses to merge it with 405', async () => {
    const strict = (title: string, options: Partial<Parameters<FakeGitLab['addMergeRequest']>[1]> = {}) => gitlab.addMergeRequest('acme/strict', { title, authorId: 8, ...options });
    const withPipeline = (status: 'running' | 'failed' | 'success', options: Partial<Parameters<FakeGitLab['addMergeRequest']>[1]> = {}) => {
      const mr = strict(`CI ${status}`, options);
      gitlab.addPipeline('acme/strict', { mergeRequestIid: mr.iid, status, userId: 8 });
      return mr;
    };
    const cases: [FakeGitLabMergeRequest, string][] = [
      [withPipeline('success', { approvalsRequired: 1, draft: true }), 'not_approved'],
      [withPipeline('success', { state: 'closed', draft: true }), 'not_open'],
      [withPipeline('success', { title: 'Draft: later', unresolvedDiscussions: 1 }), 'draft_status'],
      [withPipeline('success', { unresolvedDiscussions: 2, conflicts: true }), 'discussions_not_resolved'],
      [strict('Clash', { conflicts: true }), 'conflict'],
      [strict('No CI yet'), 'ci_must_pass'],
      [withPipeline('failed'), 'ci_must_pass'],
      [withPipeline('running'), 'ci_still_running'],
    ];
    for (const [mr, reason] of cases) {
      const path = mrPath('acme/strict', mr.iid);
      expect([mr.title, ((await call('GET', path, ada)).body as { detailed_merge_status: string }).detailed_merge_status]).toEqual([mr.title, reason]);
      expect(await call('PUT', `${path}/merge`, ada)).toMatchObject(METHOD_NOT_ALLOWED);
    }
    expect((await call('GET', mrPath('acme/strict', cases[3]![0].iid), ada)).body).toMatchObject({ blocking_discussions_resolved: false, has_conflicts: true, merge_status: 'cannot_be_merged' });

    const ready = withPipeline('success');
    expect((await call('GET', mrPath('acme/strict', ready.iid), ada)).body).toMatchObject({ detailed_merge_status: 'mergeable', head_pipeline: { status: 'success' } });
    expect(await call('PUT', `${mrPath('acme/strict', ready.iid)}/merge`, ada)).toMatchObject({ status: 200, body: { state: 'merged' } });

    // Asked for auto-merge where nothing can be waited for and no pipeline stands in the way, GitLab tries an
    // immediate merge, which conflicts refuse with 422.
    const clash = gitlab.addMergeRequest('acme/app', { title: 'Clash', authorId: 8, conflicts: true });
    expect(await call('PUT', `${mrPath('acme/app', clash.iid)}/merge`, ada, { auto_merge: true })).toMatchObject({ status: 422, body: { message: 'Branch cannot be merged' } });
  });

  it('sets auto-merge while there is something to wait for, and merges as its user once nothing blocks', async () => {
    const running = gitlab.addMergeRequest('acme/strict', { title: 'Wait for CI', authorId: 8 });
    const pipeline = gitlab.addPipeline('acme/strict', { mergeRequestIid: running.iid, status: 'running', userId: 8 });
    const path = mrPath('acme/strict', running.iid);
    const set = await call('PUT', `${path}/merge`, ada, { auto_merge: true, should_remove_source_branch: true });
    expect(set).toMatchObject({ status: 200, body: { state: 'opened', merge_when_pipeline_succeeds: true, merge_user: { id: 7 }, merged_by: null, detailed_merge_status: 'ci_still_running' } });
    expect(gitlab.mergeRequest('acme/strict', running.iid)).toMatchObject({ state: 'opened', autoMergeUserId: 7, shouldRemoveSourceBranch: true });
    gitlab.setPipelineStatus(pipeline.id, 'success');
    expect(gitlab.mergeRequest('acme/strict', running.iid)).toMatchObject({ state: 'merged', mergedById: 7, autoMergeUserId: 7 });

    // The older name works too; an auto-merge waits for approvals.
    const unapproved = gitlab.addMergeRequest('acme/app', { title: 'Wait for review', authorId: 7, approvalsRequired: 1 });
    gitlab.addPipeline('acme/app', { mergeRequestIid: unapproved.iid, status: 'success', userId: 7 });
    const waiting = await call('PUT', `${mrPath('acme/app', unapproved.iid)}/merge`, ada, { merge_when_pipeline_succeeds: true });
    expect(waiting).toMatchObject({ status: 200, body: { state: 'opened', merge_when_pipeline_succeeds: true, detailed_merge_status: 'not_approved' } });
    expect(await call('POST', `${mrPath('acme/app', unapproved.iid)}/approve`, bob)).toMatchObject({ status: 201 });
    expect(gitlab.mergeRequest('acme/app', unapproved.iid)).toMatchObject({ state: 'merged', mergedById: 7 });

    // Where the pipeline failed and nothing else blocks, there is nothing to wait for: 405.
    const failed = gitlab.addMergeRequest('acme/app', { title: 'Broken', authorId: 8 });
    gitlab.addPipeline('acme/app', { mergeRequestIid: failed.iid, status: 'failed', userId: 8 });
    expect(await call('PUT', `${mrPath('acme/app', failed.iid)}/merge`, ada, { auto_merge: true })).toMatchObject(METHOD_NOT_ALLOWED);
    // A conflict found later holds an auto-merge back until it is resolved.
    const later = gitlab.addMergeRequest('acme/app', { title: 'Later', authorId: 8, draft: true });
    expect(await call('PUT', `${mrPath('acme/app', later.iid)}/merge`, ada, { auto_merge: true })).toMatchObject({ status: 200, body: { detailed_merge_status: 'draft_status' } });
    gitlab.updateMergeRequest('acme/app', later.iid, { draft: false, conflicts: true });
    expect(gitlab.mergeRequest('acme/app', later.iid).state).toBe('opened');
    gitlab.updateMergeRequest('acme/app', later.iid, { conflicts: false });
    expect(gitlab.mergeRequest('acme/app', later.iid).state).toBe('merged');
  });

  it('lets Developers set assignees and reviewers, keeping a Reporter author’s other changes only', async () => {
    const mr = gitlab.addMergeRequest('acme/app', { title: 'Review', authorId: 9 });
    const path = mrPath('acme/app', mr.iid);
    expect(await call('PUT', path, dee, { assignee_ids: [10] })).toMatchObject({ status: 403, body: { message: '403 Forbidden' } });
    expect(await call('PUT', path, cy, { title: 'Review, please', assignee_ids: [9], reviewer_ids: [7] })).toMatchObject({ status: 200, body: { title: 'Review, please', assignees: [], reviewers: [] } });

    const set = await call('PUT', path, bob, { assignee_ids: [8], reviewer_ids: [7, 8, 10] });
    expect(set).toMatchObject({ status: 200, body: { assignees: [{ id: 8 }], reviewers: [{ id: 7 }, { id: 8 }, { id: 10 }] } });
    expect(gitlab.mergeRequest('acme/app', mr.iid)).toMatchObject({ assigneeIds: [8], reviewerIds: [7, 8, 10] });
    const todos = (await call('GET', '/todos', ada)).body as { action_name: string; author: { id: number }; target: { iid: number } }[];
    expect(todos.map((todo) => [todo.action_name, todo.author.id, todo.target.iid])).toEqual([['review_requested', 8, mr.iid]]);
    // Whole lists replace what was; 0 (or an empty list) clears.
    expect(await call('PUT', path, bob, { assignee_ids: [0], reviewer_ids: [10] })).toMatchObject({ status: 200, body: { assignees: [], reviewers: [{ id: 10 }] } });
    // Without Premium, one reviewer.
    try {
      gitlab.setEdition('ce');
      expect(await call('PUT', path, bob, { reviewer_ids: '7,8' })).toMatchObject({ status: 200, body: { reviewers: [{ id: 7 }] } });
    } finally {
      gitlab.setEdition('premium');
    }

    expect(await call('PUT', path, bob, { state_event: 'close' })).toMatchObject({ status: 200, body: { state: 'closed', closed_by: { id: 8 } } });
    expect(await call('PUT', path, bob, { state_event: 'reopen' })).toMatchObject({ status: 200, body: { state: 'opened', closed_by: null } });
    expect(gitlab.eventsOf('acme/app').slice(-2).map((event) => [event.actionName, event.authorId])).toEqual([
      ['closed', 8],
      ['reopened', 8],
    ]);
    expect(await call('PUT', path, bob, {})).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^assignee_id, assignee_ids, reviewer_ids, .* are missing, at least one parameter must be provided$/) } });
    expect(await call('PUT', path, bob, { title: ' ' })).toMatchObject({ status: 400, body: { error: 'title is empty' } });
    expect(await call('PUT', mrPath('acme/app', 99), bob, { title: 'x' })).toMatchObject({ status: 404, body: { message: '404 Not found' } });
  });

  it('keeps a locked merge request’s discussion to members', async () => {
    const mr = gitlab.addMergeRequest('acme/app', { title: 'Heated', authorId: 7, discussionLocked: true });
    const notes = `${mrPath('acme/app', mr.iid)}/notes`;
    expect(await call('POST', notes, dee, { body: 'But…' })).toMatchObject({ status: 403, body: { message: '403 Forbidden' } });
    expect(await call('POST', notes, cy, { body: 'Settled.' })).toMatchObject({ status: 201, body: { body: 'Settled.' } });
    expect((await call('GET', mrPath('acme/app', mr.iid), dee)).body).toMatchObject({ discussion_locked: true });
  });
});

describe("the fake GitLab's pipeline and job actions", () => {
  let gitlab: FakeGitLab;
  // ada: Developer of the project; bob: its Reporter; cy: no membership.
  let ada: string;
  let bob: string;
  let cy: string;
  beforeAll(async () => {
    gitlab = await startFakeGitLab();
    gitlab.addProject('acme/ci', { visibility: 'public' });
    gitlab.addProject('acme/other', { visibility: 'public' });
    ada = gitlab.addUser({ id: 7, username: 'ada', name: 'Ada' }).token;
    bob = gitlab.addUser({ id: 8, username: 'bob', name: 'Bob' }).token;
    cy = gitlab.addUser({ id: 9, username: 'cy', name: 'Cy' }).token;
    gitlab.grant(ada, 'acme/ci', 30);
    gitlab.grant(bob, 'acme/ci', 20);
  });
  afterAll(() => gitlab.close());

  const call = (method: 'GET' | 'POST', path: string, token?: string) => apiCall(gitlab, method, path, token);
  const ci = '/projects/acme%2Fci';
  const statuses = (pipelineId: number) => gitlab.jobsOf('acme/ci').filter((job) => job.pipelineId === pipelineId).map((job) => `${job.name}:${job.status}${job.retried ? ' (retried)' : ''}`);

  it('cancels what still runs, answering a pipeline with nothing to cancel as it is', async () => {
    const pipeline = gitlab.addPipeline('acme/ci', { ref: 'main', status: 'running', userId: 7 });
    for (const [name, status] of [['build', 'success'], ['test', 'running'], ['deploy', 'created']] as const) gitlab.addJob('acme/ci', { pipelineId: pipeline.id, name, status });
    const path = `${ci}/pipelines/${pipeline.id}/cancel`;
    for (const token of [bob, cy]) expect(await call('POST', path, token)).toMatchObject({ status: 403, body: { message: '403 Forbidden' } });
    expect(await call('POST', `${ci}/pipelines/9999/cancel`, ada)).toMatchObject({ status: 404, body: { message: '404 Not found' } });
    expect(await call('POST', path)).toMatchObject({ status: 401 });

    const canceled = await call('POST', path, ada);
    expect(canceled).toMatchObject({ status: 200, body: { id: pipeline.id, status: 'canceled', detailed_status: { group: 'canceled' } } });
    expect(statuses(pipeline.id)).toEqual(['build:success', 'test:canceled', 'deploy:canceled']);
    const { updated_at } = canceled.body as { updated_at: string };
    expect(await call('POST', path, ada)).toMatchObject({ status: 200, body: { status: 'canceled', updated_at } });

    // A pipeline without jobs in the fake goes by its own status.
    const bare = gitlab.addPipeline('acme/ci', { ref: 'main', status: 'pending', userId: 7 });
    expect(await call('POST', `${ci}/pipelines/${bare.id}/cancel`, ada)).toMatchObject({ status: 200, body: { status: 'canceled' } });
    const done = gitlab.addPipeline('acme/ci', { ref: 'main', status: 'success', userId: 7 });
    expect(await call('POST', `${ci}/pipelines/${done.id}/cancel`, ada)).toMatchObject({ status: 200, body: { status: 'success' } });
  });

  it('retries a pipeline’s failed jobs as new jobs run by the retrier', async () => {
    const pipeline = gitlab.addPipeline('acme/ci', { ref: 'main', status: 'failed', userId: 8 });
    gitlab.addJob('acme/ci', { pipelineId: pipeline.id, name: 'lint', status: 'success' });
    const failed = gitlab.addJob('acme/ci', { pipelineId: pipeline.id, name: 'test', status: 'failed' });
    expect(gitlab.pipelinesOf('acme/ci').find((candidate) => candidate.id === pipeline.id)!.status).toBe('failed');
    expect(await call('POST', `${ci}/pipelines/${pipeline.id}/retry`, ada)).toMatchObject({ status: 201, body: { status: 'running', user: { id: 8 } } });
    expect(statuses(pipeline.id)).toEqual(['lint:success', 'test:failed (retried)', 'test:pending']);
    expect(gitlab.jobsOf('acme/ci').at(-1)).toMatchObject({ name: 'test', userId: 7, retryOfId: failed.id });
    // The job's runner reports back: the pipeline follows its jobs.
    gitlab.setJobStatus(gitlab.jobsOf('acme/ci').at(-1)!.id, 'success');
    expect(gitlab.pipelinesOf('acme/ci').find((candidate) => candidate.id === pipeline.id)).toMatchObject({ status: 'success', retriedBy: [7] });
  });

  it('shows a job, retries a finished one as a new job, refuses one that is not retryable, and cancels', async () => {
    const pipeline = gitlab.addPipeline('acme/ci', { ref: 'main', status: 'running', userId: 8 });
    const failed = gitlab.addJob('acme/ci', { pipelineId: pipeline.id, name: 'unit', stage: 'test', status: 'failed', failureReason: 'script_failure' });
    const running = gitlab.addJob('acme/ci', { pipelineId: pipeline.id, name: 'e2e', stage: 'test', status: 'running' });
    const shown = await call('GET', `${ci}/jobs/${failed.id}`, bob);
    expect(shown).toMatchObject({
      status: 200,
      body: {
        id: failed.id,
        name: 'unit',
        stage: 'test',
        status: 'failed',
        failure_reason: 'script_failure',
        ref: 'main',
        allow_failure: false,
        user: { id: 8 },
        pipeline: { id: pipeline.id, status: 'running' },
        web_url: `${gitlab.url}/acme/ci/-/jobs/${failed.id}`,
      },
    });
    expect(await call('GET', `${ci}/jobs/${failed.id}`)).toMatchObject({ status: 401 });
    expect(await call('GET', `${ci}/jobs/99999`, bob)).toMatchObject({ status: 404, body: { message: '404 Not found' } });

    expect(await call('POST', `${ci}/jobs/${failed.id}/retry`, bob)).toMatchObject({ status: 403, body: { message: '403 Forbidden' } });
    expect(await call('POST', `${ci}/jobs/${running.id}/retry`, ada)).toMatchObject({ status: 403, body: { message: '403 Forbidden - Job is not retryable' } });
    const retried = await call('POST', `${ci}/jobs/${failed.id}/retry`, ada);
    expect(retried).toMatchObject({ status: 201, body: { name: 'unit', status: 'pending', user: { id: 7 } } });
    expect((retried.body as { id: number }).id).not.toBe(failed.id);
    expect(gitlab.jobsOf('acme/ci').find((job) => job.id === failed.id)).toMatchObject({ retried: true });
    // A retried job is not retryable again: its retry is.
    expect(await call('POST', `${ci}/jobs/${failed.id}/retry`, ada)).toMatchObject({ status: 403, body: { message: '403 Forbidden - Job is not retryable' } });

    expect(await call('POST', `${ci}/jobs/${running.id}/cancel`, bob)).toMatchObject({ status: 403 });
    expect(await call('POST', `${ci}/jobs/${running.id}/cancel`, ada)).toMatchObject({ status: 201, body: { id: running.id, status: 'canceled' } });
    const passed = gitlab.addJob('acme/ci', { pipelineId: pipeline.id, name: 'docs', status: 'success' });
    expect(await call('POST', `${ci}/jobs/${passed.id}/cancel`, ada)).toMatchObject({ status: 201, body: { status: 'success' } });

    const elsewhere = gitlab.addJob('acme/other', { pipelineId: gitlab.addPipeline('acme/other', { ref: 'main', status: 'failed', userId: 7 }).id, name: 'x', status: 'failed' });
    expect(await call('POST', `${ci}/jobs/${elsewhere.id}/retry`, ada)).toMatchObject({ status: 404, body: { message: '404 Not found' } });
  });
});

describe("the fake GitLab's deployments and protected environments", () => {
  let gitlab: FakeGitLab;
  // ada: Maintainer of the project; bob: its Developer; cy: its Reporter; dee: Reporter and a member of acme/qa; eve: Guest.
  let ada: string;
  let bob: string;
  let cy: string;
  let dee: string;
  let eve: string;
  let qaGroupId: number;
  beforeAll(async () => {
    gitlab = await startFakeGitLab();
    gitlab.addProject('acme/deploy', { visibility: 'private' });
    qaGroupId = gitlab.addGroup('qa', { visibility: 'private' }).id;
    ada = gitlab.addUser({ id: 7, username: 'ada', name: 'Ada' }).token;
    bob = gitlab.addUser({ id: 8, username: 'bob', name: 'Bob' }).token;
    cy = gitlab.addUser({ id: 9, username: 'cy', name: 'Cy' }).token;
    dee = gitlab.addUser({ id: 10, username: 'dee', name: 'Dee' }).token;
    eve = gitlab.addUser({ id: 11, username: 'eve', name: 'Eve' }).token;
    gitlab.grant(ada, 'acme/deploy', 40);
    gitlab.grant(bob, 'acme/deploy', 30);
    gitlab.grant(cy, 'acme/deploy', 20);
    gitlab.grant(dee, 'acme/deploy', 20);
    gitlab.grant(dee, 'qa', 30);
    gitlab.grant(eve, 'acme/deploy', 10);
    gitlab.addProtectedEnvironment('acme/deploy', { name: 'production', approvalRules: [{ groupId: qaGroupId }, { accessLevel: 40 }] });
    gitlab.addProtectedEnvironment('acme/deploy', { name: 'staging', deployAccessLevels: [{ accessLevel: 30 }], requiredApprovalCount: 1 });
    gitlab.addProtectedEnvironment('acme/deploy', { name: 'review' });
  });
  afterAll(() => gitlab.close());

  const call = (method: 'GET' | 'POST', path: string, token?: string, body?: Record<string, unknown>) => apiCall(gitlab, method, path, token, body);
  const project = '/projects/acme%2Fdeploy';
  /** A blocked deployment by bob, with its manual deploy job. */
  const blocked = (environment: string) => {
    const pipeline = gitlab.addPipeline('acme/deploy', { ref: 'main', status: 'manual', userId: 8 });
    const job = gitlab.addJob('acme/deploy', { pipelineId: pipeline.id, name: `deploy-${environment}`, stage: 'deploy', status: 'manual' });
    return { deployment: gitlab.addDeployment('acme/deploy', { environment, status: 'blocked', userId: 8, jobId: job.id }), job };
  };
  const approve = (id: number, token: string, body: Record<string, unknown> = { status: 'approved' }) => call('POST', `${project}/deployments/${id}/approval`, token, body);
  const refusal = (message: string) => ({ status: 400, body: { message } });

  it('shows a blocked deployment with the approvals it waits for, to Reporters and above', async () => {
    const { deployment, job } = blocked('production');
    const shown = await call('GET', `${project}/deployments/${deployment.id}`, cy);
    expect(shown).toMatchObject({
      status: 200,
      body: {
        id: deployment.id,
        iid: deployment.iid,
        ref: 'main',
        status: 'blocked',
        user: { id: 8 },
        environment: { name: 'production' },
        deployable: { id: job.id, status: 'manual', name: 'deploy-production' },
        pending_approval_count: 2,
        approvals: [],
        approval_summary: {
          rules: [
            { user_id: null, group_id: qaGroupId, access_level: null, access_level_description: 'qa', required_approvals: 1, deployment_approvals: [] },
            { user_id: null, group_id: null, access_level: 40, access_level_description: 'Maintainers', required_approvals: 1, deployment_approvals: [] },
          ],
        },
      },
    });
    expect(await call('GET', `${project}/deployments/${deployment.id}`, eve)).toMatchObject({ status: 403, body: { message: '403 Forbidden' } });
    expect(await call('GET', `${project}/deployments/99999`, cy)).toMatchObject({ status: 404, body: { message: '404 Not found' } });
    expect(await call('GET', `${project}/deployments/${deployment.id}`)).toMatchObject({ status: 401 });
  });

  it('shows protected environments to Maintainers only', async () => {
    expect(await call('GET', `${project}/protected_environments/production`, ada)).toMatchObject({
      status: 200,
      body: {
        name: 'production',
        deploy_access_levels: [{ access_level: 40, access_level_description: 'Maintainers', user_id: null, group_id: null, group_inheritance_type: 0 }],
        required_approval_count: 0,
        approval_rules: [
          { group_id: qaGroupId, access_level: null, access_level_description: 'qa', required_approvals: 1, group_inheritance_type: 0 },
          { group_id: null, access_level: 40, access_level_description: 'Maintainers', required_approvals: 1 },
        ],
      },
    });
    expect(await call('GET', `${project}/protected_environments/production`, bob)).toMatchObject({ status: 403, body: { message: '403 Forbidden' } });
    expect(await call('GET', `${project}/protected_environments/nowhere`, ada)).toMatchObject({ status: 404, body: { message: '404 Not found' } });
    try {
      gitlab.setEdition('ce');
      expect(await call('GET', `${project}/protected_environments/production`, ada)).toMatchObject({ status: 404, body: { message: '404 Not Found' } });
      gitlab.setEdition('ee-free');
      expect(await call('GET', `${project}/protected_environments/production`, ada)).toMatchObject({ status: 403 });
    } finally {
      gitlab.setEdition('premium');
    }
  });

  it('takes one approval per rule from those the rules admit, refusing with GitLab’s sentences', async () => {
    const { deployment } = blocked('production');
    expect(await approve(deployment.id, bob)).toMatchObject(
      refusal('You cannot approve your own deployment. This configuration can be adjusted in the protected environment settings.'),
    );
    expect(await approve(deployment.id, cy)).toMatchObject(refusal("You don't have permission to approve this deployment. Contact the project or group owner for help."));
    expect(await approve(deployment.id, eve)).toMatchObject({ status: 403, body: { message: '403 Forbidden' } });
    expect(await approve(deployment.id, dee, { status: 'maybe' })).toMatchObject({ status: 400, body: { error: 'status does not have a valid value' } });

    const first = await approve(deployment.id, dee, { status: 'approved', comment: 'QA passed' });
    expect(first).toMatchObject({ status: 201, body: { user: { id: 10 }, status: 'approved', comment: 'QA passed', created_at: expect.any(String) } });
    // The same answer again changes nothing.
    expect(await approve(deployment.id, dee)).toMatchObject({ status: 201, body: { status: 'approved', comment: 'QA passed' } });
    expect(gitlab.deploymentsOf('acme/deploy').find((candidate) => candidate.id === deployment.id)!.approvals).toHaveLength(1);
    expect((await call('GET', `${project}/deployments/${deployment.id}`, cy)).body).toMatchObject({ pending_approval_count: 1, approvals: [{ user: { id: 10 } }] });

    expect(await approve(deployment.id, ada, { status: 'approved', represented_as: 'Developers' })).toMatchObject(
      refusal('There are no approval rules for the given `represent_as` parameter. Use a valid User/Group/Role name instead.'),
    );
    expect(await approve(deployment.id, ada, { status: 'approved', represented_as: 'Maintainers' })).toMatchObject({ status: 201, body: { user: { id: 7 } } });
    // With approval rules the deployment stays blocked, its manual job waiting to be run, but waits for nobody.
    expect((await call('GET', `${project}/deployments/${deployment.id}`, cy)).body).toMatchObject({ status: 'blocked', pending_approval_count: 0, deployable: { status: 'manual' } });
    expect(await approve(deployment.id, ada)).toMatchObject(refusal('This deployment is not waiting for approvals.'));

    const unprotected = gitlab.addDeployment('acme/deploy', { environment: 'sandbox', status: 'blocked', userId: 8 });
    expect(await approve(unprotected.id, ada)).toMatchObject(refusal('This environment is not protected.'));
    const unconfigured = gitlab.addDeployment('acme/deploy', { environment: 'review', status: 'blocked', userId: 8 });
    expect(await approve(unconfigured.id, ada)).toMatchObject(refusal('Deployment approvals is not configured for this environment.'));
    expect(await approve(99999, ada)).toMatchObject({ status: 404, body: { message: '404 Not found' } });
  });

  it('unblocks on the last approval of the deprecated count, and fails the deployment on a rejection', async () => {
    const staging = blocked('staging');
    // Without rules, whoever may deploy approves: here Developers and above.
    expect(await approve(staging.deployment.id, cy)).toMatchObject(refusal("You don't have permission to approve this deployment. Contact the project or group owner for help."));
    expect(await approve(staging.deployment.id, ada)).toMatchObject({ status: 201 });
    expect(gitlab.deploymentsOf('acme/deploy').find((candidate) => candidate.id === staging.deployment.id)).toMatchObject({ status: 'created' });
    expect(gitlab.jobsOf('acme/deploy').find((job) => job.id === staging.job.id)).toMatchObject({ status: 'pending' });

    const production = blocked('production');
    expect(await approve(production.deployment.id, dee, { status: 'rejected', comment: 'Not today' })).toMatchObject({ status: 201, body: { status: 'rejected', comment: 'Not today' } });
    expect(gitlab.deploymentsOf('acme/deploy').find((candidate) => candidate.id === production.deployment.id)).toMatchObject({
      status: 'failed',
      approvals: [{ userId: 10, status: 'rejected', comment: 'Not today', ruleIndex: 0 }],
    });
    expect(gitlab.jobsOf('acme/deploy').find((job) => job.id === production.job.id)).toMatchObject({ status: 'failed', failureReason: 'deployment_rejected' });
    // A rejected deployment's job is not retryable.
    expect(await call('POST', `${project}/jobs/${production.job.id}/retry`, ada)).toMatchObject({ status: 403, body: { message: '403 Forbidden - Job is not retryable' } });

    const later = blocked('production');
    try {
      gitlab.setEdition('ee-free');
      expect(await approve(later.deployment.id, ada)).toMatchObject(refusal('This environment is not protected.'));
      gitlab.setEdition('ce');
      expect(await approve(later.deployment.id, ada)).toMatchObject({ status: 404, body: { message: '404 Not Found' } });
    } finally {
      gitlab.setEdition('premium');
    }
  });
});

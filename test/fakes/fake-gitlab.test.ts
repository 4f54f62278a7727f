import { createHash, randomBytes } from 'node:crypto';
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

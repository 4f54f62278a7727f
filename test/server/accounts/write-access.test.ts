/** The least-privilege rule (accounts/write-access.ts) and doctor's report of it (doctor/check-scopes.ts). */
import { describe, expect, it } from '@jest/globals';
import { describeScopeSetting, parseScopes, refuseWrite, requestedScopes, scopesVariable } from '../../../server/src/accounts/write-access.js';
import { judgeScopes } from '../../../server/src/doctor/check-scopes.js';

const API = { name: 'default', oauthScopes: 'api' } as const;
const READ_API = { name: 'default', oauthScopes: 'read_api' } as const;
const CORP_READ_API = { name: 'corp', oauthScopes: 'read_api' } as const;

describe('refuseWrite', () => {
  it('lets an api bridge write with an api token, or one whose scopes are not known', () => {
    expect(refuseWrite(API, 'merge', ['api', 'read_user'])).toBeNull();
    expect(refuseWrite(API, 'merge')).toBeNull();
    expect(refuseWrite(API, 'merge', [])).toBeNull();
  });

  it('refuses every write of a read-only bridge, whatever the token could do, naming the variable that chose it', () => {
    const text = 'This bridge connects to GitLab read-only (GITLAB_OAUTH_SCOPES=read_api), so it cannot merge. Do it in GitLab itself.';
    expect(refuseWrite(READ_API, 'merge', ['api', 'read_user'])).toEqual({ reason: 'read_only', text });
    expect(refuseWrite(READ_API, 'merge')).toEqual({ reason: 'read_only', text });
    expect(refuseWrite(CORP_READ_API, 'merge')?.text).toContain('(GITLAB_CORP_OAUTH_SCOPES=read_api)');
  });

  it('refuses to write with a token GitLab granted only read_api, and says how to get one that can', () => {
    expect(refuseWrite(API, 'approve merge requests', ['read_api', 'read_user'])).toEqual({
      reason: 'token_read_only',
      text: 'Your GitLab connection is read-only (it was made with read_api, read_user), so the bridge cannot approve merge requests for you. Disconnect and connect again (`disconnect`, then `connect`) to let it write as you.',
    });
  });
});

describe('the scopes asked for', () => {
  it('are the chosen API scope and read_user', () => {
    expect(requestedScopes(API)).toBe('api read_user');
    expect(requestedScopes(READ_API)).toBe('read_api read_user');
    expect(scopesVariable(CORP_READ_API)).toBe('GITLAB_CORP_OAUTH_SCOPES');
    expect(describeScopeSetting(API)).toBe('api, read_user (GITLAB_OAUTH_SCOPES=api): the bridge reads and, when people ask, writes as them');
    expect(parseScopes('api read_user')).toEqual(['api', 'read_user']);
    expect(parseScopes(null)).toEqual([]);
  });
});

describe('doctor: GitLab scopes', () => {
  it('reports each instance, and warns where connections hold other scopes than asked', () => {
    const [main, corp] = judgeScopes([API, CORP_READ_API], [
      { instance: 'default', scopes: 'api read_user', count: 3 },
      { instance: 'default', scopes: 'read_api read_user', count: 1 },
    ]);
    expect(main).toEqual({
      check: 'GitLab scopes',
      status: 'warn',
      detail:
        'asks for api, read_user (GITLAB_OAUTH_SCOPES=api): the bridge reads and, when people ask, writes as them; 3 connections with api, read_user; 1 connection with read_api, read_user. Those without api (made while the bridge was read-only) cannot write: the bridge tells those people so when they try',
      fix: 'ask them to run /gitlab disconnect, then /gitlab connect, to connect with api',
    });
    expect(corp).toEqual({ check: 'GitLab scopes (corp)', status: 'ok', detail: 'asks for read_api, read_user (GITLAB_CORP_OAUTH_SCOPES=read_api): read-only, the bridge never writes to GitLab; no account is connected yet' });
  });

  it('is content when connections match, and says so when the database could not be read', () => {
    expect(judgeScopes([READ_API], [{ instance: 'default', scopes: 'read_api read_user', count: 2 }])[0]!.status).toBe('ok');
    expect(judgeScopes([READ_API], null)[0]!.detail).toMatch(/the connections' own scopes could not be read from the database$/);
  });
});

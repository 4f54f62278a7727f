/** The HTTP client: where it sends, which headers prove the request is the user's, and how errors read. */
import { describe, expect, it } from '@jest/globals';
import { ApiError, createApiClient, readCookie } from '../../webapp/src/api/client';
import { API, COUNTS, CSRF, fakeBridge, me } from './bridge';

function client(bridge: ReturnType<typeof fakeBridge>, siteUrl = 'https://chat.example.com') {
  const reachability: boolean[] = [];
  const api = createApiClient({
    siteUrl: () => siteUrl,
    fetch: bridge.fetch,
    cookies: () => `MMAUTHTOKEN=secret-session; MMCSRF=${CSRF}`,
    onReachability: (reachable) => reachability.push(reachable),
  });
  return { api, reachability };
}

describe('the webapp API client', () => {
  it('reads the bridge below the site URL with the session cookie, and sends no CSRF token on reads', async () => {
    const bridge = fakeBridge({ 'GET /me': { body: me() } });
    const { api } = client(bridge, 'https://chat.example.com/');
    expect((await api.me()).gitlab?.username).toBe('alice.gl');
    const [request] = bridge.sent;
    expect(request!.credentials).toBe('include');
    expect(request!.headers['X-Requested-With']).toBe('XMLHttpRequest');
    expect(request!.headers['X-CSRF-Token']).toBeUndefined();
    expect(API).toBe('https://chat.example.com/plugins/gitlab-bridge/api/v1');
  });

  it('sends the MMCSRF cookie as X-CSRF-Token with X-Requested-With on anything that changes state', async () => {
    const bridge = fakeBridge({ 'POST /todos/41/done': { body: { ok: true, counts: COUNTS } } });
    const { api } = client(bridge);
    await api.markTodoDone(41);
    expect(bridge.sent[0]!.headers).toMatchObject({ 'X-CSRF-Token': CSRF, 'X-Requested-With': 'XMLHttpRequest' });
  });

  it('encodes query parameters and issue references', async () => {
    const bridge = fakeBridge({
      'GET /lookup/labels': { body: { items: [] } },
      'POST /issues/group%2Fsub%2Fproject%2312/notes': { status: 201, body: { url: 'u' } },
    });
    const { api } = client(bridge);
    await api.lookupLabels('group/sub/project', 'bug & fix');
    expect(bridge.sent[0]!.query.get('project')).toBe('group/sub/project');
    expect(bridge.sent[0]!.query.get('search')).toBe('bug & fix');
    await api.attachToIssue('group/sub/project#12', { postId: 'p1' });
    expect(bridge.sent[1]!.body).toEqual({ postId: 'p1' });
  });

  it("turns the bridge's {error, code} into an ApiError with both", async () => {
    const bridge = fakeBridge({ 'GET /sidebar': { status: 403, body: { error: 'Connect GitLab first.', code: 'not_connected' } } });
    const { api, reachability } = client(bridge);
    const failure = await api.sidebar().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApiError);
    expect(failure).toMatchObject({ status: 403, code: 'not_connected', message: 'Connect GitLab first.' });
    expect(reachability).toEqual([true]);
  });

  it('calls an answer that is not the bridge’s (a proxy page) or no answer at all "unreachable"', async () => {
    const bridge = fakeBridge({ 'GET /me': { status: 502, text: '<html>Bad Gateway</html>' }, 'GET /sidebar': 'network-error' });
    const { api, reachability } = client(bridge);
    await expect(api.me()).rejects.toMatchObject({ status: 502, code: 'unreachable' });
    await expect(api.sidebar()).rejects.toMatchObject({ status: 0, code: 'unreachable' });
    expect(reachability).toEqual([false, false]);
  });

  it('reads one cookie among several', () => {
    expect(readCookie('a=1; MMCSRF=x%3Dy; b=2', 'MMCSRF')).toBe('x=y');
    expect(readCookie('a=1', 'MMCSRF')).toBe('');
  });
});

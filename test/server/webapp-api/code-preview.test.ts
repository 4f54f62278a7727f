/**
 * Code previews in the webapp (GET /api/v1/code-preview): a code link's lines,
 * read from GitLab as the viewer. Real bridge process, both fakes on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startCommandBridge, type CommandBridge } from '../../helpers/command-bridge.js';
import { webappClient } from '../../helpers/webapp-client.js';

let running: CommandBridge;
let alice: ReturnType<typeof webappClient>;
let bob: ReturnType<typeof webappClient>;
let carol: ReturnType<typeof webappClient>;
let dave: ReturnType<typeof webappClient>;
let gitlabUrl: string;
let mainSha: string;
const PUBLIC = 'oss/deep/down/lib';
const PRIVATE = 'acme/backend/api';
const FILE = Array.from({ length: 60 }, (_, index) => `const line${index + 1} = ${index + 1};`).join('\n') + '\n';

beforeAll(async () => {
  running = await startCommandBridge({ users: ['alice', 'bob', 'carol', 'dave'], oauth: true });
  const { gitlab } = running;
  gitlabUrl = gitlab.url;
  gitlab.addProject(PUBLIC, { visibility: 'public' });
  gitlab.addProject(PRIVATE, { visibility: 'private' });
  await running.connectGitLab(running.users.alice!, { id: 101, username: 'alice.gl', name: 'Alice' });
  await running.connectGitLab(running.users.bob!, { id: 102, username: 'bob.gl', name: 'Bob' });
  await running.connectGitLab(running.users.dave!, { id: 104, username: 'dave.gl', name: 'Dave' });
  const aliceToken = gitlab.addUser({ id: 101, username: 'alice.gl', name: 'Alice' }).token;
  gitlab.grant(aliceToken, PRIVATE, 20);
  gitlab.addFile(PUBLIC, 'assets/logo.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x00]));
  gitlab.addFile(PUBLIC, 'src/own-token.ts', FILE);
  // The head of main: the commit a link to main is read at.
  mainSha = gitlab.addFile(PUBLIC, 'src/lib.ts', FILE);
  gitlab.addFile(PUBLIC, 'src/lib.ts', FILE.replace('line1 ', 'first '), { ref: 'release/2.0' });
  gitlab.addFile(PUBLIC, 'src/cached.ts', FILE, { ref: 'release/2.0' });
  gitlab.addFile(PRIVATE, 'config/secrets.rb', 'API_KEY = "hunter2"\n');
  alice = webappClient(running, 'alice');
  bob = webappClient(running, 'bob');
  carol = webappClient(running, 'carol');
  dave = webappClient(running, 'dave');
}, 60_000);
afterAll(() => running.close());

const codePreview = (url: string, as = alice) => as('GET', `/code-preview?url=${encodeURIComponent(url)}`);
const NEUTRAL = { status: 404, body: { code: 'not_found', error: 'No code to show: not a GitLab code link with lines that you can read.' } };

describe('code previews', () => {
  it('shows the lines of a file at any group depth, pinned to the commit read, with the language', async () => {
    expect(await codePreview(`${gitlabUrl}/${PUBLIC}/-/blob/main/src/lib.ts#L10-12`)).toMatchObject({
      status: 200,
      body: {
        project: PUBLIC,
        path: 'src/lib.ts',
        ref: 'main',
        commitId: mainSha,
        language: 'typescript',
        startLine: 10,
        endLine: 12,
        lines: ['const line10 = 10;', 'const line11 = 11;', 'const line12 = 12;'],
        moreLines: 0,
        permalink: `${gitlabUrl}/${PUBLIC}/-/blob/${mainSha}/src/lib.ts#L10-12`,
      },
    });
  });

  it('shows at most 30 lines and says how many more, and follows a branch with slashes', async () => {
    const long = await codePreview(`${gitlabUrl}/${PUBLIC}/-/blob/main/src/lib.ts#L1-L60`);
    expect(long).toMatchObject({ status: 200, body: { startLine: 1, endLine: 30, moreLines: 30 } });
    expect((long.body as { lines: string[] }).lines).toHaveLength(30);
    const branch = await codePreview(`${gitlabUrl}/${PUBLIC}/-/blob/release/2.0/src/lib.ts#L1`);
    expect(branch).toMatchObject({ status: 200, body: { ref: 'release/2.0', lines: ['const first = 1;'] } });
    expect((branch.body as { commitId: string }).commitId).not.toBe(mainSha);
  });

  it('shows a private file to a viewer who may read it, and the same neutral 404 to one who may not', async () => {
    const url = `${gitlabUrl}/${PRIVATE}/-/blob/main/config/secrets.rb#L1`;
    expect(await codePreview(url)).toMatchObject({ status: 200, body: { lines: ['API_KEY = "hunter2"'], language: 'ruby' } });
    const refused = await codePreview(url, bob);
    expect(refused).toMatchObject(NEUTRAL);
    expect(JSON.stringify(refused.body)).not.toContain('hunter2');
    // A file that does not exist, in a project Bob cannot see either, reads the same: nothing says which exists.
    const missing = await codePreview(`${gitlabUrl}/${PRIVATE}/-/blob/main/config/nothing.rb#L1`, bob);
    expect([missing.status, missing.body]).toEqual([refused.status, refused.body]);
    expect(await codePreview(`${gitlabUrl}/${PUBLIC}/-/blob/main/src/missing.ts#L1`)).toMatchObject(NEUTRAL);
    expect(await codePreview(`${gitlabUrl}/${PUBLIC}/-/blob/main/src/lib.ts#L99`)).toMatchObject(NEUTRAL);
  });

  it('asks GitLab nothing for another host’s link or a link without lines', async () => {
    const asked = () => running.gitlab.requests.filter((request) => request.path.includes('/repository/files/')).length;
    const before = asked();
    for (const url of [`https://gitlab.example.org/${PUBLIC}/-/blob/main/src/lib.ts#L1`, `${gitlabUrl}/${PUBLIC}/-/blob/main/src/lib.ts`, 'javascript:alert(1)']) {
      expect([url, await codePreview(url)]).toMatchObject([url, NEUTRAL]);
    }
    expect(asked()).toBe(before);
    expect(await alice('GET', '/code-preview')).toMatchObject({ status: 400, body: { code: 'bad_request' } });
  });

  it('tells a reader that a binary file has no preview', async () => {
    expect(await codePreview(`${gitlabUrl}/${PUBLIC}/-/blob/main/assets/logo.png#L1`)).toMatchObject({ status: 422, body: { code: 'not_previewable' } });
  });

  it('needs a Mattermost session and a connected GitLab account, and acts with the viewer’s own token', async () => {
    // A file nobody has read yet: what was read is kept per viewer (below).
    const url = `${gitlabUrl}/${PUBLIC}/-/blob/main/src/own-token.ts#L2`;
    expect(await codePreview(url, carol)).toMatchObject({ status: 403, body: { code: 'not_connected' } });
    expect(await alice('GET', `/code-preview?url=${encodeURIComponent(url)}`, { session: null })).toMatchObject({ status: 401, body: { code: 'not_logged_in' } });
    expect(await alice('GET', `/code-preview?url=${encodeURIComponent(url)}`, { headers: { 'sec-fetch-site': 'cross-site' } })).toMatchObject({ status: 403, body: { code: 'cross_origin' } });
    // Each viewer's own token: Bob's read and Alice's of the same lines are two requests with two tokens.
    const tokensOfRead = async (as: typeof alice) => {
      const before = running.gitlab.requests.length;
      expect(await codePreview(url, as)).toMatchObject({ status: 200 });
      return running.gitlab.requests.slice(before).filter((request) => request.path.includes('/repository/files/')).map((request) => request.token);
    };
    const [bobs, alices] = [await tokensOfRead(bob), await tokensOfRead(alice)];
    expect([bobs.length, alices.length]).toEqual([1, 1]);
    expect(bobs[0]).toBeDefined();
    expect(bobs[0]).not.toBe(alices[0]);
  });
});

describe('what a viewer’s previews cost GitLab', () => {
  const filesAsked = () => running.gitlab.requests.filter((request) => request.path.includes('/repository/files/')).length;

  it('reads a file once for its viewer, whatever lines are asked of it, and again for another viewer', async () => {
    const before = filesAsked();
    for (const lines of ['#L1', '#L2-5', '#L7-L40', '#L59', '#L3-4']) {
      expect(await codePreview(`${gitlabUrl}/${PUBLIC}/-/blob/release/2.0/src/cached.ts${lines}`)).toMatchObject({ status: 200, body: { ref: 'release/2.0', path: 'src/cached.ts' } });
    }
    // release/2.0 is tried as `release` first: two requests for the one read.
    expect(filesAsked() - before).toBe(2);
    expect(await codePreview(`${gitlabUrl}/${PUBLIC}/-/blob/release/2.0/src/cached.ts#L9`, bob)).toMatchObject({ status: 200, body: { lines: ['const line9 = 9;'] } });
    expect(filesAsked() - before).toBe(4);
  });

  it('reads at most 30 files a minute for one viewer, then answers 429 with Retry-After, without holding up others', async () => {
    const missing = (index: number) => `${gitlabUrl}/${PUBLIC}/-/blob/main/src/missing-${index}.ts#L1`;
    expect(await codePreview(`${gitlabUrl}/${PUBLIC}/-/blob/main/src/lib.ts#L1`, dave)).toMatchObject({ status: 200 });
    for (let index = 1; index < 30; index += 1) expect([index, (await codePreview(missing(index), dave)).status]).toEqual([index, 404]);
    const before = filesAsked();
    const refused = await codePreview(missing(30), dave);
    expect(refused).toMatchObject({ status: 429, body: { code: 'rate_limited', error: expect.any(String) } });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(filesAsked()).toBe(before);
    // What Dave read already is still shown to him, and other viewers are not held back.
    expect(await codePreview(`${gitlabUrl}/${PUBLIC}/-/blob/main/src/lib.ts#L20-21`, dave)).toMatchObject({ status: 200, body: { startLine: 20, endLine: 21 } });
    expect(await codePreview(missing(30), bob)).toMatchObject(NEUTRAL);
  });
});

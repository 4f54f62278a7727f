/**
 * Reading a code link's lines (fetchCode) against a stand-in for the budgeted
 * GitLab client that answers as GitLab's files API does (lib/api/files.rb):
 * `404 Commit Not Found` for a ref that does not exist, `404 File Not Found`
 * for a path that does not, `404 Project Not Found` for a project the token may
 * not see.
 */
import { describe, expect, it } from '@jest/globals';
import { parseCodeLink } from '../../../server/src/gitlab/code-permalink.js';
import { GitLabHttpError, GitLabRateLimitedError, type PollClient } from '../../../server/src/gitlab/poll-client.js';
import { fetchCode, MAX_LINES } from '../../../server/src/previews/fetch-code.js';

const gitlab = 'https://gitlab.example.com';
const COMMIT = 'c'.repeat(40);

interface Repo {
  project: string;
  refs: Record<string, Record<string, string | Buffer>>;
  readable: boolean;
}

function fakeFiles(repo: Repo) {
  const asked: { path: string; ref: string }[] = [];
  const client: Pick<PollClient, 'get'> = {
    async get<T>(_token: string, path: string, query: Record<string, unknown> = {}) {
      const match = /^\/projects\/([^/]+)\/repository\/files\/([^/]+)$/.exec(path)!;
      const [project, file] = [decodeURIComponent(match[1]!), decodeURIComponent(match[2]!)];
      const ref = String(query.ref);
      asked.push({ path: file, ref });
      if (project.toLowerCase() !== repo.project.toLowerCase() || !repo.readable) throw new GitLabHttpError(404, '404 Project Not Found', 'GET');
      const tree = repo.refs[ref];
      if (!tree) throw new GitLabHttpError(404, '404 Commit Not Found', 'GET');
      const content = tree[file];
      if (content === undefined) throw new GitLabHttpError(404, '404 File Not Found', 'GET');
      const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content);
      const body = { file_name: file.split('/').pop(), file_path: file, size: bytes.length, encoding: 'base64', content: bytes.toString('base64'), ref, commit_id: COMMIT, last_commit_id: COMMIT };
      return { body: body as T, headers: new Headers() };
    },
  };
  return { client, asked };
}

const numbered = (count: number) => Array.from({ length: count }, (_, index) => `line ${index + 1}`).join('\n') + '\n';
const link = (url: string) => parseCodeLink(url, gitlab)!;

describe('fetchCode', () => {
  it('cuts the file to the lines asked, pinned to the commit read, with the language', async () => {
    const { client } = fakeFiles({ project: 'g/sub/p', refs: { main: { 'src/app.ts': numbered(50) } }, readable: true });
    const read = await fetchCode(client, 'token', link(`${gitlab}/g/sub/p/-/blob/main/src/app.ts#L10-12`), gitlab);
    expect(read).toEqual({
      ok: true,
      snippet: {
        project: 'g/sub/p',
        path: 'src/app.ts',
        fileName: 'app.ts',
        ref: 'main',
        commitId: COMMIT,
        language: 'typescript',
        startLine: 10,
        endLine: 12,
        lines: ['line 10', 'line 11', 'line 12'],
        moreLines: 0,
        permalink: `${gitlab}/g/sub/p/-/blob/${COMMIT}/src/app.ts#L10-12`,
      },
    });
  });

  it('shows at most 30 lines and counts the rest; a range past the end stops at the last line', async () => {
    const { client } = fakeFiles({ project: 'g/p', refs: { main: { 'a.py': numbered(100) } }, readable: true });
    const long = await fetchCode(client, 'token', link(`${gitlab}/g/p/-/blob/main/a.py#L5-90`), gitlab);
    expect(long).toMatchObject({ ok: true, snippet: { startLine: 5, endLine: 5 + MAX_LINES - 1, moreLines: 90 - (5 + MAX_LINES - 1), permalink: expect.stringMatching(/#L5-90$/) } });
    expect(long.ok && long.snippet.lines).toHaveLength(MAX_LINES);
    const pastEnd = await fetchCode(client, 'token', link(`${gitlab}/g/p/-/blob/main/a.py#L98-120`), gitlab);
    expect(pastEnd).toMatchObject({ ok: true, snippet: { endLine: 100, moreLines: 0, lines: ['line 98', 'line 99', 'line 100'], permalink: expect.stringMatching(/#L98-100$/) } });
    expect(await fetchCode(client, 'token', link(`${gitlab}/g/p/-/blob/main/a.py#L101`), gitlab)).toEqual({ ok: false, reason: 'no_such_lines' });
  });

  it('finds a branch with slashes by trying longer refs while GitLab says the commit does not exist', async () => {
    const { client, asked } = fakeFiles({ project: 'g/p', refs: { 'feature/login': { 'src/app.ts': numbered(3) } }, readable: true });
    const read = await fetchCode(client, 'token', link(`${gitlab}/g/p/-/blob/feature/login/src/app.ts#L2`), gitlab);
    expect(read).toMatchObject({ ok: true, snippet: { ref: 'feature/login', path: 'src/app.ts', lines: ['line 2'], permalink: `${gitlab}/g/p/-/blob/${COMMIT}/src/app.ts#L2` } });
    expect(asked).toEqual([
      { ref: 'feature', path: 'login/src/app.ts' },
      { ref: 'feature/login', path: 'src/app.ts' },
    ]);
  });

  it('stops at the first ref that exists when the file is not in it', async () => {
    const { client, asked } = fakeFiles({ project: 'g/p', refs: { main: {} }, readable: true });
    expect(await fetchCode(client, 'token', link(`${gitlab}/g/p/-/blob/main/src/gone.ts#L1`), gitlab)).toEqual({ ok: false, reason: 'not_found' });
    expect(asked).toHaveLength(1);
  });

  it('answers not_found, asking once, for a project the token may not read', async () => {
    const { client, asked } = fakeFiles({ project: 'g/p', refs: { main: { 'a.ts': 'x\n' } }, readable: false });
    expect(await fetchCode(client, 'token', link(`${gitlab}/g/p/-/blob/main/a.ts#L1`), gitlab)).toEqual({ ok: false, reason: 'not_found' });
    expect(asked).toHaveLength(1);
  });

  it('refuses binary files, LFS pointers and files over the size cap', async () => {
    const { client } = fakeFiles({
      project: 'g/p',
      refs: {
        main: {
          'logo.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01]),
          'latin1.txt': Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]),
          'big.bin': 'version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 12345\n',
          'huge.txt': 'x'.repeat(1024 * 1024 + 1),
        },
      },
      readable: true,
    });
    for (const [file, reason] of [
      ['logo.png', 'not_text'],
      ['latin1.txt', 'not_text'],
      ['big.bin', 'not_text'],
      ['huge.txt', 'too_large'],
    ] as const) {
      expect([file, await fetchCode(client, 'token', link(`${gitlab}/g/p/-/blob/main/${file}#L1`), gitlab)]).toEqual([file, { ok: false, reason }]);
    }
  });

  it('keeps CRLF files and very long lines readable, and throws what is not a refusal', async () => {
    const { client } = fakeFiles({ project: 'g/p', refs: { main: { 'w.cs': `a\r\n${'y'.repeat(900)}\r\nc\r\n` } }, readable: true });
    const read = await fetchCode(client, 'token', link(`${gitlab}/g/p/-/blob/main/w.cs#L1-3`), gitlab);
    expect(read.ok && read.snippet.lines.map((line) => line.length)).toEqual([1, 501, 1]);
    const limited: Pick<PollClient, 'get'> = {
      get: () => Promise.reject(new GitLabRateLimitedError(new Date())),
    };
    await expect(fetchCode(limited, 'token', link(`${gitlab}/g/p/-/blob/main/w.cs#L1`), gitlab)).rejects.toBeInstanceOf(GitLabRateLimitedError);
  });

  it('reads by the id of a project found beforehand, and links at its path now', async () => {
    const asked: string[] = [];
    const byId: Pick<PollClient, 'get'> = {
      async get<T>(_token: string, path: string) {
        asked.push(path);
        const bytes = Buffer.from('one\ntwo\n');
        return { body: { file_name: 'a.ts', file_path: 'src/a.ts', size: bytes.length, encoding: 'base64', content: bytes.toString('base64'), commit_id: COMMIT } as T, headers: new Headers() };
      },
    };
    const read = await fetchCode(byId, 'token', link(`${gitlab}/old-group/p/-/blob/main/src/a.ts#L2`), gitlab, { id: 42, path: 'new-group/p' });
    expect(asked).toEqual(['/projects/42/repository/files/src%2Fa.ts']);
    expect(read).toMatchObject({ ok: true, snippet: { project: 'new-group/p', lines: ['two'], permalink: `${gitlab}/new-group/p/-/blob/${COMMIT}/src/a.ts#L2` } });
  });

  // Most endpoints answer a GET naming a moved project by its old path with 301 (GitLab MR 128642); the client does
  // not follow redirects.
  it('answers not_found for a moved project’s redirect, which is no failure of GitLab', async () => {
    const moved: Pick<PollClient, 'get'> = { get: () => Promise.reject(new GitLabHttpError(301, '301 Moved Permanently', 'GET')) };
    expect(await fetchCode(moved, 'token', link(`${gitlab}/g/p/-/blob/main/a.ts#L1`), gitlab)).toEqual({ ok: false, reason: 'not_found' });
  });
});

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { checkGitLabUrl } from '../../../server/src/gitlab/check-gitlab-url.js';

describe('checking GITLAB_URL', () => {
  let server: http.Server;
  let base: string;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/gitlab/api/v4/version') return void res.writeHead(401).end('{"message":"401 Unauthorized"}');
      if (req.url === '/moved/api/v4/version') return void res.writeHead(301, { Location: 'https://gitlab.example.com/api/v4/version' }).end();
      // What the proxy in front of a GitLab that is restarting answers.
      if (req.url === '/restarting/api/v4/version') return void res.writeHead(502, { 'Content-Type': 'text/html' }).end('<html>502 Bad Gateway</html>');
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('accepts a GitLab, which answers 401 to an anonymous version request', async () => {
    expect(await checkGitLabUrl(`${base}/gitlab`)()).toEqual({ ok: `GitLab answers at ${base}/gitlab` });
  });

  it('calls a server without GitLab API a wrong setting', async () => {
    expect(await checkGitLabUrl(`${base}/elsewhere`)()).toEqual({
      error: `GITLAB_URL ${base}/elsewhere does not serve GitLab's API (GET /api/v4/version answered 404)`,
    });
  });

  it('names the address to use when GITLAB_URL redirects', async () => {
    expect(await checkGitLabUrl(`${base}/moved`)()).toEqual({
      error: `GITLAB_URL ${base}/moved redirects to https://gitlab.example.com: set GITLAB_URL to that address`,
    });
  });

  it('calls a GitLab answering 5xx unreachable for now, not a wrong setting', async () => {
    expect(await checkGitLabUrl(`${base}/restarting`)()).toEqual({
      unreachable: `GitLab at ${base}/restarting is not answering right now (GET /api/v4/version answered 502)`,
    });
  });

  it('calls a GitLab that does not answer unreachable, not wrong', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((resolve) => closed.close(resolve));
    expect(await checkGitLabUrl(url)()).toEqual({ unreachable: `cannot reach GitLab at ${url}: ECONNREFUSED` });
  });
});

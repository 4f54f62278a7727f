/** A GitLab server on loopback for tests; it grows with the endpoints the bridge uses. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeGitLab {
  url: string;
  close(): Promise<void>;
}

export async function startFakeGitLab(): Promise<FakeGitLab> {
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    res.setHeader('Content-Type', 'application/json');
    if (path === '/api/v4/version') {
      // Like GitLab: the version needs a token.
      if (!req.headers.authorization && !req.headers['private-token']) return void res.writeHead(401).end('{"message":"401 Unauthorized"}');
      return void res.end('{"version":"18.6.0","revision":"fake"}');
    }
    res.writeHead(404).end('{"message":"404 Not Found"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

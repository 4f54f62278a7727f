import { execFile } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';

const SCRIPT = fileURLToPath(new URL('../../fixtures/fetch-through-proxy.mjs', import.meta.url));
const MATTERMOST_SCRIPT = fileURLToPath(new URL('../../fixtures/mattermost-through-proxy.mjs', import.meta.url));
const run = promisify(execFile);

/** A forward proxy on loopback that records what went through it (CONNECT tunnels, as corporate proxies do). */
function startProxy(): Promise<{ server: http.Server; seen: string[]; url: string }> {
  const seen: string[] = [];
  const server = http.createServer((_req, res) => res.writeHead(405).end());
  server.on('connect', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    seen.push(req.url!);
    const [host, port] = req.url!.split(':');
    const upstream = net.connect(Number(port), host, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, seen, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })),
  );
}

describe('outgoing HTTP through a corporate proxy', () => {
  let target: http.Server;
  let targetUrl: string;
  let proxy: Awaited<ReturnType<typeof startProxy>>;

  beforeAll(async () => {
    target = http.createServer((_req, res) => res.end('from target'));
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise((resolve) => target.close(resolve)));
  afterEach(() => {
    proxy.server.closeAllConnections();
    proxy.server.close();
  });

  it('sends fetch through HTTP_PROXY', async () => {
    proxy = await startProxy();
    const { stdout } = await run(process.execPath, [SCRIPT, targetUrl, proxy.url, '']);
    expect(stdout).toBe('from target');
    expect(proxy.seen).toEqual([new URL(targetUrl).host]);
  });

  it('goes direct for hosts in NO_PROXY', async () => {
    proxy = await startProxy();
    const { stdout } = await run(process.execPath, [SCRIPT, targetUrl, proxy.url, '127.0.0.1']);
    expect(stdout).toBe('from target');
    expect(proxy.seen).toEqual([]);
  });

  it('sends the Mattermost client’s calls through HTTP_PROXY too, and direct for hosts in NO_PROXY', async () => {
    proxy = await startProxy();
    const base = targetUrl.replace(/\/$/, '');
    expect((await run(process.execPath, [MATTERMOST_SCRIPT, base, proxy.url, ''])).stdout).toBe('from target');
    expect(proxy.seen).toEqual([new URL(targetUrl).host]);
    expect((await run(process.execPath, [MATTERMOST_SCRIPT, base, proxy.url, '127.0.0.1'])).stdout).toBe('from target');
    expect(proxy.seen).toHaveLength(1);
  });

  it('goes direct when no proxy is configured', async () => {
    proxy = await startProxy();
    const { stdout } = await run(process.execPath, [SCRIPT, targetUrl, '', '']);
    expect(stdout).toBe('from target');
    expect(proxy.seen).toEqual([]);
  });
});

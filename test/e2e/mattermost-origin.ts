/**
 * The browser's one origin, standing in for Mattermost's web server with the
 * reverse proxy of docs/operations.md: the host page and script, the plugin
 * bundle and its public/ files where Mattermost serves them, the bridge's paths
 * under /plugins/gitlab-bridge/ proxied with the prefix stripped (streamed, so
 * server-sent events pass as they come), and /api/v4 proxied to the fake Mattermost.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { BUNDLE_PATH, HOST_SCRIPT_PATH, hostPage } from './host/host-page.js';
import type { HostSetup } from './host/host-setup.js';

const PREFIX = '/plugins/gitlab-bridge';
// Only these belong to the bridge; everything else under the prefix (public/) stays with Mattermost.
const BRIDGE_PATHS = /^\/plugins\/gitlab-bridge(\/webhook(?:\?.*)?$|\/oauth\/|\/api\/v1\/)/;
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer']);

export interface MattermostOrigin {
  url: string;
  /** What the page shows on its next load. */
  setPage(setup: HostSetup): void;
  /** Where the bridge's public listener and the fake Mattermost are. */
  route(targets: { bridge: string; mattermost: string }): void;
  /** While on, the proxy answers 502 for the bridge's API, as nginx does when the bridge is down. */
  breakBridgeApi(broken: boolean): void;
  close(): Promise<void>;
}

export async function startMattermostOrigin(files: { hostScript: Buffer; bundle: Buffer; assetsDir: string }): Promise<MattermostOrigin> {
  let page = '';
  let targets: { bridge: string; mattermost: string } | undefined;
  let broken = false;
  const assets = (name: string): Buffer | undefined => {
    if (name !== path.basename(name)) return undefined;
    try {
      return readFileSync(path.join(files.assetsDir, name));
    } catch {
      return undefined;
    }
  };

  const server = http.createServer((request, response) => {
    const url = request.url ?? '/';
    const pathname = url.split('?')[0]!;
    if (BRIDGE_PATHS.test(url)) {
      if (!targets || (broken && pathname.startsWith(`${PREFIX}/api/v1/`))) return badGateway(response);
      return proxy(request, response, targets.bridge, url.slice(PREFIX.length));
    }
    if (pathname.startsWith('/api/v4/')) return targets ? proxy(request, response, targets.mattermost, url) : badGateway(response);
    if (request.method !== 'GET' && request.method !== 'HEAD') return void response.writeHead(405).end();
    if (pathname === '/') return send(response, 'text/html; charset=utf-8', page);
    if (pathname === HOST_SCRIPT_PATH) return send(response, 'text/javascript', files.hostScript);
    if (pathname === BUNDLE_PATH) return send(response, 'text/javascript', files.bundle);
    const asset = pathname.startsWith(`${PREFIX}/public/`) ? assets(decodeURIComponent(pathname.slice(`${PREFIX}/public/`.length))) : undefined;
    if (asset) return send(response, pathname.endsWith('.svg') ? 'image/svg+xml' : pathname.endsWith('.png') ? 'image/png' : 'application/octet-stream', asset);
    if (pathname === '/favicon.ico') return void response.writeHead(204).end();
    response.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    setPage: (setup) => void (page = hostPage(setup)),
    route: (next) => void (targets = next),
    breakBridgeApi: (value) => void (broken = value),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // open event streams would keep it waiting
      }),
  };
}

function send(response: http.ServerResponse, type: string, body: string | Buffer): void {
  response.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-store' }).end(body);
}

function badGateway(response: http.ServerResponse): void {
  response.writeHead(502, { 'Content-Type': 'text/html' }).end('<html><body><center><h1>502 Bad Gateway</h1></center></body></html>');
}

/** As nginx's proxy_pass with the headers of the operations guide: Host kept, X-Forwarded-* added, nothing buffered. */
function proxy(request: http.IncomingMessage, response: http.ServerResponse, target: string, pathAndQuery: string): void {
  const headers: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(request.headers)) if (!HOP_BY_HOP.has(name)) headers[name] = value;
  const host = request.headers.host ?? '';
  headers['x-forwarded-host'] = host;
  headers['x-forwarded-proto'] = 'http';
  headers['x-forwarded-for'] = request.socket.remoteAddress ?? '';
  const upstream = http.request(new URL(pathAndQuery, target), { method: request.method, headers }, (answer) => {
    const out: http.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(answer.headers)) if (!HOP_BY_HOP.has(name) && value !== undefined) out[name] = value;
    response.writeHead(answer.statusCode ?? 502, out);
    response.flushHeaders();
    answer.on('data', (chunk: Buffer) => response.write(chunk));
    answer.on('end', () => response.end());
    answer.on('error', () => response.destroy());
  });
  upstream.on('error', () => (response.headersSent ? response.destroy() : badGateway(response)));
  response.on('close', () => response.writableFinished || upstream.destroy());
  request.pipe(upstream);
}

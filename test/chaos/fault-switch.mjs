// A switch in front of a fake (Mattermost or GitLab) on a fixed loopback port, so that the replicas
// see the outages a real server has, while the fake keeps its state:
// - 'up': every connection is piped to the fake as it is (HTTP, keep-alive, WebSocket upgrades);
// - 'refused': nothing listens on the port (a stopped server: connect fails with ECONNREFUSED), and
//   open connections are cut, as a server's death cuts them;
// - 'unavailable': every request, WebSocket upgrades too, gets `503 Service Unavailable` with
//   `Retry-After` and an HTML page, as a reverse proxy with a maintenance page answers while the
//   server behind it restarts. (Mattermost itself sends Retry-After only with its rate limiter's 429s,
//   whose body is plain text: server/channels/app/ratelimit.go.)
import http from 'node:http';
import net from 'node:net';

/** Listens on `port` (fixed: the replicas are configured with it) and forwards to `target` (http://host:port). */
export async function startFaultSwitch({ port, target, retryAfterSeconds = 5 }) {
  const upstream = new URL(target);
  const sockets = new Set();
  let mode = 'up';
  /** Answers 503 to whatever is handed to it. */
  const unavailable = http.createServer((request, response) => {
    request.resume();
    response.writeHead(503, { 'Content-Type': 'text/html', 'Retry-After': String(retryAfterSeconds), Connection: 'close' });
    response.end('<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>');
  });
  unavailable.on('upgrade', (_request, socket) => {
    socket.end(`HTTP/1.1 503 Service Unavailable\r\nRetry-After: ${retryAfterSeconds}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
  });
  unavailable.on('clientError', (_error, socket) => socket.destroy());
  const counts = { piped: 0, answered503: 0 };

  const server = net.createServer((client) => {
    sockets.add(client);
    client.once('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    if (mode === 'unavailable') {
      counts.answered503 += 1;
      unavailable.emit('connection', client);
      return;
    }
    counts.piped += 1;
    const onward = net.connect(Number(upstream.port), upstream.hostname);
    sockets.add(onward);
    onward.once('close', () => {
      sockets.delete(onward);
      client.destroy();
    });
    onward.on('error', () => client.destroy());
    client.once('close', () => onward.destroy());
    client.pipe(onward);
    onward.pipe(client);
  });

  const listen = () =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const cutAll = () => {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
  };

  await listen();
  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    mode: () => mode,
    /** Switches to 'up', 'refused' or 'unavailable'; resolves once the port behaves so. */
    async set(next) {
      if (next === mode) return;
      const was = mode;
      mode = next;
      if (next === 'refused') {
        await new Promise((resolve) => {
          server.close(() => resolve());
          cutAll();
        });
        return;
      }
      if (was === 'refused') await listen();
      // A server that starts answering otherwise drops what it held open.
      else cutAll();
    },
    async close() {
      mode = 'closed';
      cutAll();
      await new Promise((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
      unavailable.close();
    },
  };
}

/**
 * An HTTP listener that can be drained: on close it stops accepting, tells
 * keep-alive clients to go away, lets in-flight requests finish until a
 * deadline, then cuts what is left.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RequestListener } from 'node:http';

export interface Listener {
  name: string;
  port: number;
  server: http.Server;
  /** Resolves once every connection is gone. */
  close(deadlineMs: number): Promise<void>;
}

export function listen(name: string, handler: RequestListener, port: number, host: string): Promise<Listener> {
  let closing = false;
  const server = http.createServer();
  // Runs before the app so the header is set before any response starts.
  server.on('request', (_request: http.IncomingMessage, response: http.ServerResponse) => {
    if (closing) response.setHeader('Connection', 'close');
  });
  server.on('request', handler);

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.removeListener('error', reject);
      resolve({
        name,
        port: (server.address() as AddressInfo).port,
        server,
        close(deadlineMs) {
          closing = true;
          return new Promise<void>((done) => {
            const timer = setTimeout(() => server.closeAllConnections(), deadlineMs);
            timer.unref();
            server.close(() => {
              clearTimeout(timer);
              done();
            });
            server.closeIdleConnections();
          });
        },
      });
    });
  });
}

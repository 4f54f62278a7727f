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
  const inFlight = new Set<http.ServerResponse>();
  const server = http.createServer();
  // Runs before the app, so it sees every response before it starts.
  server.on('request', (_request: http.IncomingMessage, response: http.ServerResponse) => {
    if (closing) response.setHeader('Connection', 'close');
    inFlight.add(response);
    response.once('close', () => {
      inFlight.delete(response);
      // The socket is idle now; while draining, do not leave it to the keep-alive timeout.
      if (closing) setImmediate(() => server.closeIdleConnections());
    });
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
          for (const response of inFlight) {
            if (!response.headersSent) response.setHeader('Connection', 'close');
          }
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

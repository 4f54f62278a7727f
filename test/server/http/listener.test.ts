import http from 'node:http';
import { describe, expect, it } from '@jest/globals';
import { listen } from '../../../server/src/http/listener.js';

function request(port: number, path: string, agent?: http.Agent): Promise<{ status: number; body: string; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent }, (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode!, body, connection: response.headers.connection }));
      })
      .on('error', reject);
  });
}

describe('draining a listener', () => {
  it('lets an in-flight request finish, tells the client to close, and refuses new connections', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let arrived!: () => void;
    const hasArrived = new Promise<void>((resolve) => (arrived = resolve));
    const listener = await listen(
      'test',
      (req, res) => {
        if (req.url === '/slow') {
          arrived();
          void released.then(() => res.end('finished'));
        } else res.end('fast');
      },
      0,
      '127.0.0.1',
    );

    const agent = new http.Agent({ keepAlive: true });
    const slow = request(listener.port, '/slow', agent);
    await hasArrived;
    const closed = listener.close(5000);
    await expect(request(listener.port, '/fast')).rejects.toThrow(/ECONNREFUSED/);
    release();
    expect(await slow).toEqual({ status: 200, body: 'finished', connection: 'close' });
    await closed;
    agent.destroy();
  });

  it('cuts requests still running at the deadline', async () => {
    let arrived!: () => void;
    const hasArrived = new Promise<void>((resolve) => (arrived = resolve));
    const listener = await listen('test', () => arrived() /* and never answers */, 0, '127.0.0.1');
    const hanging = request(listener.port, '/');
    await hasArrived;
    const started = Date.now();
    await listener.close(200);
    await expect(hanging).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

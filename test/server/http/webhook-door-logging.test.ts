/**
 * The door's own log lines skip the logger's redaction paths (they cost half of each line, and the
 * door builds every field of them), so an error it did not build must still go through them.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { webhookDoor } from '../../../server/src/http/webhook-door.js';
import { createLogger } from '../../../server/src/log.js';

describe('webhook door logging', () => {
  const lines: string[] = [];
  let server: Server;
  let url: string;

  beforeAll(async () => {
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const log = createLogger('info', destination);
    const failure = Object.assign(new Error('connection to the database lost'), { token: 'leaky-token-1', password: 'leaky-password-2' });
    const handler = webhookDoor({
      instance: 'default',
      secrets: ['door-secret-3'],
      signingKey: undefined,
      store: () => Promise.reject(failure),
      count: () => {},
      log,
    });
    server = createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('logs a failure to store through the redacting logger, and never the token', async () => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Gitlab-Event': 'Push Hook', 'X-Gitlab-Token': 'door-secret-3' },
      body: '{"object_kind":"push"}',
    });
    expect(response.status).toBe(503);
    expect((await response.json()) as { code: string }).toMatchObject({ code: 'not_stored' });
    const line = lines.map((text) => JSON.parse(text) as { msg: string; err?: Record<string, unknown> }).find((entry) => entry.msg === 'webhook not stored');
    expect(line?.err).toMatchObject({ message: 'connection to the database lost', token: '[redacted]', password: '[redacted]' });
    const all = lines.join('');
    for (const secret of ['leaky-token-1', 'leaky-password-2', 'door-secret-3']) expect(all).not.toContain(secret);
  });
});

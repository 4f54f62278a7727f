/**
 * The bot token check behind /readyz: a wrong token is a setting to fix (not ready); a Mattermost
 * that is down, or whose proxy answers 5xx while it restarts, is an outage to wait out (a warning).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { checkBotToken } from '../../../server/src/mattermost/check-bot-token.js';
import { createMattermostClient } from '../../../server/src/mattermost/client.js';

describe('checking the bot token', () => {
  let server: http.Server;
  let base: string;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const token = /^bearer (\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
      if (token === 'restarting') {
        return void res.writeHead(503, { 'Content-Type': 'text/html', 'Retry-After': '5' }).end('<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>');
      }
      if (token === 'good') return void res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"id":"b","username":"gitlab"}');
      res.writeHead(401, { 'Content-Type': 'application/json' }).end('{"id":"api.context.session_expired.app_error","message":"Invalid or expired session, please login again.","status_code":401}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const check = (token: string) => checkBotToken(createMattermostClient(base, token), base)();

  it('accepts a token Mattermost knows', async () => {
    expect(await check('good')).toEqual({ ok: 'Mattermost accepts the bot token (user @gitlab)' });
  });

  it('calls a refused token an error to fix', async () => {
    expect(await check('wrong')).toEqual({ error: 'Mattermost rejected MATTERMOST_BOT_TOKEN (401: Invalid or expired session, please login again.)' });
  });

  it('calls a 503 from a restarting Mattermost unreachable for now, without the proxy’s page', async () => {
    expect(await check('restarting')).toEqual({ unreachable: `Mattermost at ${base} is not answering right now (GET /api/v4/users/me answered 503)` });
  });
});

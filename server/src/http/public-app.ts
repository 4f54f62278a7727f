/** The public listener, reached through the reverse proxy: webhooks and the status page; OAuth and the webapp API later. */
import express from 'express';
import type { Logger } from '../log.js';
import type { Metrics } from './metrics.js';
import { requestLogging } from './request-logging.js';
import { finishApp } from './finish-app.js';
import { webhookDoor, type WebhookDoorDeps } from './webhook-door.js';

export interface PublicAppDeps {
  log: Logger;
  metrics: Metrics;
  setupPage(): Promise<string>;
  webhook: Omit<WebhookDoorDeps, 'log' | 'count'>;
}

export function createPublicApp(deps: PublicAppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // Nothing here is cached by clients; hashing every JSON answer is wasted work at webhook rates.
  app.set('etag', false);
  app.use(deps.metrics.timeRequests('public'));
  app.use(requestLogging(deps.log, 'public'));

  app.use(
    webhookDoor({
      ...deps.webhook,
      log: deps.log,
      count: (outcome, event) => deps.metrics.webhooks.inc({ outcome, event: event ?? '' }),
    }),
  );

  app.get('/', async (_request, response) => {
    response
      .set({
        'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'",
        'X-Content-Type-Options': 'nosniff',
        'Cache-Control': 'no-store',
      })
      .type('html')
      .send(await deps.setupPage());
  });

  return finishApp(app, deps.log);
}

/** The public listener, reached through the reverse proxy: webhooks, the GitLab sign-in, the webapp API and the status page. */
import type { RequestListener } from 'node:http';
import express from 'express';
import type { Logger } from '../log.js';
import type { Metrics } from './metrics.js';
import { requestLogging } from './request-logging.js';
import { finishApp } from './finish-app.js';
import { webhookDoor, webhookInstanceOf, type WebhookDoor, type WebhookDoorDeps } from './webhook-door.js';
import { oauthRoutes, type OAuthRoutesDeps } from './oauth-routes.js';

export interface PublicAppDeps {
  log: Logger;
  metrics: Metrics;
  setupPage(): Promise<string>;
  webhook: Omit<WebhookDoorDeps, 'log' | 'count' | 'timed' | keyof WebhookDoor> & {
    /** One door per GitLab instance, each with its own secrets: a delivery is that instance's because it came through its door. */
    doors: readonly WebhookDoor[];
  };
  oauth: Omit<OAuthRoutesDeps, 'log'>;
  /** The webapp plugin's API, mounted at /api/v1. */
  api: express.Router;
}

export function createPublicApp(deps: PublicAppDeps): RequestListener {
  // GitLab's deliveries go straight to the door, ahead of express (see webhook-door.ts).
  const { doors: instances, ...shared } = deps.webhook;
  const doors = new Map(
    instances.map((door) => [
      door.instance,
      webhookDoor({
        ...shared,
        ...door,
        log: deps.log,
        count: (outcome, event) => deps.metrics.webhooks.inc({ outcome, event: event ?? '' }),
        timed: (method, status, seconds) => deps.metrics.observeRequest({ listener: 'public', method, route: '/webhook', status }, seconds),
      }),
    ]),
  );
  const app = express();
  app.disable('x-powered-by');
  // Nothing here is cached by clients: no point hashing every answer.
  app.set('etag', false);
  app.use(deps.metrics.timeRequests('public'));
  app.use(requestLogging(deps.log, 'public'));

  app.use(oauthRoutes({ ...deps.oauth, log: deps.log }));
  app.use('/api/v1', deps.api);

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

  finishApp(app, deps.log);
  return (request, response) => {
    const instance = webhookInstanceOf(request.url);
    if (instance === null) return app(request, response);
    const door = doors.get(instance);
    if (door) return door(request, response);
    deps.metrics.webhooks.inc({ outcome: 'rejected_404', event: '' });
    response.writeHead(404, { 'Content-Type': 'application/json; charset=utf-8' });
    response.end(JSON.stringify({ error: 'this bridge has no GitLab instance of that name (GITLAB_INSTANCES)', code: 'unknown_instance' }));
  };
}

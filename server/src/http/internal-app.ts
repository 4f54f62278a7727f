/** The internal listener: probes, metrics and Mattermost's callbacks (the slash command, buttons and dialogs). */
import express from 'express';
import type { Logger } from '../log.js';
import type { Readiness } from '../readiness.js';
import type { Metrics } from './metrics.js';
import type { ActionDeps } from '../actions/handle-press.js';
import { actionEndpoints } from './action-endpoints.js';
import { commandEndpoint, type CommandEndpointDeps } from './command-endpoint.js';
import { requestLogging } from './request-logging.js';
import { finishApp } from './finish-app.js';

export interface InternalAppDeps {
  log: Logger;
  metrics: Metrics;
  readiness(): Promise<Readiness>;
  command: Omit<CommandEndpointDeps, 'log'>;
  /** Buttons and dialogs; null without a bot (nothing has buttons then). */
  actions: Omit<ActionDeps, 'log'> | null;
}

export function createInternalApp(deps: InternalAppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(deps.metrics.timeRequests('internal'));
  app.use(requestLogging(deps.log, 'internal'));

  app.get('/healthz', (_request, response) => {
    response.json({ status: 'ok' });
  });

  app.get('/readyz', async (_request, response) => {
    const readiness = await deps.readiness();
    response.status(readiness.ready ? 200 : 503).json(readiness);
  });

  app.get('/metrics', async (_request, response) => {
    response.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  app.use(commandEndpoint({ ...deps.command, log: deps.log }));
  if (deps.actions) app.use(actionEndpoints({ ...deps.actions, log: deps.log }));

  return finishApp(app, deps.log);
}

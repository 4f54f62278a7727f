/** The internal listener: probes, metrics and Mattermost's callbacks (the slash command). */
import express from 'express';
import type { Logger } from '../log.js';
import type { Readiness } from '../readiness.js';
import type { Metrics } from './metrics.js';
import { commandEndpoint, type CommandEndpointDeps } from './command-endpoint.js';
import { requestLogging } from './request-logging.js';
import { finishApp } from './finish-app.js';

export interface InternalAppDeps {
  log: Logger;
  metrics: Metrics;
  readiness(): Promise<Readiness>;
  command: Omit<CommandEndpointDeps, 'log'>;
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

  return finishApp(app, deps.log);
}

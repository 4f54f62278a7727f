/** The last handlers of every app: JSON 404 and a JSON 500 that never leaks internals. */
import type { ErrorRequestHandler, Express } from 'express';
import type { Logger } from '../log.js';

export function finishApp(app: Express, log: Logger): Express {
  app.use((_request, response) => {
    response.status(404).json({ error: 'not found', code: 'not_found' });
  });
  const onError: ErrorRequestHandler = (error: unknown, request, response, next) => {
    if (response.headersSent) return next(error);
    const status = (error as { status?: number }).status;
    // Client mistakes caught by body parsers etc. carry a 4xx status: answer them as such.
    if (status !== undefined && status >= 400 && status < 500) {
      response.status(status).json({ error: (error as Error).message, code: 'bad_request' });
      return;
    }
    // The request's own logger carries its request id.
    const requestLog = (request as { log?: Logger }).log ?? log;
    requestLog.error({ err: error }, 'request failed');
    response.status(500).json({ error: 'internal error', code: 'internal' });
  };
  app.use(onError);
  return app;
}

/**
 * One log line per request with a request id (taken from X-Request-Id when it
 * looks safe, else generated) that is echoed back and stamped on every line the
 * request logs. Only method, path and status are logged: headers and query
 * strings can carry cookies, tokens and OAuth codes.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pinoHttp } from 'pino-http';
import type { Logger } from '../log.js';

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request's id, echoed back in X-Request-Id so that a proxy's log and ours can be matched. */
export function requestIdFor(request: IncomingMessage, response: ServerResponse): string {
  const given = request.headers['x-request-id'];
  const id = typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
  response.setHeader('X-Request-Id', id);
  return id;
}

export function requestLogging(log: Logger, listener: string) {
  return pinoHttp({
    logger: log.child({ listener }),
    genReqId: requestIdFor,
    serializers: {
      req: (request: { id: unknown; method: string; url: string }) => ({
        id: request.id,
        method: request.method,
        path: request.url.split('?')[0],
      }),
      res: (response: { statusCode: number }) => ({ status: response.statusCode }),
    },
    customLogLevel(_request, response, error) {
      if (error || response.statusCode >= 500) return 'error';
      if (response.statusCode >= 400) return 'warn';
      return 'info';
    },
    // Probes and scrapes every few seconds would drown everything else. (Webhook
    // deliveries never come here: the door logs one line of its own for each.)
    autoLogging: {
      ignore: (request) => ['/healthz', '/readyz', '/metrics'].includes(request.url ?? ''),
    },
  });
}

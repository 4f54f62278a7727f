/** `/api/v1` on the public listener: the webapp plugin's API, behind the Mattermost session. */
import express, { type ErrorRequestHandler } from 'express';
import type { Logger } from '../log.js';
import type { WebappDeps } from './deps.js';
import { ApiError, gitlabFailure, sendError } from './errors.js';
import { sessionMiddleware, type SessionDeps } from './session.js';
import { accountRoutes } from './account.js';
import { workRoutes } from './work.js';
import { eventRoutes } from './events.js';
import { previewRoutes } from './preview.js';
import { lookupRoutes } from './lookups.js';
import { issueRoutes } from './issues.js';
import { channelSubscriptionRoutes } from './channel-subscriptions.js';
import { codePreviewRoutes } from './code-preview.js';
import { explainRoutes } from './explain.js';

export function webappApi(deps: WebappDeps, session: SessionDeps): express.Router {
  const router = express.Router();
  router.use(sessionMiddleware(session));
  router.use(express.json({ limit: '256kb' }));
  for (const routes of [accountRoutes, workRoutes, eventRoutes, previewRoutes, lookupRoutes, issueRoutes, channelSubscriptionRoutes, explainRoutes, codePreviewRoutes]) router.use(routes(deps));
  router.use((_request, response) => sendError(response, 404, 'not_found', 'No such API endpoint.'));
  router.use(apiErrors(deps.log));
  return router;
}

function apiErrors(log: Logger): ErrorRequestHandler {
  return (error: unknown, request, response, next) => {
    if (response.headersSent) return next(error);
    const known = error instanceof ApiError ? error : gitlabFailure(error);
    if (known) {
      if (known.retryAfterSeconds !== undefined) response.set('Retry-After', String(known.retryAfterSeconds));
      return sendError(response, known.status, known.code, known.message);
    }
    const status = (error as { status?: number }).status;
    if (status !== undefined && status >= 400 && status < 500) return sendError(response, status, 'bad_request', (error as Error).message);
    ((request as { log?: Logger }).log ?? log).error({ err: error }, 'webapp API request failed');
    sendError(response, 500, 'internal', 'Internal error; the bridge log has the details.');
  };
}

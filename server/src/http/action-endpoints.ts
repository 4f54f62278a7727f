/**
 * POST /mattermost/action (a button pressed) and POST /mattermost/dialog (a
 * dialog submitted), on the internal listener. Mattermost signs neither: the
 * handlers (actions/handle-press.ts, actions/handle-dialog.ts) trust only what
 * the bridge signed. Mattermost shows any non-200 answer as a bare error, so
 * failures answer 200 with words for the person instead.
 */
import express, { type Request, type Response } from 'express';
import { handleDialog, readDialogRequest } from '../actions/handle-dialog.js';
import { handlePress, readPressRequest, type ActionDeps } from '../actions/handle-press.js';
import type { Logger } from '../log.js';

const SOMETHING_WENT_WRONG = 'Something went wrong on the GitLab bridge; nothing may have changed. Its log has the details.';

export function actionEndpoints(deps: ActionDeps): express.Router {
  const router = express.Router();
  const json = express.json({ limit: '64kb' });

  router.post('/mattermost/action', json, async (request: Request, response: Response) => {
    const log = (request as { log?: Logger }).log ?? deps.log;
    const press = readPressRequest(request.body);
    if (!press) {
      response.status(400).json({ error: 'not a Mattermost button press', code: 'bad_action_request' });
      return;
    }
    try {
      response.json(await handlePress({ ...deps, log }, press));
    } catch (error) {
      log.error({ err: error }, 'button press failed');
      response.json({ ephemeral_text: SOMETHING_WENT_WRONG });
    }
  });

  router.post('/mattermost/dialog', json, async (request: Request, response: Response) => {
    const log = (request as { log?: Logger }).log ?? deps.log;
    const submission = readDialogRequest(request.body);
    if (!submission) {
      response.status(400).json({ error: 'not a Mattermost dialog submission', code: 'bad_dialog_request' });
      return;
    }
    if ((request.body as { type?: unknown }).type !== undefined && (request.body as { type?: unknown }).type !== 'dialog_submission') {
      response.json({});
      return;
    }
    try {
      response.json(await handleDialog({ ...deps, log }, submission));
    } catch (error) {
      log.error({ err: error }, 'dialog submission failed');
      response.json({ error: SOMETHING_WENT_WRONG });
    }
  });

  return router;
}

/**
 * POST /webhook: GitLab's way in. A precise status ladder, cheapest checks
 * first, the body read only once the sender is authenticated:
 *   405 not POST · 415 not JSON · 400 no X-Gitlab-Event · 503 no secret configured
 *   401 bad X-Gitlab-Token (or bad/stale signature) · 413 too large · 400 not a JSON object
 * A valid delivery is stored before it is acknowledged (202, or 200 for a
 * duplicate). Every event kind is accepted: GitLab counts any non-2xx towards
 * disabling the hook. Processing happens elsewhere, never on this request.
 */
import { createHash } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { checkSignatureHeaders, verifySignature, verifyToken, type SignatureHeaders } from '../gitlab/verify-webhook.js';
import type { Logger } from '../log.js';
import type { IncomingDelivery, StoreOutcome } from '../store/webhook-inbox.js';

/** GitLab's own maximum webhook payload. */
export const WEBHOOK_MAX_BYTES = 25 * 1024 * 1024;

export interface WebhookDoorDeps {
  /** Accepted X-Gitlab-Token values; more than one while a secret is rotated. */
  secrets: readonly string[];
  signingKey: string | undefined;
  maxBytes?: number;
  now?: () => number;
  store(delivery: IncomingDelivery): Promise<StoreOutcome>;
  count(outcome: string, event?: string): void;
  log: Logger;
}

export function webhookDoor(deps: WebhookDoorDeps): express.Router {
  const router = express.Router();
  const now = deps.now ?? Date.now;
  const readBody = express.raw({ type: () => true, limit: deps.maxBytes ?? WEBHOOK_MAX_BYTES });

  const refuse = (response: Response, status: number, code: string, error: string): void => {
    deps.count(`rejected_${status}`);
    const log = (response.req as { log?: Logger }).log ?? deps.log;
    log.warn({ status, code, event: response.req.get('X-Gitlab-Event') }, 'webhook refused');
    response.status(status).json({ error, code });
  };

  router.all('/webhook', (request: Request, response: Response, next: NextFunction) => {
    if (request.method !== 'POST') {
      response.set('Allow', 'POST');
      return refuse(response, 405, 'method_not_allowed', 'webhooks are delivered with POST');
    }
    if (!request.is('application/json')) return refuse(response, 415, 'unsupported_media_type', 'webhooks must be sent as application/json');
    const event = request.get('X-Gitlab-Event')?.trim();
    if (!event) return refuse(response, 400, 'missing_event', 'the X-Gitlab-Event header is missing');
    if (deps.secrets.length === 0) {
      return refuse(response, 503, 'not_configured', 'this bridge has no GITLAB_WEBHOOK_SECRET set, so it accepts no webhooks yet');
    }
    if (!verifyToken(request.get('X-Gitlab-Token'), deps.secrets)) {
      return refuse(response, 401, 'bad_token', 'X-Gitlab-Token is missing or does not match the secret configured on the bridge');
    }
    const signature: SignatureHeaders = {
      id: request.get('webhook-id'),
      timestamp: request.get('webhook-timestamp'),
      signature: request.get('webhook-signature'),
    };
    if (deps.signingKey) {
      const verdict = checkSignatureHeaders(signature, now());
      if (verdict !== 'valid') return refuse(response, 401, `signature_${verdict}`, signatureMessage(verdict));
    }
    readBody(request, response, (error?: unknown) => {
      if (error) return void next(error);
      void accept(request, response, event, signature).catch(next);
    });
  });

  async function accept(request: Request, response: Response, event: string, signature: SignatureHeaders): Promise<void> {
    // body-parser leaves no Buffer when the request has no body at all.
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    if (deps.signingKey) {
      const verdict = verifySignature(signature, body, deps.signingKey, now());
      if (verdict !== 'valid') return refuse(response, 401, `signature_${verdict}`, signatureMessage(verdict));
    }
    const text = body.toString('utf8');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return refuse(response, 400, 'bad_json', 'the body is not valid JSON');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      return refuse(response, 400, 'bad_json', 'the body is not a JSON object');
    }

    const idempotencyKey = request.get('Idempotency-Key') ?? undefined;
    const eventUuid = request.get('X-Gitlab-Event-UUID') ?? undefined;
    const delivery: IncomingDelivery = {
      dedupeKey: dedupeKeyOf(idempotencyKey, eventUuid, body),
      event,
      idempotencyKey,
      eventUuid,
      webhookUuid: request.get('X-Gitlab-Webhook-UUID') ?? undefined,
      instance: request.get('X-Gitlab-Instance') ?? undefined,
      signed: deps.signingKey !== undefined,
      payload: storableJson(text, parsed),
    };
    const outcome = await deps.store(delivery);
    const log = ((request as { log?: Logger }).log ?? deps.log).child({ correlationId: idempotencyKey ?? eventUuid, event });
    if (outcome.stored) {
      deps.count('accepted', event);
      log.info({ delivery: outcome.id }, 'webhook stored');
      response.status(202).json({ status: 'accepted', id: outcome.id });
    } else {
      deps.count('duplicate', event);
      log.info({ delivery: outcome.duplicateOf }, 'duplicate webhook dropped');
      response.status(200).json({ status: 'duplicate', id: outcome.duplicateOf });
    }
  }

  // Body errors raised while reading (too large, aborted) get the ladder's statuses.
  router.use('/webhook', (error: { type?: string; status?: number }, _request: Request, response: Response, next: NextFunction) => {
    if (error.type === 'entity.too.large') return refuse(response, 413, 'too_large', `webhook bodies are limited to ${deps.maxBytes ?? WEBHOOK_MAX_BYTES} bytes`);
    if (error.status && error.status >= 400 && error.status < 500) return refuse(response, error.status, 'bad_request', 'the request body could not be read');
    next(error);
  });

  return router;
}

/** Same Idempotency-Key, else same event UUID, else same body: the same delivery. */
export function dedupeKeyOf(idempotencyKey: string | undefined, eventUuid: string | undefined, body: Buffer): string {
  if (idempotencyKey) return `idempotency:${idempotencyKey}`;
  if (eventUuid) return `event:${eventUuid}`;
  return `sha256:${createHash('sha256').update(body).digest('hex')}`;
}

/** PostgreSQL's jsonb cannot hold U+0000; drop it from strings rather than refuse the delivery forever. */
function storableJson(text: string, parsed: unknown): string {
  if (!text.includes('\\u0000')) return text;
  return JSON.stringify(parsed, (_key, value: unknown) => (typeof value === 'string' ? value.replaceAll('\0', '') : value));
}

function signatureMessage(verdict: 'missing' | 'stale' | 'invalid'): string {
  if (verdict === 'missing') return 'webhook-id, webhook-timestamp and webhook-signature are required: this bridge checks signed webhooks';
  if (verdict === 'stale') return 'webhook-timestamp is more than 5 minutes away from the bridge clock';
  return 'webhook-signature does not match the payload and the signing key';
}

/**
 * POST /webhook: GitLab's way in. A precise status ladder, cheapest checks
 * first, the body read only once the sender is authenticated:
 *   405 not POST · 415 not JSON · 400 no X-Gitlab-Event · 503 no secret configured
 *   401 bad X-Gitlab-Token (or bad/stale signature) · 413 too large · 400 not a JSON object
 *   (that it is JSON at all, PostgreSQL checks as it stores it: see accept())
 * A valid delivery is stored before it is acknowledged (202, or 200 for a
 * duplicate). Every event kind is accepted: GitLab counts any non-2xx towards
 * disabling the hook. Processing happens elsewhere, never on this request.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import getRawBody from 'raw-body';
import { checkSignatureHeaders, tokenVerifier, verifySignature, type SignatureHeaders } from '../gitlab/verify-webhook.js';
import type { Logger } from '../log.js';
import type { IncomingDelivery, StoreOutcome } from '../store/webhook-inbox.js';
import { requestIdFor } from './request-logging.js';

/** GitLab's own maximum webhook payload. */
export const WEBHOOK_MAX_BYTES = 25 * 1024 * 1024;
/** GitLab does not retry a failed delivery (only a person resends it), so the answer must not promise that. */
export const NOT_STORED_MESSAGE =
  'the bridge could not store this delivery, so it is lost unless it is sent again: GitLab does not retry on its own; resend it from the webhook\'s "Recent events" once the bridge is healthy';

export interface WebhookDoor {
  /** The GitLab instance this door is for: `/webhook` is the default's, `/webhook/<name>` another's. */
  instance: string;
  /** Accepted X-Gitlab-Token values; more than one while a secret is rotated. */
  secrets: readonly string[];
  signingKey: string | undefined;
}

export interface WebhookDoorDeps extends WebhookDoor {
  maxBytes?: number;
  now?: () => number;
  store(delivery: IncomingDelivery): Promise<StoreOutcome>;
  /** Hands a stored delivery's payload to processing in this process (delivery/recent-payloads.ts). */
  remember?(deliveryId: string, json: string): void;
  count(outcome: string, event?: string): void;
  /** Called once per request with its final status, for the request-duration histogram. */
  timed?(method: string, status: number, seconds: number): void;
  log: Logger;
}

/** The path GitLab posts to; a query string (some admins add one to tell hooks apart) is allowed. */
export function isWebhookPath(url: string | undefined): boolean {
  return webhookInstanceOf(url) !== null;
}

/**
 * Which instance's door a webhook path is: `/webhook` the default's, `/webhook/<name>` another's (a name
 * this bridge may not know: the caller answers 404). Null for any other path.
 */
export function webhookInstanceOf(url: string | undefined): string | null {
  const path = (url ?? '').split('?', 1)[0]!;
  if (path === '/webhook') return 'default';
  const match = /^\/webhook\/([^/]+)$/.exec(path);
  return match ? match[1]!.toLowerCase() : null;
}

/** The path GitLab is given for an instance's hooks. */
export function webhookPathOf(instance: string): string {
  return instance === 'default' ? '/webhook' : `/webhook/${instance}`;
}

/**
 * A plain Node request handler rather than express middleware: this is the one
 * route that takes GitLab's bursts, and routing, body parsing and per-request
 * logger children cost more than everything else it does.
 */
export function webhookDoor(deps: WebhookDoorDeps): (request: IncomingMessage, response: ServerResponse) => void {
  const now = deps.now ?? Date.now;
  const limit = deps.maxBytes ?? WEBHOOK_MAX_BYTES;
  // The lines of every request skip the root's redaction paths, which cost half of each line: they hold only
  // the request id (a checked X-Request-Id or a new one), method, path, the X-Gitlab-Event header, delivery
  // ids, status and code, never the token (only ever compared), other headers or the body. An error, which
  // this door does not build, is logged through the redacting logger.
  const log = deps.log.child({ listener: 'public' }, { redact: [] });
  const guarded = deps.log.child({ listener: 'public' });
  const tokenMatches = tokenVerifier(deps.secrets);

  return (request, response) => {
    const started = process.hrtime.bigint();
    const id = requestIdFor(request, response);
    const context = { req: { id, method: request.method, path: webhookPathOf(deps.instance) }, event: header(request, 'x-gitlab-event')?.trim() || undefined };
    if (deps.timed) response.once('finish', () => deps.timed!(request.method ?? '', response.statusCode, Number(process.hrtime.bigint() - started) / 1e9));

    const refuse = (status: number, code: string, error: string): void => {
      deps.count(`rejected_${status}`);
      log.warn({ ...context, status, code }, 'webhook refused');
      answer(response, status, { error, code });
    };

    if (request.method !== 'POST') {
      response.setHeader('Allow', 'POST');
      return refuse(405, 'method_not_allowed', 'webhooks are delivered with POST');
    }
    if (mediaType(header(request, 'content-type')) !== 'application/json') {
      return refuse(415, 'unsupported_media_type', 'webhooks must be sent as application/json');
    }
    const event = context.event;
    if (!event) return refuse(400, 'missing_event', 'the X-Gitlab-Event header is missing');
    if (deps.secrets.length === 0) {
      return refuse(503, 'not_configured', 'this bridge has no GITLAB_WEBHOOK_SECRET set, so it accepts no webhooks yet');
    }
    if (!tokenMatches(header(request, 'x-gitlab-token'))) {
      return refuse(401, 'bad_token', 'X-Gitlab-Token is missing or does not match the secret configured on the bridge');
    }
    const signature: SignatureHeaders = {
      id: header(request, 'webhook-id'),
      timestamp: header(request, 'webhook-timestamp'),
      signature: header(request, 'webhook-signature'),
    };
    if (deps.signingKey) {
      const verdict = checkSignatureHeaders(signature, now());
      if (verdict !== 'valid') return refuse(401, `signature_${verdict}`, signatureMessage(verdict));
    }
    const encoding = (header(request, 'content-encoding') ?? 'identity').trim().toLowerCase();
    if (encoding !== 'identity') {
      return refuse(415, 'unsupported_encoding', 'webhook bodies must not be compressed (Content-Encoding)');
    }

    getRawBody(request, { length: header(request, 'content-length'), limit }, (error, body) => {
      if (error) {
        // Read off the rest before answering, so the sender sees the answer rather than a reset.
        const { status, type } = error as { status?: number; type?: string };
        if (type === 'entity.too.large') return drain(request, () => refuse(413, 'too_large', `webhook bodies are limited to ${limit} bytes`));
        return drain(request, () => refuse(status && status < 500 ? status : 400, 'bad_request', 'the request body could not be read'));
      }
      accept(body, event, signature).catch((failure: unknown) => {
        // PostgreSQL refused the payload itself: it is not JSON after all.
        if (isRefusedPayload(failure)) return refuse(400, 'bad_json', 'the body is not valid JSON');
        deps.count('not_stored', event);
        guarded.error({ ...context, err: failure }, 'webhook not stored');
        // GitLab does not send a failed delivery again on its own: say so, so whoever reads it resends it.
        if (!response.headersSent) answer(response, 503, { error: NOT_STORED_MESSAGE, code: 'not_stored' });
      });
    });

    async function accept(body: Buffer, event: string, signature: SignatureHeaders): Promise<void> {
      if (deps.signingKey) {
        const verdict = verifySignature(signature, body, deps.signingKey, now());
        if (verdict !== 'valid') return refuse(401, `signature_${verdict}`, signatureMessage(verdict));
      }
      const text = body.toString('utf8');
      // Not parsed here: PostgreSQL checks that the text is JSON as it stores it (a json column), and processing
      // parses it once, from memory (delivery/recent-payloads.ts). Parsing it here as well took a fifth of the
      // door's time. What the column does not check is that it is an object; one that starts with `{` is.
      if (!OPENS_OBJECT.test(text)) return refuse(400, 'bad_json', isJson(text) ? 'the body is not a JSON object' : 'the body is not valid JSON');
      const payload = storableJson(text);
      if (payload === null) return refuse(400, 'bad_json', 'the body is not valid JSON');

      const idempotencyKey = header(request, 'idempotency-key');
      const eventUuid = header(request, 'x-gitlab-event-uuid');
      const outcome = await deps.store({
        // Scoped like every key: two GitLabs may send the same Idempotency-Key or body.
        dedupeKey: deps.instance === 'default' ? dedupeKeyOf(idempotencyKey, event, body) : `${deps.instance}~${dedupeKeyOf(idempotencyKey, event, body)}`,
        event,
        idempotencyKey,
        eventUuid,
        webhookUuid: header(request, 'x-gitlab-webhook-uuid'),
        instanceHeader: header(request, 'x-gitlab-instance'),
        instance: deps.instance,
        signed: deps.signingKey !== undefined,
        payload,
      });
      const correlationId = idempotencyKey ?? eventUuid;
      if (outcome.stored) {
        deps.remember?.(outcome.id, payload);
        deps.count('accepted', event);
        log.info({ ...context, correlationId, delivery: outcome.id }, 'webhook stored');
        answer(response, 202, { status: 'accepted', id: outcome.id });
      } else {
        deps.count('duplicate', event);
        log.info({ ...context, correlationId, delivery: outcome.duplicateOf }, 'duplicate webhook dropped');
        answer(response, 200, { status: 'duplicate', id: outcome.duplicateOf });
      }
    }
  };
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return (Array.isArray(value) ? value[0] : value) || undefined;
}

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase();
}

function answer(response: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  response.end(text);
}

/** Answers once the request body has been read off (and discarded), as body parsers do. */
function drain(request: IncomingMessage, then: () => void): void {
  if (request.readableEnded) return then();
  let done = false;
  const once = () => {
    if (done) return;
    done = true;
    then();
  };
  request.once('end', once);
  request.once('close', once);
  request.resume();
}

/** Longest Idempotency-Key used as it is in the dedupe key (GitLab's are 36-character UUIDs). */
const MAX_PLAIN_IDEMPOTENCY_KEY = 200;

/**
 * Same Idempotency-Key (GitLab 17.4+ keeps it across retries and resends), else the same event header and
 * body: the same delivery. Never X-Gitlab-Event-UUID: GitLab gives every hook that one request fires the same
 * one (recursion detection), so a merge request update and its note can share it.
 */
export function dedupeKeyOf(idempotencyKey: string | undefined, event: string, body: Buffer): string {
  // GitLab's keys are UUIDs. A longer one (any sender with the secret may send one) is kept whole in its own
  // column but indexed by its digest: PostgreSQL's index takes about 2.7 KB a row, and a refused row failed
  // the deliveries written with it.
  if (idempotencyKey && idempotencyKey.length > MAX_PLAIN_IDEMPOTENCY_KEY) return `idempotency-sha256:${createHash('sha256').update(idempotencyKey).digest('hex')}`;
  if (idempotencyKey) return `idempotency:${idempotencyKey}`;
  return `sha256:${createHash('sha256').update(event).update('\0').update(body).digest('hex')}`;
}

/** JSON whitespace, then the opening brace of an object. */
const OPENS_OBJECT = /^[ \t\n\r]*\{/;

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * U+0000 cannot go into PostgreSQL text (our posts) nor Mattermost's: drop it from strings rather than fail the
 * delivery forever. Null when the text (which holds one) is not JSON.
 */
function storableJson(text: string): string | null {
  if (!text.includes('\\u0000')) return text;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  return JSON.stringify(parsed, (_key, value: unknown) => (typeof value === 'string' ? value.replaceAll('\0', '') : value));
}

/** PostgreSQL refused the value itself (class 22, data exception; or nesting deeper than its parser goes): bad input, not an outage. */
function isRefusedPayload(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('22') || code === '54001');
}

function signatureMessage(verdict: 'missing' | 'stale' | 'invalid'): string {
  if (verdict === 'missing') return 'webhook-id, webhook-timestamp and webhook-signature are required: this bridge checks signed webhooks';
  if (verdict === 'stale') return 'webhook-timestamp is more than 5 minutes away from the bridge clock';
  return 'webhook-signature does not match the payload and the signing key';
}

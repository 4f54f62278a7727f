/**
 * Is a webhook delivery really from our GitLab? Pure functions: constant-time
 * comparisons, a list of accepted secrets so a secret can be rotated without
 * downtime, and an injectable clock for the signature's freshness window.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Compares X-Gitlab-Token with every accepted secret. Digests make the inputs
 * equal in length, and every secret is compared, so timing reveals neither the
 * secret's length nor which secret matched.
 */
export function verifyToken(given: string | undefined, secrets: readonly string[]): boolean {
  return tokenVerifier(secrets)(given);
}

/** verifyToken for a fixed list of secrets, whose digests are computed once rather than on every request. */
export function tokenVerifier(secrets: readonly string[]): (given: string | undefined) => boolean {
  const digests = secrets.map(sha256);
  return (given) => {
    if (given === undefined) return false;
    const digest = sha256(given);
    let matched = false;
    for (const secret of digests) matched = timingSafeEqual(digest, secret) || matched;
    return matched;
  };
}

export interface SignatureHeaders {
  id: string | undefined;
  timestamp: string | undefined;
  signature: string | undefined;
}

export type SignatureVerdict = 'valid' | 'missing' | 'stale' | 'invalid';

/** GitLab follows the Standard Webhooks tolerance: five minutes either way. */
export const SIGNATURE_TOLERANCE_S = 5 * 60;

/** The freshness part, which needs no body: checked before the body is read. */
export function checkSignatureHeaders(headers: SignatureHeaders, nowMs: number): SignatureVerdict {
  if (!headers.id || !headers.timestamp || !headers.signature) return 'missing';
  if (!/^\d{1,12}$/.test(headers.timestamp)) return 'invalid';
  const skew = Math.abs(nowMs / 1000 - Number(headers.timestamp));
  return skew > SIGNATURE_TOLERANCE_S ? 'stale' : 'valid';
}

/**
 * Standard Webhooks (GitLab 19+): HMAC-SHA256 of "<id>.<timestamp>.<body>"
 * under the base64 key after `whsec_`, sent as one or more space-separated
 * "v1,<base64>" entries; one match is enough.
 */
export function verifySignature(headers: SignatureHeaders, body: Buffer, signingKey: string, nowMs: number): SignatureVerdict {
  const fresh = checkSignatureHeaders(headers, nowMs);
  if (fresh !== 'valid') return fresh;
  const expected = signPayload(headers.id!, headers.timestamp!, body, signingKey);
  let matched = false;
  for (const entry of headers.signature!.split(' ')) {
    const [version, value] = entry.split(',', 2);
    if (version !== 'v1' || !value) continue;
    const candidate = Buffer.from(value, 'base64');
    matched = (candidate.length === expected.length && timingSafeEqual(candidate, expected)) || matched;
  }
  return matched ? 'valid' : 'invalid';
}

/** What GitLab computes; also used by tests and by `gitlab-bridge` tools that replay deliveries. */
export function signPayload(id: string, timestamp: string, body: Buffer, signingKey: string): Buffer {
  const key = Buffer.from(signingKey.replace(/^whsec_/, ''), 'base64');
  return createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest();
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

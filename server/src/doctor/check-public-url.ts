/**
 * Does PUBLIC_URL reach this bridge's public listener? The probe is GET
 * <PUBLIC_URL>/webhook: the path GitLab posts to, which the documented reverse
 * proxy forwards (it forwards no /healthz: that is on the internal listener),
 * and which only the bridge's webhook door answers with 405 and
 * {"code":"method_not_allowed"}. The bridge logs it as a refused webhook, under
 * the request id below.
 */
import type { Config } from '../config.js';
import { networkReason } from '../net/network-reason.js';
import { fail, ok, skipped, warn, TIMEOUT_MS, type Check } from './check.js';

const CHECK = 'public URL';
export const PROBE_REQUEST_ID = 'gitlab-bridge-doctor';
const PROXY_FIX = 'route <PUBLIC_URL>/webhook, /oauth/ and /api/v1/ to the public listener (PORT): see README, Reverse proxy, or the status page at the public listener';

export async function checkPublicUrl(config: Config): Promise<Check> {
  if (!config.publicUrl) return skipped(CHECK, 'PUBLIC_URL is not set (nor MATTERMOST_SITE_URL to derive it from)', 'set PUBLIC_URL to what browsers and GitLab reach the bridge at');
  const url = `${config.publicUrl.replace(/\/+$/, '')}/webhook`;
  let response: Response;
  let body: unknown;
  try {
    response = await fetch(url, { headers: { 'X-Request-Id': PROBE_REQUEST_ID, Accept: 'application/json' }, redirect: 'manual', signal: AbortSignal.timeout(TIMEOUT_MS) });
    body = await response.json().catch(() => undefined);
  } catch (error) {
    return warn(CHECK, `cannot reach ${url}: ${networkReason(error)}; the bridge may not be running`, `start the bridge, and ${PROXY_FIX}`);
  }
  return judgePublicAnswer(url, response.status, body);
}

export function judgePublicAnswer(url: string, status: number, body: unknown): Check {
  const code = typeof body === 'object' && body !== null ? (body as { code?: unknown }).code : undefined;
  if (status === 405 && code === 'method_not_allowed') return ok(CHECK, `${url} reaches this bridge's webhook door`);
  return fail(CHECK, `${url} answered ${status}, not as this bridge does: something else answers there`, `${PROXY_FIX}; or correct PUBLIC_URL`);
}

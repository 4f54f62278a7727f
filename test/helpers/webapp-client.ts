/**
 * Calls the bridge's webapp API (/api/v1) the way the plugin in a Mattermost
 * page does: the session cookie, and for changes the CSRF cookie and headers
 * and a same-origin Origin. Options take each of those away for refusal tests.
 */
import type { CommandBridge } from './command-bridge.js';

export interface ApiCallOptions {
  body?: unknown;
  /** Leave out the session cookie (or send this one instead). */
  session?: string | null;
  /** Origin header: the bridge's own by default for changes; null sends none. */
  origin?: string | null;
  /** X-CSRF-Token; the MMCSRF cookie always holds the right one. */
  csrf?: string | null;
  requestedWith?: string | null;
}

export interface ApiAnswer<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

export const CSRF_TOKEN = 'csrf-token-of-this-session';

/** A caller acting as one Mattermost user of the bridge's fake Mattermost. */
export function webappClient(bridge: Pick<CommandBridge, 'publicUrl' | 'sessions'>, username: string) {
  const session = bridge.sessions[username];
  if (!session) throw new Error(`no session for ${username}`);
  return async function call<T = Record<string, unknown>>(method: string, path: string, options: ApiCallOptions = {}): Promise<ApiAnswer<T>> {
    const writes = method !== 'GET' && method !== 'HEAD';
    const token = options.session === undefined ? session : options.session;
    const headers: Record<string, string> = {};
    const cookies = [token === null ? undefined : `MMAUTHTOKEN=${token}`, `MMCSRF=${CSRF_TOKEN}`, 'MMUSERID=x'].filter(Boolean);
    headers.cookie = cookies.join('; ');
    const origin = options.origin === undefined ? (writes ? bridge.publicUrl : null) : options.origin;
    if (origin !== null) headers.origin = origin;
    const csrf = options.csrf === undefined ? (writes ? CSRF_TOKEN : null) : options.csrf;
    if (csrf !== null) headers['x-csrf-token'] = csrf;
    const requestedWith = options.requestedWith === undefined ? (writes ? 'XMLHttpRequest' : null) : options.requestedWith;
    if (requestedWith !== null) headers['x-requested-with'] = requestedWith;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${bridge.publicUrl}/api/v1${path}`, {
      method,
      headers,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON (an SSE stream or an empty answer): the text is the body.
    }
    return { status: response.status, body: body as T, headers: response.headers };
  };
}

/**
 * GitLab's REST API as the person acting, with their OAuth token, so GitLab's
 * own rules decide what they may do. A refusal becomes a GitLabHttpError with
 * GitLab's status and words; no answer at all, a GitLabUnreachableError.
 */
import { GitLabHttpError, GitLabUnreachableError } from '../gitlab/poll-client.js';

/** An action waits this long for GitLab: Mattermost gives the whole press a few seconds more (OutgoingIntegrationRequestsTimeout, 30 s). */
const TIMEOUT_MS = 15_000;

export interface GitLabAsUser {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body?: Record<string, unknown>): Promise<T>;
  put<T>(path: string, body?: Record<string, unknown>): Promise<T>;
  delete(path: string): Promise<void>;
}

export function gitlabAsUser(gitlabUrl: string, token: string, timeoutMs = TIMEOUT_MS): GitLabAsUser {
  const base = `${gitlabUrl.replace(/\/+$/, '')}/api/v4`;

  async function call<T>(method: string, path: string, body?: Record<string, unknown>): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'error',
      });
    } catch (error) {
      throw new GitLabUnreachableError(`GitLab could not be reached (${method} ${path})`, error);
    }
    const text = await response.text();
    if (!response.ok) throw new GitLabHttpError(response.status, gitlabMessage(text), `${method} ${path}`);
    return (text ? JSON.parse(text) : null) as T;
  }

  return {
    get: (path) => call('GET', path),
    post: (path, body) => call('POST', path, body),
    put: (path, body) => call('PUT', path, body),
    delete: async (path) => {
      await call('DELETE', path);
    },
  };
}

/** GitLab answers `{"message": …}` or `{"error": …}`; the message may be a string, a list or a map of field errors. */
function gitlabMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { message?: unknown; error?: unknown };
    const message = body.message ?? body.error;
    if (typeof message === 'string') return message;
    if (Array.isArray(message)) return message.map(String).join('; ');
    if (message && typeof message === 'object') {
      return Object.entries(message as Record<string, unknown>)
        .map(([field, problems]) => `${field} ${Array.isArray(problems) ? problems.join(', ') : String(problems)}`)
        .join('; ');
    }
  } catch {
    // Not JSON: an HTML error page says nothing useful.
  }
  return '';
}

/**
 * GET and POST on GitLab's REST API with a user's token, straight away: for what a person asked for
 * and waits on (a slash command), as the other commands call GitLab. Background work uses the
 * budgeted PollClient instead; both answer and refuse alike, so code written for one takes the other.
 */
import { GitLabHttpError, GitLabUnreachableError, type PollClient, type QueryValue } from './poll-client.js';

export type RestClient = Pick<PollClient, 'get' | 'post'>;

const TIMEOUT_MS = 10_000;

export function createDirectClient(gitlabUrl: string): RestClient {
  const base = `${gitlabUrl.replace(/\/+$/, '')}/api/v4`;
  async function send<T>(token: string, method: 'GET' | 'POST', path: string, url: string, body?: unknown): Promise<{ body: T; headers: Headers }> {
    const request = `${method} /api/v4${path}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: { Authorization: `Bearer ${token}`, Accept: 'application/json', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
        redirect: 'manual',
      });
    } catch (error) {
      throw new GitLabUnreachableError(`GitLab could not be reached for ${request}`, error);
    }
    const answer = (await response.json().catch(() => undefined)) as { message?: unknown; error?: unknown } | undefined;
    if (!response.ok) {
      const said = answer?.message ?? answer?.error ?? response.statusText;
      throw new GitLabHttpError(response.status, (typeof said === 'string' ? said : JSON.stringify(said)).slice(0, 300).replaceAll(token, '[redacted]'), request);
    }
    return { body: answer as T, headers: response.headers };
  }
  return {
    get: <T>(token: string, path: string, query: Record<string, QueryValue> = {}) => {
      const params = new URLSearchParams();
      for (const [key, value] of Object.entries(query)) for (const item of value === undefined ? [] : Array.isArray(value) ? value : [value]) params.append(key, String(item));
      const search = params.toString();
      return send<T>(token, 'GET', path, `${base}${path}${search ? `?${search}` : ''}`);
    },
    post: <T>(token: string, path: string, body?: unknown) => send<T>(token, 'POST', path, `${base}${path}`, body),
  };
}

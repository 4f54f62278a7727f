/**
 * Does GITLAB_URL point at a GitLab? GET /api/v4/version answers 401 without a
 * token on every GitLab, so 200 or 401 both mean "a GitLab API is there". A 5xx
 * is GitLab (or the proxy in front of it) down right now, not a wrong setting:
 * unreachable, so that /readyz keeps the bridge in its load balancer.
 */
import { networkReason } from '../net/network-reason.js';
import type { Check } from '../readiness.js';

/** `onAnswer` sees GitLab's answer, whatever it is (the doctor reads its Date header). */
export function checkGitLabUrl(url: string, onAnswer?: (response: Response) => void, variable = 'GITLAB_URL'): Check {
  return async () => {
    let response: Response;
    try {
      response = await fetch(`${url}/api/v4/version`, { signal: AbortSignal.timeout(5000), redirect: 'manual' });
      await response.body?.cancel();
    } catch (error) {
      return { unreachable: `cannot reach GitLab at ${url}: ${networkReason(error)}` };
    }
    onAnswer?.(response);
    if (response.status === 200 || response.status === 401) return { ok: `GitLab answers at ${url}` };
    if (response.status >= 500) return { unreachable: `GitLab at ${url} is not answering right now (GET /api/v4/version answered ${response.status})` };
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      const target = new URL(location, `${url}/api/v4/version`).toString().replace(/\/api\/v4\/version$/, '');
      return { error: `${variable} ${url} redirects to ${target}: set ${variable} to that address` };
    }
    return { error: `${variable} ${url} does not serve GitLab's API (GET /api/v4/version answered ${response.status})` };
  };
}

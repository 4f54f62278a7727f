/** One GET on GitLab's REST API as a user, answering the status rather than throwing on refusals. */

const TIMEOUT_MS = 10_000;

export async function gitlabGet(gitlabUrl: string, token: string, path: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${gitlabUrl.replace(/\/+$/, '')}/api/v4/${path}`, {
    headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  const body: unknown = response.ok ? await response.json().catch(() => null) : (await response.body?.cancel(), null);
  return { status: response.status, body };
}

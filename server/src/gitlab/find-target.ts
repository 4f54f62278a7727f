/** Looks up a project, else a group, by full path through GitLab's REST API: what a subscription points at. */
export interface GitLabTarget {
  kind: 'project' | 'group';
  id: number;
  /** Lower-case full path. */
  path: string;
  url: string;
  visibility: 'public' | 'internal' | 'private';
}

const TIMEOUT_MS = 5000;

/** Null when GitLab shows neither (it answers 404 for what the caller may not see, too). */
export async function findTarget(gitlabUrl: string, path: string, token?: string): Promise<GitLabTarget | null> {
  const base = `${gitlabUrl.replace(/\/+$/, '')}/api/v4`;
  const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
  for (const kind of ['project', 'group'] as const) {
    const response = await fetch(`${base}/${kind}s/${encodeURIComponent(path)}`, { headers, signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (response.status === 404) continue;
    if (!response.ok) throw new Error(`GitLab answered ${response.status} when asked about ${path}`);
    const body = (await response.json()) as { id: number; path_with_namespace?: string; full_path?: string; web_url: string; visibility: GitLabTarget['visibility'] };
    return { kind, id: body.id, path: (body.path_with_namespace ?? body.full_path ?? path).toLowerCase(), url: body.web_url, visibility: body.visibility };
  }
  return null;
}

/** Looks up a project, else a group, by full path through GitLab's REST API: what a subscription points at. */
export interface GitLabTarget {
  kind: 'project' | 'group';
  id: number;
  /** Lower-case full path. */
  path: string;
  url: string;
  visibility: 'public' | 'internal' | 'private';
  /** The caller's access level (10 guest … 50 owner), when asked with their token; null when not a member. */
  accessLevel: number | null;
}

/** GitLab's Reporter: enough to see confidential issues' existence and pipelines, the least a subscriber of a private project needs. */
export const REPORTER = 20;

const TIMEOUT_MS = 5000;

/** Null when GitLab shows neither (it answers 404 for what the caller may not see, too). */
export async function findTarget(gitlabUrl: string, path: string, caller?: { token: string; gitlabUserId: number }): Promise<GitLabTarget | null> {
  for (const kind of ['project', 'group'] as const) {
    const found = await findTargetOfKind(gitlabUrl, kind, path, caller);
    if (found) return found;
  }
  return null;
}

/**
 * A project or a group by id or full path. By id for a stored subscription: its path may since
 * belong to another project (renamed or moved, and the old path taken), its id never does.
 */
export async function findTargetOfKind(
  gitlabUrl: string,
  kind: GitLabTarget['kind'],
  idOrPath: number | string,
  caller?: { token: string; gitlabUserId: number },
): Promise<GitLabTarget | null> {
  const base = `${gitlabUrl.replace(/\/+$/, '')}/api/v4`;
  const headers: Record<string, string> = caller ? { Authorization: `Bearer ${caller.token}` } : {};
  const path = String(idOrPath);
  const response = await fetch(`${base}/${kind}s/${encodeURIComponent(path)}`, { headers, signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (response.status === 404) return null;
  if (!response.ok) throw new Error(`GitLab answered ${response.status} when asked about ${path}`);
  const body = (await response.json()) as {
    id: number;
    path_with_namespace?: string;
    full_path?: string;
    web_url: string;
    visibility: GitLabTarget['visibility'];
    permissions?: { project_access: { access_level: number } | null; group_access: { access_level: number } | null };
  };
  let accessLevel: number | null = null;
  if (caller && kind === 'project') {
    accessLevel = Math.max(body.permissions?.project_access?.access_level ?? 0, body.permissions?.group_access?.access_level ?? 0) || null;
  } else if (caller) {
    // Groups carry no permissions: ask for the caller's membership, inherited ones included.
    const member = await fetch(`${base}/groups/${body.id}/members/all/${caller.gitlabUserId}`, { headers, signal: AbortSignal.timeout(TIMEOUT_MS) });
    accessLevel = member.ok ? ((await member.json()) as { access_level: number }).access_level : null;
  }
  return { kind, id: body.id, path: (body.path_with_namespace ?? body.full_path ?? path).toLowerCase(), url: body.web_url, visibility: body.visibility, accessLevel };
}

/**
 * The project a code link's path names, as one user sees it: GET /projects/:id
 * with the URL-encoded path (lib/api/projects.rb), answering the project's id
 * and its path now (`path_with_namespace`).
 *
 * A link may name a project by an old path: after a rename or a transfer
 * GitLab keeps a redirect route, and the REST API finds the project by it
 * (lib/api/helpers.rb find_project, `follow_redirects: true`). Most endpoints
 * then answer a GET with 301 to the same URL by id (GitLab MR 128642, "Redirect
 * API requests to moved projects"), which the client does not follow, so that
 * reads as no project: no preview rather than a guess. Some serve the moved
 * project as if named by its path now, and older or other versions may too.
 * So whoever decides who may see the code goes by the path the project has
 * now, found here, not the one written in the link, and the file is read by
 * the id found here: what was checked is what is read.
 */
import { GitLabHttpError, type PollClient } from '../gitlab/poll-client.js';

export interface FoundProject {
  id: number;
  /** The project's full path now, as GitLab spells it. */
  path: string;
}

/**
 * The project `path` names for `token`'s owner, or null when GitLab says it has none to show them (404, 403, or a
 * redirect it was not followed through). Anything else (rate limits, an unreachable GitLab) is thrown.
 */
export async function findProject(gitlab: Pick<PollClient, 'get'>, token: string, path: string): Promise<FoundProject | null> {
  let body: { id?: unknown; path_with_namespace?: unknown };
  try {
    ({ body } = await gitlab.get<typeof body>(token, `/projects/${encodeURIComponent(path)}`));
  } catch (error) {
    if (error instanceof GitLabHttpError && (error.status === 404 || error.status === 403 || (error.status >= 300 && error.status < 400))) return null;
    throw error;
  }
  const { id, path_with_namespace: canonical } = body ?? {};
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1 || typeof canonical !== 'string' || !canonical.includes('/')) return null;
  return { id, path: canonical };
}

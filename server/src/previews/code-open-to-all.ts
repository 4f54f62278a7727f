/**
 * Whether anyone at all, signed in to GitLab or not, may read a project's code:
 * then showing it to a whole channel shows nobody what they could not read.
 * Asked of GitLab without a token, through the shared budget: GraphQL's
 * `Project.repository` is null to whoever may not read the code (RepositoryType
 * authorizes :read_code, app/graphql/types/project_type.rb), the same
 * permission the files API checks (lib/api/files.rb authorize_read_code!). A
 * private or internal project, a repository kept to members, and an instance
 * that shows nothing to anonymous callers all answer no. So does any failure:
 * unknown is not public.
 */
import type { PollClient } from '../gitlab/poll-client.js';

const QUERY = `query ($path: ID!) { project(fullPath: $path) { id repository { exists } } }`;

export async function isCodeOpenToAll(gitlab: Pick<PollClient, 'anonymousGraphql'>, project: string): Promise<boolean> {
  try {
    const data = await gitlab.anonymousGraphql<{ project?: { repository?: unknown } | null } | null>(QUERY, { path: project });
    const repository = data?.project?.repository;
    return repository !== null && typeof repository === 'object';
  } catch {
    return false;
  }
}

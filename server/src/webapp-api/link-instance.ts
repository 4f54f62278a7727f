/**
 * The GitLab a link the webapp asks about is on (link tooltips, code
 * previews): the configured instance whose URL covers it (gitlab/instances.ts
 * byUrl: same host and, under a relative root, path), and the viewer's
 * connection there. A link on no configured GitLab is nobody's to read: the
 * routes answer it as they answer anything they cannot show.
 */
import type { Response } from 'express';
import type { GitLabCaller, GitLabConnections } from '../accounts/gitlab-connections.js';
import { DEFAULT_INSTANCE } from '../gitlab/instances.js';
import type { PollClient } from '../gitlab/poll-client.js';
import { sessionOf } from './context.js';
import type { WebappDeps } from './deps.js';
import { ApiError } from './errors.js';

/** What the link routes use of one GitLab (a WebappInstance has it). */
export interface LinkGitLab {
  name: string;
  url: string;
  /** Null without its OAuth application: nobody is connected there. */
  connections: GitLabConnections | null;
  /** Its budgeted client. */
  client: PollClient;
}

export function gitlabOfLink(deps: WebappDeps, url: string): LinkGitLab | null {
  const fallback: LinkGitLab = { name: DEFAULT_INSTANCE, url: deps.gitlabUrl, connections: deps.connections, client: deps.gitlab };
  if (!deps.instances || !deps.instanceSide) return fallback;
  const instance = deps.instances.byUrl(url);
  return (instance && deps.instanceSide(instance.name)) ?? null;
}

/** The viewer's identity on that GitLab, or 403 `not_connected` naming the instance (and the command that connects it). */
export async function viewerOn(gitlab: LinkGitLab, response: Response): Promise<GitLabCaller> {
  const caller = gitlab.connections ? await gitlab.connections.callerFor(sessionOf(response).user.id) : null;
  if (caller) return caller;
  if (gitlab.name === DEFAULT_INSTANCE) throw new ApiError(403, 'not_connected', 'Connect your GitLab account first.');
  throw new ApiError(403, 'not_connected', `Connect your GitLab account on ${gitlab.name} first (\`/gitlab connect ${gitlab.name}\`).`);
}

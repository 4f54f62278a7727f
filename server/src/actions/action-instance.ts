/**
 * The GitLab a press or a dialog acts on: the instance its signed target
 * names (button-spec.ts; none named is the default, as in every context signed
 * before there were several), with the presser's connection there, that
 * instance's URL and its read-only setting. The name is inside the signed
 * claims, so nobody can point a button at another GitLab than the one its
 * post's event came from.
 */
import type { GitLabConnections } from '../accounts/gitlab-connections.js';
import type { ScopeSetting } from '../accounts/write-access.js';
import { DEFAULT_INSTANCE } from '../gitlab/instances.js';
import { instanceOf, type ActionTarget } from './button-spec.js';

/** One configured GitLab as the buttons see it. */
export interface ActionInstance {
  name: string;
  connections: GitLabConnections | null;
  gitlabUrl: string;
  scopeSetting: ScopeSetting;
}

interface PerInstance {
  connections: GitLabConnections | null;
  gitlabUrl: string;
  scopeSetting: ScopeSetting;
  /** Every configured GitLab by name; absent, only the default one (the fields above). */
  instanceSide?(name: string): ActionInstance | undefined;
}

/**
 * `deps` with the connections, URL and scope setting of the target's instance; null for an instance this
 * bridge no longer has (removed from GITLAB_INSTANCES since the post was made).
 */
export function depsOnInstance<D extends PerInstance>(deps: D, target: ActionTarget): D | null {
  const name = instanceOf(target);
  if (!deps.instanceSide) return name === DEFAULT_INSTANCE ? deps : null;
  const side = deps.instanceSide(name);
  return side ? { ...deps, connections: side.connections, gitlabUrl: side.gitlabUrl, scopeSetting: side.scopeSetting } : null;
}

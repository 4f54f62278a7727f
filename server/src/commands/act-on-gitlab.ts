/**
 * What `/gitlab mr`, `deployment` and `job` share with the buttons: the same
 * action (actions/run-action.ts), as the person typing, with the same rules and
 * answers. The project is looked up as them first, so one they cannot see is
 * answered as GitLab would (it does not exist for them). On the GitLab the
 * command names (command-instance.ts), with their account there.
 */
import type { GitLabConnections } from '../accounts/gitlab-connections.js';
import { refuseWrite, type ScopeSetting } from '../accounts/write-access.js';
import { onInstance, type ActionTarget } from '../actions/button-spec.js';
import { ACTION_DOES, type ActionName } from '../actions/buttons.js';
import { explainRefusal } from '../actions/explain-refusal.js';
import { gitlabAsUser } from '../actions/gitlab-as-user.js';
import { notConnected } from '../actions/handle-press.js';
import type { ActionOptions } from '../actions/perform-action.js';
import { runAction } from '../actions/run-action.js';
import { GitLabHttpError, GitLabUnreachableError } from '../gitlab/poll-client.js';
import type { Queryable } from '../store/queryable.js';
import type { AccountInstance } from './account.js';
import type { InstanceChoiceDeps } from './command-instance.js';
import type { CommandCall } from './command-router.js';

export interface ActionCommandDeps extends InstanceChoiceDeps {
  pool: Queryable;
  /** The default instance's (the instance chosen brings its own). */
  connections: GitLabConnections | null;
  gitlabUrl: string;
  /** GITLAB_OAUTH_SCOPES: with read_api these commands answer so, and GitLab is not asked. */
  scopeSetting: ScopeSetting;
  publicUrl: string | undefined;
  /** For /metrics (gitlab_bridge_actions_total). */
  count?(action: string, via: string, outcome: string): void;
}

type TargetWithoutProject =
  | { kind: 'merge_request' | 'issue'; iid: number }
  | { kind: 'pipeline' | 'job' | 'deployment'; id: number };

export async function actOnGitLab(
  call: CommandCall,
  deps: ActionCommandDeps,
  request: { action: ActionName; instance: AccountInstance; projectPath: string; object: TargetWithoutProject; options?: ActionOptions },
): Promise<string> {
  const { instance } = request;
  // Before anything else: connecting would not help.
  const readOnly = refuseWrite(instance.scopeSetting, ACTION_DOES[request.action]);
  if (readOnly) return readOnly.text;
  const caller = instance.connections ? await instance.connections.callerFor(call.userId) : null;
  if (!caller) return notConnected(deps, call.userId, instance.name, call.trigger);
  let project: { id: number };
  try {
    project = await gitlabAsUser(instance.url, caller.token).get<{ id: number }>(`/projects/${encodeURIComponent(request.projectPath)}`);
  } catch (error) {
    if (error instanceof GitLabHttpError) return explainRefusal(request.action, `project \`${request.projectPath}\``, { status: error.status, message: error.gitlabMessage });
    if (error instanceof GitLabUnreachableError) return 'GitLab could not be reached. Try again in a moment.';
    throw error;
  }
  const target = onInstance({ ...request.object, project: project.id } as ActionTarget, instance.name);
  const result = await runAction({ ...deps, gitlabUrl: instance.url, scopeSetting: instance.scopeSetting }, { action: request.action, target, userId: call.userId, caller, options: request.options ?? {}, via: 'command' });
  return result.outcome ? result.outcome.text : result.text;
}

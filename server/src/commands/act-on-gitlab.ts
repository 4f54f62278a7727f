/**
 * What `/gitlab mr`, `deployment` and `job` share with the buttons: the same
 * action (actions/run-action.ts), as the person typing, with the same rules and
 * answers. The project is looked up as them first, so one they cannot see is
 * answered as GitLab would (it does not exist for them).
 */
import type { GitLabConnections } from '../accounts/gitlab-connections.js';
import { refuseWrite, type ScopeSetting } from '../accounts/write-access.js';
import type { ActionTarget } from '../actions/button-spec.js';
import { ACTION_DOES, type ActionName } from '../actions/buttons.js';
import { explainRefusal } from '../actions/explain-refusal.js';
import { gitlabAsUser } from '../actions/gitlab-as-user.js';
import { notConnected } from '../actions/handle-press.js';
import type { ActionOptions } from '../actions/perform-action.js';
import { runAction } from '../actions/run-action.js';
import { GitLabHttpError, GitLabUnreachableError } from '../gitlab/poll-client.js';
import type { Queryable } from '../store/queryable.js';
import type { CommandCall } from './command-router.js';

export interface ActionCommandDeps {
  pool: Queryable;
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
  request: { action: ActionName; projectPath: string; object: TargetWithoutProject; options?: ActionOptions },
): Promise<string> {
  // Before anything else: connecting would not help.
  const readOnly = refuseWrite(deps.scopeSetting, ACTION_DOES[request.action]);
  if (readOnly) return readOnly.text;
  const caller = deps.connections ? await deps.connections.callerFor(call.userId) : null;
  if (!caller) return notConnected(deps, call.userId);
  let project: { id: number };
  try {
    project = await gitlabAsUser(deps.gitlabUrl, caller.token).get<{ id: number }>(`/projects/${encodeURIComponent(request.projectPath)}`);
  } catch (error) {
    if (error instanceof GitLabHttpError) return explainRefusal(request.action, `project \`${request.projectPath}\``, { status: error.status, message: error.gitlabMessage });
    if (error instanceof GitLabUnreachableError) return 'GitLab could not be reached. Try again in a moment.';
    throw error;
  }
  const target = { ...request.object, project: project.id } as ActionTarget;
  const result = await runAction(deps, { action: request.action, target, userId: call.userId, caller, options: request.options ?? {}, via: 'command' });
  return result.outcome ? result.outcome.text : result.text;
}

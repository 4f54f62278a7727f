/** `/gitlab deployment approve | reject <project> <deployment id> [--comment …]`: a blocked deployment's buttons, typed. */
import { actOnGitLab, type ActionCommandDeps } from './act-on-gitlab.js';
import { commandInstance, INSTANCE_OPTION } from './command-instance.js';
import type { Subcommand } from './command-router.js';
import { parseProjectAndId } from './gitlab-references.js';

const USAGE = 'deployment approve|reject <project> <deployment id> [--comment "…"] [--instance <name>]';

export const deploymentCommand: Subcommand<ActionCommandDeps> = {
  name: 'deployment',
  summary: 'approve or reject a deployment waiting for approval (a protected environment), as you, with an optional comment',
  usage: USAGE,
  options: { comment: { type: 'string' }, ...INSTANCE_OPTION },
  async run(call, { values, positionals }, deps) {
    const [verb = '', project, id, ...extra] = positionals;
    const approve = verb.toLowerCase() === 'approve';
    if ((!approve && verb.toLowerCase() !== 'reject') || !project || !id || extra.length > 0) return `Usage: \`/${call.trigger} ${USAGE}\``;
    const instance = commandInstance(deps, values, [project]);
    if (typeof instance === 'string') return instance;
    const named = parseProjectAndId(project, id, instance.url, 'deployment');
    if (!named.ok) return `${named.error}.`;
    const comment = typeof values.comment === 'string' ? values.comment.trim() : '';
    if (comment.length > 3000) return 'The comment may have at most 3000 characters.';
    return actOnGitLab(call, deps, {
      action: approve ? 'approvedeployment' : 'rejectdeployment',
      instance,
      projectPath: named.project,
      object: { kind: 'deployment', id: named.number },
      options: comment ? { comment } : {},
    });
  },
};

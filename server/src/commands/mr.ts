/** `/gitlab mr approve | unapprove | merge | assign | review <merge request>`: what the merge request buttons do, typed. */
import type { ActionName } from '../actions/buttons.js';
import { actOnGitLab, type ActionCommandDeps } from './act-on-gitlab.js';
import { commandInstance, INSTANCE_OPTION } from './command-instance.js';
import type { Subcommand } from './command-router.js';
import { parseObjectRef } from './gitlab-references.js';

const USAGE = 'mr approve|unapprove|merge|assign|review <group/project!12 or URL> [--squash] [--delete-branch] [--instance <name>]';

const VERBS: Record<string, ActionName> = { approve: 'approve', unapprove: 'unapprove', merge: 'merge', assign: 'assignme', review: 'review' };

export const mrCommand: Subcommand<ActionCommandDeps> = {
  name: 'mr',
  summary:
    'act on a merge request as you: approve, revoke your approval, merge (when its pipeline is running: once it succeeds; `--squash`, `--delete-branch` override its own choices), assign yourself, or add yourself as a reviewer',
  usage: USAGE,
  options: { squash: { type: 'boolean' }, 'delete-branch': { type: 'boolean' }, ...INSTANCE_OPTION },
  async run(call, { values, positionals }, deps) {
    const [verb = '', ref, ...extra] = positionals;
    const action = VERBS[verb.toLowerCase()];
    if (!action || !ref || extra.length > 0) return `Usage: \`/${call.trigger} ${USAGE}\``;
    if (action !== 'merge' && (values.squash !== undefined || values['delete-branch'] !== undefined)) return '`--squash` and `--delete-branch` go with `mr merge` only.';
    const instance = commandInstance(deps, values, [ref]);
    if (typeof instance === 'string') return instance;
    const named = parseObjectRef(ref, instance.url, 'merge_request');
    if (!named.ok) return `${named.error}.`;
    return actOnGitLab(call, deps, {
      action,
      instance,
      projectPath: named.project,
      object: { kind: 'merge_request', iid: named.number },
      options: {
        ...(values.squash === true ? { squash: true } : {}),
        ...(values['delete-branch'] === true ? { removeSourceBranch: true } : {}),
      },
    });
  },
};

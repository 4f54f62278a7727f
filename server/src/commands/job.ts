/** `/gitlab job retry <project> <job id>` (or the job's URL): the Retry job button, typed. */
import { actOnGitLab, type ActionCommandDeps } from './act-on-gitlab.js';
import { commandInstance, INSTANCE_OPTION } from './command-instance.js';
import type { Subcommand } from './command-router.js';
import { parseObjectRef, parseProjectAndId } from './gitlab-references.js';

const USAGE = 'job retry <project> <job id> | retry <job URL> [--instance <name>]';

export const jobCommand: Subcommand<ActionCommandDeps> = {
  name: 'job',
  summary: 'retry a failed CI job, as you (Developer role)',
  usage: USAGE,
  options: INSTANCE_OPTION,
  async run(call, { values, positionals }, deps) {
    const [verb = '', which, id, ...extra] = positionals;
    if (verb.toLowerCase() !== 'retry' || !which || extra.length > 0) return `Usage: \`/${call.trigger} ${USAGE}\``;
    const instance = commandInstance(deps, values, [which]);
    if (typeof instance === 'string') return instance;
    const named = id === undefined ? parseObjectRef(which, instance.url, 'job') : parseProjectAndId(which, id, instance.url, 'job');
    if (!named.ok) return `${named.error}.`;
    return actOnGitLab(call, deps, { action: 'retryjob', instance, projectPath: named.project, object: { kind: 'job', id: named.number } });
  },
};

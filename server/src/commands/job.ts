/** `/gitlab job retry <project> <job id>` (or the job's URL): the Retry job button, typed. */
import { actOnGitLab, type ActionCommandDeps } from './act-on-gitlab.js';
import type { Subcommand } from './command-router.js';
import { parseObjectRef, parseProjectAndId } from './gitlab-references.js';

const USAGE = 'job retry <project> <job id> | retry <job URL>';

export const jobCommand: Subcommand<ActionCommandDeps> = {
  name: 'job',
  summary: 'retry a failed CI job, as you (Developer role)',
  usage: USAGE,
  async run(call, { positionals }, deps) {
    const [verb = '', which, id, ...extra] = positionals;
    if (verb.toLowerCase() !== 'retry' || !which || extra.length > 0) return `Usage: \`/${call.trigger} ${USAGE}\``;
    const named = id === undefined ? parseObjectRef(which, deps.gitlabUrl, 'job') : parseProjectAndId(which, id, deps.gitlabUrl, 'job');
    if (!named.ok) return `${named.error}.`;
    return actOnGitLab(call, deps, { action: 'retryjob', projectPath: named.project, object: { kind: 'job', id: named.number } });
  },
};

/** `/gitlab job retry <project> <job id>` (or the job's URL): the Retry job button, typed. */
import { actOnGitLab, type ActionCommandDeps } from './act-on-gitlab.js';
import type { Subcommand } from './command-router.js';
import { parseObjectRef } from './gitlab-references.js';
import { parseTarget } from './subscription-options.js';

const USAGE = 'job retry <project> <job id> | retry <job URL>';

export const jobCommand: Subcommand<ActionCommandDeps> = {
  name: 'job',
  summary: 'retry a failed CI job, as you (Developer role)',
  usage: USAGE,
  async run(call, { positionals }, deps) {
    const [verb = '', which, id, ...extra] = positionals;
    if (verb.toLowerCase() !== 'retry' || !which || extra.length > 0) return `Usage: \`/${call.trigger} ${USAGE}\``;
    let named: { project: string; number: number };
    if (id === undefined) {
      const parsed = parseObjectRef(which, deps.gitlabUrl, 'job');
      if (!parsed.ok) return `${parsed.error}.`;
      named = parsed;
    } else {
      const path = parseTarget(which, deps.gitlabUrl);
      if (!path.ok) return `${path.error}.`;
      const number = /^#?(\d+)$/.exec(id)?.[1];
      if (!number) return `\`${id}\` is not a job id (a number).`;
      named = { project: path.path, number: Number(number) };
    }
    return actOnGitLab(call, deps, { action: 'retryjob', projectPath: named.project, object: { kind: 'job', id: named.number } });
  },
};

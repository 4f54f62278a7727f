/**
 * `/gitlab pipeline run | retry`: CI pipelines started with the user's own token (GitLab checks their role),
 * on the GitLab a URL or `--instance` names (command-instance.ts).
 */
import type pg from 'pg';
import type { GitLabConnections } from '../accounts/gitlab-connections.js';
import { refuseWrite, type ScopeSetting } from '../accounts/write-access.js';
import { gitlabApi, gitlabRefusal } from '../gitlab/api.js';
import { scopedKey } from '../gitlab/instances.js';
import { link } from '../render/links.js';
import { code, inline } from '../render/text.js';
import { audit } from '../store/audit-log.js';
import type { CommandCall, Subcommand } from './command-router.js';
import { parseObjectRef, parseProjectAndId } from './gitlab-references.js';
import { parseTarget } from './subscription-options.js';
import { commandInstance, connectCommandFor, INSTANCE_OPTION, onInstance, type InstanceChoiceDeps } from './command-instance.js';

export interface PipelineDeps extends InstanceChoiceDeps {
  pool: pg.Pool;
  /** The default instance's (the instance chosen brings its own, and its URL and scope setting). */
  connections: GitLabConnections | null;
  gitlabUrl: string;
  /** GITLAB_OAUTH_SCOPES: running and retrying are writes, which read_api does not allow. */
  scopeSetting: ScopeSetting;
}

const USAGE = 'pipeline run <project> <branch or tag> [KEY=value …] | retry <project> <pipeline id> [--instance <name>]';

interface PipelineJson {
  id: number;
  iid?: number;
  ref: string;
  status: string;
  web_url: string;
}

export const pipelineCommand: Subcommand<PipelineDeps> = {
  name: 'pipeline',
  summary: 'run a CI pipeline on a branch or tag (with variables), or retry the failed jobs of one (Developer role)',
  usage: USAGE,
  options: INSTANCE_OPTION,
  async run(call, { values, positionals }, deps) {
    const [action = '', ...rest] = positionals;
    const verb = action.toLowerCase();
    if (verb !== 'run' && verb !== 'retry') return `Usage: \`/${call.trigger} ${USAGE}\``;
    const instance = commandInstance(deps, values, [rest[0]]);
    if (typeof instance === 'string') return instance;
    const caller = instance.connections ? await instance.connections.callerFor(call.userId) : null;
    const refusal = refuseWrite(instance.scopeSetting, verb === 'run' ? 'run pipelines' : 'retry pipelines', caller?.scopes);
    if (refusal) return refusal.text;
    if (!caller) return `Pipelines run as your GitLab account${onInstance(deps, instance)}: ${connectCommandFor(call, instance)} first.`;
    const api = gitlabApi(instance.url, caller.token);
    const here = { ...deps, gitlabUrl: instance.url, instanceName: instance.name };
    try {
      return verb === 'run' ? await run(call, rest, api, here) : await retry(call, rest, api, here);
    } catch (error) {
      const refusal = gitlabRefusal(error);
      if (!refusal) throw error;
      if (refusal.status === 403) return 'GitLab refused: pipelines need the Developer role in the project (and, on a protected branch or tag, permission to merge or push to it).';
      if (refusal.status === 404) return 'That project or pipeline does not exist on GitLab, or your GitLab account cannot see it.';
      return `GitLab answered ${refusal.status}: ${refusal.message}`;
    }
  },
};

/** The deps on the instance chosen: its URL, and its name for the audit log (another instance's targets carry it). */
type OnInstance = PipelineDeps & { instanceName: string };

async function run(call: CommandCall, words: string[], api: ReturnType<typeof gitlabApi>, deps: OnInstance): Promise<string> {
  const [which, ref, ...assignments] = words;
  if (!which || !ref) return `Name the project and the branch or tag. Usage: \`/${call.trigger} pipeline run <project> <branch or tag> [KEY=value …]\``;
  const project = parseTarget(which, deps.gitlabUrl);
  if (!project.ok) return `${project.error}.`;
  const variables = parseVariables(assignments);
  if (!variables.ok) return variables.error;
  let pipeline: PipelineJson;
  try {
    pipeline = (await api.Pipelines.create(project.path, ref, variables.list.length > 0 ? { variables: variables.list } : {})) as unknown as PipelineJson;
  } catch (error) {
    // GitLab's words for a ref that is neither a branch nor a tag.
    const refusal = gitlabRefusal(error);
    if (refusal?.status === 400 && /reference not found/i.test(refusal.message)) return `${code(ref)} is not a branch or tag of \`${project.path}\`.`;
    throw error;
  }
  await audit(deps.pool, {
    actor: call.userId,
    action: 'pipeline.created',
    target: scopedKey(deps.instanceName, `project:${project.path}`),
    // The variables' names only: their values may be secrets.
    details: { pipeline: pipeline.id, ref, variables: variables.list.map((variable) => variable.key) },
  });
  const extra = variables.list.length > 0 ? ` with ${variables.list.map((variable) => code(variable.key)).join(', ')}` : '';
  return `Started ${link(`pipeline #${pipeline.id}`, pipeline.web_url)} on ${code(ref)} of \`${project.path}\`${extra}: ${inline(pipeline.status)}.`;
}

async function retry(call: CommandCall, words: string[], api: ReturnType<typeof gitlabApi>, deps: OnInstance): Promise<string> {
  const [which, id, ...extra] = words;
  if (!which || extra.length > 0) return `Name the project and the pipeline. Usage: \`/${call.trigger} pipeline retry <project> <pipeline id>\``;
  const named = id === undefined ? parseObjectRef(which, deps.gitlabUrl, 'pipeline') : parseProjectAndId(which, id, deps.gitlabUrl, 'pipeline');
  if (!named.ok) return `${named.error}.`;
  const pipeline = (await api.Pipelines.retry(named.project, named.number)) as unknown as PipelineJson;
  await audit(deps.pool, { actor: call.userId, action: 'pipeline.retried', target: scopedKey(deps.instanceName, `project:${named.project}`), details: { pipeline: pipeline.id } });
  return `Retried ${link(`pipeline #${pipeline.id}`, pipeline.web_url)} on ${code(pipeline.ref)} of \`${named.project}\`: ${inline(pipeline.status)}.`;
}

/** `KEY=value` words → GitLab's variables; the key as GitLab allows it (letters, digits, `_`). */
export function parseVariables(words: string[]): { ok: true; list: { key: string; value: string }[] } | { ok: false; error: string } {
  const list: { key: string; value: string }[] = [];
  for (const word of words) {
    const equals = word.indexOf('=');
    const key = equals < 0 ? word : word.slice(0, equals);
    if (equals < 0 || !/^[A-Za-z0-9_]{1,255}$/.test(key)) return { ok: false, error: `\`${key.slice(0, 40)}\` is not a variable: give each as KEY=value (letters, digits and _ in the key).` };
    if (list.some((variable) => variable.key === key)) return { ok: false, error: `\`${key}\` is given twice.` };
    list.push({ key, value: word.slice(equals + 1) });
  }
  return { ok: true, list };
}

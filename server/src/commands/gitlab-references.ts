/** What users type to name one GitLab object: `group/project#12`, or the object's URL. */
import { parseTarget } from './subscription-options.js';

export type ObjectRef = { ok: true; project: string; number: number } | { ok: false; error: string };

const ROUTES = {
  issue: { sigil: '#', route: 'issues', example: 'group/project#12', noun: 'an issue' },
  merge_request: { sigil: '!', route: 'merge_requests', example: 'group/project!12', noun: 'a merge request' },
  pipeline: { sigil: '', route: 'pipelines', example: 'group/project 1234', noun: 'a pipeline' },
  job: { sigil: '', route: 'jobs', example: 'group/project 5678', noun: 'a job' },
} as const;

/**
 * `group/project#12` or `<GitLab>/group/project/-/issues/12` (issues); `group/project!12` or its URL
 * (merge requests); `<GitLab>/group/project/-/pipelines/1234` and `…/-/jobs/5678` (pipelines and
 * jobs, whose id is otherwise a separate word).
 */
export function parseObjectRef(input: string, gitlabUrl: string, kind: keyof typeof ROUTES): ObjectRef {
  const { sigil, route, example, noun } = ROUTES[kind];
  const wrong: ObjectRef = { ok: false, error: `\`${input}\` does not name ${noun}: give it as \`${example}\` or its GitLab URL` };
  if (/^https?:\/\//i.test(input)) {
    const number = new RegExp(`/-/${route}/(\\d+)(?:[/?#]|$)`).exec(input)?.[1];
    const project = parseTarget(input, gitlabUrl);
    if (!project.ok) return project;
    return number ? { ok: true, project: project.path, number: Number(number) } : wrong;
  }
  const at = sigil ? input.lastIndexOf(sigil) : -1;
  if (at <= 0 || !/^\d+$/.test(input.slice(at + 1))) return wrong;
  const project = parseTarget(input.slice(0, at), gitlabUrl);
  return project.ok ? { ok: true, project: project.path, number: Number(input.slice(at + 1)) } : project;
}

/** `<project> <id>` given as two words (`#` before the id allowed): pipelines, jobs, deployments. */
export function parseProjectAndId(project: string, id: string, gitlabUrl: string, what: 'pipeline' | 'job' | 'deployment'): ObjectRef {
  const path = parseTarget(project, gitlabUrl);
  if (!path.ok) return path;
  const number = /^#?(\d+)$/.exec(id)?.[1];
  return number ? { ok: true, project: path.path, number: Number(number) } : { ok: false, error: `\`${id}\` is not a ${what} id (a number)` };
}

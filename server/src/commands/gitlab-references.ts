/** What users type to name one GitLab object: `group/project#12`, or the object's URL. */
import { parseTarget } from './subscription-options.js';

export type ObjectRef = { ok: true; project: string; number: number } | { ok: false; error: string };

const ROUTES = { issue: { sigil: '#', route: 'issues', example: 'group/project#12' }, pipeline: { sigil: '', route: 'pipelines', example: 'group/project 1234' } } as const;

/**
 * `group/project#12` or `<GitLab>/group/project/-/issues/12` (issues);
 * `<GitLab>/group/project/-/pipelines/1234` (pipelines, whose id is otherwise a separate word).
 */
export function parseObjectRef(input: string, gitlabUrl: string, kind: keyof typeof ROUTES): ObjectRef {
  const { sigil, route, example } = ROUTES[kind];
  const wrong: ObjectRef = { ok: false, error: `\`${input}\` does not name ${kind === 'issue' ? 'an' : 'a'} ${kind}: give it as \`${example}\` or its GitLab URL` };
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

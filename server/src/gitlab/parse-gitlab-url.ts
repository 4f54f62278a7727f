/**
 * What a GitLab web URL points at, for link previews: an issue, merge request,
 * pipeline or commit of a project at any group depth. Pure; null for anything
 * else, including URLs of another host.
 */
import { parseTarget } from '../commands/subscription-options.js';

export type GitLabObjectUrl =
  | { kind: 'issue' | 'merge_request'; project: string; iid: number }
  | { kind: 'pipeline'; project: string; id: number }
  | { kind: 'commit'; project: string; sha: string };

const ROUTES: { pattern: RegExp; read: (project: string, value: string) => GitLabObjectUrl }[] = [
  { pattern: /^(?:issues|work_items)\/(\d+)$/, read: (project, value) => ({ kind: 'issue', project, iid: Number(value) }) },
  { pattern: /^merge_requests\/(\d+)$/, read: (project, value) => ({ kind: 'merge_request', project, iid: Number(value) }) },
  { pattern: /^pipelines\/(\d+)$/, read: (project, value) => ({ kind: 'pipeline', project, id: Number(value) }) },
  { pattern: /^commits?\/([0-9a-f]{7,64})$/i, read: (project, value) => ({ kind: 'commit', project, sha: value.toLowerCase() }) },
];

export function parseGitLabUrl(input: string, gitlabUrl: string): GitLabObjectUrl | null {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (/^\/groups\//i.test(url.pathname.slice(new URL(gitlabUrl).pathname.replace(/\/+$/, '').length))) return null;
  const separator = url.pathname.indexOf('/-/');
  if (separator < 0) return null;
  // A page below the object (…/merge_requests/4/diffs, …/pipelines/9/builds) previews the object.
  const rest = url.pathname.slice(separator + 3).replace(/\/+$/, '');
  const project = parseTarget(`${url.origin}${url.pathname.slice(0, separator)}`, gitlabUrl);
  // A project lives in a group: a single segment is a user or group page, never a project.
  if (!project.ok || !project.path.includes('/')) return null;
  for (const { pattern, read } of ROUTES) {
    const match = pattern.exec(rest.split('/').slice(0, 2).join('/'));
    if (match && (match[1]!.length < 16 || !/^\d+$/.test(match[1]!))) return read(project.path, match[1]!);
  }
  return null;
}

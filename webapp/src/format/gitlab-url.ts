/** Which links get a GitLab preview: issues and merge requests under the bridge's GitLab, any group depth. */
const ITEM_PATH = /^\/(.+?)\/-\/(issues|merge_requests|work_items)\/(\d+)\/?$/;

export interface GitLabItemLink {
  kind: 'issue' | 'merge_request';
  project: string;
  iid: number;
}

export function parseGitLabItemUrl(href: string, gitlabUrl: string | undefined): GitLabItemLink | null {
  if (!gitlabUrl) return null;
  let url: URL;
  let base: URL;
  try {
    url = new URL(href);
    base = new URL(gitlabUrl);
  } catch {
    return null;
  }
  if (url.origin !== base.origin) return null;
  const prefix = base.pathname.replace(/\/+$/, '');
  if (prefix && !url.pathname.startsWith(`${prefix}/`)) return null;
  const match = ITEM_PATH.exec(url.pathname.slice(prefix.length));
  if (!match) return null;
  return { kind: match[2] === 'merge_requests' ? 'merge_request' : 'issue', project: decodeURIComponent(match[1]!), iid: Number(match[3]) };
}

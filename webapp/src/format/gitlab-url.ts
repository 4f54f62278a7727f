/** Which links get a GitLab preview: issues and merge requests under the bridge's GitLabs, any group depth. */
import type { Me } from '../api/types';

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

/**
 * The GitLabs whose links are previewed for this viewer: each instance they are connected to (the bridge
 * reads a link as them on its own instance). A bridge that lists no instances: its one GitLab, once connected.
 */
export function viewerGitLabUrls(me: Me | null | undefined): string[] {
  if (!me) return [];
  if (me.instances) return me.instances.filter((instance) => instance.connected).map((instance) => instance.url);
  return me.connected ? [me.gitlabUrl] : [];
}

/** An issue or merge request link under any of `gitlabUrls`. */
export function parseGitLabItemUrlOn(href: string, gitlabUrls: readonly string[]): GitLabItemLink | null {
  for (const gitlabUrl of gitlabUrls) {
    const link = parseGitLabItemUrl(href, gitlabUrl);
    if (link) return link;
  }
  return null;
}

/** A push: commits to a branch (compare link, the latest commits), or a branch created or deleted. */
import type { CommitSummary, PushDetails } from '../gitlab/events/details.js';
import type { GitLabEvent } from '../gitlab/events/event.js';
import { plural } from './format.js';
import { actorLink, link, projectLink } from './links.js';
import { parts, type PostParts, type RenderContext } from './parts.js';
import { code, inline } from './text.js';

/** Commits listed in a full post; the rest are counted. */
export const LISTED_COMMITS = 5;

export function renderPush(event: GitLabEvent, details: PushDetails, context: RenderContext): PostParts {
  const who = actorLink(event.actor, context);
  const where = projectLink(event.project, context);
  const branch = event.ref ?? '';
  if (event.action === 'branch_deleted') return parts(`${who} deleted branch ${code(branch)} in ${where}`);

  const branchLink = link(code(branch), details.branchUrl);
  const count = plural(details.totalCommits, 'commit');
  const headline =
    event.action === 'branch_created'
      ? `${who} created branch ${branchLink} in ${where}${details.totalCommits ? ` with ${count}` : ''}`
      : `${who} pushed ${count} to ${branchLink} in ${where}`;
  return parts(headline, [details.compareUrl && link('Compare changes', details.compareUrl)], [listCommits(details)]);
}

/** The latest commits, newest first, and how many more there are. */
function listCommits(details: PushDetails): string | null {
  const shown = details.commits.slice(-LISTED_COMMITS).reverse();
  if (!shown.length) return null;
  const more = details.totalCommits - shown.length;
  return [...shown.map(describeCommit), ...(more > 0 ? [`- … and ${more} more`] : [])].join('\n');
}

function describeCommit(commit: CommitSummary): string {
  const author = commit.authorName ? ` — ${inline(commit.authorName, 80)}` : '';
  return `- ${link(code(commit.sha.slice(0, 8)), commit.url)} ${inline(commit.title, 120)}${author}`;
}

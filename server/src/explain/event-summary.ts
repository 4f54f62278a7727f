/**
 * One line of plain text and a GitLab link for an event, as `subscriptions
 * explain` lists it (`!12 Fix login`, `3 commits to main`). Pure. What it says
 * is GitLab content: the report shows it only to viewers allowed to see the
 * event (explain/explain-report.ts), and the command makes it safe to post.
 */
import type { GitLabEvent } from '../gitlab/events/event.js';
import { oneLine, truncate } from '../render/text.js';

const MAX = 200;

export function summarizeEvent(event: GitLabEvent): string {
  return truncate(oneLine(describe(event)), MAX);
}

function describe(event: GitLabEvent): string {
  const { details, target, ref } = event;
  const on = target ? `${target.reference} ${target.title}` : null;
  switch (details.kind) {
    case 'push':
      if (event.action === 'branch_created') return `branch ${ref} created`;
      if (event.action === 'branch_deleted') return `branch ${ref} deleted`;
      return `${details.totalCommits} commit${details.totalCommits === 1 ? '' : 's'} to ${ref}`;
    case 'tag_push':
      return `tag ${ref} ${event.action}`;
    case 'issue':
    case 'merge_request':
      return on ?? event.kind;
    case 'note':
      return `comment on ${on ?? (details.commit ? `commit ${details.commit.sha.slice(0, 8)}` : details.snippet ? `snippet ${details.snippet.title}` : details.on)}`;
    case 'pipeline':
      return `pipeline #${details.id}${ref ? ` on ${ref}` : ''}${on ? ` for ${on}` : ''}`;
    case 'job':
      return `job ${details.name}${ref ? ` on ${ref}` : ''}`;
    case 'deployment':
      return `deployment to ${details.environment}`;
    case 'release':
      return `release ${details.name || details.tag}`;
    case 'wiki_page':
      return `wiki page ${details.title}`;
    case 'milestone':
      return `milestone ${details.title}`;
    case 'feature_flag':
      return `feature flag ${details.name}`;
    case 'emoji':
      return `:${details.name}: on ${on ?? details.awardableType}`;
    case 'access_token':
      return `access token ${details.name}`;
    case 'vulnerability':
      return details.title;
    case 'member':
      return `member ${details.member.username ?? details.member.name}`;
    case 'project':
      return `project ${details.path}`;
    case 'subgroup':
      return `subgroup ${details.path}`;
    case 'system':
      return details.subject ?? event.action;
  }
}

/** Where the event is seen in GitLab: the item itself when the payload links it, else its project or group. */
export function eventUrl(event: GitLabEvent): string | null {
  const { details } = event;
  const own = ((): string | null => {
    switch (details.kind) {
      case 'push':
        return details.compareUrl ?? details.branchUrl;
      case 'tag_push':
        return details.tagUrl;
      case 'note':
        return details.url;
      case 'pipeline':
      case 'job':
      case 'release':
      case 'wiki_page':
      case 'milestone':
      case 'feature_flag':
      case 'vulnerability':
        return details.url;
      case 'deployment':
        return details.deployableUrl ?? details.environmentUrl;
      case 'emoji':
        return details.awardedOnUrl;
      default:
        return null;
    }
  })();
  return own || event.target?.url || event.project?.url || event.group?.url || null;
}

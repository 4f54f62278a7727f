/**
 * What polling a project cannot see of what a subscription asks for, so that
 * a polled subscription says so instead of missing it silently. Pure; the
 * table follows what the pollers report (hooks-from-api.ts, pipeline-hook.ts,
 * release-hook.ts, deployment-hook.ts): GitLab's events API records no
 * updates of merge requests and issues, no jobs, wiki pages' and milestones'
 * events only as bare "created/updated", and nothing at all of feature flags,
 * emoji, access tokens or vulnerabilities; a deleted release leaves no trace.
 */
import type { EventKind } from '../gitlab/events/event.js';
import { DEFAULT_EVENTS } from '../rules/subscription.js';

type Coverage =
  /** Everything a webhook would bring. */
  | { seen: 'all' }
  /** Nothing: `name` says what, for people. */
  | { seen: 'none'; name: string }
  /** These actions (as subscriptions name them, `merge_request:merged`); `unseen` says what else a webhook brings. */
  | { seen: readonly string[]; unseen: string };

const COVERAGE: Record<EventKind, Coverage> = {
  push: { seen: 'all' },
  tag_push: { seen: 'all' },
  merge_request: {
    seen: ['opened', 'closed', 'reopened', 'merged', 'approval', 'approved'],
    unseen: 'merge request updates (new commits, reviewers, labels, draft to ready) and unapprovals',
  },
  issue: { seen: ['opened', 'closed', 'reopened'], unseen: 'issue updates (labels, assignees, edits)' },
  // Every action, but not every comment: the events API names no commit or snippet a comment is on in a way the bridge can read, and records no edits.
  note: { seen: [], unseen: 'comments on commits and snippets, and edited comments' },
  pipeline: { seen: 'all' },
  job: { seen: 'none', name: 'jobs' },
  deployment: { seen: 'all' },
  release: { seen: ['created', 'updated'], unseen: 'release deletions' },
  wiki_page: { seen: 'none', name: 'wiki pages' },
  milestone: { seen: 'none', name: 'milestones' },
  feature_flag: { seen: 'none', name: 'feature flags' },
  emoji: { seen: 'none', name: 'emoji reactions' },
  access_token: { seen: 'none', name: 'access tokens about to expire' },
  vulnerability: { seen: 'none', name: 'vulnerabilities' },
  member: { seen: 'none', name: 'membership changes' },
  project: { seen: 'none', name: 'project events' },
  subgroup: { seen: 'none', name: 'subgroup events' },
  system: { seen: 'none', name: 'system events' },
};

/**
 * What polling misses of `events` (a subscription's `--events`; the default ones when absent), in
 * words, each once, in the order the events name them.
 */
export function pollingBlindSpots(events: readonly string[] | undefined): string[] {
  const missed: string[] = [];
  for (const entry of events?.length ? events : DEFAULT_EVENTS) {
    const [kind, action] = entry.split(':', 2) as [EventKind, string | undefined];
    const coverage = COVERAGE[kind];
    if (!coverage || coverage.seen === 'all') continue;
    const words =
      coverage.seen === 'none'
        ? coverage.name
        : action === undefined || kind === 'note'
          ? coverage.unseen
          : coverage.seen.includes(action)
            ? null
            : `${kind}:${action}`;
    if (words && !missed.includes(words)) missed.push(words);
  }
  return missed;
}

/**
 * One sentence for a polled subscription, or null when polling sees all it asks for. Plain text
 * unless `remedy` (what brings the rest, e.g. the command that adds a webhook) has Markdown.
 */
export function describeBlindSpots(events: readonly string[] | undefined, remedy?: string): string | null {
  const missed = pollingBlindSpots(events);
  return missed.length === 0 ? null : `Polling cannot see ${missed.join('; ')}: only a webhook brings those${remedy ? ` (${remedy})` : ''}.`;
}

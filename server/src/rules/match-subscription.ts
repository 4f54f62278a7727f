/**
 * Does this subscription want this event? Pure: the store narrows candidates by
 * path (indexed), these rules decide. Each refusal names its rule by a stable
 * code and says why in a sentence: the processor records both for
 * `/gitlab subscriptions explain` (delivery/explain-delivery.ts), so "why was
 * this not posted?" has an answer.
 */
import type { GitLabEvent } from '../gitlab/events/event.js';
import { matchesGlob, pathOrAncestorMatches } from './glob.js';
import { DEFAULT_EVENTS, DEFAULT_PIPELINE_STATUSES, type Subscription } from './subscription.js';

/**
 * Which rule refused an event. `outside_target` only when a renamed project's subscription was found
 * by id: the subscription is not about the event's path, so explanations leave it out.
 */
export type MatchRule =
  | 'outside_target'
  | 'excluded_path'
  | 'not_visible'
  | 'confidential_not_opted_in'
  | 'confidential_not_vouched'
  | 'kind_not_selected'
  | 'pipeline_status'
  | 'branch_filter'
  | 'label_filter'
  | 'draft'
  | 'excluded_author';

export type Verdict = { wanted: true } | { wanted: false; rule: MatchRule; reason: string };

const WANTED: Verdict = { wanted: true };
const refuse = (rule: MatchRule, reason: string): Verdict => ({ wanted: false, rule, reason });
const listed = (items: readonly string[]): string => items.join(',');

/** Kinds whose `ref` is a branch the `branches` filter applies to. */
const BRANCH_KINDS = new Set(['push', 'pipeline', 'job', 'deployment']);

/**
 * What processing found out about who may see the event: `openToAll` when its project is public and
 * so is the feature it belongs to (rules/feature-visibility.ts isOpenToAll). Group-level and system
 * events, private and internal projects, and features kept to members are not.
 */
export interface EventAudience {
  openToAll: boolean;
}

export function matchSubscription(subscription: Subscription, event: GitLabEvent, audience: EventAudience): Verdict {
  const path = eventPath(event);
  if (!path || !covers(subscription, path)) return refuse('outside_target', 'outside the subscribed project or group');
  const { filters } = subscription;
  if (filters.exclude?.length && pathOrAncestorMatches(path, filters.exclude)) return refuse('excluded_path', `${path} is excluded (--exclude ${listed(filters.exclude)})`);

  if (!audience.openToAll && !subscription.privateAccess) return refuse('not_visible', 'not open to everyone (a private project, or a feature kept to members), and the subscriber was not shown to have access');
  if ((event.confidential || event.internal) && !subscription.confidential) return refuse('confidential_not_opted_in', 'confidential or internal, and the subscription is not opted in (--confidential)');
  if ((event.confidential || event.internal) && !subscription.confidentialBy) return refuse('confidential_not_vouched', 'confidential or internal, and nobody connected with access vouches for the opt-in');

  const readyTransition = draftChange(event) === 'to_ready';
  const events = filters.events?.length ? filters.events : DEFAULT_EVENTS;
  const asOpened = filters.drafts === 'ready' && readyTransition;
  if (!wantsKind(events, event.kind, event.action) && !(asOpened && wantsKind(events, event.kind, 'opened'))) {
    return refuse('kind_not_selected', `event ${event.kind}:${event.action} not selected (events: ${listed(events)})`);
  }

  if (event.kind === 'pipeline') {
    const statuses = filters.pipelines?.length ? filters.pipelines : DEFAULT_PIPELINE_STATUSES;
    const status = event.action;
    const ok = statuses.some((wanted) => wanted === status || (status === 'fixed' && wanted === 'success'));
    if (!ok) return refuse('pipeline_status', `pipeline status ${status} not selected (pipelines: ${listed(statuses)})`);
  }

  if (BRANCH_KINDS.has(event.kind) && event.ref !== null) {
    if (filters.branches?.length) {
      if (!matchesGlob(event.ref, filters.branches)) return refuse('branch_filter', `branch ${event.ref} not selected (branches: ${listed(filters.branches)})`);
    } else if (event.kind === 'pipeline' && !onDefaultBranchOrMergeRequest(event)) {
      return refuse('branch_filter', `pipeline on ${event.ref}, neither the default branch nor a merge request's (without --branches, only those)`);
    }
  }

  if (filters.labels?.length && event.target) {
    const have = new Set(event.labels.map((label) => label.toLowerCase()));
    const want = filters.labels.map((label) => label.toLowerCase());
    const ok = filters.labelsMatch === 'all' ? want.every((label) => have.has(label)) : want.some((label) => have.has(label));
    if (!ok) return refuse('label_filter', `label filter ${filters.labelsMatch === 'all' ? '(all of) ' : ''}${listed(filters.labels)} did not match labels: ${event.labels.length ? listed(event.labels) : 'none'}`);
  }

  if (event.target?.type === 'merge_request' && event.target.draft && (filters.drafts === 'exclude' || filters.drafts === 'ready')) {
    return refuse('draft', `draft merge request (drafts: ${filters.drafts})`);
  }

  if (filters.excludeAuthors?.length) {
    const excluded = new Set(filters.excludeAuthors.map((name) => name.toLowerCase().replace(/^@/, '')));
    const people = [event.actor?.username, event.target?.author?.username].filter((name): name is string => !!name);
    const author = people.find((name) => excluded.has(name.toLowerCase()));
    if (author) return refuse('excluded_author', `${author} is an excluded author`);
  }
  return WANTED;
}

/** The full path an event is about: its project, else its group. */
export function eventPath(event: GitLabEvent): string | null {
  return (event.project?.path ?? event.group?.path ?? null)?.toLowerCase() ?? null;
}

/** A project subscription covers its project; a group one its group and everything below it. */
export function covers(subscription: Pick<Subscription, 'targetKind' | 'targetPath'>, path: string): boolean {
  const lower = path.toLowerCase();
  if (subscription.targetKind === 'project') return lower === subscription.targetPath;
  return lower === subscription.targetPath || lower.startsWith(`${subscription.targetPath}/`);
}

/** The paths a subscription must have for `path` to be covered: itself and each ancestor namespace. */
export function coveringPaths(path: string): string[] {
  const segments = path.toLowerCase().split('/');
  return segments.map((_, index) => segments.slice(0, index + 1).join('/'));
}

function wantsKind(events: readonly string[], kind: string, action: string): boolean {
  return events.some((entry) => entry === kind || entry === `${kind}:${action}`);
}

function onDefaultBranchOrMergeRequest(event: GitLabEvent): boolean {
  if (event.target?.type === 'merge_request') return true;
  const defaultBranch = event.project?.defaultBranch;
  // Without knowing the default branch, the usual names stand in for it.
  return defaultBranch ? event.ref === defaultBranch : event.ref === 'main' || event.ref === 'master';
}

function draftChange(event: GitLabEvent): string | null {
  return event.details.kind === 'merge_request' ? event.details.changes.draft : null;
}

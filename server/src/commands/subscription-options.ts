/**
 * The options of `subscriptions add`, from words to a subscription's filters,
 * and the target (a path or any GitLab URL into the project or group). Pure:
 * every mistake comes back as one sentence for the user.
 */
import { EVENT_KINDS, type DraftFilter, type PipelineStatusFilter, type RenderStyle, type SubscriptionFilters } from '../rules/subscription.js';

export const SUBSCRIPTION_OPTIONS = {
  events: { type: 'string' },
  labels: { type: 'string' },
  'labels-match': { type: 'string' },
  branches: { type: 'string' },
  pipelines: { type: 'string' },
  drafts: { type: 'string' },
  exclude: { type: 'string' },
  'exclude-authors': { type: 'string' },
  style: { type: 'string' },
  'no-threads': { type: 'boolean' },
  confidential: { type: 'boolean' },
  poll: { type: 'boolean' },
} as const;

/** Only `subscriptions edit` takes these: they undo what `add`'s switches did. */
export const EDIT_ONLY_OPTIONS = {
  threads: { type: 'boolean' },
  'no-confidential': { type: 'boolean' },
  'no-poll': { type: 'boolean' },
} as const;

export interface SubscriptionSettings {
  filters: SubscriptionFilters;
  style: RenderStyle;
  threads: boolean;
  confidential: boolean;
  /** Poll the project's events and pipelines even when a webhook reaches the bridge. */
  poll: boolean;
}

/** Words people type for event kinds, beside the kinds' own names. */
const KIND_ALIASES: Record<string, string> = {
  mr: 'merge_request',
  mrs: 'merge_request',
  merge_requests: 'merge_request',
  'merge-request': 'merge_request',
  'merge-requests': 'merge_request',
  issues: 'issue',
  tag: 'tag_push',
  tags: 'tag_push',
  pushes: 'push',
  comment: 'note',
  comments: 'note',
  notes: 'note',
  pipelines: 'pipeline',
  jobs: 'job',
  deployments: 'deployment',
  releases: 'release',
  wiki: 'wiki_page',
  milestones: 'milestone',
};
const PIPELINE_STATUSES: readonly PipelineStatusFilter[] = ['failed', 'fixed', 'success', 'running', 'canceled'];
const DRAFTS: readonly DraftFilter[] = ['include', 'exclude', 'ready'];
const STYLES: readonly RenderStyle[] = ['full', 'compact', 'title'];

const list = (value: unknown): string[] =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean)
    : [];

export function parseSubscriptionOptions(values: Record<string, unknown>): { ok: true; settings: SubscriptionSettings } | { ok: false; error: string } {
  const filters: SubscriptionFilters = {};
  const events: string[] = [];
  for (const item of list(values.events)) {
    const [rawKind, action] = item.toLowerCase().split(':', 2) as [string, string | undefined];
    const kind = KIND_ALIASES[rawKind] ?? rawKind;
    if (!(EVENT_KINDS as readonly string[]).includes(kind)) {
      return { ok: false, error: `\`${item}\` is not an event kind. Use some of: ${EVENT_KINDS.join(', ')} (a kind may take an action: merge_request:merged)` };
    }
    events.push(action ? `${kind}:${action}` : kind);
  }
  if (events.length > 0) filters.events = [...new Set(events)];

  const labels = list(values.labels);
  if (labels.length > 0) filters.labels = labels;
  if (values['labels-match'] !== undefined) {
    if (values['labels-match'] !== 'any' && values['labels-match'] !== 'all') return { ok: false, error: '`--labels-match` is `any` or `all`' };
    filters.labelsMatch = values['labels-match'];
  }
  const branches = list(values.branches);
  if (branches.length > 0) filters.branches = branches;
  const pipelines = list(values.pipelines).map((status) => status.toLowerCase());
  const badStatus = pipelines.find((status) => !(PIPELINE_STATUSES as readonly string[]).includes(status));
  if (badStatus) return { ok: false, error: `\`${badStatus}\` is not a pipeline status. Use some of: ${PIPELINE_STATUSES.join(', ')}` };
  if (pipelines.length > 0) filters.pipelines = pipelines as PipelineStatusFilter[];
  if (values.drafts !== undefined) {
    if (!(DRAFTS as readonly unknown[]).includes(values.drafts)) return { ok: false, error: '`--drafts` is `include`, `exclude` or `ready` (only once marked ready)' };
    filters.drafts = values.drafts as DraftFilter;
  }
  const exclude = list(values.exclude).map((glob) => glob.replace(/^\/+|\/+$/g, '').toLowerCase());
  if (exclude.length > 0) filters.exclude = exclude;
  const authors = list(values['exclude-authors']).map((name) => name.replace(/^@/, ''));
  if (authors.length > 0) filters.excludeAuthors = authors;

  const style = (values.style ?? 'full') as RenderStyle;
  if (!STYLES.includes(style)) return { ok: false, error: '`--style` is `full`, `compact` (no descriptions) or `title` (one line)' };
  return { ok: true, settings: { filters, style, threads: values['no-threads'] !== true, confidential: values.confidential === true, poll: values.poll === true } };
}

const FILTER_OF_OPTION: Record<string, keyof SubscriptionFilters> = {
  events: 'events',
  labels: 'labels',
  'labels-match': 'labelsMatch',
  branches: 'branches',
  pipelines: 'pipelines',
  drafts: 'drafts',
  exclude: 'exclude',
  'exclude-authors': 'excludeAuthors',
};

/**
 * `subscriptions edit`: the options given replace what they name, an empty one
 * (`--labels=`) clears it back to the default, and everything else is kept.
 */
export function editSubscriptionSettings(current: SubscriptionSettings, values: Record<string, unknown>): { ok: true; settings: SubscriptionSettings } | { ok: false; error: string } {
  const given = Object.keys(values);
  if (given.length === 0) return { ok: false, error: 'Say what to change, e.g. `--events mr,issues` or `--style compact`' };
  const parsed = parseSubscriptionOptions(values);
  if (!parsed.ok) return parsed;
  const filters: SubscriptionFilters = { ...current.filters };
  for (const [option, key] of Object.entries(FILTER_OF_OPTION)) {
    if (!(option in values)) continue;
    const value = parsed.settings.filters[key];
    if (value === undefined) delete filters[key];
    else (filters as Record<string, unknown>)[key] = value;
  }
  if (values.threads === true && values['no-threads'] === true) return { ok: false, error: '`--threads` and `--no-threads` contradict each other' };
  if (values.confidential === true && values['no-confidential'] === true) return { ok: false, error: '`--confidential` and `--no-confidential` contradict each other' };
  if (values.poll === true && values['no-poll'] === true) return { ok: false, error: '`--poll` and `--no-poll` contradict each other' };
  return {
    ok: true,
    settings: {
      filters,
      style: 'style' in values ? parsed.settings.style : current.style,
      threads: values.threads === true ? true : values['no-threads'] === true ? false : current.threads,
      confidential: values.confidential === true ? true : values['no-confidential'] === true ? false : current.confidential,
      poll: values.poll === true ? true : values['no-poll'] === true ? false : current.poll,
    },
  };
}

/**
 * `group/sub/project`, or a URL anywhere inside it on this GitLab
 * (`…/group/project/-/merge_requests/4`, `…/project.git`): the lower-case full path.
 */
export function parseTarget(input: string, gitlabUrl: string): { ok: true; path: string } | { ok: false; error: string } {
  let path = input.trim();
  if (/^https?:\/\//i.test(path)) {
    let url: URL;
    try {
      url = new URL(path);
    } catch {
      return { ok: false, error: `\`${input}\` is not a URL I can read` };
    }
    const base = new URL(gitlabUrl);
    if (url.host.toLowerCase() !== base.host.toLowerCase()) return { ok: false, error: `\`${input}\` is not on this bridge's GitLab (${base.host})` };
    // GitLab under a relative URL root (https://host/gitlab/…) keeps that prefix out of paths.
    const root = base.pathname.replace(/\/+$/, '');
    path = decodeURIComponent(url.pathname).slice(url.pathname.toLowerCase().startsWith(`${root.toLowerCase()}/`) ? root.length : 0);
    path = path.split('/-/')[0]!;
    if (path.startsWith('/groups/')) path = path.slice('/groups'.length);
  }
  path = path.replace(/^\/+|\/+$/g, '').replace(/\.git$/i, '').toLowerCase();
  if (!/^[a-z0-9_][a-z0-9_.-]*(\/[a-z0-9_][a-z0-9_.-]*)*$/.test(path)) {
    return { ok: false, error: `\`${input}\` is not a GitLab project or group path (like \`group/project\`) or URL` };
  }
  return { ok: true, path };
}

/**
 * The options of `subscriptions add`, from words to a subscription's filters,
 * and the target (a path or any GitLab URL into the project or group). Pure:
 * every mistake comes back as one sentence for the user.
 */
import type { GitLabInstanceConfig } from '../config.js';
import { chooseInstance, type GitLabInstances } from '../gitlab/instances.js';
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
  /** `--buttons on|off`, on `add` and `edit` alike: a word, not a switch pair. */
  buttons: { type: 'string' },
  /** `--sync-replies on|off`: replies in the subscription's threads become GitLab comments. */
  'sync-replies': { type: 'string' },
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
  /** Buttons on the posts (approve, merge, retry…). */
  buttons: boolean;
  /**
   * Replies in the subscription's threads go to GitLab as comments (by people who connected their
   * account). Absent when nobody said: adding, the channel's type decides (rules/subscription.ts
   * defaultSyncReplies, which only the add path learns); changing, it stays as it was.
   */
  syncReplies?: boolean;
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

/** A subscription's settings as structured input: the slash command's words and the webapp's JSON both become this. */
export interface SettingsInput {
  events?: string[];
  labels?: string[];
  labelsMatch?: string;
  branches?: string[];
  pipelines?: string[];
  drafts?: string;
  exclude?: string[];
  excludeAuthors?: string[];
  style?: string;
  threads?: boolean;
  buttons?: boolean;
  syncReplies?: boolean;
  confidential?: boolean;
  poll?: boolean;
}

/** How a front end names a setting in its messages: `--labels-match` for the command, `labelsMatch` for the API. */
export type OptionNamer = (setting: keyof SettingsInput | 'force') => string;

const KEBAB: Record<string, string> = { labelsMatch: 'labels-match', excludeAuthors: 'exclude-authors', syncReplies: 'sync-replies' };
/** The slash command's names. */
export const commandOptionName: OptionNamer = (setting) => `--${KEBAB[setting] ?? setting}`;

const cleanList = (items: readonly string[] | undefined): string[] => (items ?? []).map((item) => item.trim()).filter(Boolean);

/**
 * The one reading of a subscription's settings, for adding: checks every value and fills in the
 * defaults (no filter, style full, threads and buttons on; replies to GitLab as the channel's type says).
 */
export function readSettings(input: SettingsInput, name: OptionNamer = commandOptionName): { ok: true; settings: SubscriptionSettings } | { ok: false; error: string } {
  const filters: SubscriptionFilters = {};
  const events: string[] = [];
  for (const item of cleanList(input.events)) {
    const [rawKind, action] = item.toLowerCase().split(':', 2) as [string, string | undefined];
    const kind = KIND_ALIASES[rawKind] ?? rawKind;
    if (!(EVENT_KINDS as readonly string[]).includes(kind)) {
      return { ok: false, error: `\`${item}\` is not an event kind. Use some of: ${EVENT_KINDS.join(', ')} (a kind may take an action: merge_request:merged)` };
    }
    events.push(action ? `${kind}:${action}` : kind);
  }
  if (events.length > 0) filters.events = [...new Set(events)];

  const labels = cleanList(input.labels);
  if (labels.length > 0) filters.labels = labels;
  if (input.labelsMatch !== undefined) {
    if (input.labelsMatch !== 'any' && input.labelsMatch !== 'all') return { ok: false, error: `\`${name('labelsMatch')}\` is \`any\` or \`all\`` };
    filters.labelsMatch = input.labelsMatch;
  }
  const branches = cleanList(input.branches);
  if (branches.length > 0) filters.branches = branches;
  const pipelines = cleanList(input.pipelines).map((status) => status.toLowerCase());
  const badStatus = pipelines.find((status) => !(PIPELINE_STATUSES as readonly string[]).includes(status));
  if (badStatus) return { ok: false, error: `\`${badStatus}\` is not a pipeline status. Use some of: ${PIPELINE_STATUSES.join(', ')}` };
  if (pipelines.length > 0) filters.pipelines = [...new Set(pipelines)] as PipelineStatusFilter[];
  if (input.drafts !== undefined) {
    if (!(DRAFTS as readonly unknown[]).includes(input.drafts)) return { ok: false, error: `\`${name('drafts')}\` is \`include\`, \`exclude\` or \`ready\` (only once marked ready)` };
    filters.drafts = input.drafts as DraftFilter;
  }
  const exclude = cleanList(input.exclude).map((glob) => glob.replace(/^\/+|\/+$/g, '').toLowerCase());
  if (exclude.length > 0) filters.exclude = exclude;
  const authors = cleanList(input.excludeAuthors).map((author) => author.replace(/^@/, ''));
  if (authors.length > 0) filters.excludeAuthors = authors;

  const style = (input.style ?? 'full') as RenderStyle;
  if (!STYLES.includes(style)) return { ok: false, error: `\`${name('style')}\` is \`full\`, \`compact\` (no descriptions) or \`title\` (one line)` };
  const settings: SubscriptionSettings = { filters, style, threads: input.threads ?? true, buttons: input.buttons ?? true, confidential: input.confidential ?? false, poll: input.poll ?? false };
  if (input.syncReplies !== undefined) settings.syncReplies = input.syncReplies;
  return { ok: true, settings };
}

const FILTER_KEYS = ['events', 'labels', 'labelsMatch', 'branches', 'pipelines', 'drafts', 'exclude', 'excludeAuthors'] as const satisfies readonly (keyof SettingsInput & keyof SubscriptionFilters)[];

/**
 * The one way settings change: what `changes` names replaces the current value, a named filter
 * left empty (or undefined) goes back to the default, and everything else is kept.
 */
export function changeSettings(current: SubscriptionSettings, changes: SettingsInput, name: OptionNamer = commandOptionName): { ok: true; settings: SubscriptionSettings } | { ok: false; error: string } {
  const given = Object.keys(changes);
  if (given.length === 0) return { ok: false, error: `Say what to change, e.g. \`${name('events')}\` or \`${name('style')}\`` };
  const parsed = readSettings(changes, name);
  if (!parsed.ok) return parsed;
  const filters: SubscriptionFilters = { ...current.filters };
  for (const key of FILTER_KEYS) {
    if (!(key in changes)) continue;
    const value = parsed.settings.filters[key];
    if (value === undefined) delete filters[key];
    else (filters as Record<string, unknown>)[key] = value;
  }
  return {
    ok: true,
    settings: {
      filters,
      style: changes.style !== undefined ? parsed.settings.style : current.style,
      threads: changes.threads ?? current.threads,
      buttons: changes.buttons ?? current.buttons,
      syncReplies: changes.syncReplies ?? current.syncReplies,
      confidential: changes.confidential ?? current.confidential,
      poll: changes.poll ?? current.poll,
    },
  };
}

/** `--buttons on|off`, `--sync-replies on|off`: absent is undefined; any other word is a mistake to explain. */
function readSwitch(values: Record<string, unknown>, option: 'buttons' | 'sync-replies'): { ok: true; on: boolean | undefined } | { ok: false; error: string } {
  if (!(option in values)) return { ok: true, on: undefined };
  const word = String(values[option]).trim().toLowerCase();
  if (word !== 'on' && word !== 'off') return { ok: false, error: `\`--${option}\` is \`on\` or \`off\`` };
  return { ok: true, on: word === 'on' };
}

/** Both word switches, or the first mistake. */
function readSwitches(values: Record<string, unknown>): { ok: true; buttons: boolean | undefined; syncReplies: boolean | undefined } | { ok: false; error: string } {
  const buttons = readSwitch(values, 'buttons');
  if (!buttons.ok) return buttons;
  const syncReplies = readSwitch(values, 'sync-replies');
  if (!syncReplies.ok) return syncReplies;
  return { ok: true, buttons: buttons.on, syncReplies: syncReplies.on };
}

/** The command's words (`--events mr,issues`) as structured input: comma lists split. */
function wordsToInput(values: Record<string, unknown>): SettingsInput {
  const input: SettingsInput = {};
  const lists = { events: 'events', labels: 'labels', branches: 'branches', pipelines: 'pipelines', exclude: 'exclude', 'exclude-authors': 'excludeAuthors' } as const;
  for (const [option, key] of Object.entries(lists)) if (option in values) input[key] = list(values[option]);
  if ('labels-match' in values) input.labelsMatch = String(values['labels-match']);
  if ('drafts' in values) input.drafts = String(values.drafts);
  if ('style' in values) input.style = String(values.style);
  return input;
}

export function parseSubscriptionOptions(values: Record<string, unknown>): { ok: true; settings: SubscriptionSettings } | { ok: false; error: string } {
  const switches = readSwitches(values);
  if (!switches.ok) return switches;
  const input: SettingsInput = { ...wordsToInput(values), threads: values['no-threads'] !== true, buttons: switches.buttons, confidential: values.confidential === true, poll: values.poll === true };
  if (switches.syncReplies !== undefined) input.syncReplies = switches.syncReplies;
  return readSettings(input);
}

/**
 * `subscriptions edit`: the options given replace what they name, an empty one
 * (`--labels=`) clears it back to the default, and everything else is kept.
 */
export function editSubscriptionSettings(current: SubscriptionSettings, values: Record<string, unknown>): { ok: true; settings: SubscriptionSettings } | { ok: false; error: string } {
  if (Object.keys(values).length === 0) return { ok: false, error: 'Say what to change, e.g. `--events mr,issues` or `--style compact`' };
  if (values.threads === true && values['no-threads'] === true) return { ok: false, error: '`--threads` and `--no-threads` contradict each other' };
  if (values.confidential === true && values['no-confidential'] === true) return { ok: false, error: '`--confidential` and `--no-confidential` contradict each other' };
  if (values.poll === true && values['no-poll'] === true) return { ok: false, error: '`--poll` and `--no-poll` contradict each other' };
  const switches = readSwitches(values);
  if (!switches.ok) return switches;
  const switched = (on: string, off: string): boolean | undefined => (values[on] === true ? true : values[off] === true ? false : undefined);
  const changes: SettingsInput = wordsToInput(values);
  const threads = switched('threads', 'no-threads');
  const confidential = switched('confidential', 'no-confidential');
  const poll = switched('poll', 'no-poll');
  if (threads !== undefined) changes.threads = threads;
  if (switches.buttons !== undefined) changes.buttons = switches.buttons;
  if (switches.syncReplies !== undefined) changes.syncReplies = switches.syncReplies;
  if (confidential !== undefined) changes.confidential = confidential;
  if (poll !== undefined) changes.poll = poll;
  return changeSettings(current, changes);
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

/**
 * A target on one of several GitLabs: a path on the default one (or on `--instance`), or a URL of any
 * configured instance. A URL of a GitLab the bridge does not know, an unknown `--instance`, or one that
 * contradicts the URL, is a sentence for the user. With one GitLab the answers are parseTarget's.
 */
export function resolveTarget(
  input: string,
  instances: GitLabInstances,
  instance: string | undefined,
): { ok: true; instance: GitLabInstanceConfig; path: string } | { ok: false; error: string } {
  const chosen = chooseInstance(instances, { instance, target: input });
  if (!chosen.ok) {
    // One GitLab and no name given: the URL is simply not on it, said as it always was.
    if (!instances.several && instance === undefined) {
      const alone = parseTarget(input, instances.default.url);
      return alone.ok ? { ok: true, instance: instances.default, path: alone.path } : alone;
    }
    return chosen;
  }
  const target = parseTarget(input, chosen.instance.url);
  return target.ok ? { ok: true, instance: chosen.instance, path: target.path } : target;
}

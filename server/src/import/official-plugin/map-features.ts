/**
 * An official-plugin subscription in the bridge's terms: its path key as a project or group, and its
 * Features as the filters of `/gitlab subscriptions add`. Pure. The feature words are those of allFeatures
 * in the plugin's server/subscription/subscription.go (merges, jobs, issues, pushes, issue_comments,
 * merge_request_comments, pipeline, tag, pull_reviews, confidential_issues, deployments, releases) and
 * `label:"name"` (one in older versions, any number since); what each posted is read from its
 * server/webhook/*.go. The plugin tests a feature with strings.Contains on the whole list, so
 * `confidential_issues` alone also turned `issues` on: the same is done here.
 */
import type { SettingsInput } from '../../commands/subscription-options.js';
import { code } from '../../render/text.js';

export interface MappedSubscription {
  kind: 'project' | 'group';
  /** Lower-case full path. */
  path: string;
  /** What `subscriptions add` would be given. */
  settings: Required<Pick<SettingsInput, 'events'>> & Pick<SettingsInput, 'labels' | 'pipelines' | 'branches'>;
  /** How each feature came over, for the report: `merges → merge_request`. */
  mapped: string[];
  /** What has no equal here, or comes over only in part, and why. */
  notes: string[];
  /** `confidential_issues` was on: that needs a connected Reporter's opt-in here, never an import's. */
  confidentialAsked: boolean;
}

export type MappingOutcome = { ok: true; subscription: MappedSubscription } | { ok: false; reason: string };

const SEGMENT = /^[a-z0-9_][a-z0-9_.-]*$/;

/** What each plain feature becomes: event kinds (with actions), and a line saying so. */
const FEATURES: Record<string, { events: string[]; says: string }> = {
  merges: { events: ['merge_request'], says: 'merges → merge_request' },
  issues: { events: ['issue'], says: 'issues → issue' },
  pushes: { events: ['push'], says: 'pushes → push' },
  tag: { events: ['tag_push'], says: 'tag → tag_push' },
  jobs: { events: ['job'], says: 'jobs → job' },
  deployments: { events: ['deployment'], says: 'deployments → deployment' },
  releases: { events: ['release'], says: 'releases → release' },
  // Approvals and their withdrawal ("changes were requested") are what it posted of reviews.
  pull_reviews: { events: ['merge_request:approved', 'merge_request:unapproved'], says: 'pull_reviews → merge_request:approved, merge_request:unapproved' },
  // handleChannelPipeline posted running, success and failed pipelines of every branch.
  pipeline: { events: ['pipeline'], says: 'pipeline → pipeline (running, success and failed, on every branch, as the plugin posted them)' },
};
const COMMENTS = new Set(['issue_comments', 'merge_request_comments']);

export function mapSubscription(key: string, features: string): MappingOutcome {
  const target = readTarget(key);
  if (!target.ok) return target;
  const words = features
    .split(',')
    .map((word) => word.trim())
    .filter(Boolean);
  if (words.length === 0) return { ok: false, reason: 'it has no features: the plugin posted nothing for it' };

  const events: string[] = [];
  const labels: string[] = [];
  const mapped: string[] = [];
  const notes: string[] = [];
  let pipeline = false;
  let confidentialAsked = false;
  const comments = words.filter((word) => COMMENTS.has(word));
  for (const word of words) {
    if (word.startsWith('label:')) {
      const label = readLabel(word.slice('label:'.length));
      if (label === null) notes.push(`${code(word)} is not a label the plugin could read (it quotes them: label:"bug"); left out`);
      else if (label.trim() !== '') labels.push(label);
      continue;
    }
    if (word === 'confidential_issues') {
      confidentialAsked = true;
      events.push('issue');
      notes.push(
        'confidential_issues: confidential issues come over only when a member of a private channel with Reporter access on GitLab turns them on (`subscriptions edit … --confidential`); other issues come over',
      );
      continue;
    }
    if (COMMENTS.has(word)) continue;
    const feature = FEATURES[word];
    if (!feature) {
      notes.push(`${code(word)} is not a feature of the GitLab plugin; left out`);
      continue;
    }
    events.push(...feature.events);
    mapped.push(feature.says);
    if (word === 'pipeline') pipeline = true;
  }
  if (comments.length > 0) {
    events.push('note');
    mapped.push(`${comments.join(', ')} → note`);
    if (comments.length === 1) notes.push(`${comments[0]}: the bridge does not tell comments on issues from those on merge requests, so this channel gets both (and comments on commits)`);
  }
  if (labels.length > 0) mapped.push(`label → --labels ${labels.join(', ')} (any of them)`);
  const unique = [...new Set(events)];
  // merge_request already covers the approvals pull_reviews asked for.
  const kept = unique.includes('merge_request') ? unique.filter((event) => !event.startsWith('merge_request:')) : unique;
  if (kept.length === 0) return { ok: false, reason: `none of its features (${words.join(', ')}) has an equal here` };
  const settings: MappedSubscription['settings'] = { events: kept };
  if (labels.length > 0) settings.labels = labels;
  if (pipeline) {
    settings.pipelines = ['running', 'success', 'failed'];
    settings.branches = ['**'];
  }
  return { ok: true, subscription: { ...target, settings, mapped, notes, confidentialAsked } };
}

/** "group/project", or "group/sub/" for a whole group (fullPathFromNamespaceAndProject with no project). */
function readTarget(key: string): { ok: true; kind: 'project' | 'group'; path: string } | { ok: false; reason: string } {
  const trimmed = key.trim();
  const kind = trimmed.endsWith('/') ? 'group' : 'project';
  const path = trimmed.replace(/\/+$/, '').toLowerCase();
  const segments = path.split('/');
  if (path === '' || !segments.every((segment) => SEGMENT.test(segment)) || (kind === 'project' && segments.length < 2)) {
    return { ok: false, reason: `\`${key}\` is not a GitLab project or group path` };
  }
  return { ok: true, kind, path };
}

/** strconv.Unquote of a label token, as the plugin reads it: its text, or null when it is not quoted. */
function readLabel(raw: string): string | null {
  const quoted = raw.trim();
  if (quoted.length < 2 || !quoted.startsWith('"') || !quoted.endsWith('"')) return null;
  try {
    const label: unknown = JSON.parse(quoted);
    return typeof label === 'string' ? label : null;
  } catch {
    return null;
  }
}

/** A channel subscription as the matching rules see it (stored in `subscriptions`). */
import type { EventKind } from '../gitlab/events/event.js';

export type RenderStyle = 'full' | 'compact' | 'title';
export type PipelineStatusFilter = 'failed' | 'fixed' | 'success' | 'running' | 'canceled';
export type DraftFilter = 'include' | 'exclude' | 'ready';

export interface SubscriptionFilters {
  /** Event kinds, optionally narrowed to actions: `merge_request`, `merge_request:opened`. */
  events?: string[];
  labels?: string[];
  labelsMatch?: 'any' | 'all';
  /** Branch globs for push, pipeline, job and deployment events. */
  branches?: string[];
  pipelines?: PipelineStatusFilter[];
  drafts?: DraftFilter;
  /** GitLab usernames whose actions (or whose MRs and issues) are not posted. */
  excludeAuthors?: string[];
  /** Project path globs left out of a group subscription, e.g. `group/legacy/*`. */
  exclude?: string[];
}

export interface Subscription {
  id: string;
  channelId: string;
  targetKind: 'project' | 'group';
  /** Lower-case full path of the project or group. */
  targetPath: string;
  targetId: number | null;
  filters: SubscriptionFilters;
  style: RenderStyle;
  threads: boolean;
  /** Buttons on this subscription's posts (approve, merge, retry…); default on (`--buttons off`). */
  buttons: boolean;
  /**
   * Replies in this subscription's threads go to GitLab as comments (`--sync-replies on|off`):
   * see defaultSyncReplies; subscriptions made before migration 0021 stay off.
   */
  syncReplies: boolean;
  confidential: boolean;
  /** Who vouches for `confidential`: a connected user GitLab showed Reporter access (null: nobody, so none). */
  confidentialBy: string | null;
  privateAccess: boolean;
  /**
   * A system admin put this private or internal target into a public channel on purpose (`--force`):
   * its posts may go to a public channel. Otherwise what not everyone may read never does.
   */
  forced: boolean;
  creatorId: string;
}

/**
 * `--sync-replies` when the subscriber does not say: on in a private channel (type P), whose members
 * chose to be there; off in a public one (and in direct and group messages), where anyone may
 * reply without having thought of GitLab.
 */
export function defaultSyncReplies(channelType: string): boolean {
  return channelType === 'P';
}

/** What a subscription receives when it names no events: the things teams act on. */
export const DEFAULT_EVENTS: readonly string[] = ['merge_request', 'issue', 'tag_push', 'pipeline', 'release'];
export const DEFAULT_PIPELINE_STATUSES: readonly PipelineStatusFilter[] = ['failed', 'fixed'];

/** Every kind a subscription can name in `events`. */
export const EVENT_KINDS: readonly EventKind[] = [
  'push',
  'tag_push',
  'issue',
  'note',
  'merge_request',
  'pipeline',
  'job',
  'deployment',
  'release',
  'wiki_page',
  'milestone',
  'feature_flag',
  'emoji',
  'access_token',
  'vulnerability',
  'member',
  'project',
  'subgroup',
  'system',
];

/** The bridge's webapp API shapes (docs/webapp-api.md). Only what the plugin reads is declared. */

export const LIST_NAMES = ['reviews', 'assigned_mrs', 'my_mrs', 'assigned_issues', 'todos'] as const;
export type ListName = (typeof LIST_NAMES)[number];
export type Counts = Record<ListName, number>;

export interface Me {
  user: { id: string; username: string };
  connected: boolean;
  gitlab: { username: string; userId: number; webUrl: string } | null;
  gitlabUrl: string;
  /**
   * Every GitLab the bridge knows, the default first, and whether this user is connected to it: links
   * under any one they are connected to are previewed (read as them there). Absent from older bridges.
   */
  instances?: MeInstance[];
  connectUrl: string;
  /** `writes`: false when the bridge is read-only (GITLAB_OAUTH_SCOPES=read_api): nothing that writes to GitLab is offered. */
  features: { connect: boolean; createIssues: boolean; writes?: boolean };
}

export interface MeInstance {
  name: string;
  /** What people call it: the default's host, another's name. */
  label: string;
  url: string;
  connected: boolean;
}

export interface Person {
  username: string;
  name: string;
}

export interface Label {
  title: string;
  color: string | null;
  textColor: string | null;
}

export interface WorkItem {
  type: 'merge_request' | 'issue';
  reference: string;
  projectPath?: string;
  iid: number;
  title: string;
  url: string;
  author: Person | null;
  labels: Label[];
  createdAt: string;
  updatedAt: string;
  draft: boolean | null;
  pipelineStatus: string | null;
  approvals: { required: number; given: number } | null;
  conflicts: boolean | null;
  /** The GitLab instance it is on; `instanceLabel` only when the bridge has several (then shown). */
  instance?: string;
  instanceLabel?: string;
}

export interface WorkTodo {
  id: number;
  action: string;
  body: string;
  targetType: string;
  targetTitle: string;
  url: string | null;
  author: Person | null;
  projectPath: string | null;
  createdAt: string;
  /** The GitLab instance it is on (its id is that instance's); `instanceLabel` only when the bridge has several. */
  instance?: string;
  instanceLabel?: string;
}

export interface WorkListAnswer {
  list: ListName;
  total: number;
  items: (WorkItem | WorkTodo)[];
  updatedAt: string;
}

export interface Webhook {
  state: 'ok' | 'missing' | 'unknown' | 'polled';
  text: string;
}

export interface Subscription {
  id: string | number;
  target: { kind: 'project' | 'group'; path: string; url: string };
  /** The GitLab it is on: its name and what people call it (the default's host, another's name). */
  instance?: GitLabInstance;
  /** The viewer may add the missing webhook (connected there as someone GitLab lets do it). */
  canCreateWebhook?: boolean;
  events: string[];
  labels: string[];
  branches: string[];
  pipelines: string[];
  style: string;
  /** Buttons (approve, merge, retry…) on the subscription's posts. */
  buttons: boolean;
  /** Replies in the subscription's threads go to GitLab as comments. */
  syncReplies: boolean;
  webhook: Webhook;
  /** A group on a GitLab without group webhooks, kept in step with a webhook on each project: how far they reach. */
  projectHooks?: { state: 'complete' | 'partial' | 'stopped' | 'pending'; text: string } | null;
  /** Why the bridge turned confidential issues and notes off by itself (the opt-in's GitLab access ended). */
  confidentialStopped?: { at: string; reason: string } | null;
  /** The last post given up, e.g. members-only content after the channel was made public. */
  lastFailure?: string | null;
}

/** One of the bridge's GitLabs. */
export interface GitLabInstance {
  name: string;
  label: string;
}

/** GET /channels/{id}/subscriptions. */
export interface ChannelSubscriptions {
  subscriptions: Subscription[];
  canCreateWebhooks: boolean;
  /** Every GitLab the bridge knows, the default first: the form offers a choice only with several. */
  instances?: GitLabInstance[];
}

/** What the form sends: the settings the panel edits. */
export interface SubscriptionInput {
  target: string;
  /** The GitLab the target is on; left out for the default one. */
  instance?: string;
  events: string[];
  labels: string[];
  branches: string[];
  pipelines: string[];
  style: string;
  buttons: boolean;
  syncReplies: boolean;
}

export interface ProjectOption {
  id: number;
  path: string;
  name: string;
  webUrl?: string;
}

export interface IssueOption {
  iid: number;
  reference: string;
  title: string;
  state: string;
  url: string;
}

export type Preview =
  | {
      kind: 'issue';
      reference: string;
      title: string;
      state: string;
      confidential?: boolean;
      author: Person | null;
      assignees: Person[];
      labels: Label[];
      url: string;
      createdAt: string;
    }
  | {
      kind: 'merge_request';
      reference: string;
      title: string;
      state: string;
      draft: boolean;
      author: Person | null;
      assignees: Person[];
      labels: Label[];
      sourceBranch?: string;
      targetBranch?: string;
      pipelineStatus: string | null;
      approvals: { required: number; given: number } | null;
      conflicts: boolean | null;
      url: string;
      createdAt: string;
    };

/** What the bridge did with one event for one subscription (docs/webapp-api.md). */
export type ExplainOutcomeKind = 'posted' | 'dropped' | 'queued' | 'failing' | 'failed' | 'pending';

export interface ExplainOutcome {
  subscriptionId: string;
  channelId: string;
  /** Null when the bridge cannot name the channel (deleted, or not readable by its bot). */
  channelName: string | null;
  outcome: ExplainOutcomeKind;
  /** The rule's code when dropped (`label_filter`, `branch_filter`, …), else null. */
  rule: string | null;
  /** One sentence: which rule and why, or Mattermost's error while failing. */
  reason: string;
  /** The post's permalink when posted. */
  postUrl: string | null;
}

export interface ExplainEvent {
  deliveryId: string;
  receivedAt: string;
  source: 'webhook' | 'poll';
  kind: string;
  action: string;
  /** Plain text ("!12 Fix login"); null when the viewer may not see the event. */
  summary: string | null;
  url: string | null;
  /** One for a subscription's report; one per subscription in any channel for a project's. */
  outcomes: ExplainOutcome[];
}

export type HookState = 'working' | 'paused' | 'disabled' | 'failing' | 'missing' | 'unknown' | 'polling';

/** GET …/subscriptions/{id}/explain and GET /explain/project: the last events and what happened to each. */
export interface ExplainReport {
  target: { kind: 'project' | 'group'; path: string; instance: string; label: string | null };
  /** Newest first, at most 20. */
  events: ExplainEvent[];
  /** No event at all has arrived for the target (within what the bridge keeps). */
  nothingArrived: boolean;
  hook: { state: HookState; text: string; fix: string | null } | null;
}

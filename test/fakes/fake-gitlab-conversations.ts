/**
 * Conversations for the fake GitLab: comments on issues and merge requests (with their threads and internal
 * notes), award emoji, repository files, and the Note and Emoji webhooks GitLab sends about them. The fake
 * passes its data and rules in (the world); this module keeps what only conversations need: awards, tags,
 * file trees, and the webhook deliveries.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Declared, FakeGitLabHook, FakeGitLabIssue, FakeGitLabMergeRequest, FakeGitLabNote, FakeGitLabProject, FakeGitLabUser, Paging } from './fake-gitlab.js';

/** A comment as the fake keeps it. */
export interface FakeGitLabStoredNote extends FakeGitLabNote {
  createdAt: string;
  updatedAt: string;
  /** An internal note: the API's `internal`, the column `confidential`. */
  internal: boolean;
  /** 40 hex digits; a reply has its thread's. */
  discussionId: string;
  /** null for a comment on its own; DiscussionNote once it is part of a thread (Discussion#convert_to_discussion!). */
  type: 'DiscussionNote' | null;
}
export type ConversationIssue = Omit<FakeGitLabIssue, 'notes'> & { notes: FakeGitLabStoredNote[] };
export type ConversationMergeRequest = Omit<FakeGitLabMergeRequest, 'notes'> & { notes: FakeGitLabStoredNote[] };
export type ConversationNoteable = { kind: 'Issue'; issue: ConversationIssue } | { kind: 'MergeRequest'; mergeRequest: ConversationMergeRequest };

/** What tests name an issue or a merge request by, as the brief and GitLab's routes do. */
export type FakeGitLabNoteableKind = 'issue' | 'merge_request';

/** A comment as notesOf() and addNote() answer it. */
export interface FakeGitLabNoteRecord {
  id: number;
  body: string;
  authorId: number;
  /** The author's username. */
  author: string;
  internal: boolean;
  discussionId: string;
  type: 'DiscussionNote' | null;
  createdAt: string;
  updatedAt: string;
}

/** An award emoji on an issue or merge request. */
export interface FakeGitLabAward {
  id: number;
  /** GitLab's name, aliases resolved (+1 is kept as thumbsup). */
  name: string;
  userId: number;
  /** The awarder's username. */
  user: string;
  createdAt: string;
}

/** One webhook request the fake made (or, for recursion, refused to make). */
export interface FakeGitLabHookDelivery {
  hookId: number;
  url: string;
  /** X-Gitlab-Event. */
  event: string;
  headers: Record<string, string>;
  payload: Record<string, unknown>;
  /** The receiver's status; null when it could not be reached (then `error` says why) or when blocked. */
  status: number | null;
  error: string | null;
  /** Gitlab::WebHooks::RecursionDetection blocked it: never sent. */
  blocked: boolean;
}

/**
 * When webhooks go out relative to the API answer that caused them. GitLab sends them from Sidekiq, so a
 * receiver may see one before or after the caller has the answer: 'after-answer' (the default) sends them
 * once the answer is out, `delayMs` later; 'before-answer' holds the answer until they were delivered, and
 * `delayMs` more.
 */
export type FakeGitLabHookTiming = 'after-answer' | 'before-answer';

/** The conversation helpers of the fake GitLab (FakeGitLab has them all). */
export interface FakeGitLabConversations {
  /**
   * A comment made on GitLab's side by `authorId` (a 'commented on' event), no permission asked; it fires the
   * Note Hook (or Confidential Note Hook) soon after. With `discussionId`, a reply in that thread, internal if
   * the thread is.
   */
  addNote(
    projectPath: string,
    note: { targetType: 'Issue' | 'MergeRequest'; targetIid: number; authorId: number; body: string; internal?: boolean; discussionId?: string },
  ): FakeGitLabNoteRecord;
  /** The comments of an issue or merge request, oldest first, internal ones included. */
  notesOf(project: string | number, kind: FakeGitLabNoteableKind, iid: number): FakeGitLabNoteRecord[];
  /** Locks (or with false unlocks) the discussion, as a Maintainer's "Lock discussion" does. */
  lockDiscussion(project: string | number, kind: FakeGitLabNoteableKind, iid: number, locked?: boolean): void;
  /** The award emoji on an issue or merge request, in the order given. */
  awardsOf(project: string | number, kind: FakeGitLabNoteableKind, iid: number): FakeGitLabAward[];
  /** An award given on GitLab's side, no permission asked (an unknown name throws); it fires the Emoji Hook soon after. */
  addAward(project: string | number, kind: FakeGitLabNoteableKind, iid: number, award: { name: string; userId: number }): FakeGitLabAward;
  /**
   * Commits `content` at `path` on the branch `ref` (the default branch unless given; made from the default
   * branch when new), by `userId` when given (then a push event too), and answers the commit's sha. Other files
   * stay as they were.
   */
  addFile(project: string | number, path: string, content: string | Buffer, options?: { ref?: string; userId?: number; message?: string }): string;
  /** A tag on `ref` (a branch, tag or sha; the default branch unless given); answers the sha it points at. */
  addTag(project: string | number, name: string, ref?: string): string;
  /** Every webhook request that has finished (answered, failed or blocked), in the order they were triggered. */
  hooksSent(): FakeGitLabHookDelivery[];
  /**
   * Waits until `count` (1 unless given) finished deliveries match, and answers them all; rejects after
   * `timeoutMs` (5 s unless given) so that a test fails rather than hangs.
   */
  waitForHooks(match?: (delivery: FakeGitLabHookDelivery) => boolean, options?: { count?: number; timeoutMs?: number }): Promise<FakeGitLabHookDelivery[]>;
  /** See FakeGitLabHookTiming. */
  setHookTiming(timing: FakeGitLabHookTiming, delayMs?: number): void;
  /**
   * Calls `listener` as each comment is stored (through the API or addNote), e.g. for a bench to time it; answers
   * a function that stops it.
   */
  onNote(listener: (note: FakeGitLabNoteRecord, on: { project: string; kind: FakeGitLabNoteableKind; iid: number }) => void): () => void;
}

export type ConversationAnswer = [status: number, body: unknown, headers?: Record<string, string>];
/** An API request once authenticated, as the fake's router hands it on. */
export interface ConversationCall {
  userId: number | undefined;
  url: URL;
  params: Record<string, unknown>;
}
export interface ConversationRoute {
  method: string;
  pattern: RegExp;
  handle: (call: ConversationCall, segments: string[]) => ConversationAnswer;
  scopes?: string[];
}

/** A body answered as it is (GET …/raw), not as JSON. */
export class FakeGitLabRawBody {
  constructor(readonly data: Buffer) {}
}

/** The fake's data and rules this module reads and acts through, live. */
export interface FakeGitLabConversationsWorld {
  readonly base: string;
  /** What User-Agent: GitLab/<version> says. */
  readonly version: string;
  users: ReadonlyMap<number, FakeGitLabUser>;
  projects: ReadonlyMap<number, FakeGitLabProject>;
  projectAt(fullPath: string): FakeGitLabProject | undefined;
  /** GitLab's user_project: the project :id names if the caller may see it. */
  userProject(segment: string, userId: number | undefined): FakeGitLabProject | undefined;
  issueAt(project: FakeGitLabProject, iid: number): ConversationIssue | undefined;
  mergeRequestAt(project: FakeGitLabProject, iid: number): ConversationMergeRequest | undefined;
  /** The caller's role in the project (through its groups too); 0 for non-members and anonymous callers. */
  roleIn(project: FakeGitLabProject, userId: number | undefined): number;
  canReadIssue(issue: ConversationIssue, userId: number | undefined): boolean;
  canReadMergeRequest(mergeRequest: ConversationMergeRequest, userId: number | undefined): boolean;
  /** read_code (download_code). */
  canReadCode(project: FakeGitLabProject, userId: number | undefined): boolean;
  /** Now, ISO 8601, never twice the same. */
  stamp(): string;
  /** Note ids are global, and shared with the notes the fake makes elsewhere. */
  nextNoteId(): number;
  /** A comment was made: it touches its noteable and is a 'commented on' event. */
  commented(on: ConversationNoteable, note: FakeGitLabStoredNote): void;
  /** The hooks that fire for the project: its own, and its groups' where group hooks are licensed. */
  hooksFor(project: FakeGitLabProject): readonly FakeGitLabHook[];
  /** Entities::UserBasic. */
  userJson(id: number): Record<string, unknown>;
  detailedMergeStatus(mergeRequest: ConversationMergeRequest): string;
  hasBranch(project: FakeGitLabProject, name: string): boolean;
  /** A branch's head sha (made up, but stable, for a branch nothing was pushed to). */
  headOf(project: FakeGitLabProject, branch: string): string;
  /** A pushed commit by sha (7 hex digits or more) or by the branch it heads. */
  commitAt(project: FakeGitLabProject, ref: string): { sha: string; message: string; authorName: string; authorEmail: string; createdAt: string } | undefined;
  /** A commit on `branch` (made from the default branch when new), pushed by `userId` when given; its sha. */
  commitTo(project: FakeGitLabProject, branch: string, message: string, userId: number | undefined): string;
  /** The parents of a commit the fake made; none for a made-up head. */
  parentsOf(sha: string): readonly string[];
  /** Grape's parameter checks, as the fake's other routes make them. */
  declared(params: Record<string, unknown>): Declared;
  /** One page of a list with GitLab's pagination headers. */
  pageOf(items: unknown[], paging: Paging, url: URL): ConversationAnswer;
}

/** Hook scopes, with the trigger flag each needs and the X-Gitlab-Event it sends (WebHookService.hook_to_event). */
const HOOK_SCOPES = {
  note_hooks: { flag: 'note_events', event: 'Note Hook' },
  confidential_note_hooks: { flag: 'confidential_note_events', event: 'Confidential Note Hook' },
  emoji_hooks: { flag: 'emoji_events', event: 'Emoji Hook' },
} as const;
type HookScope = keyof typeof HOOK_SCOPES;

/** Gitlab::WebHooks::RecursionDetection::COUNT_LIMIT: a chain of this many hooks is stopped. */
const RECURSION_LIMIT = 100;
/** Gitlab.config.gitlab.webhook_timeout's default. */
const HOOK_TIMEOUT_MS = 10_000;

/**
 * A subset of TanukiEmoji's alpha codes (what Gitlab::EmojiNameValidator accepts), with the aliases
 * AwardEmojis::BaseService#normalize_name turns into their emoji's name. GitLab knows some 1,800; a name
 * outside this list is refused here as GitLab refuses one it does not know.
 */
const EMOJI_NAMES = new Set(
  (
    'thumbsup thumbsdown smile smiley grinning laughing joy rofl slight_smile upside_down wink blush innocent heart_eyes ' +
    'sunglasses thinking neutral_face confused worried disappointed cry sob angry rage scream sweat_smile flushed ' +
    'stuck_out_tongue sleeping mask eyes heart broken_heart fire 100 tada rocket sparkles star clap pray ok_hand wave ' +
    'raised_hands muscle point_up point_right white_check_mark heavy_check_mark x warning no_entry question exclamation ' +
    'bulb bug zap hourglass memo lock key gear wrench hammer link construction checkered_flag coffee beer pizza cake ' +
    'gift trophy robot ghost skull hankey see_no_evil speech_balloon thought_balloon heavy_plus_sign heavy_minus_sign ' +
    'arrow_up arrow_down repeat recycle rotating_light ship package bookmark pushpin paperclip calendar mag'
  ).split(' '),
);
const EMOJI_ALIASES: Record<string, string> = { '+1': 'thumbsup', '-1': 'thumbsdown', satisfied: 'laughing', poop: 'hankey', shit: 'hankey', thumbs_up: 'thumbsup' };

/** One award as kept. */
interface StoredAward {
  id: number;
  name: string;
  userId: number;
  on: ConversationNoteable;
  createdAt: string;
}

/** A hook about to go out: its payload is built when it is triggered, as GitLab's services build it. */
interface PendingHook {
  hook: FakeGitLabHook;
  event: string;
  payload: Record<string, unknown>;
}

const UNAUTHORIZED: ConversationAnswer = [401, { message: '401 Unauthorized' }];
const FORBIDDEN: ConversationAnswer = [403, { message: '403 Forbidden' }];
const PROJECT_NOT_FOUND: ConversationAnswer = [404, { message: '404 Project Not Found' }];
/** ActiveRecord::RecordNotFound, as GitLab's API words it (`noteable.notes.find`, `find_by!`). */
const NOT_FOUND: ConversationAnswer = [404, { message: '404 Not found' }];
/**
 * find_noteable's not_found!(noteable_type). GitLab's class name would give "404 MergeRequest Not Found"; the
 * fake has always said "Merge Request" and its tests hold it to that.
 */
const NOTEABLE_NOT_FOUND: Record<ConversationNoteable['kind'], ConversationAnswer> = {
  Issue: [404, { message: '404 Issue Not Found' }],
  MergeRequest: [404, { message: '404 Merge Request Not Found' }],
};
/** NotesHelpers#process_note_creation_result: bad_request!("Note #{note.errors.messages}"), in Ruby's Hash#inspect. */
const noteInvalid = (attribute: string, message: string): ConversationAnswer => [400, { message: `400 Bad request - Note {:${attribute}=>["${message}"]}` }];

const NOTEABLE_SEGMENT = '(issues|merge_requests)';
const kindOfSegment = (segment: string): ConversationNoteable['kind'] => (segment === 'issues' ? 'Issue' : 'MergeRequest');
const kindOfName = (kind: FakeGitLabNoteableKind): ConversationNoteable['kind'] => (kind === 'issue' ? 'Issue' : 'MergeRequest');
const noteableOf = (on: ConversationNoteable) => (on.kind === 'Issue' ? on.issue : on.mergeRequest);
/** The time format of hook payloads (Ruby's Time#to_s in UTC), as GitLab's documented payloads show. */
const hookTime = (iso: string | null) => (iso === null ? null : iso.replace('T', ' ').replace(/(\.\d+)?Z$/, ' UTC'));
/** Gitlab::VisibilityLevel. */
const VISIBILITY_LEVEL = { private: 0, internal: 10, public: 20 } as const;
/** A path with `..` or `.` segments, or a leading slash, which API::Validations::Validators::FilePath refuses. */
const badFilePath = (path: string, allowInitialSlash: boolean) => path.split('/').some((part) => part === '..' || part === '.') || (!allowInitialSlash && path.startsWith('/'));

export function createConversations(world: FakeGitLabConversationsWorld) {
  const awards: StoredAward[] = [];
  let lastAwardId = 0;
  // Tags by `${projectId}:${name}`; the trees addFile() left, by commit sha, and the path each such commit changed.
  const tags = new Map<string, string>();
  const trees = new Map<string, ReadonlyMap<string, Buffer>>();
  const changedPath = new Map<string, string>();
  // Webhook deliveries in the order triggered; the chains RecursionDetection keeps, by Event-UUID.
  const deliveries: { delivery: FakeGitLabHookDelivery; finished: boolean }[] = [];
  const finished = new EventEmitter();
  finished.setMaxListeners(0);
  const noteListeners = new Set<Parameters<FakeGitLabConversations['onNote']>[0]>();
  const chains = new Map<string, Set<number>>();
  // Hooks triggered by the API request being handled (handlers are synchronous), until the router releases them.
  let queued: PendingHook[] = [];
  let timing: FakeGitLabHookTiming = 'after-answer';
  let delayMs = 0;
  const closing = new AbortController();

  // --- who may do what ---

  const isMember = (project: FakeGitLabProject, userId: number | undefined) => world.roleIn(project, userId) > 0;
  /**
   * read_internal_note and mark_note_as_internal: Planners and Reporters and above (IssuePolicy and
   * MergeRequestPolicy's planner_or_reporter_access; NotePolicy#can_read_internal_note).
   */
  const canSeeInternal = (project: FakeGitLabProject, userId: number | undefined) => world.roleIn(project, userId) >= 15;
  /** Note#readable_by?: an internal note is for those who may see internal notes; the noteable was read already. */
  const noteReadable = (note: FakeGitLabStoredNote, project: FakeGitLabProject, userId: number | undefined) => !note.internal || canSeeInternal(project, userId);
  /** IssuablePolicy: `locked & ~is_project_member` prevents create_note, admin_note and award_emoji. */
  const lockedOut = (on: ConversationNoteable, project: FakeGitLabProject, userId: number | undefined) =>
    noteableOf(on).discussionLocked === true && !isMember(project, userId);
  /**
   * admin_note (editing and deleting a comment): its author (NotePolicy's is_author) or a Maintainer
   * (ProjectPolicy, which NotePolicy delegates to); never on a locked discussion for a non-member, nor on an
   * internal note for one who may not see it.
   */
  const canAdminNote = (note: FakeGitLabStoredNote, on: ConversationNoteable, project: FakeGitLabProject, userId: number) =>
    (note.authorId === userId || world.roleIn(project, userId) >= 40) && !lockedOut(on, project, userId) && noteReadable(note, project, userId);
  const readable = (on: ConversationNoteable, userId: number | undefined) =>
    on.kind === 'Issue' ? world.canReadIssue(on.issue, userId) : world.canReadMergeRequest(on.mergeRequest, userId);
  const noteableAt = (project: FakeGitLabProject, kind: ConversationNoteable['kind'], iid: number): ConversationNoteable | undefined => {
    if (kind === 'Issue') {
      const issue = world.issueAt(project, iid);
      return issue && { kind, issue };
    }
    const mergeRequest = world.mergeRequestAt(project, iid);
    return mergeRequest && { kind, mergeRequest };
  };
  /** NotesHelpers#find_noteable: the issue or merge request, if the caller may read it (GitLab does not tell the two cases apart). */
  const readableNoteable = (project: FakeGitLabProject, kind: ConversationNoteable['kind'], iid: number, userId: number | undefined) => {
    const on = noteableAt(project, kind, iid);
    return on && readable(on, userId) ? on : undefined;
  };

  // --- JSON ---

  /** Entities::Note. It has no discussion_id: the discussions API and the webhooks tell it. */
  const noteJson = (note: FakeGitLabStoredNote, on: ConversationNoteable) => {
    const noteable = noteableOf(on);
    const resolvable = note.type === 'DiscussionNote';
    return {
      id: note.id,
      type: note.type,
      body: note.body,
      attachment: null,
      author: world.userJson(note.authorId),
      created_at: note.createdAt,
      updated_at: note.updatedAt,
      system: false,
      noteable_id: noteable.id,
      noteable_type: on.kind,
      project_id: noteable.projectId,
      resolvable,
      // Only for a resolvable note; the fake resolves none.
      ...(resolvable ? { resolved: false, resolved_by: null, resolved_at: null } : {}),
      confidential: note.internal,
      internal: note.internal,
      imported: false,
      imported_from: 'none',
      noteable_iid: noteable.iid,
      commands_changes: {},
    };
  };
  /** Entities::AwardEmoji. */
  const awardJson = (award: StoredAward) => ({
    id: award.id,
    name: award.name,
    user: world.userJson(award.userId),
    created_at: award.createdAt,
    updated_at: award.createdAt,
    awardable_id: noteableOf(award.on).id,
    awardable_type: award.on.kind,
    // A custom emoji's image; null for GitLab's own.
    url: null,
  });
  const webUrlOf = (on: ConversationNoteable) => {
    const noteable = noteableOf(on);
    const { path_with_namespace: path } = world.projects.get(noteable.projectId)!;
    return `${world.base}/${path}/-/${on.kind === 'Issue' ? 'issues' : 'merge_requests'}/${noteable.iid}`;
  };

  // --- webhook payloads (Gitlab::DataBuilder::Note and ::Emoji, with Gitlab::HookData's builders) ---

  /** User#hook_attrs; no user of the fake has a public email. */
  const userHook = (id: number) => {
    const user = world.users.get(id)!;
    return { id: user.id, name: user.name, username: user.username, avatar_url: null, email: '[REDACTED]' };
  };
  /** Project#hook_attrs. */
  const projectHook = (project: FakeGitLabProject) => {
    const webUrl = `${world.base}/${project.path_with_namespace}`;
    const sshUrl = `git@${new URL(world.base).hostname}:${project.path_with_namespace}.git`;
    return {
      id: project.id,
      name: project.name,
      description: null,
      web_url: webUrl,
      avatar_url: null,
      git_ssh_url: sshUrl,
      git_http_url: `${webUrl}.git`,
      namespace: project.namespace.name,
      visibility_level: VISIBILITY_LEVEL[project.visibility],
      path_with_namespace: project.path_with_namespace,
      default_branch: project.default_branch,
      ci_config_path: null,
      homepage: webUrl,
      url: sshUrl,
      ssh_url: sshUrl,
      http_url: `${webUrl}.git`,
    };
  };
  /** Labels as hook payloads carry them; the fake has names only. */
  const labelsHook = (labels: string[]) => [...labels].sort().map((title) => ({ title }));
  /** Gitlab::HookData::IssueBuilder (what Issue#hook_attrs answers). */
  const issueHook = (issue: ConversationIssue) => ({
    author_id: issue.authorId,
    closed_at: hookTime(issue.closedAt),
    confidential: issue.confidential,
    created_at: hookTime(issue.createdAt),
    description: issue.description,
    discussion_locked: issue.discussionLocked,
    due_date: null,
    id: issue.id,
    iid: issue.iid,
    last_edited_at: null,
    last_edited_by_id: null,
    milestone_id: null,
    moved_to_id: null,
    duplicated_to_id: null,
    project_id: issue.projectId,
    relative_position: null,
    state_id: issue.state === 'opened' ? 1 : 2,
    time_estimate: 0,
    title: issue.title,
    updated_at: hookTime(issue.updatedAt),
    updated_by_id: null,
    url: webUrlOf({ kind: 'Issue', issue }),
    total_time_spent: 0,
    time_change: 0,
    human_total_time_spent: null,
    human_time_change: null,
    human_time_estimate: null,
    assignee_ids: [...issue.assigneeIds],
    assignee_id: issue.assigneeIds[0] ?? null,
    labels: labelsHook(issue.labels),
    state: issue.state,
    severity: 'unknown',
  });
  const MERGE_REQUEST_STATE_ID = { opened: 1, closed: 2, merged: 3 } as const;
  /** Gitlab::HookData::MergeRequestBuilder (MergeRequest#hook_attrs). */
  const mergeRequestHook = (mergeRequest: ConversationMergeRequest) => {
    const project = world.projects.get(mergeRequest.projectId)!;
    const head = world.headOf(project, mergeRequest.sourceBranch);
    const commit = world.commitAt(project, head);
    return {
      assignee_id: mergeRequest.assigneeIds[0] ?? null,
      author_id: mergeRequest.authorId,
      created_at: hookTime(mergeRequest.createdAt),
      description: mergeRequest.description,
      draft: mergeRequest.draft,
      head_pipeline_id: null,
      id: mergeRequest.id,
      iid: mergeRequest.iid,
      last_edited_at: null,
      last_edited_by_id: null,
      merge_commit_sha: mergeRequest.mergeCommitSha,
      merge_error: null,
      merge_params: { force_remove_source_branch: mergeRequest.forceRemoveSourceBranch ? '1' : '0' },
      merge_status: mergeRequest.conflicts ? 'cannot_be_merged' : 'can_be_merged',
      merge_user_id: mergeRequest.mergedById ?? mergeRequest.autoMergeUserId,
      merge_when_pipeline_succeeds: mergeRequest.autoMergeUserId !== null,
      milestone_id: null,
      source_branch: mergeRequest.sourceBranch,
      source_project_id: project.id,
      state_id: MERGE_REQUEST_STATE_ID[mergeRequest.state],
      target_branch: mergeRequest.targetBranch,
      target_project_id: project.id,
      time_estimate: 0,
      title: mergeRequest.title,
      updated_at: hookTime(mergeRequest.updatedAt),
      updated_by_id: null,
      url: webUrlOf({ kind: 'MergeRequest', mergeRequest }),
      source: projectHook(project),
      target: projectHook(project),
      last_commit: {
        id: head,
        message: commit?.message ?? '',
        title: commit?.message.split(/\r?\n/)[0] ?? '',
        timestamp: commit?.createdAt ?? null,
        url: `${world.base}/${project.path_with_namespace}/-/commit/${head}`,
        author: { name: commit?.authorName ?? null, email: commit?.authorEmail ?? null },
      },
      work_in_progress: mergeRequest.draft,
      total_time_spent: 0,
      time_change: 0,
      human_total_time_spent: null,
      human_time_change: null,
      human_time_estimate: null,
      assignee_ids: [...mergeRequest.assigneeIds],
      reviewer_ids: [...mergeRequest.reviewerIds],
      labels: labelsHook(mergeRequest.labels),
      state: mergeRequest.state,
      blocking_discussions_resolved: mergeRequest.unresolvedDiscussions === 0,
      first_contribution: false,
      detailed_merge_status: world.detailedMergeStatus(mergeRequest),
    };
  };
  /** The issue or merge request part of a payload, under its underscored class name. */
  const noteableHook = (on: ConversationNoteable) => (on.kind === 'Issue' ? { issue: issueHook(on.issue) } : { merge_request: mergeRequestHook(on.mergeRequest) });
  /** Note#confidential?(include_noteable: true): an internal note, or any note on a confidential issue. */
  const confidentialNote = (note: FakeGitLabStoredNote, on: ConversationNoteable) => note.internal || (on.kind === 'Issue' && on.issue.confidential);
  /**
   * Gitlab::DataBuilder::Note.build: the note's attributes as Gitlab::HookData::NoteBuilder lets them out (no
   * `internal`: event_type and the hook's name tell it), the action, and the noteable.
   */
  const noteHookPayload = (note: FakeGitLabStoredNote, on: ConversationNoteable, action: 'create' | 'update') => {
    const noteable = noteableOf(on);
    const project = world.projects.get(noteable.projectId)!;
    const url = `${webUrlOf(on)}#note_${note.id}`;
    const repository = projectHook(project);
    return {
      object_kind: 'note',
      event_type: confidentialNote(note, on) ? 'confidential_note' : 'note',
      user: userHook(note.authorId),
      project_id: project.id,
      project: repository,
      object_attributes: {
        attachment: null,
        author_id: note.authorId,
        change_position: null,
        commit_id: null,
        created_at: hookTime(note.createdAt),
        discussion_id: note.discussionId,
        id: note.id,
        line_code: null,
        note: note.body,
        noteable_id: noteable.id,
        noteable_type: on.kind,
        original_position: null,
        position: null,
        project_id: project.id,
        resolved_at: null,
        resolved_by_id: null,
        resolved_by_push: null,
        st_diff: null,
        system: false,
        type: note.type,
        updated_at: hookTime(note.updatedAt),
        updated_by_id: action === 'update' ? note.authorId : null,
        description: note.body,
        url,
        action,
      },
      // DEPRECATED in GitLab, still sent.
      repository: { name: repository.name, url: repository.url, description: repository.description, homepage: repository.homepage },
      ...noteableHook(on),
    };
  };
  /**
   * Gitlab::DataBuilder::Emoji.build: event_type is the action; object_attributes are
   * Gitlab::HookData::EmojiBuilder's, with awarded_on_url (and the action, as the documented payload has it).
   */
  const emojiHookPayload = (award: StoredAward, action: 'award' | 'revoke', actorId: number) => {
    const noteable = noteableOf(award.on);
    const project = world.projects.get(noteable.projectId)!;
    return {
      object_kind: 'emoji',
      event_type: action,
      user: userHook(actorId),
      project_id: project.id,
      project: projectHook(project),
      object_attributes: {
        user_id: award.userId,
        created_at: hookTime(award.createdAt),
        id: award.id,
        name: award.name,
        awardable_type: award.on.kind,
        awardable_id: noteable.id,
        updated_at: hookTime(award.createdAt),
        action,
        awarded_on_url: webUrlOf(award.on),
      },
      ...noteableHook(award.on),
    };
  };

  // --- webhooks (Project#execute_hooks, WebHookService) ---

  /** WebHook#executable?: not disabled, or only temporarily and no longer. */
  const executable = (hook: FakeGitLabHook) =>
    hook.alert_status === 'executable' || (hook.alert_status === 'temporarily_disabled' && hook.disabled_until !== null && Date.parse(hook.disabled_until) <= Date.now());
  /** Project#execute_hooks(data, scope): every executable hook of the project that has the scope's flag on. */
  const trigger = (project: FakeGitLabProject, scope: HookScope, payload: Record<string, unknown>) => {
    const { flag, event } = HOOK_SCOPES[scope];
    for (const hook of world.hooksFor(project)) if (hook[flag] && executable(hook)) queued.push({ hook, event, payload });
  };
  const triggerNote = (note: FakeGitLabStoredNote, on: ConversationNoteable, action: 'create' | 'update') => {
    const project = world.projects.get(noteableOf(on).projectId)!;
    trigger(project, confidentialNote(note, on) ? 'confidential_note_hooks' : 'note_hooks', noteHookPayload(note, on, action));
  };
  /**
   * WebHookService#execute for one batch (what one request triggered): the headers of build_headers, an
   * X-Gitlab-Event-UUID that is the request's own when it carried one (else one new UUID per hook for the
   * request), and RecursionDetection's block: a hook already in the request's chain, or a chain of 100, is
   * not sent.
   */
  const deliver = async (batch: PendingHook[], requestUuid: string | undefined) => {
    const newUuids = new Map<number, string>();
    await Promise.all(
      batch.map(async ({ hook, event, payload }) => {
        const uuid = requestUuid ?? newUuids.get(hook.id) ?? newUuids.set(hook.id, randomUUID()).get(hook.id)!;
        const chain = chains.get(uuid) ?? chains.set(uuid, new Set()).get(uuid)!;
        const blocked = requestUuid !== undefined && (chain.has(hook.id) || chain.size >= RECURSION_LIMIT);
        const headers: Record<string, string> = {
          'Content-Type': 'application/json',
          'User-Agent': `GitLab/${world.version}`,
          'Idempotency-Key': randomUUID(),
          'X-Gitlab-Event': event,
          'X-Gitlab-Webhook-UUID': randomUUID(),
          'X-Gitlab-Instance': world.base,
          ...(hook.token ? { 'X-Gitlab-Token': hook.token.replace(/[\r\n]/g, '') } : {}),
          'X-Gitlab-Event-UUID': uuid,
        };
        const delivery: FakeGitLabHookDelivery = { hookId: hook.id, url: hook.url, event, headers, payload, status: null, error: null, blocked };
        const entry = { delivery, finished: false };
        deliveries.push(entry);
        if (!blocked) {
          chain.add(hook.id);
          try {
            const response = await fetch(hook.url, {
              method: 'POST',
              headers,
              body: JSON.stringify(payload),
              signal: AbortSignal.any([AbortSignal.timeout(HOOK_TIMEOUT_MS), closing.signal]),
            });
            delivery.status = response.status;
            await response.arrayBuffer();
          } catch (error) {
            delivery.error = error instanceof Error ? error.message : String(error);
          }
        }
        entry.finished = true;
        finished.emit('finished');
      }),
    );
  };
  /** Hooks triggered outside a request (the helpers): sent soon after, as Sidekiq would. */
  const sendSoon = () => {
    const batch = queued;
    queued = [];
    if (batch.length > 0) setImmediate(() => void deliver(batch, undefined));
  };

  // --- notes ---

  /**
   * Notes::BuildService and CreateService: a reply takes its thread's id and internal flag, and turns a comment
   * that stood alone into a thread (DiscussionNote); a new comment starts a thread of its own.
   */
  const newNote = (on: ConversationNoteable, authorId: number, body: string, internal: boolean, thread?: FakeGitLabStoredNote[]) => {
    const now = world.stamp();
    const noteable = noteableOf(on);
    if (thread) for (const note of thread) note.type = 'DiscussionNote';
    const note: FakeGitLabStoredNote = {
      id: world.nextNoteId(),
      body,
      authorId,
      createdAt: now,
      updatedAt: now,
      internal,
      discussionId: thread?.[0]?.discussionId ?? randomBytes(20).toString('hex'),
      type: thread ? 'DiscussionNote' : null,
    };
    noteable.notes.push(note);
    world.commented(on, note);
    triggerNote(note, on, 'create');
    if (noteListeners.size > 0) {
      const where = { project: world.projects.get(noteable.projectId)!.path_with_namespace, kind: on.kind === 'Issue' ? 'issue' : 'merge_request', iid: noteable.iid } as const;
      for (const listener of noteListeners) listener(noteRecord(note), where);
    }
    return note;
  };

  /** The checks every notes route begins with, in GitLab's order: authenticate!, Grape's parameters, the project, the noteable. */
  const noteRoute =
    (
      read: (declared: Declared) => void,
      run: (call: ConversationCall & { userId: number }, project: FakeGitLabProject, on: ConversationNoteable, declared: Declared) => ConversationAnswer,
      { idName }: { idName?: 'note_id' | 'discussion_id' } = {},
    ) =>
    (call: ConversationCall, [segment, kindSegment, iidSegment, idSegment]: string[]): ConversationAnswer => {
      if (call.userId === undefined) return UNAUTHORIZED;
      const declared = world.declared({ ...call.params, noteable_id: iidSegment, ...(idName === undefined ? {} : { [idName]: idSegment }) });
      const iid = declared.integer('noteable_id', { required: true });
      if (idName === 'note_id') declared.integer(idName, { required: true });
      if (idName === 'discussion_id') declared.string(idName, { required: true });
      read(declared);
      if (declared.refusal) return declared.refusal;
      const project = world.userProject(segment!, call.userId);
      if (!project) return PROJECT_NOT_FOUND;
      const kind = kindOfSegment(kindSegment!);
      const on = readableNoteable(project, kind, iid!, call.userId);
      if (!on) return NOTEABLE_NOT_FOUND[kind];
      return run({ ...call, userId: call.userId }, project, on, declared);
    };

  /** POST …/notes (lib/api/notes.rb; NotesHelpers#create_note). */
  const createNote = noteRoute(
    (declared) => {
      declared.string('body', { required: true });
      declared.boolean('confidential');
      declared.boolean('internal');
      declared.string('created_at');
      declared.string('merge_request_diff_head_sha');
    },
    (call, project, on, declared) => {
      // authorize!(:create_note): whoever reads the noteable, but on a locked discussion members only.
      if (lockedOut(on, project, call.userId)) return FORBIDDEN;
      const body = declared.string('body')!;
      // Notes::BuildService#new_note: `internal` (or the deprecated `confidential`) counts only from one who
      // may mark notes internal; anyone else's is dropped without a word, and the note is public.
      const wanted = (declared.boolean('internal') ?? false) || (declared.boolean('confidential') ?? false);
      if (body.trim() === '') return noteInvalid('note', "can't be blank");
      return [201, noteJson(newNote(on, call.userId, body, wanted && canSeeInternal(project, call.userId)), on)];
    },
  );

  /** GET …/notes: ordered (created_at means by id, with the id as tie breaker), paginated, then the unreadable left out. */
  const listNotes = noteRoute(
    (declared) => {
      declared.string('order_by', { values: ['created_at', 'updated_at'] });
      declared.string('sort', { values: ['asc', 'desc'] });
      declared.string('activity_filter', { values: ['all_notes', 'only_comments', 'only_activity'] });
      declared.pagination();
    },
    (call, project, on, declared) => {
      const orderBy = declared.string('order_by', { default: 'created_at' });
      const direction = declared.string('sort', { default: 'desc' }) === 'asc' ? 1 : -1;
      // The fake keeps no system notes: only_activity lists nothing.
      const notes = declared.string('activity_filter', { default: 'all_notes' }) === 'only_activity' ? [] : [...noteableOf(on).notes];
      const key = (note: FakeGitLabStoredNote) => (orderBy === 'updated_at' ? note.updatedAt : '');
      notes.sort((a, b) => direction * (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.id - b.id));
      // Like GitLab, a page can hold fewer notes than per_page when some are not for the caller.
      const [status, page, headers] = world.pageOf(notes, declared.pagination(), call.url);
      return [status, (page as FakeGitLabStoredNote[]).filter((note) => noteReadable(note, project, call.userId)).map((note) => noteJson(note, on)), headers];
    },
  );

  /** GET …/notes/:note_id (NotesHelpers#get_note): a note the caller may not read is not found. */
  const showNote = noteRoute(
    () => {},
    (call, project, on, declared) => {
      const note = noteableOf(on).notes.find((candidate) => candidate.id === declared.integer('note_id'));
      // GitLab's `.find` would say "404 Not found" for a missing one; the fake's tests hold it to "Note".
      return note && noteReadable(note, project, call.userId) ? [200, noteJson(note, on)] : [404, { message: '404 Note Not Found' }];
    },
    { idName: 'note_id' },
  );

  /** PUT …/notes/:note_id (NotesHelpers#update_note, Notes::UpdateService): a Note Hook with action update when the text changed. */
  const updateNote = noteRoute(
    (declared) => {
      // `optional :body, allow_blank: false`.
      if (declared.given('body') && String(declared.string('body') ?? '').trim() === '') declared.errors.push('body is empty');
      declared.boolean('confidential');
    },
    (call, project, on, declared) => {
      const note = noteableOf(on).notes.find((candidate) => candidate.id === declared.integer('note_id'));
      if (!note) return NOT_FOUND;
      if (!canAdminNote(note, on, project, call.userId)) return FORBIDDEN;
      const body = declared.string('body');
      if (body !== undefined && body !== note.body) {
        note.body = body;
        note.updatedAt = world.stamp();
        triggerNote(note, on, 'update');
      }
      return [200, noteJson(note, on)];
    },
    { idName: 'note_id' },
  );

  /** DELETE …/notes/:note_id (NotesHelpers#delete_note): 204; Notes::DestroyService sends no webhook. */
  const deleteNote = noteRoute(
    () => {},
    (call, project, on, declared) => {
      const notes = noteableOf(on).notes;
      const note = notes.find((candidate) => candidate.id === declared.integer('note_id'));
      if (!note) return NOT_FOUND;
      if (!canAdminNote(note, on, project, call.userId)) return FORBIDDEN;
      notes.splice(notes.indexOf(note), 1);
      return [204, undefined];
    },
    { idName: 'note_id' },
  );

  /** The notes of a thread the caller may read (lib/api/discussions.rb#readable_discussion_notes). */
  const readableThread = (on: ConversationNoteable, project: FakeGitLabProject, discussionId: string, userId: number) =>
    noteableOf(on).notes.filter((note) => note.discussionId === discussionId && noteReadable(note, project, userId));

  /** POST …/discussions/:discussion_id/notes: a reply, internal when its thread is (Notes::BuildService). */
  const replyToDiscussion = noteRoute(
    (declared) => {
      declared.string('body', { required: true });
      declared.string('created_at');
    },
    (call, project, on, declared) => {
      const discussionId = declared.string('discussion_id')!;
      const thread = readableThread(on, project, discussionId, call.userId);
      if (thread.length === 0) return [404, { message: '404 Discussion Not Found' }];
      if (lockedOut(on, project, call.userId)) return FORBIDDEN;
      const body = declared.string('body')!;
      if (body.trim() === '') return noteInvalid('note', "can't be blank");
      // A thread the caller may read but not reply to as internal would be "Discussion to reply to cannot be
      // found"; with reading and marking both Planner+, the 404 above answers first.
      const whole = noteableOf(on).notes.filter((note) => note.discussionId === discussionId);
      return [201, noteJson(newNote(on, call.userId, body, whole[0]!.internal, whole), on)];
    },
    { idName: 'discussion_id' },
  );

  /** GET …/discussions: Entities::Discussion, threads paginated before the unreadable notes are left out. */
  const listDiscussions = noteRoute(
    (declared) => declared.pagination(),
    (call, project, on, declared) => {
      const ids = [...new Set(noteableOf(on).notes.map((note) => note.discussionId))];
      const [status, page, headers] = world.pageOf(ids, declared.pagination(), call.url);
      const discussions = (page as string[]).flatMap((id) => {
        const notes = readableThread(on, project, id, call.userId);
        return notes.length === 0 ? [] : [{ id, individual_note: notes[0]!.type === null, notes: notes.map((note) => noteJson(note, on)) }];
      });
      return [status, discussions, headers];
    },
  );

  // --- award emoji (lib/api/award_emoji.rb, AwardEmojis::AddService and DestroyService) ---

  const awardsOn = (on: ConversationNoteable) => awards.filter((award) => award.on.kind === on.kind && noteableOf(award.on).id === noteableOf(on).id);
  /** award_emoji: a signed-in reader, but on a locked discussion members only. */
  const canAward = (on: ConversationNoteable, project: FakeGitLabProject, userId: number | undefined) =>
    userId !== undefined && readable(on, userId) && !lockedOut(on, project, userId);
  /** AwardEmojis::BaseService#normalize_name, then Gitlab::EmojiNameValidator. */
  const emojiName = (name: string) => {
    const normalized = EMOJI_ALIASES[name] ?? name;
    return EMOJI_NAMES.has(normalized) ? normalized : undefined;
  };
  const newAward = (on: ConversationNoteable, name: string, userId: number) => {
    const award: StoredAward = { id: ++lastAwardId, name, userId, on, createdAt: world.stamp() };
    awards.push(award);
    trigger(world.projects.get(noteableOf(on).projectId)!, 'emoji_hooks', emojiHookPayload(award, 'award', userId));
    return award;
  };

  /**
   * The award routes: no authenticate! (public awards read anonymously); Grape's parameters; the project; the
   * issue or merge request by iid (find_by!: a missing one is "404 Not found", a hidden one is found).
   */
  const awardRoute =
    (read: (declared: Declared) => void, run: (call: ConversationCall, project: FakeGitLabProject, on: ConversationNoteable, declared: Declared) => ConversationAnswer) =>
    (call: ConversationCall, [segment, kindSegment, iidSegment, awardSegment]: string[]): ConversationAnswer => {
      const declared = world.declared({ ...call.params, awardable_iid: iidSegment, ...(awardSegment === undefined ? {} : { award_id: awardSegment }) });
      const iid = declared.integer('awardable_iid', { required: true });
      read(declared);
      if (declared.refusal) return declared.refusal;
      const project = world.userProject(segment!, call.userId);
      if (!project) return PROJECT_NOT_FOUND;
      const on = noteableAt(project, kindOfSegment(kindSegment!), iid!);
      return on ? run(call, project, on, declared) : NOT_FOUND;
    };
  const AWARD_NOT_FOUND: ConversationAnswer = [404, { message: '404 Award Emoji Not Found' }];

  const listAwards = awardRoute(
    (declared) => declared.pagination(),
    (call, _project, on, declared) => (readable(on, call.userId) ? world.pageOf(awardsOn(on).map(awardJson), declared.pagination(), call.url) : AWARD_NOT_FOUND),
  );

  /** POST …/award_emoji: refusals are all 404s, the model's errors worded into the message. */
  const createAward = awardRoute(
    (declared) => declared.string('name', { required: true }),
    (call, project, on, declared) => {
      if (!readable(on, call.userId) || !canAward(on, project, call.userId)) return AWARD_NOT_FOUND;
      const given = declared.string('name')!;
      const name = emojiName(given);
      if (!name) return [404, { message: '404 Award Emoji Name is not a valid emoji name Not Found' }];
      // AwardEmoji validates the name unique per user and awardable.
      if (awardsOn(on).some((award) => award.userId === call.userId && award.name === name)) return [404, { message: '404 Award Emoji Name has already been taken Not Found' }];
      return [201, awardJson(newAward(on, name, call.userId!))];
    },
  );

  /** DELETE …/award_emoji/:award_id: only the awarder (or an administrator, which the fake has none of): else 401. */
  const deleteAward = awardRoute(
    (declared) => declared.integer('award_id', { required: true }),
    (call, project, on, declared) => {
      const award = awardsOn(on).find((candidate) => candidate.id === declared.integer('award_id'));
      if (!award) return NOT_FOUND;
      if (call.userId === undefined || award.userId !== call.userId) return UNAUTHORIZED;
      awards.splice(awards.indexOf(award), 1);
      trigger(project, 'emoji_hooks', emojiHookPayload(award, 'revoke', call.userId));
      return [204, undefined];
    },
  );

  // --- repository files (lib/api/files.rb) ---

  const tagKey = (project: FakeGitLabProject, name: string) => `${project.id}:${name}`;
  /**
   * Project#commit(ref), as git resolves a name: a tag before a branch, then a sha (full, or 7 hex digits and
   * more); HEAD and no ref at all are the default branch.
   */
  const resolveRef = (project: FakeGitLabProject, ref: string | undefined): string | undefined => {
    const name = ref === undefined || ref === 'HEAD' ? project.default_branch : ref;
    const tagged = tags.get(tagKey(project, name.replace(/^refs\/tags\//, '')));
    if (tagged && !name.startsWith('refs/heads/')) return tagged;
    const branch = name.replace(/^refs\/heads\//, '');
    if (world.hasBranch(project, branch)) return world.headOf(project, branch);
    if (!/^[0-9a-f]{7,40}$/i.test(name)) return undefined;
    // Commits the fake made (a made-up branch head, which holds no files, is found by its branch only).
    return world.commitAt(project, name.toLowerCase())?.sha;
  };
  /** The files at a commit: what addFile() left there, else what its first parent had; a made-up head has none. */
  const treeAt = (sha: string): ReadonlyMap<string, Buffer> => {
    for (let at: string | undefined = sha; at !== undefined; at = world.parentsOf(at)[0]) {
      const tree = trees.get(at);
      if (tree) return tree;
    }
    return new Map();
  };
  /** Repository#last_commit_id_for_path: the newest commit, following first parents, that changed the file. */
  const lastCommitFor = (sha: string, path: string) => {
    for (let at: string | undefined = sha; at !== undefined; at = world.parentsOf(at)[0]) if (changedPath.get(at) === path) return at;
    return sha;
  };
  /** Git's blob id: the SHA-1 of "blob <size>\0" and the content. */
  const blobId = (content: Buffer) => createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');

  /** API::Files#assign_file_vars!: read_code (403), the commit (404 Commit), the blob (404 File), after Grape and the project. */
  const findFile = (call: ConversationCall, [segment, pathSegment]: string[], raw: boolean) => {
    let path: string;
    try {
      path = decodeURIComponent(pathSegment!);
    } catch {
      path = pathSegment!;
    }
    const declared = world.declared({ ...call.params, file_path: path });
    declared.string('file_path', { required: true });
    if (badFilePath(path, raw)) declared.errors.push('file_path should be a valid file path');
    // `requires :ref` for the file, `optional :ref` for the raw file; both allow_blank: false.
    const ref = declared.string('ref', { required: !raw });
    if (ref !== undefined && ref.trim() === '') declared.errors.push('ref is empty');
    if (declared.refusal) return declared.refusal;
    const project = world.userProject(segment!, call.userId);
    if (!project) return PROJECT_NOT_FOUND;
    // authorize_read_code!: in a private project Reporters and above, Guests not (ProjectFeature's
    // PRIVATE_FEATURES_MIN_ACCESS_LEVEL_FOR_PRIVATE_PROJECT); a repository for members only keeps others out.
    if (!world.canReadCode(project, call.userId)) return FORBIDDEN;
    const commit = resolveRef(project, ref);
    if (!commit) return [404, { message: '404 Commit Not Found' }] as ConversationAnswer;
    const content = treeAt(commit).get(path.replace(/^\//, ''));
    if (!content) return [404, { message: '404 File Not Found' }] as ConversationAnswer;
    const filePath = path.replace(/^\//, '');
    const data = {
      file_name: filePath.slice(filePath.lastIndexOf('/') + 1),
      file_path: filePath,
      size: content.length,
      encoding: 'base64',
      content_sha256: createHash('sha256').update(content).digest('hex'),
      ref: ref ?? null,
      blob_id: blobId(content),
      commit_id: commit,
      last_commit_id: lastCommitFor(commit, filePath),
      execute_filemode: false,
    };
    // API::Helpers::HeadersHelpers#set_http_headers: each field as X-Gitlab-<Capitalized-Words>.
    const headers = Object.fromEntries(
      Object.entries(data).map(([key, value]) => [`X-Gitlab-${key.split('_').map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join('-')}`, String(value ?? '')]),
    );
    return { data, headers, content };
  };
  /** GET …/repository/files/:file_path?ref=: the blob's metadata and its content in base64. */
  const showFile = (call: ConversationCall, segments: string[]): ConversationAnswer => {
    const found = findFile(call, segments, false);
    if (Array.isArray(found)) return found;
    return [200, { ...found.data, content: found.content.toString('base64') }, found.headers];
  };
  /** GET …/repository/files/:file_path/raw: the content as it is (API::Helpers#send_git_blob). */
  const rawFile = (call: ConversationCall, segments: string[]): ConversationAnswer => {
    const found = findFile(call, segments, true);
    if (Array.isArray(found)) return found;
    return [
      200,
      new FakeGitLabRawBody(found.content),
      { ...found.headers, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Disposition': `inline; filename="${found.data.file_name}"`, 'Cache-Control': 'no-cache' },
    ];
  };

  // --- helpers ---

  const projectOf = (project: string | number) => {
    const found = typeof project === 'number' ? world.projects.get(project) : world.projectAt(project);
    if (!found) throw new Error(`fake GitLab: no project ${project}`);
    return found;
  };
  const noteableNamed = (project: string | number, kind: ConversationNoteable['kind'], iid: number) => {
    const on = noteableAt(projectOf(project), kind, iid);
    if (!on) throw new Error(`fake GitLab: ${project} has no ${kind === 'Issue' ? `issue #${iid}` : `merge request !${iid}`}`);
    return on;
  };
  const knownUser = (id: number) => {
    if (!world.users.has(id)) throw new Error(`fake GitLab: ${id} is not a user from addUser()`);
  };
  const noteRecord = (note: FakeGitLabStoredNote): FakeGitLabNoteRecord => ({
    id: note.id,
    body: note.body,
    authorId: note.authorId,
    author: world.users.get(note.authorId)!.username,
    internal: note.internal,
    discussionId: note.discussionId,
    type: note.type,
    createdAt: note.createdAt,
    updatedAt: note.updatedAt,
  });
  const awardRecord = (award: StoredAward): FakeGitLabAward => ({ id: award.id, name: award.name, userId: award.userId, user: world.users.get(award.userId)!.username, createdAt: award.createdAt });

  const helpers: FakeGitLabConversations = {
    addNote(projectPath, { targetType, targetIid, authorId, body, internal, discussionId }) {
      knownUser(authorId);
      const on = noteableNamed(projectPath, targetType, targetIid);
      const thread = discussionId === undefined ? undefined : noteableOf(on).notes.filter((note) => note.discussionId === discussionId);
      if (thread?.length === 0) throw new Error(`fake GitLab: no discussion ${discussionId} there`);
      const note = newNote(on, authorId, body, thread ? thread[0]!.internal : (internal ?? false), thread);
      sendSoon();
      return noteRecord(note);
    },
    notesOf(project, kind, iid) {
      return noteableOf(noteableNamed(project, kindOfName(kind), iid)).notes.map(noteRecord);
    },
    lockDiscussion(project, kind, iid, locked = true) {
      const noteable = noteableOf(noteableNamed(project, kindOfName(kind), iid));
      noteable.discussionLocked = locked;
      noteable.updatedAt = world.stamp();
    },
    awardsOf(project, kind, iid) {
      return awardsOn(noteableNamed(project, kindOfName(kind), iid)).map(awardRecord);
    },
    addAward(project, kind, iid, { name, userId }) {
      knownUser(userId);
      const on = noteableNamed(project, kindOfName(kind), iid);
      const known = emojiName(name);
      if (!known) throw new Error(`fake GitLab: ${name} is not an emoji the fake knows`);
      const award = newAward(on, known, userId);
      sendSoon();
      return awardRecord(award);
    },
    addFile(project, path, content, { ref, userId, message } = {}) {
      const target = projectOf(project);
      if (userId !== undefined) knownUser(userId);
      const filePath = path.replace(/^\//, '');
      const branch = (ref ?? target.default_branch).replace(/^refs\/heads\//, '');
      const before = treeAt(world.hasBranch(target, branch) ? world.headOf(target, branch) : world.headOf(target, target.default_branch));
      const data = Buffer.isBuffer(content) ? Buffer.from(content) : Buffer.from(content, 'utf8');
      // The content goes into the message's hash, so that two versions of a file are two commits.
      const sha = world.commitTo(target, branch, message ?? `Update ${filePath} (${blobId(data).slice(0, 8)})`, userId);
      trees.set(sha, new Map([...before, [filePath, data]]));
      changedPath.set(sha, filePath);
      return sha;
    },
    addTag(project, name, ref) {
      const target = projectOf(project);
      const sha = resolveRef(target, ref);
      if (!sha) throw new Error(`fake GitLab: ${ref} names no commit of ${target.path_with_namespace}`);
      tags.set(tagKey(target, name), sha);
      return sha;
    },
    hooksSent() {
      return deliveries.filter((entry) => entry.finished).map(({ delivery }) => structuredClone(delivery));
    },
    waitForHooks(match = () => true, { count = 1, timeoutMs = 5000 } = {}) {
      const found = () => deliveries.filter((entry) => entry.finished && match(entry.delivery)).map(({ delivery }) => structuredClone(delivery));
      return new Promise((resolve, reject) => {
        const check = () => {
          const matching = found();
          if (matching.length < count) return false;
          finished.off('finished', check);
          clearTimeout(timer);
          resolve(matching);
          return true;
        };
        const timer = setTimeout(() => {
          finished.off('finished', check);
          reject(new Error(`fake GitLab: ${found().length} of ${count} webhook deliveries after ${timeoutMs} ms (sent: ${deliveries.map(({ delivery }) => delivery.event).join(', ') || 'none'})`));
        }, timeoutMs);
        if (!check()) finished.on('finished', check);
      });
    },
    setHookTiming(next, delay = 0) {
      timing = next;
      delayMs = delay;
    },
    onNote(listener) {
      noteListeners.add(listener);
      return () => void noteListeners.delete(listener);
    },
  };

  const noteables = `^/api/v4/projects/([^/]+)/${NOTEABLE_SEGMENT}/([^/]+)`;
  const route = (method: string, tail: string, handle: ConversationRoute['handle'], scopes?: string[]): ConversationRoute => ({
    method,
    pattern: new RegExp(`${tail.startsWith('^') ? '' : noteables}${tail}$`),
    handle,
    ...(scopes ? { scopes } : {}),
  });
  const routes: ConversationRoute[] = [
    route('GET', '/notes', listNotes),
    route('POST', '/notes', createNote),
    route('GET', '/notes/([^/]+)', showNote),
    route('PUT', '/notes/([^/]+)', updateNote),
    route('DELETE', '/notes/([^/]+)', deleteNote),
    route('GET', '/discussions', listDiscussions),
    route('POST', '/discussions/([^/]+)/notes', replyToDiscussion),
    route('GET', '/award_emoji', listAwards),
    route('POST', '/award_emoji', createAward),
    route('DELETE', '/award_emoji/([^/]+)', deleteAward),
    // Files take read_repository too (allow_access_with_scope for GET).
    route('GET', '^/api/v4/projects/([^/]+)/repository/files/([^/]+)/raw', rawFile, ['api', 'read_api', 'read_repository']),
    route('GET', '^/api/v4/projects/([^/]+)/repository/files/([^/]+)', showFile, ['api', 'read_api', 'read_repository']),
  ];

  return {
    routes,
    helpers,
    noteJson,
    /** Note#readable_by? for what the fake shows elsewhere (the events API). */
    noteReadable: (note: FakeGitLabStoredNote, project: FakeGitLabProject, userId: number | undefined) => noteReadable(note, project, userId),
    /**
     * The hooks the request just handled triggered (handlers are synchronous: nothing else ran since), to send
     * around its answer as the timing says. `requestUuid` is the request's X-Gitlab-Event-UUID.
     */
    releaseHooks(requestUuid: string | undefined): { beforeAnswer(): Promise<void>; afterAnswer(): void } {
      const batch = queued;
      queued = [];
      if (batch.length === 0) return { beforeAnswer: async () => {}, afterAnswer: () => {} };
      if (timing === 'before-answer') {
        return {
          beforeAnswer: async () => {
            await deliver(batch, requestUuid);
            if (delayMs > 0) await sleep(delayMs);
          },
          afterAnswer: () => {},
        };
      }
      return {
        beforeAnswer: async () => {},
        afterAnswer: () =>
          void sleep(delayMs, undefined, { signal: closing.signal }).then(
            () => deliver(batch, requestUuid),
            () => undefined,
          ),
      };
    },
    /** Stops deliveries under way and those still waiting. */
    close() {
      closing.abort();
    },
  };
}

/**
 * The rules of a group's set of project hooks (GitLab Free has no group webhooks), as pure
 * decisions: whether GitLab's refusal of a group hook means "no group hooks here", what to do
 * with each project of the group, and whose GitLab account keeps the set in step.
 */
import type { GitLabEvent } from '../gitlab/events/event.js';
import { coveringPaths } from '../rules/match-subscription.js';

/** GitLab's Maintainer: the least role that may read and add a project's webhooks. */
export const MAINTAINER = 40;
const OWNER = 50;
/** A hook seen (or made) within this long is not looked for again: a day keeps an hourly reconcile to a few requests. */
export const VERIFY_EVERY_MS = 24 * 60 * 60_000;

/** A project of the group as GitLab lists it to the requester. */
export interface ListedProject {
  id: number;
  /** Full path, lower-case. */
  path: string;
  visibility: string;
}

export type ProjectHookState = 'hooked' | 'needs_maintainer' | 'failed';

/** A project of the set as stored (group_hook_projects). */
export interface StoredProjectHook {
  projectId: number;
  path: string;
  visibility: string;
  state: ProjectHookState;
  hookId: number | null;
  error: string | null;
  verifiedAt: Date | null;
}

export type ProjectStep =
  /** Hooked and seen lately: nothing to ask GitLab. */
  | { kind: 'keep'; project: ListedProject; row: StoredProjectHook }
  /** The requester may add hooks here: look for ours, add it when missing. */
  | { kind: 'check'; project: ListedProject }
  /** The requester may not: it needs someone with the Maintainer role. */
  | { kind: 'needs_maintainer'; project: ListedProject };

/**
 * Refusals of a group hook that mean the GitLab has none (rather than that the caller lacks the
 * role): 404 (CE and GitLab Free have no group hook routes at all, ee/lib/api/group_hooks.rb), and
 * 403 to a group's Owner (an EE without the Premium licence refuses everyone).
 */
export function groupHooksUnavailable(status: number, accessLevel: number | null): boolean {
  return status === 404 || (status === 403 && (accessLevel ?? 0) >= OWNER);
}

/**
 * What to do with each project GitLab lists (`all`: every project of the group and its subgroups the
 * requester sees, archived ones left out; `maintained`: those where they are Maintainer or Owner), and
 * the stored projects that left (archived, removed, moved away, or hidden from the requester now).
 * A project hooked before that the requester may not look at keeps its state: hooks outlive a role
 * taken away, and another Maintainer may have added it.
 */
export function planGroupHooks(
  stored: readonly StoredProjectHook[],
  all: readonly ListedProject[],
  maintained: readonly ListedProject[],
  now: Date,
): { steps: ProjectStep[]; dropped: StoredProjectHook[] } {
  const rows = new Map(stored.map((row) => [row.projectId, row]));
  const canHook = new Set(maintained.map((project) => project.id));
  const listed = new Set(all.map((project) => project.id));
  const steps = all.map((project): ProjectStep => {
    const row = rows.get(project.id);
    const fresh = row?.state === 'hooked' && row.verifiedAt !== null && now.getTime() - row.verifiedAt.getTime() < VERIFY_EVERY_MS;
    if (canHook.has(project.id)) return fresh ? { kind: 'keep', project, row: row! } : { kind: 'check', project };
    return row?.state === 'hooked' ? { kind: 'keep', project, row } : { kind: 'needs_maintainer', project };
  });
  return { steps, dropped: stored.filter((row) => !listed.has(row.projectId)) };
}

/**
 * Who keeps the set in step after `candidate` asked. Whoever asked first keeps it; someone else takes
 * it over only when they can hook some of the group's projects, and more of them than the keeper (as
 * the keeper's last run counted), or the keeper is no longer connected. Anyone who sees the group may
 * ask, so asking (once or again) must not by itself hand the set, and whose token makes its hooks
 * with which events, to an account that can add none.
 */
export function chooseKeeper(current: { requestedBy: string; connected: boolean; maintainable: number } | null, candidate: { userId: string; maintainable: number }): string {
  if (!current || current.requestedBy === candidate.userId) return candidate.userId;
  const takesOver = candidate.maintainable > 0 && (!current.connected || candidate.maintainable > current.maintainable);
  return takesOver ? candidate.userId : current.requestedBy;
}

/** System hook events (and group hooks' Project events) that change which projects a group has: archiving is a `project_update`. */
const PROJECT_CHANGES = new Set(['project_create', 'project_destroy', 'project_rename', 'project_transfer', 'project_update', 'created', 'destroyed', 'renamed', 'transferred', 'updated']);
const GROUP_CHANGES = new Set(['group_destroy', 'group_rename']);

/**
 * Which group sets an event may have changed: those of the groups above `paths`, and those that had
 * one of `projectIds` (a project destroyed, archived or moved away is no longer under its old path's
 * group). Null for events that change no group's projects. Sources: doc/administration/system_hooks.md
 * (`project_create` … `project_update`, `group_destroy`, `group_rename`); a project's archiving fires
 * `project_update` (gitlab-foss MR 20995); group webhooks' Project and Subgroup events (17.6+).
 */
export function projectsChangedBy(event: Pick<GitLabEvent, 'kind' | 'action' | 'project' | 'group' | 'details'>): { paths: string[]; projectIds: number[] } | null {
  if ((event.kind === 'system' || event.kind === 'project') && PROJECT_CHANGES.has(event.action) && event.project) {
    return { paths: coveringPaths(event.project.path), projectIds: event.project.id === null ? [] : [event.project.id] };
  }
  if (event.kind === 'system' && GROUP_CHANGES.has(event.action) && event.group) return { paths: coveringPaths(event.group.path), projectIds: [] };
  if (event.kind === 'subgroup' && event.details.kind === 'subgroup') return { paths: coveringPaths(event.details.path), projectIds: [] };
  return null;
}

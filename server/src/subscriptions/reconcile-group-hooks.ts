/**
 * Brings a group's set of project hooks in step with GitLab, as the person who keeps it (their
 * token, so their role decides): every project of the group and its subgroups where they are a
 * Maintainer gets the bridge's hook, projects where they are not are noted as needing one,
 * projects gone (archived, removed, moved away) drop out. Each project is recorded as it is done,
 * so a run cut short (the deadline, GitLab's rate limits, the request budget) keeps what it did and
 * the next run goes on from there. Existing hooks are left as they are, and none is ever deleted.
 */
import type pg from 'pg';
import { bridgeWebhookUrl, pointsAt } from '../commands/webhook-health.js';
import type { RestClient } from '../gitlab/direct-client.js';
import { createProjectHook, listGroupProjects, listProjectHooks } from '../gitlab/group-projects.js';
import { DEFAULT_INSTANCE } from '../gitlab/instances.js';
import { GitLabHttpError } from '../gitlab/poll-client.js';
import { audit } from '../store/audit-log.js';
import { dropGroupHookProjects, readGroupHookProjects, recordGroupHookCheck, saveGroupHookProject, type GroupHookSet } from '../store/group-hook-sets.js';
import { secretFingerprint, type HookSettings } from './add-bridge-hook.js';
import { MAINTAINER, planGroupHooks, type ListedProject, type StoredProjectHook } from './plan-group-hooks.js';

export interface ReconcileDeps {
  pool: pg.Pool;
  client: RestClient;
  hooks: HookSettings;
}

/** What GitLab listed: the group's projects, and those where the token's user is a Maintainer or Owner. */
export interface GroupListing {
  all: ListedProject[];
  maintained: ListedProject[];
  at: Date;
}

export interface ReconcileOutcome {
  /** Paths of the projects that got a hook in this run. */
  created: string[];
  /** Projects not looked at before the deadline: the next run does them. */
  pending: number;
}

/** The group is gone, or the keeper can no longer see it (GitLab answers 404 for both). */
export class GroupNotVisibleError extends Error {
  constructor(path: string) {
    super(`GitLab no longer shows the group \`${path}\` to the account that keeps its hooks`);
    this.name = 'GroupNotVisibleError';
  }
}

export async function readGroupListing(client: RestClient, token: string, group: { id: number; path: string }): Promise<GroupListing> {
  const at = new Date();
  try {
    const all = await listGroupProjects(client, token, group.id);
    const maintained = await listGroupProjects(client, token, group.id, { minAccessLevel: MAINTAINER });
    return { all, maintained, at };
  } catch (error) {
    if (error instanceof GitLabHttpError && error.status === 404) throw new GroupNotVisibleError(group.path);
    throw error;
  }
}

/**
 * One pass over the set as `actor` (the keeper, or someone who asked just now). `listing` when the
 * caller read it already. Throws what stops the pass (rate limits, the budget, an unreachable
 * GitLab, a group no longer visible) after recording what was done.
 *
 * Only the keeper's pass speaks for the whole set: it drops the projects no longer listed and records
 * how many projects the keeper maintains (which decides who may take the set over, chooseKeeper).
 * Anyone else who asks adds the hooks their own role allows and records those, nothing more: what
 * they cannot see or maintain says nothing about the set, and must not make it easier to take over.
 */
export async function reconcileGroupHooks(
  deps: ReconcileDeps,
  set: Pick<GroupHookSet, 'instance' | 'groupId' | 'groupPath' | 'kinds' | 'requestedBy'>,
  actor: { userId: string; token: string },
  options: { deadline: number; listing?: GroupListing; concurrency?: number },
): Promise<ReconcileOutcome> {
  const keeper = actor.userId === set.requestedBy;
  let listing: GroupListing;
  try {
    listing = options.listing ?? (await readGroupListing(deps.client, actor.token, { id: set.groupId, path: set.groupPath }));
  } catch (error) {
    if (error instanceof GroupNotVisibleError && keeper) await recordGroupHookCheck(deps.pool, set, { error: error.message });
    throw error;
  }
  const stored = await readGroupHookProjects(deps.pool, set.instance, set.groupId);
  const { steps, dropped } = planGroupHooks(stored, listing.all, listing.maintained, listing.at);
  if (keeper) await dropGroupHookProjects(deps.pool, set, dropped.map((row) => row.projectId));

  const ourUrl = bridgeWebhookUrl(deps.hooks.publicUrl, set.instance);
  const created: string[] = [];
  const row = (project: ListedProject, state: StoredProjectHook['state'], extra: Partial<StoredProjectHook> = {}): StoredProjectHook => ({
    projectId: project.id,
    path: project.path,
    visibility: project.visibility,
    state,
    hookId: null,
    error: null,
    verifiedAt: null,
    ...extra,
  });

  const check = async (project: ListedProject): Promise<void> => {
    try {
      const existing = (await listProjectHooks(deps.client, actor.token, project.id)).find((hook) => pointsAt(hook, ourUrl));
      if (existing) {
        await saveGroupHookProject(deps.pool, set, row(project, 'hooked', { hookId: existing.id, verifiedAt: new Date() }));
        return;
      }
      const hook = await createProjectHook(deps.client, actor.token, project.id, { url: ourUrl, secret: deps.hooks.webhookSecret, kinds: set.kinds });
      await audit(deps.pool, {
        actor: actor.userId,
        action: 'webhook.created',
        target: `project:${project.id}`,
        details: { path: project.path, ...(set.instance !== DEFAULT_INSTANCE ? { instance: set.instance } : {}), hook: hook.id, events: hook.events, group: set.groupPath, secret: secretFingerprint(deps.hooks.webhookSecret) },
      });
      created.push(project.path);
      await saveGroupHookProject(deps.pool, set, row(project, 'hooked', { hookId: hook.id, verifiedAt: new Date() }));
    } catch (error) {
      if (!(error instanceof GitLabHttpError)) throw error;
      // A token that may only read (GITLAB_OAUTH_SCOPES=read_api) is no missing role.
      if (error.status === 403 && /insufficient_scope|higher privileges/i.test(error.gitlabMessage)) {
        await saveGroupHookProject(deps.pool, set, row(project, 'failed', { error: 'the GitLab token may only read (GITLAB_OAUTH_SCOPES=read_api)' }));
      }
      // The role went between the list and now (403), or the project did (404).
      else if (error.status === 403 || error.status === 404) await saveGroupHookProject(deps.pool, set, row(project, 'needs_maintainer'));
      else await saveGroupHookProject(deps.pool, set, row(project, 'failed', { error: `GitLab answered ${error.status}: ${error.gitlabMessage}` }));
    }
  };

  const toCheck: ListedProject[] = [];
  for (const step of steps) {
    if (step.kind === 'check') toCheck.push(step.project);
    else if (step.kind === 'needs_maintainer') {
      if (keeper) await saveGroupHookProject(deps.pool, set, row(step.project, 'needs_maintainer'));
    }
    // A project renamed or moved within the group keeps its hook under its new path.
    else if (step.row.path !== step.project.path || step.row.visibility !== step.project.visibility) {
      await saveGroupHookProject(deps.pool, set, { ...step.row, path: step.project.path, visibility: step.project.visibility });
    }
  }
  // A few at once; none started after the deadline, nor after a failure that stops the pass.
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < toCheck.length && Date.now() < options.deadline) {
      await check(toCheck[next++]!).catch((error: unknown) => {
        failure ??= { error };
      });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 1) }, worker));
  if (failure) throw failure.error;
  const pending = toCheck.length - next;
  if (pending === 0 && keeper) await recordGroupHookCheck(deps.pool, set, { listedAt: listing.at, maintainable: listing.maintained.length });
  return { created, pending };
}

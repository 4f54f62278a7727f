/**
 * The coverage of group subscriptions whose group is kept in step with project hooks, for the
 * channel's list (slash command and webapp). The channel's members read it: a project that is not
 * public is named only where the subscription gets its events anyway (its subscriber was shown to
 * have access, or a system admin put it there), otherwise only counted.
 */
import { readGroupHookProjects, readGroupHookSets, type GroupHookSet } from '../store/group-hook-sets.js';
import type { Queryable } from '../store/queryable.js';
import { describeCoverage, type CoverageView } from './describe-coverage.js';
import type { StoredProjectHook } from './plan-group-hooks.js';

export interface GroupCoverage {
  set: GroupHookSet;
  projects: StoredProjectHook[];
}

interface Covered {
  targetKind: 'project' | 'group';
  targetId: number | null;
  /** The GitLab the group is on; the default one when absent. */
  instance?: string;
}

const keyOf = (instance: string | undefined, groupId: number) => `${instance ?? 'default'}:${groupId}`;

/** By instance and group id, for the group subscriptions among `subscriptions` that have a set (all on `instance` when given). */
export async function readGroupCoverages(db: Queryable, subscriptions: readonly Covered[], only?: string): Promise<Map<string, GroupCoverage>> {
  const byInstance = new Map<string, Set<number>>();
  for (const subscription of subscriptions) {
    if (subscription.targetKind !== 'group' || subscription.targetId === null) continue;
    const instance = only ?? subscription.instance ?? 'default';
    if (!byInstance.has(instance)) byInstance.set(instance, new Set());
    byInstance.get(instance)!.add(subscription.targetId);
  }
  const coverages = new Map<string, GroupCoverage>();
  for (const [instance, groupIds] of byInstance) {
    for (const [groupId, set] of await readGroupHookSets(db, instance, [...groupIds])) {
      coverages.set(keyOf(instance, groupId), { set, projects: await readGroupHookProjects(db, instance, groupId) });
    }
  }
  return coverages;
}

/** The keepers whose names the lines need. */
export function keepersOf(coverages: ReadonlyMap<string, GroupCoverage>): string[] {
  return [...new Set([...coverages.values()].map((coverage) => coverage.set.requestedBy))];
}

export function subscriptionCoverage(
  subscription: Covered & { privateAccess: boolean },
  coverages: ReadonlyMap<string, GroupCoverage>,
  context: { nameOf(userId: string): string | null; trigger: string; now: Date },
): CoverageView | null {
  const coverage = subscription.targetKind === 'group' && subscription.targetId !== null ? coverages.get(keyOf(subscription.instance, subscription.targetId)) : undefined;
  if (!coverage) return null;
  return describeCoverage(coverage.set, coverage.projects, {
    mayName: (project) => project.visibility === 'public' || subscription.privateAccess,
    keeperName: context.nameOf(coverage.set.requestedBy),
    trigger: context.trigger,
    now: context.now,
  });
}

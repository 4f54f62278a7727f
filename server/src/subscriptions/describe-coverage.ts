/**
 * How far a group's project hooks reach, in one line: "14 of 16 projects hooked; 2 need a
 * Maintainer: a/b, a/c", who keeps the set in step (or that they can no longer), and when it was
 * last looked at. Markdown for the slash command, plain text for the webapp. Pure.
 */
import { ago, joinWords, plural } from '../render/format.js';
import { code, escapeMarkdown } from '../render/text.js';
import type { GroupHookSet } from '../store/group-hook-sets.js';
import type { StoredProjectHook } from './plan-group-hooks.js';

/** At most this many projects are named in a line; the rest are counted. */
const MAX_NAMED = 10;

export interface CoverageView {
  /** complete: every project hooked; partial: some are not, or the last check failed; stopped: its keeper left; pending: never looked at. */
  state: 'complete' | 'partial' | 'stopped' | 'pending';
  markdown: string;
  text: string;
}

export interface CoverageOptions {
  /** Whether the reader may be told this project's path (e.g. a private one only where the channel gets its events). */
  mayName(project: StoredProjectHook): boolean;
  /** The keeper's Mattermost username; null for a deleted user. */
  keeperName: string | null;
  trigger: string;
  now: Date;
}

export function describeCoverage(set: Pick<GroupHookSet, 'groupPath' | 'requesterConnected' | 'listedAt' | 'lastError'>, projects: readonly StoredProjectHook[], options: CoverageOptions): CoverageView {
  const hooked = projects.filter((project) => project.state === 'hooked');
  const needing = projects.filter((project) => project.state === 'needs_maintainer');
  const failed = projects.filter((project) => project.state === 'failed');
  const keeper = options.keeperName ?? 'a deleted user';
  const keeperMarkdown = escapeMarkdown(keeper);

  // Each piece twice: Markdown (paths as code, warnings bold) and plain text.
  const pieces: [markdown: string, text: string][] = [];
  if (projects.length === 0) pieces.push(set.listedAt ? ['the group has no projects yet', 'the group has no projects yet'] : ['not looked at yet', 'not looked at yet']);
  else pieces.push([`${hooked.length} of ${plural(projects.length, 'project')} hooked`, `${hooked.length} of ${plural(projects.length, 'project')} hooked`]);
  if (needing.length > 0) {
    const verb = needing.length === 1 ? 'needs' : 'need';
    pieces.push([`${needing.length} ${verb} a Maintainer: ${names(needing, options, true)}`, `${needing.length} ${verb} a Maintainer: ${names(needing, options, false)}`]);
  }
  if (failed.length > 0) pieces.push([`**${failed.length} failed:** ${names(failed, options, true, true)}`, `${failed.length} failed: ${names(failed, options, false, true)}`]);
  const main: [string, string] = [pieces.map((piece) => piece[0]).join('; '), pieces.map((piece) => piece[1]).join('; ')];

  const facts: [string, string][] = [main];
  if (set.requesterConnected) facts.push([`kept in step hourly with ${keeperMarkdown}'s GitLab account`, `kept in step hourly with ${keeper}'s GitLab account`]);
  else {
    const retake = `/${options.trigger} webhook add ${set.groupPath} --projects`;
    facts.push([
      `**${keeperMarkdown} is no longer connected to GitLab, so new projects get no hook** until someone runs \`${retake}\``,
      `${keeper} is no longer connected to GitLab, so new projects get no hook until someone runs ${retake}`,
    ]);
  }
  if (set.lastError) facts.push([`**last check failed:** ${set.lastError}`, `last check failed: ${set.lastError}`]);
  if (set.listedAt) facts.push([`checked ${ago(set.listedAt, options.now)}`, `checked ${ago(set.listedAt, options.now)}`]);

  const state: CoverageView['state'] = !set.requesterConnected
    ? 'stopped'
    : projects.length === 0 && !set.listedAt
      ? 'pending'
      : needing.length > 0 || failed.length > 0 || set.lastError
        ? 'partial'
        : 'complete';
  return {
    state,
    markdown: `Project hooks (no group webhooks on this GitLab): ${facts.map((fact) => fact[0]).join(' · ')}`,
    text: `Project hooks: ${facts.map((fact) => fact[1]).join(' · ')}.`,
  };
}

/** The projects the reader may know of by path (at most MAX_NAMED), then how many others. */
function names(projects: readonly StoredProjectHook[], options: CoverageOptions, markdown: boolean, withError = false): string {
  const nameable = projects.filter((project) => options.mayName(project));
  const shown = nameable.slice(0, MAX_NAMED).map((project) => {
    const path = markdown ? code(project.path) : project.path;
    return withError && project.error ? `${path} (${markdown ? code(project.error, 200) : project.error})` : path;
  });
  const more = nameable.length - shown.length;
  const unnamed = projects.length - nameable.length;
  return joinWords([...shown, ...(more > 0 ? [`${more} more`] : []), ...(unnamed > 0 ? [`${unnamed} not public`] : [])]);
}

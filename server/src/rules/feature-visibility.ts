/**
 * "Public" means the feature is public, not only the project: a public project
 * can keep its repository, merge requests, CI/CD, wiki, issues or environments
 * to members. Which feature each event belongs to, and whether GitLab shows that
 * feature to everyone. Pure; the levels come from GET /projects/:id
 * (gitlab/project-features.ts), as webhook payloads do not carry them.
 */
import type { GitLabEvent } from '../gitlab/events/event.js';

/**
 * GitLab's `<feature>_access_level` values (ProjectFeature#string_access_level): `enabled` is "everyone
 * with access to the project", `private` "project members only"; `public` exists for pages only.
 */
export type FeatureLevel = 'disabled' | 'private' | 'enabled' | 'public';

/** The project features events belong to, by GitLab's names (`<name>_access_level`). */
export const PROJECT_FEATURES = ['repository', 'merge_requests', 'builds', 'wiki', 'issues', 'environments', 'releases', 'feature_flags', 'snippets'] as const;
export type ProjectFeature = (typeof PROJECT_FEATURES)[number];

/** What GitLab said of a project's features. A level it did not send stays unknown, which counts as members-only. */
export interface FeatureLevels {
  /** The project's visibility per the API (the payload's may be older); null when not given. */
  visibility: 'public' | 'internal' | 'private' | null;
  levels: Partial<Record<ProjectFeature, FeatureLevel>>;
  /** `public_jobs` ("Public pipelines"): off keeps pipelines and job details to members (Reporter+) even in a public project. */
  publicJobs: boolean | null;
}

/**
 * The features an event's content belongs to: it is open to all when, for at least one of the
 * alternatives, every feature in it is. `[]` inside: nothing beyond the project itself. Null:
 * never public (only some members may see such events at all).
 *
 * - push, tag push, a comment on a commit: the repository.
 * - merge requests and their comments: merge requests, and the repository they are part of (GitLab
 *   validates that merge requests and CI/CD are never more open than the repository).
 * - issues and their comments: issues. Wiki pages: the wiki. Snippet comments: snippets.
 * - pipelines and jobs: CI/CD and the repository (they show commits and branches); `public_jobs`
 *   must be on as well (checked in isOpenToAll).
 * - deployments: environments and the repository (the payload names the commit).
 * - releases: releases and the repository (a release names its tag and commit).
 * - milestones: shown wherever issues or merge requests are.
 * - feature flags: feature flags. Emoji: whatever was awarded.
 * - vulnerabilities (Developer+) and access tokens (Maintainer+): never public.
 * - member, project, subgroup and system events: the project alone (they are mostly group-level,
 *   and without a public project they are private anyway).
 */
export function featuresOf(event: GitLabEvent): ProjectFeature[][] | null {
  const mergeRequests: ProjectFeature[] = ['merge_requests', 'repository'];
  const onTarget = (): ProjectFeature[][] | null =>
    event.target?.type === 'merge_request' ? [mergeRequests] : event.target?.type === 'issue' ? [['issues']] : null;
  switch (event.kind) {
    case 'push':
    case 'tag_push':
      return [['repository']];
    case 'merge_request':
      return [mergeRequests];
    case 'issue':
      return [['issues']];
    case 'note': {
      const on = event.details.kind === 'note' ? event.details.on : null;
      if (on === 'commit') return [['repository']];
      if (on === 'snippet') return [['snippets']];
      return onTarget();
    }
    case 'pipeline':
    case 'job':
      return [['builds', 'repository']];
    case 'deployment':
      return [['environments', 'repository']];
    case 'release':
      return [['releases', 'repository']];
    case 'wiki_page':
      return [['wiki']];
    case 'milestone':
      return [['issues'], mergeRequests];
    case 'feature_flag':
      return [['feature_flags']];
    case 'emoji': {
      const type = event.details.kind === 'emoji' ? event.details.awardableType : '';
      if (type === 'Snippet') return [['snippets']];
      if (type === 'Commit') return [['repository']];
      // Issue, MergeRequest, or a Note on one of them: the payload names that one as the target.
      return onTarget() ?? (type === 'Note' ? [['repository']] : null);
    }
    case 'vulnerability':
    case 'access_token':
      return null;
    case 'member':
    case 'project':
    case 'subgroup':
    case 'system':
      return [[]];
  }
}

/** Does looking at this event's visibility need the project's feature levels? Only public projects' events do. */
export function needsFeatureLevels(event: GitLabEvent): boolean {
  if (event.project?.visibility !== 'public' || event.project.id === null) return false;
  const features = featuresOf(event);
  return features !== null && !features.some((alternative) => alternative.length === 0);
}

/**
 * May everyone who can see GitLab see this event? Only for a public project, and only when the
 * features it belongs to are open to everyone. Unknown levels (GitLab unreachable, nobody to ask,
 * a field GitLab did not send) count as members-only: the event then goes where a private
 * project's would.
 */
export function isOpenToAll(event: GitLabEvent, found: FeatureLevels | null): boolean {
  if (event.project?.visibility !== 'public') return false;
  const features = featuresOf(event);
  if (features === null) return false;
  if (features.some((alternative) => alternative.length === 0)) return true;
  if (!found || found.visibility !== 'public') return false;
  const open = (feature: ProjectFeature) => found.levels[feature] === 'enabled' || found.levels[feature] === 'public';
  const pipelines = event.kind === 'pipeline' || event.kind === 'job';
  if (pipelines && found.publicJobs !== true) return false;
  return features.some((alternative) => alternative.every(open));
}

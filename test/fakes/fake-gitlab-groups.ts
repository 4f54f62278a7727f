/**
 * Groups for the fake GitLab: a group's projects (GET /groups/:id/projects, with its subgroups', paginated),
 * and projects that are archived or removed. The fake passes its data and rules in (the world); this module
 * keeps only what groups need: which projects are archived.
 *
 * Sources: GitLab's Groups API, "List projects" (doc/api/groups.md, https://docs.gitlab.com/api/groups/#list-projects):
 * `archived` (absent: both), `include_subgroups` (default false), `with_shared` (default true: projects shared
 * with the group from elsewhere; the fake shares none), `min_access_level` (projects where the caller has at
 * least that role, Gitlab::Access values), `order_by` created_at and `sort` desc by default, offset pagination
 * (doc/api/rest/index.md: `x-next-page` empty on the last page, `x-total`). Entities::Project, the entity it
 * answers with, carries `archived` and no `permissions` (only GET /projects/:id has those).
 */
import type { Declared, FakeGitLabGroup, FakeGitLabHook, FakeGitLabProject, Paging } from './fake-gitlab.js';

/** The group helpers of the fake GitLab (FakeGitLab has them all). */
export interface FakeGitLabGroups {
  /** Archives the project at `path` (false: unarchives it), as Settings > General > Archive does. */
  archiveProject(path: string, archived?: boolean): void;
  /** Deletes the project at `path` with its webhooks, as GitLab does once a deletion is final. */
  removeProject(path: string): void;
}

type Answer = [status: number, body: unknown, headers?: Record<string, string>];
interface Call {
  userId: number | undefined;
  url: URL;
  params: Record<string, unknown>;
}
export interface GroupRoute {
  method: string;
  pattern: RegExp;
  handle: (call: Call, segments: string[]) => Answer;
}

/** The fake's data and rules this module reads and acts through, live. */
export interface FakeGitLabGroupsWorld {
  groups: ReadonlyMap<number, FakeGitLabGroup>;
  projects: Map<number, FakeGitLabProject>;
  /** Every webhook, project and group ones, in the order made (removeProject takes the project's out). */
  hooks: FakeGitLabHook[];
  /** A group by numeric id or URL-encoded full path (GitLab's :id). */
  findGroup(segment: string): FakeGitLabGroup | undefined;
  projectAt(fullPath: string): FakeGitLabProject | undefined;
  canSeeGroup(group: FakeGitLabGroup, userId: number | undefined): boolean;
  canSeeProject(project: FakeGitLabProject, userId: number | undefined): boolean;
  /** The caller's role in the project, its groups' included; 0 for none. */
  roleIn(project: FakeGitLabProject, userId: number | undefined): number;
  /** GET /projects/:id's JSON for the caller. */
  projectJson(project: FakeGitLabProject, userId: number | undefined): Record<string, unknown>;
  declared(params: Record<string, unknown>): Declared;
  pageOf(items: unknown[], paging: Paging, url: URL): Answer;
}

/** Gitlab::Access.all_values: what `min_access_level` accepts. */
const ACCESS_LEVELS = ['10', '15', '20', '30', '40', '50'];

export function createGroups(world: FakeGitLabGroupsWorld) {
  const archived = new Set<number>();

  const within = (project: FakeGitLabProject, group: FakeGitLabGroup, subgroups: boolean) => {
    if (!subgroups) return project.namespace === group;
    for (let namespace: FakeGitLabGroup | undefined = project.namespace; namespace; namespace = namespace.parent) if (namespace === group) return true;
    return false;
  };

  /** GET /groups/:id/projects: in GitLab's order, the parameters (400), then the group (404), then the finder. */
  const listGroupProjects = (call: Call, [segment]: string[]): Answer => {
    const declared = world.declared(call.params);
    const wantArchived = declared.boolean('archived');
    const subgroups = declared.boolean('include_subgroups') ?? false;
    declared.boolean('with_shared');
    const minLevel = declared.string('min_access_level', { values: ACCESS_LEVELS });
    const search = declared.string('search');
    const orderBy = declared.string('order_by', { values: ['id', 'name', 'path', 'created_at', 'updated_at', 'last_activity_at', 'similarity', 'star_count'], default: 'created_at' });
    const sort = declared.string('sort', { values: ['asc', 'desc'], default: 'desc' });
    const paging = declared.pagination();
    if (declared.refusal) return declared.refusal;
    const group = world.findGroup(segment!);
    if (!group || !world.canSeeGroup(group, call.userId)) return [404, { message: '404 Group Not Found' }];
    const found = [...world.projects.values()].filter(
      (project) =>
        within(project, group, subgroups) &&
        world.canSeeProject(project, call.userId) &&
        (wantArchived === undefined || archived.has(project.id) === wantArchived) &&
        (minLevel === undefined || world.roleIn(project, call.userId) >= Number(minLevel)) &&
        (search === undefined || `${project.name}\n${project.path}`.toLowerCase().includes(search.toLowerCase())),
    );
    // Times are not modelled: ids stand in for created_at (they are given in order), as for activity.
    const key = (project: FakeGitLabProject) => (orderBy === 'name' ? project.name : orderBy === 'path' ? project.path : project.id);
    found.sort((a, b) => (sort === 'asc' ? 1 : -1) * (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.id - b.id));
    return world.pageOf(
      found.map((project) => {
        // Entities::Project: no `permissions`, which only the single-project answer has.
        const { permissions: _permissions, ...json } = world.projectJson(project, call.userId);
        return { ...json, archived: archived.has(project.id) };
      }),
      paging,
      call.url,
    );
  };

  const routes: GroupRoute[] = [{ method: 'GET', pattern: /^\/api\/v4\/groups\/([^/]+)\/projects$/, handle: listGroupProjects }];

  const named = (path: string) => {
    const project = world.projectAt(path);
    if (!project) throw new Error(`fake GitLab: no project at ${path}`);
    return project;
  };

  const helpers: FakeGitLabGroups = {
    archiveProject(path, isArchived = true) {
      const project = named(path);
      if (isArchived) archived.add(project.id);
      else archived.delete(project.id);
    },
    removeProject(path) {
      const project = named(path);
      world.projects.delete(project.id);
      archived.delete(project.id);
      for (let index = world.hooks.length - 1; index >= 0; index--) if (world.hooks[index]!.project_id === project.id) world.hooks.splice(index, 1);
    },
  };

  return { routes, helpers };
}

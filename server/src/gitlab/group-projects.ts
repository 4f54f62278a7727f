/**
 * A group's projects and their webhooks, through either REST client (a command's, or the budgeted
 * one background work uses), with the token of the person whose role decides.
 */
import type { RestClient } from './direct-client.js';
import { hookBody, toHook, type GitLabHook, type HookJson } from './hooks-api.js';
import type { ListedProject } from '../subscriptions/plan-group-hooks.js';

const PER_PAGE = 100;
/** 10,000 projects: GitLab stops counting (x-total) beyond that too; a group larger still is read no further. */
const MAX_PAGES = 100;

interface ProjectJson {
  id: number;
  path_with_namespace: string;
  visibility?: string;
  archived?: boolean;
}

/**
 * Every project of the group and its subgroups the token's user sees, archived ones left out; with
 * `minAccessLevel`, only those where they have at least that role. GET /groups/:id/projects:
 * `with_shared=false` leaves out projects of other namespaces shared with the group (their events
 * are not the group's), `order_by=id` keeps pages steady while projects are created. Pages follow
 * `x-next-page`, empty on the last.
 */
export async function listGroupProjects(client: RestClient, token: string, groupId: number, options: { minAccessLevel?: number } = {}): Promise<ListedProject[]> {
  const projects: ListedProject[] = [];
  for (let page = 1, pages = 0; page > 0 && pages < MAX_PAGES; pages++) {
    const { body, headers } = await client.get<ProjectJson[]>(token, `/groups/${groupId}/projects`, {
      include_subgroups: true,
      with_shared: false,
      archived: false,
      order_by: 'id',
      sort: 'asc',
      per_page: PER_PAGE,
      page,
      min_access_level: options.minAccessLevel,
    });
    for (const project of body) {
      if (project.archived === true) continue;
      projects.push({ id: project.id, path: project.path_with_namespace.toLowerCase(), visibility: project.visibility ?? 'private' });
    }
    page = Number(headers.get('x-next-page') || 0);
  }
  return projects;
}

export async function listProjectHooks(client: RestClient, token: string, projectId: number): Promise<GitLabHook[]> {
  return (await client.get<HookJson[]>(token, `/projects/${projectId}/hooks`)).body.map(toHook);
}

export async function createProjectHook(client: RestClient, token: string, projectId: number, hook: { url: string; secret: string; kinds: string[] }): Promise<GitLabHook> {
  return toHook((await client.post<HookJson>(token, `/projects/${projectId}/hooks`, hookBody(hook))).body);
}

/**
 * `GET /lookup/{kind}`: what the webapp's pickers offer, read from GitLab as
 * the user (so only what they may see), at most 20 at a time, narrowed by an
 * optional `search`.
 */
import express, { type Request } from 'express';
import { parseTarget } from '../commands/subscription-options.js';
import type { QueryValue } from '../gitlab/poll-client.js';
import { connectedCaller } from './context.js';
import type { WebappDeps } from './deps.js';
import { ApiError } from './errors.js';
import { instanceSide } from './instance-side.js';

export const LOOKUP_LIMIT = 20;

type Json = Record<string, unknown>;
interface Lookup {
  /** Needs `project`. */
  inProject: boolean;
  request(search: string | undefined, project: string | undefined): { path: string; query: Record<string, QueryValue> };
  item(json: Json): Record<string, unknown>;
}

const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const inProject = (project: string | undefined, rest: string): string => `/projects/${encodeURIComponent(project!)}${rest}`;

const LOOKUPS: Record<string, Lookup> = {
  projects: {
    inProject: false,
    request: (search) => ({ path: '/projects', query: { membership: true, archived: false, search, order_by: 'last_activity_at', per_page: LOOKUP_LIMIT } }),
    item: (json) => ({ id: json.id, path: json.path_with_namespace, name: json.name, visibility: json.visibility, webUrl: json.web_url }),
  },
  groups: {
    inProject: false,
    // For a user, GitLab lists the groups they are a member of (all_available is off by default).
    request: (search) => ({ path: '/groups', query: { search, order_by: 'path', per_page: LOOKUP_LIMIT } }),
    item: (json) => ({ id: json.id, path: json.full_path, name: json.full_name ?? json.name, visibility: json.visibility, webUrl: json.web_url }),
  },
  labels: {
    inProject: true,
    request: (search, project) => ({ path: inProject(project, '/labels'), query: { search, per_page: LOOKUP_LIMIT } }),
    item: (json) => ({ title: json.name, color: str(json.color), textColor: str(json.text_color) }),
  },
  milestones: {
    inProject: true,
    request: (search, project) => ({ path: inProject(project, '/milestones'), query: { search, state: 'active', per_page: LOOKUP_LIMIT } }),
    item: (json) => ({ id: json.id, title: json.title, dueDate: str(json.due_date) }),
  },
  members: {
    inProject: true,
    // Inherited members too: people in the project's groups can be assigned.
    request: (search, project) => ({ path: inProject(project, '/members/all'), query: { query: search, per_page: LOOKUP_LIMIT } }),
    item: (json) => ({ id: json.id, username: json.username, name: json.name }),
  },
  branches: {
    inProject: true,
    request: (search, project) => ({ path: inProject(project, '/repository/branches'), query: { search, per_page: LOOKUP_LIMIT } }),
    item: (json) => ({ name: json.name }),
  },
  issues: {
    inProject: true,
    request: (search, project) => {
      // `12` or `#12` finds that issue; other words search titles and descriptions.
      const iid = search && /^#?\d{1,9}$/.test(search) ? Number(search.replace('#', '')) : undefined;
      return {
        path: inProject(project, '/issues'),
        query: { ...(iid === undefined ? { search } : { 'iids[]': [iid] }), order_by: 'updated_at', per_page: LOOKUP_LIMIT },
      };
    },
    item: (json) => ({ iid: json.iid, reference: (json.references as { full?: string } | undefined)?.full ?? null, title: json.title, state: json.state, url: json.web_url }),
  },
};

export function lookupRoutes(deps: WebappDeps): express.Router {
  const router = express.Router();

  router.get('/lookup/:kind', async (request, response) => {
    const lookup = Object.hasOwn(LOOKUPS, request.params.kind) ? LOOKUPS[request.params.kind] : undefined;
    if (!lookup) throw new ApiError(404, 'not_found', `No such look-up: use ${Object.keys(LOOKUPS).join(', ')}.`);
    const search = optionalText(request, 'search', 100);
    // `instance`: another of the bridge's GitLabs (the subscription form's picker), read as the user's account there.
    const side = instanceSide(deps, optionalText(request, 'instance', 64));
    const project = lookup.inProject ? projectOf(request, side.url) : undefined;
    const caller = await connectedCaller(async (userId) => (side.connections ? side.connections.callerFor(userId) : null), response);
    const { path, query } = lookup.request(search, project);
    const { body } = await side.client.get<Json[]>(caller.token, path, query);
    response.json({ items: (Array.isArray(body) ? body : []).slice(0, LOOKUP_LIMIT).map(lookup.item) });
  });

  return router;
}

function optionalText(request: Request, name: string, max: number): string | undefined {
  const value = request.query[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || value.length > max) throw new ApiError(400, 'bad_request', `\`${name}\`: at most ${max} characters of text.`);
  return value.trim() || undefined;
}

function projectOf(request: Request, gitlabUrl: string): string {
  const value = optionalText(request, 'project', 1000);
  if (!value) throw new ApiError(400, 'bad_request', '`project`: name the project (`group/project`).');
  const path = parseTarget(value, gitlabUrl);
  if (!path.ok || !path.path.includes('/')) throw new ApiError(400, 'bad_request', `\`project\`: ${path.ok ? `\`${value}\` is not a project path (like \`group/project\`)` : path.error}.`);
  return path.path;
}

/** A GitLab server on loopback for tests; it grows with the endpoints the bridge uses. */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Visibility = 'public' | 'internal' | 'private';

/** GitLab's numbers: 10 guest, 20 reporter, 30 developer, 40 maintainer, 50 owner. */
export type AccessLevel = 10 | 20 | 30 | 40 | 50;

export interface FakeGitLabGroup {
  id: number;
  name: string;
  path: string;
  full_path: string;
  visibility: Visibility;
  /** Undefined for a top-level group. */
  parent: FakeGitLabGroup | undefined;
}

export interface FakeGitLabProject {
  id: number;
  name: string;
  path: string;
  path_with_namespace: string;
  visibility: Visibility;
  default_branch: string;
  /** Always a group: the fake has no personal namespaces. */
  namespace: FakeGitLabGroup;
}

export interface FakeGitLabUser {
  id: number;
  username: string;
  name: string;
}

export interface FakeGitLabRequest {
  method: string;
  /** As sent: a project path in it stays URL-encoded. */
  path: string;
  /** The token presented (PRIVATE-TOKEN or Authorization: Bearer), known or not. */
  token?: string;
}

export interface FakeGitLab {
  url: string;
  requests: FakeGitLabRequest[];
  /** By id. */
  projects: Map<number, FakeGitLabProject>;
  /** By id. */
  groups: Map<number, FakeGitLabGroup>;
  /**
   * A group; missing ancestors are made with the same visibility. Like GitLab, throws when it would be
   * more visible than its parent.
   */
  addGroup(fullPath: string, options: { visibility: Visibility; id?: number }): FakeGitLabGroup;
  /** A project in a group (made as addGroup would when missing); default branch 'main' unless given. */
  addProject(pathWithNamespace: string, options: { visibility: Visibility; id?: number; defaultBranch?: string }): FakeGitLabProject;
  /** A user and a token (personal or OAuth access token: the API treats them alike) that acts as them. */
  addUser(user: FakeGitLabUser): { token: string };
  /** Makes the token's user a member of the project or group at `path` (again: changes the level). */
  grant(token: string, path: string, accessLevel: AccessLevel): void;
  close(): Promise<void>;
}

const VISIBILITY_ORDER: Visibility[] = ['private', 'internal', 'public'];

export async function startFakeGitLab(): Promise<FakeGitLab> {
  const projects = new Map<number, FakeGitLabProject>();
  const groups = new Map<number, FakeGitLabGroup>();
  const requests: FakeGitLabRequest[] = [];
  const users = new Map<string, FakeGitLabUser>();
  // By token, the memberships of its user; keyed by the group or project itself.
  const grants = new Map<string, Map<FakeGitLabGroup | FakeGitLabProject, AccessLevel>>();
  let base = '';

  // GitLab finds routes case-insensitively.
  const groupAt = (fullPath: string) => [...groups.values()].find((group) => group.full_path.toLowerCase() === fullPath.toLowerCase());
  const projectAt = (fullPath: string) => [...projects.values()].find((project) => project.path_with_namespace.toLowerCase() === fullPath.toLowerCase());
  const nextId = (taken: Map<number, unknown>) => Math.max(0, ...taken.keys()) + 1;
  const claim = (fullPath: string, id: number, taken: Map<number, unknown>) => {
    // A group and a project cannot share a path in GitLab, which is what lets grant() take either.
    if (groupAt(fullPath) || projectAt(fullPath)) throw new Error(`fake GitLab: ${fullPath} is taken`);
    if (taken.has(id)) throw new Error(`fake GitLab: id ${id} is taken`);
  };
  const checkVisibility = (visibility: Visibility, parent: FakeGitLabGroup | undefined, what: string) => {
    if (parent && VISIBILITY_ORDER.indexOf(visibility) > VISIBILITY_ORDER.indexOf(parent.visibility)) {
      throw new Error(`fake GitLab: ${what} cannot be ${visibility} in the ${parent.visibility} group ${parent.full_path}, as in GitLab`);
    }
  };
  const ensureGroup = (fullPath: string, visibility: Visibility, id?: number): FakeGitLabGroup => {
    const existing = groupAt(fullPath);
    if (existing && id === undefined) return existing;
    const slash = fullPath.lastIndexOf('/');
    const parent = slash < 0 ? undefined : ensureGroup(fullPath.slice(0, slash), visibility);
    const group: FakeGitLabGroup = { id: id ?? nextId(groups), name: fullPath.slice(slash + 1), path: fullPath.slice(slash + 1), full_path: fullPath, visibility, parent };
    claim(fullPath, group.id, groups);
    checkVisibility(visibility, parent, `group ${fullPath}`);
    groups.set(group.id, group);
    return group;
  };

  const ancestors = (group: FakeGitLabGroup | undefined): FakeGitLabGroup[] => (group ? [group, ...ancestors(group.parent)] : []);
  const directAccess = (token: string, target: FakeGitLabGroup | FakeGitLabProject) => grants.get(token)?.get(target);
  /** Like GitLab's highest_group_member: the best membership in the group or any ancestor. */
  const groupAccess = (token: string, group: FakeGitLabGroup): AccessLevel | undefined => {
    const levels = ancestors(group).flatMap((candidate) => directAccess(token, candidate) ?? []);
    return levels.length > 0 ? (Math.max(...levels) as AccessLevel) : undefined;
  };
  const canSeeProject = (project: FakeGitLabProject, token: string | undefined) =>
    project.visibility === 'public' ||
    (token !== undefined && (project.visibility === 'internal' || directAccess(token, project) !== undefined || groupAccess(token, project.namespace) !== undefined));
  // A private group shows to members of it, of an ancestor, and (as in GitLab) of anything inside it.
  const canSeeGroup = (group: FakeGitLabGroup, token: string | undefined) =>
    group.visibility === 'public' ||
    (token !== undefined &&
      (group.visibility === 'internal' ||
        groupAccess(token, group) !== undefined ||
        [...(grants.get(token)?.keys() ?? [])].some((target) => ancestors('namespace' in target ? target.namespace : target.parent).includes(group))));

  const namePath = (group: FakeGitLabGroup) =>
    ancestors(group)
      .reverse()
      .map((candidate) => candidate.name)
      .join(' / ');
  const groupJson = (group: FakeGitLabGroup) => ({
    id: group.id,
    name: group.name,
    path: group.path,
    full_name: namePath(group),
    full_path: group.full_path,
    parent_id: group.parent?.id ?? null,
    web_url: `${base}/groups/${group.full_path}`,
    visibility: group.visibility,
  });
  const projectJson = (project: FakeGitLabProject, token: string | undefined) => {
    const projectLevel = token === undefined ? undefined : directAccess(token, project);
    const groupLevel = token === undefined ? undefined : groupAccess(token, project.namespace);
    return {
      id: project.id,
      name: project.name,
      path: project.path,
      path_with_namespace: project.path_with_namespace,
      name_with_namespace: `${namePath(project.namespace)} / ${project.name}`,
      web_url: `${base}/${project.path_with_namespace}`,
      visibility: project.visibility,
      default_branch: project.default_branch,
      namespace: {
        id: project.namespace.id,
        name: project.namespace.name,
        path: project.namespace.path,
        kind: 'group',
        full_path: project.namespace.full_path,
        parent_id: project.namespace.parent?.id ?? null,
        web_url: `${base}/groups/${project.namespace.full_path}`,
      },
      // Only for a signed-in user, as GitLab's ProjectWithAccess.
      ...(token === undefined
        ? {}
        : {
            permissions: {
              project_access: projectLevel === undefined ? null : { access_level: projectLevel },
              group_access: groupLevel === undefined ? null : { access_level: groupLevel },
            },
          }),
    };
  };
  /** A numeric id or a URL-encoded full path, as GitLab's :id takes them. */
  const find = <T extends { id: number }>(segment: string, byId: Map<number, T>, byPath: (path: string) => T | undefined): T | undefined => {
    if (/^\d+$/.test(segment)) return byId.get(Number(segment));
    try {
      return byPath(decodeURIComponent(segment));
    } catch {
      return undefined;
    }
  };

  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    const privateToken = req.headers['private-token'];
    const bearer = /^bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const token = (typeof privateToken === 'string' && privateToken !== '' ? privateToken : undefined) ?? bearer;
    requests.push({ method: req.method ?? 'GET', path, ...(token === undefined ? {} : { token }) });
    res.setHeader('Content-Type', 'application/json');
    const send = (status: number, body: unknown) => void res.writeHead(status).end(JSON.stringify(body));
    if (path === '/api/v4/version') {
      // Like GitLab: the version needs a token (any will do here: the fake does not check it).
      if (!req.headers.authorization && !req.headers['private-token']) return void res.writeHead(401).end('{"message":"401 Unauthorized"}');
      return void res.end('{"version":"18.6.0","revision":"fake"}');
    }
    const projectRoute = /^\/api\/v4\/projects\/([^/]+)$/.exec(path);
    const groupRoute = /^\/api\/v4\/groups\/([^/]+)$/.exec(path);
    if (req.method === 'GET' && (projectRoute || groupRoute || path === '/api/v4/user')) {
      // A token GitLab does not know is refused, even where no token is needed.
      const user = token === undefined ? undefined : users.get(token);
      if (token !== undefined && !user) return send(401, { message: '401 Unauthorized' });
      if (projectRoute) {
        const project = find(projectRoute[1]!, projects, projectAt);
        // Like GitLab, a project the caller may not see does not exist.
        return project && canSeeProject(project, token) ? send(200, projectJson(project, token)) : send(404, { message: '404 Project Not Found' });
      }
      if (groupRoute) {
        const group = find(groupRoute[1]!, groups, groupAt);
        return group && canSeeGroup(group, token) ? send(200, groupJson(group)) : send(404, { message: '404 Group Not Found' });
      }
      if (!user) return send(401, { message: '401 Unauthorized' });
      return send(200, { id: user.id, username: user.username, name: user.name, state: 'active', web_url: `${base}/${user.username}` });
    }
    res.writeHead(404).end('{"message":"404 Not Found"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    requests,
    projects,
    groups,
    addGroup(fullPath, { visibility, id }) {
      return ensureGroup(fullPath, visibility, id ?? nextId(groups));
    },
    addProject(pathWithNamespace, { visibility, id, defaultBranch }) {
      const slash = pathWithNamespace.lastIndexOf('/');
      if (slash < 0) throw new Error(`fake GitLab: ${pathWithNamespace} needs a group`);
      const namespace = ensureGroup(pathWithNamespace.slice(0, slash), visibility);
      const name = pathWithNamespace.slice(slash + 1);
      const project: FakeGitLabProject = { id: id ?? nextId(projects), name, path: name, path_with_namespace: pathWithNamespace, visibility, default_branch: defaultBranch ?? 'main', namespace };
      claim(pathWithNamespace, project.id, projects);
      checkVisibility(visibility, namespace, `project ${pathWithNamespace}`);
      projects.set(project.id, project);
      return project;
    },
    addUser(user) {
      const token = `glpat-${randomBytes(10).toString('hex')}`;
      users.set(token, { ...user });
      return { token };
    },
    grant(token, path, accessLevel) {
      if (!users.has(token)) throw new Error('fake GitLab: grant() needs a token from addUser()');
      const target = projectAt(path) ?? groupAt(path);
      if (!target) throw new Error(`fake GitLab: no project or group at ${path}`);
      if (!grants.has(token)) grants.set(token, new Map());
      grants.get(token)!.set(target, accessLevel);
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

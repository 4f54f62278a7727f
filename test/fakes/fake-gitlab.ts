/** A GitLab server on loopback for tests; it grows with the endpoints the bridge uses. */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

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

/** An OAuth application (User settings > Applications), confidential as the bridge's is. */
export interface FakeGitLabApplication {
  clientId: string;
  clientSecret: string;
  /** One URI; the fake wants it back exactly (Doorkeeper would ignore an added query, or the port on loopback). */
  redirectUri: string;
  /** Space-separated, as GitLab keeps them. */
  scopes: string;
}

/** A POST /oauth/token, recorded once answered. */
export interface FakeGitLabOAuthRequest {
  /** As sent; '' when missing. */
  grantType: string;
  status: number;
  /** When it arrived (Date.now()), before any setTokenDelay. */
  at: number;
}

export interface FakeGitLabRequest {
  method: string;
  /** As sent: a project path in it stays URL-encoded. */
  path: string;
  /** The token presented (PRIVATE-TOKEN or Authorization: Bearer), known or not. */
  token?: string;
}

/** What the server is: group webhooks are a Premium feature, missing from CE and refused by an unlicensed EE. */
export type FakeGitLabEdition = 'ce' | 'ee-free' | 'premium';

/** The event flags of a project or group webhook, each a parameter of POST …/hooks and a valid test trigger. */
const HOOK_EVENTS = [
  'push_events',
  'tag_push_events',
  'issues_events',
  'confidential_issues_events',
  'merge_requests_events',
  'note_events',
  'confidential_note_events',
  'pipeline_events',
  'job_events',
  'deployment_events',
  'releases_events',
  'wiki_page_events',
  'feature_flag_events',
  'milestone_events',
  'emoji_events',
  'resource_access_token_events',
] as const;
export type FakeGitLabHookEvent = (typeof HOOK_EVENTS)[number];
/** Flags only group webhooks have. */
const GROUP_HOOK_EVENTS = ['subgroup_events', 'member_events', 'project_events'] as const;

/** A webhook as GitLab keeps it: the API's fields, and the secret token it never answers with. */
export interface FakeGitLabHook extends Record<FakeGitLabHookEvent, boolean> {
  id: number;
  url: string;
  name: string | null;
  description: string | null;
  /** ISO 8601. */
  created_at: string;
  enable_ssl_verification: boolean;
  push_events_branch_filter: string | null;
  branch_filter_strategy: 'wildcard' | 'regex' | 'all_branches';
  /** 'executable' until disableHook(). */
  alert_status: 'executable' | 'temporarily_disabled' | 'disabled';
  /** ISO 8601 while temporarily disabled, else null. */
  disabled_until: string | null;
  /** Sent as X-Gitlab-Token; undefined when none was set. */
  token: string | undefined;
  /** One of the two: the hook's project or group. */
  project_id?: number;
  group_id?: number;
  /** Group hooks only. */
  subgroup_events?: boolean;
  member_events?: boolean;
  project_events?: boolean;
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
  /**
   * A user and a personal access token that acts as them; again with the same id, another token for the
   * same user. OAuth access tokens issued to the user act as them too, with the same memberships.
   */
  addUser(user: FakeGitLabUser): { token: string };
  /** Makes the token's user a member of the project or group at `path` (again: changes the level). */
  grant(token: string, path: string, accessLevel: AccessLevel): void;
  /** Every POST /oauth/token, also in `requests`. */
  oauthRequests: FakeGitLabOAuthRequest[];
  /** By client id. */
  applications: Map<string, FakeGitLabApplication>;
  /** Scopes default to 'api read_user'. */
  registerApplication(application: { clientId: string; clientSecret: string; redirectUri: string; scopes?: string }): FakeGitLabApplication;
  /** The browser session /oauth/authorize sees: the addUser() user with this id is logged in. */
  signIn(userId: number): void;
  signOut(): void;
  /** expires_in of access tokens issued from now on; 7200 (GitLab's) unless set. */
  setTokenLifetime(seconds: number): void;
  /** Holds every POST /oauth/token this long before answering, so that tests can race two of them. */
  setTokenDelay(ms: number): void;
  /** Every OAuth access token issued so far expires now (their refresh tokens still work). */
  expireAccessTokens(): void;
  /** As if the user revoked the application in their settings: their codes and tokens stop working. */
  revokeAuthorization(userId: number): void;
  /** Every OAuth token issued to the user, live or not, in the order issued: each access token, then its refresh token. */
  tokensOf(userId: number): string[];
  /** 'premium' unless set: on 'ce' the group hook routes do not exist (404), on 'ee-free' they answer 403. */
  setEdition(edition: FakeGitLabEdition): void;
  /** The webhooks of the project or group at `path`, in the order made, with their tokens. */
  hooksOf(path: string): FakeGitLabHook[];
  /** As GitLab does after failed deliveries: 'temporarily_disabled' until the date, or 'disabled' without one. */
  disableHook(hookId: number, options?: { until?: Date }): void;
  /** Every POST …/hooks/:hook_id/test/:trigger that GitLab would have sent, in order. */
  hookTests: { hookId: number; trigger: string }[];
  close(): Promise<void>;
}

/** An authorization code ("access grant" in Doorkeeper). */
interface IssuedCode {
  clientId: string;
  redirectUri: string;
  userId: number;
  scopes: string;
  /** Undefined when the request had no PKCE: then the token request must not send a verifier. */
  challenge: string | undefined;
  method: 'S256' | 'plain' | undefined;
  expiresAt: number;
  /** Used or revoked: Doorkeeper revokes a code as it exchanges it. */
  revoked: boolean;
}

/** An OAuth access token and its refresh token: one record in Doorkeeper, revoked together. */
interface IssuedToken {
  accessToken: string;
  refreshToken: string;
  clientId: string;
  userId: number;
  scopes: string;
  createdAt: number;
  /** expires_in when issued, in seconds. */
  lifetime: number;
  expiresAt: number;
  revoked: boolean;
}

type Reply = [status: number, body: unknown];
/** An API refusal, with the WWW-Authenticate header GitLab adds to some. */
type Refusal = { reply: Reply; header?: string };

/** Doorkeeper's wording. */
const INVALID_GRANT: Reply = [
  400,
  {
    error: 'invalid_grant',
    error_description:
      'The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.',
  },
];
const INVALID_CLIENT: Reply = [
  401,
  { error: 'invalid_client', error_description: 'Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.' },
];
const INVALID_REQUEST: Reply = [
  400,
  { error: 'invalid_request', error_description: 'The request is missing a required parameter, includes an unsupported parameter value, or is otherwise malformed.' },
];
/** An application's scopes unless the test says otherwise: what the bridge asks for. */
const DEFAULT_SCOPES = 'api read_user';
/** Doorkeeper's authorization_code_expires_in, which GitLab keeps. */
const CODE_LIFETIME_MS = 10 * 60_000;

const VISIBILITY_ORDER: Visibility[] = ['private', 'internal', 'public'];

export async function startFakeGitLab(): Promise<FakeGitLab> {
  const projects = new Map<number, FakeGitLabProject>();
  const groups = new Map<number, FakeGitLabGroup>();
  const requests: FakeGitLabRequest[] = [];
  // By id; personal tokens name a user by id, so that every token of a user has the same memberships.
  const users = new Map<number, FakeGitLabUser>();
  const personalTokens = new Map<string, number>();
  // By user id, their memberships; keyed by the group or project itself.
  const grants = new Map<number, Map<FakeGitLabGroup | FakeGitLabProject, AccessLevel>>();
  const applications = new Map<string, FakeGitLabApplication>();
  const codes = new Map<string, IssuedCode>();
  const oauthTokens: IssuedToken[] = [];
  const oauthRequests: FakeGitLabOAuthRequest[] = [];
  let signedIn: number | undefined;
  let tokenLifetime = 7200;
  let tokenDelay = 0;
  let base = '';
  const hooks: FakeGitLabHook[] = [];
  const hookTests: { hookId: number; trigger: string }[] = [];
  let edition: FakeGitLabEdition = 'premium';

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
  const directAccess = (userId: number, target: FakeGitLabGroup | FakeGitLabProject) => grants.get(userId)?.get(target);
  /** Like GitLab's highest_group_member: the best membership in the group or any ancestor. */
  const groupAccess = (userId: number, group: FakeGitLabGroup): AccessLevel | undefined => {
    const levels = ancestors(group).flatMap((candidate) => directAccess(userId, candidate) ?? []);
    return levels.length > 0 ? (Math.max(...levels) as AccessLevel) : undefined;
  };
  // Callers are by user id; undefined for an anonymous one.
  const canSeeProject = (project: FakeGitLabProject, userId: number | undefined) =>
    project.visibility === 'public' ||
    (userId !== undefined && (project.visibility === 'internal' || directAccess(userId, project) !== undefined || groupAccess(userId, project.namespace) !== undefined));
  // A private group shows to members of it, of an ancestor, and (as in GitLab) of anything inside it.
  const canSeeGroup = (group: FakeGitLabGroup, userId: number | undefined) =>
    group.visibility === 'public' ||
    (userId !== undefined &&
      (group.visibility === 'internal' ||
        groupAccess(userId, group) !== undefined ||
        [...(grants.get(userId)?.keys() ?? [])].some((target) => ancestors('namespace' in target ? target.namespace : target.parent).includes(group))));

  /** The caller's role in a project: their own membership or one through its group, the highest winning. */
  const projectAccess = (userId: number, project: FakeGitLabProject): number => Math.max(0, directAccess(userId, project) ?? 0, groupAccess(userId, project.namespace) ?? 0);

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
  const projectJson = (project: FakeGitLabProject, userId: number | undefined) => {
    const projectLevel = userId === undefined ? undefined : directAccess(userId, project);
    const groupLevel = userId === undefined ? undefined : groupAccess(userId, project.namespace);
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
      ...(userId === undefined
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

  // Doorkeeper's :hex generator, which GitLab configures, for codes and tokens alike.
  const secret = () => randomBytes(32).toString('hex');
  const liveToken = (issued: IssuedToken | undefined) => (issued && !issued.revoked && Date.now() < issued.expiresAt ? issued : undefined);
  /** An API 401 for a known OAuth token that no longer works, in the words of GitLab's APIGuard. */
  const invalidToken = (description: string): Refusal => ({
    reply: [401, { error: 'invalid_token', error_description: description }],
    header: `Bearer realm="Protected by OAuth 2.0", error="invalid_token", error_description="${description}"`,
  });
  /**
   * Who an API request acts as (undefined: nobody), as GitLab's AuthFinders decide: PRIVATE-TOKEN takes
   * personal tokens only, Authorization: Bearer either kind. `scopes` is set for an OAuth token.
   */
  const authenticate = (privateToken: string | undefined, bearer: string | undefined): { userId: number | undefined; scopes?: string[] } | Refusal => {
    const presented = privateToken ?? bearer;
    if (presented === undefined) return { userId: undefined };
    const personal = personalTokens.get(presented);
    if (personal !== undefined) return { userId: personal };
    const issued = privateToken === undefined ? oauthTokens.find((candidate) => candidate.accessToken === presented) : undefined;
    if (!issued) return { reply: [401, { message: '401 Unauthorized' }] };
    if (issued.revoked) return invalidToken('Token was revoked. You have to re-authorize from the user.');
    if (Date.now() >= issued.expiresAt) return invalidToken('Token is expired. You can either do re-authorization or token refresh.');
    return { userId: issued.userId, scopes: issued.scopes.split(' ') };
  };
  /** authenticate(), then the scopes an OAuth token needs for the endpoint (any one of `needed`). */
  const apiCaller = (privateToken: string | undefined, bearer: string | undefined, needed: string[]): { userId: number | undefined } | Refusal => {
    const caller = authenticate(privateToken, bearer);
    if ('reply' in caller) return caller;
    if (caller.scopes && !needed.some((scope) => caller.scopes!.includes(scope))) {
      return { reply: [403, { error: 'insufficient_scope', error_description: 'The request requires higher privileges than provided by the access token.', scope: needed.join(' ') }] };
    }
    return { userId: caller.userId };
  };
  /** A new access and refresh token, answered as Doorkeeper does. */
  const issueToken = (clientId: string, userId: number, scopes: string): Reply => {
    const now = Date.now();
    const issued: IssuedToken = { accessToken: secret(), refreshToken: secret(), clientId, userId, scopes, createdAt: now, lifetime: tokenLifetime, expiresAt: now + tokenLifetime * 1000, revoked: false };
    oauthTokens.push(issued);
    return [200, { access_token: issued.accessToken, token_type: 'Bearer', expires_in: issued.lifetime, refresh_token: issued.refreshToken, scope: scopes, created_at: Math.floor(now / 1000) }];
  };
  /** The client a request authenticates as: HTTP Basic first, then client_id/client_secret, as Doorkeeper looks. */
  const clientOf = (req: http.IncomingMessage, params: Record<string, string>): { sent: boolean; application: FakeGitLabApplication | undefined } => {
    const basic = /^basic\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    let [id, key] = [params.client_id, params.client_secret];
    if (basic !== undefined) {
      const decoded = Buffer.from(basic, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      // RFC 6749 2.3.1: each part is form-encoded first.
      [id, key] = colon < 0 ? [formDecode(decoded), ''] : [formDecode(decoded.slice(0, colon)), formDecode(decoded.slice(colon + 1))];
    }
    if (id === undefined || id === '') return { sent: false, application: undefined };
    const application = applications.get(id);
    return { sent: true, application: application && application.clientSecret === key ? application : undefined };
  };
  const verifierMatches = (code: IssuedCode, verifier: string | undefined) => {
    if (verifier === undefined || verifier === '') return code.challenge === undefined;
    if (code.method === 'S256') return createHash('sha256').update(verifier).digest('base64url') === code.challenge;
    return code.method === 'plain' && verifier === code.challenge;
  };

  const authorize = (query: URLSearchParams): { status: number; location?: string; html?: string } => {
    // GitLab wants a session before it looks at anything (Doorkeeper's resource_owner_authenticator).
    if (signedIn === undefined) return { status: 302, location: `${base}/users/sign_in` };
    const application = applications.get(query.get('client_id') ?? '');
    // Never back to a redirect_uri that is not the application's: an error page instead.
    const page = (description: string) => ({ status: 400, html: `<!DOCTYPE html><html><body><h1>An error has occurred</h1><p>${description}</p></body></html>` });
    if (!application) return page('Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.');
    if (query.get('redirect_uri') !== application.redirectUri) return page('The redirect URI included is not valid.');
    const back = (params: Record<string, string>) => {
      const target = new URL(application.redirectUri);
      for (const [name, value] of Object.entries(params)) target.searchParams.set(name, value);
      const state = query.get('state');
      if (state !== null) target.searchParams.set('state', state);
      return { status: 302, location: target.toString() };
    };
    if (query.get('response_type') !== 'code') return back({ error: 'unsupported_response_type', error_description: 'The authorization server does not support this response type.' });
    // Without a scope, GitLab's default one ('api'), which the application must have like any other.
    const scopes = (query.get('scope') || 'api').split(' ').filter(Boolean);
    if (scopes.some((scope) => !application.scopes.split(' ').includes(scope))) {
      return back({ error: 'invalid_scope', error_description: 'The requested scope is invalid, unknown, or malformed.' });
    }
    const challenge = query.get('code_challenge') || undefined;
    // Doorkeeper takes a challenge without a method as plain.
    const method = challenge === undefined ? undefined : query.get('code_challenge_method') || 'plain';
    if (method !== undefined && method !== 'S256' && method !== 'plain') {
      return back({ error: 'invalid_request', error_description: 'The code_challenge_method must be one of S256, plain.' });
    }
    // Approved without asking, as GitLab does for a trusted application.
    const code = secret();
    codes.set(code, { clientId: application.clientId, redirectUri: application.redirectUri, userId: signedIn, scopes: scopes.join(' '), challenge, method, expiresAt: Date.now() + CODE_LIFETIME_MS, revoked: false });
    return back({ code });
  };

  const tokenEndpoint = (req: http.IncomingMessage, params: Record<string, string>): Reply => {
    const client = clientOf(req, params);
    if (params.grant_type === 'authorization_code') {
      // Doorkeeper's order: parameters, client, code, redirect URI, verifier.
      const code = codes.get(params.code ?? '');
      if (!params.redirect_uri || (code?.challenge !== undefined && !params.code_verifier)) return INVALID_REQUEST;
      // The application is confidential: it must authenticate.
      if (!client.application) return INVALID_CLIENT;
      if (!code || code.revoked || Date.now() >= code.expiresAt || code.clientId !== client.application.clientId) return INVALID_GRANT;
      if (code.redirectUri !== params.redirect_uri || !verifierMatches(code, params.code_verifier)) return INVALID_GRANT;
      // A failed attempt leaves the code usable, as in Doorkeeper; a successful one uses it up.
      code.revoked = true;
      return issueToken(code.clientId, code.userId, code.scopes);
    }
    if (params.grant_type === 'refresh_token') {
      if (!params.refresh_token) return INVALID_REQUEST;
      const issued = oauthTokens.find((candidate) => candidate.refreshToken === params.refresh_token);
      if (!issued || issued.revoked) return INVALID_GRANT;
      if (client.sent && !client.application) return INVALID_CLIENT;
      if (client.application?.clientId !== issued.clientId) return INVALID_GRANT;
      // GitLab revokes the old pair at once (no previous_refresh_token to keep it alive until the new one is used).
      issued.revoked = true;
      return issueToken(issued.clientId, issued.userId, issued.scopes);
    }
    if (!params.grant_type) return INVALID_REQUEST;
    return [400, { error: 'unsupported_grant_type', error_description: 'The authorization grant type is not supported by the authorization server.' }];
  };

  const revoke = (req: http.IncomingMessage, params: Record<string, string>): Reply => {
    const issued = oauthTokens.find((candidate) => candidate.accessToken === params.token || candidate.refreshToken === params.token);
    // An unknown token is answered as a revoked one (RFC 7009)...
    if (!issued) return [200, {}];
    // ...but a confidential application's token takes that application to revoke it.
    if (clientOf(req, params).application?.clientId !== issued.clientId) {
      return [403, { error: 'unauthorized_client', error_description: 'You are not authorized to revoke this token' }];
    }
    issued.revoked = true;
    return [200, {}];
  };

  const tokenInfo = (presented: string | undefined): Reply => {
    const issued = oauthTokens.find((candidate) => candidate.accessToken === presented);
    if (!issued || !liveToken(issued)) {
      const description = !issued ? 'The access token is invalid' : issued.revoked ? 'The access token was revoked' : 'The access token expired';
      return [401, { error: 'invalid_token', error_description: description }];
    }
    const expiresIn = Math.max(0, Math.floor((issued.expiresAt - Date.now()) / 1000));
    const scopes = issued.scopes.split(' ');
    // Doorkeeper's, plus the two other names GitLab keeps for old clients.
    return [
      200,
      { resource_owner_id: issued.userId, scope: scopes, expires_in: expiresIn, application: { uid: issued.clientId }, created_at: Math.floor(issued.createdAt / 1000), scopes, expires_in_seconds: expiresIn },
    ];
  };

  /** The JSON GitLab answers for a hook: never the token; url_variables and custom_headers are left out of a project's list. */
  const hookJson = (hook: FakeGitLabHook, inList: boolean) => {
    const { token: _token, project_id, group_id, subgroup_events, member_events, project_events, ...fields } = hook;
    const withExtras = !(inList && project_id !== undefined);
    return {
      id: fields.id,
      url: fields.url,
      name: fields.name,
      description: fields.description,
      created_at: fields.created_at,
      push_events: fields.push_events,
      tag_push_events: fields.tag_push_events,
      merge_requests_events: fields.merge_requests_events,
      repository_update_events: false,
      enable_ssl_verification: fields.enable_ssl_verification,
      alert_status: fields.alert_status,
      disabled_until: fields.disabled_until,
      ...(withExtras ? { url_variables: [] } : {}),
      push_events_branch_filter: fields.push_events_branch_filter,
      branch_filter_strategy: fields.branch_filter_strategy,
      custom_webhook_template: null,
      ...(withExtras ? { custom_headers: [] } : {}),
      ...(project_id !== undefined ? { project_id } : { group_id }),
      ...Object.fromEntries(HOOK_EVENTS.filter((event) => !['push_events', 'tag_push_events', 'merge_requests_events'].includes(event)).map((event) => [event, fields[event]])),
      ...(group_id !== undefined ? { subgroup_events, member_events, project_events } : {}),
    };
  };
  /**
   * GET and POST /projects/:id/hooks and /groups/:id/hooks, and POST …/hooks/:hook_id/test/:trigger, for an
   * authenticated caller. In GitLab's order: the caller, the project or group, the role, then the parameters.
   */
  const webhooks = async (req: http.IncomingMessage, url: URL, userId: number | undefined, route: RegExpExecArray): Promise<Reply> => {
    const [, kind, segment, hookId, trigger] = route as unknown as [string, 'projects' | 'groups', string, string | undefined, string | undefined];
    if (userId === undefined) return [401, { message: '401 Unauthorized' }];
    const forbidden: Reply = [403, { message: '403 Forbidden' }];
    let owner: { project_id: number } | { group_id: number };
    if (kind === 'groups') {
      const group = find(segment, groups, groupAt);
      if (!group || !canSeeGroup(group, userId)) return [404, { message: '404 Group Not Found' }];
      // Owners only (of the group or above), and only with the licence.
      if (edition !== 'premium' || (groupAccess(userId, group) ?? 0) < 50) return forbidden;
      owner = { group_id: group.id };
    } else {
      const project = find(segment, projects, projectAt);
      if (!project || !canSeeProject(project, userId)) return [404, { message: '404 Project Not Found' }];
      if (projectAccess(userId, project) < 40) return forbidden;
      owner = { project_id: project.id };
    }
    const own = hooks.filter((hook) => ('group_id' in owner ? hook.group_id === owner.group_id : hook.project_id === owner.project_id));

    if (hookId !== undefined) {
      // Grape's validation, both parameters at once; the triggers are ProjectHook's, for group hooks too.
      const invalid = [
        ...(/^\d+$/.test(hookId) ? [] : ['hook_id is invalid']),
        ...((HOOK_EVENTS as readonly string[]).includes(trigger ?? '') ? [] : ['trigger does not have a valid value']),
      ];
      if (invalid.length > 0) return [400, { error: invalid.join(', ') }];
      const hook = own.find((candidate) => candidate.id === Number(hookId));
      if (!hook) return [404, { message: '404 Not found' }];
      // Sent even to a disabled hook (GitLab forces test deliveries), always answered 2xx here.
      hookTests.push({ hookId: hook.id, trigger: trigger! });
      return [201, { message: '201 Created' }];
    }
    if (req.method === 'GET') return [200, own.map((hook) => hookJson(hook, true))];

    const params = await readParams(req, url);
    const invalid: string[] = [];
    if (params.url === undefined) invalid.push('url is missing');
    const flags: Record<string, boolean> = {};
    const booleans = ['enable_ssl_verification', ...HOOK_EVENTS, ...('group_id' in owner ? GROUP_HOOK_EVENTS : [])];
    for (const name of booleans) {
      if (params[name] === undefined) continue;
      const value = grapeBoolean(params[name]);
      if (value === undefined) invalid.push(`${name} is invalid`);
      else flags[name] = value;
    }
    const strategies = ['wildcard', 'regex', 'all_branches'] as const;
    const strategy = strategies.find((candidate) => candidate === (params.branch_filter_strategy ?? 'wildcard'));
    if (!strategy) invalid.push('branch_filter_strategy does not have a valid value');
    if (invalid.length > 0) return [400, { error: invalid.join(', ') }];
    // The model's URL validation (the fake lets loopback through, as an admin setting would).
    if (!/^https?:$/.test(urlProtocol(params.url!))) return [422, { error: 'Invalid url given' }];
    const hook: FakeGitLabHook = {
      id: Math.max(0, ...hooks.map((candidate) => candidate.id)) + 1,
      url: params.url!,
      name: params.name ?? null,
      description: params.description ?? null,
      created_at: new Date().toISOString(),
      // GitLab's column defaults: push events on, everything else off, SSL verified.
      ...(Object.fromEntries(HOOK_EVENTS.map((event) => [event, event === 'push_events'])) as Record<FakeGitLabHookEvent, boolean>),
      ...('group_id' in owner ? { subgroup_events: false, member_events: false, project_events: false } : {}),
      enable_ssl_verification: true,
      ...flags,
      push_events_branch_filter: params.push_events_branch_filter ?? null,
      branch_filter_strategy: strategy!,
      alert_status: 'executable',
      disabled_until: null,
      token: params.token,
      ...owner,
    };
    hooks.push(hook);
    return [201, hookJson(hook, false)];
  };

  const oauth = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL, bearer: string | undefined) => {
    const at = Date.now();
    const send = ([status, body]: Reply) => void res.writeHead(status, { 'Cache-Control': 'no-store', Pragma: 'no-cache' }).end(JSON.stringify(body));
    if (req.method === 'GET' && url.pathname === '/oauth/authorize') {
      const { status, location, html } = authorize(url.searchParams);
      if (html !== undefined) return void res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8' }).end(html);
      return void res.writeHead(status, { Location: location }).end();
    }
    if (req.method === 'GET' && url.pathname === '/oauth/token/info') return send(tokenInfo(bearer ?? url.searchParams.get('access_token') ?? undefined));
    if (req.method !== 'POST' || (url.pathname !== '/oauth/token' && url.pathname !== '/oauth/revoke')) return send([404, { message: '404 Not Found' }]);
    const params = await readParams(req, url);
    if (url.pathname === '/oauth/revoke') return send(revoke(req, params));
    // Waiting before looking at anything: as with Doorkeeper's row lock, of two concurrent refreshes of one
    // token the first wins and the second finds it revoked.
    if (tokenDelay > 0) await sleep(tokenDelay);
    const reply = tokenEndpoint(req, params);
    oauthRequests.push({ grantType: params.grant_type ?? '', status: reply[0], at });
    send(reply);
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname;
    const privateToken = typeof req.headers['private-token'] === 'string' && req.headers['private-token'] !== '' ? req.headers['private-token'] : undefined;
    const bearer = /^bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const token = privateToken ?? bearer;
    requests.push({ method: req.method ?? 'GET', path, ...(token === undefined ? {} : { token }) });
    res.setHeader('Content-Type', 'application/json');
    const send = (status: number, body: unknown) => void res.writeHead(status).end(JSON.stringify(body));
    if (path.startsWith('/oauth/')) {
      return void oauth(req, res, url, bearer).catch(() => {
        if (!res.headersSent) send(500, { message: '500 Internal Server Error' });
      });
    }
    if (path === '/api/v4/version') {
      // Like GitLab: the version needs a token (any will do here: the fake does not check it).
      if (!req.headers.authorization && !req.headers['private-token']) return void res.writeHead(401).end('{"message":"401 Unauthorized"}');
      return void res.end('{"version":"18.6.0","revision":"fake"}');
    }
    const refuse = (refusal: Refusal) => {
      if (refusal.header) res.setHeader('WWW-Authenticate', refusal.header);
      send(...refusal.reply);
    };
    const hookRoute = /^\/api\/v4\/(projects|groups)\/([^/]+)\/hooks(?:\/([^/]+)\/test\/([^/]+))?$/.exec(path);
    if (hookRoute && (req.method === 'POST' || (req.method === 'GET' && hookRoute[3] === undefined))) {
      // In CE the group hook routes do not exist: the catch-all answers before any authentication.
      if (hookRoute[1] === 'groups' && edition === 'ce') return send(404, { message: '404 Not Found' });
      const caller = apiCaller(privateToken, bearer, req.method === 'GET' ? ['api', 'read_api'] : ['api']);
      if ('reply' in caller) return refuse(caller);
      return void webhooks(req, url, caller.userId, hookRoute)
        .then((reply) => send(...reply))
        .catch(() => {
          if (!res.headersSent) send(500, { message: '500 Internal Server Error' });
        });
    }
    const projectRoute = /^\/api\/v4\/projects\/([^/]+)$/.exec(path);
    const groupRoute = /^\/api\/v4\/groups\/([^/]+)$/.exec(path);
    // GET /groups/:id/members/all/:user_id: a member, direct or through an ancestor group.
    const memberRoute = /^\/api\/v4\/groups\/([^/]+)\/members\/all\/(\d+)$/.exec(path);
    if (req.method === 'GET' && (projectRoute || groupRoute || memberRoute || path === '/api/v4/user')) {
      // A token GitLab does not know (or no longer accepts) is refused, even where no token is needed; an
      // OAuth token needs a scope that covers the endpoint too (read_user covers /user only).
      const caller = apiCaller(privateToken, bearer, path === '/api/v4/user' ? ['api', 'read_api', 'read_user'] : ['api', 'read_api']);
      if ('reply' in caller) return refuse(caller);
      const { userId } = caller;
      if (projectRoute) {
        const project = find(projectRoute[1]!, projects, projectAt);
        // Like GitLab, a project the caller may not see does not exist.
        return project && canSeeProject(project, userId) ? send(200, projectJson(project, userId)) : send(404, { message: '404 Project Not Found' });
      }
      if (memberRoute) {
        const group = find(memberRoute[1]!, groups, groupAt);
        if (!group || !canSeeGroup(group, userId)) return send(404, { message: '404 Group Not Found' });
        const member = users.get(Number(memberRoute[2]));
        const level = member ? groupAccess(member.id, group) : undefined;
        return member && level !== undefined ? send(200, { id: member.id, username: member.username, name: member.name, state: 'active', access_level: level }) : send(404, { message: '404 Not found' });
      }
      if (groupRoute) {
        const group = find(groupRoute[1]!, groups, groupAt);
        return group && canSeeGroup(group, userId) ? send(200, groupJson(group)) : send(404, { message: '404 Group Not Found' });
      }
      const user = userId === undefined ? undefined : users.get(userId);
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
      users.set(user.id, { ...user });
      personalTokens.set(token, user.id);
      return { token };
    },
    grant(token, path, accessLevel) {
      const userId = personalTokens.get(token) ?? liveToken(oauthTokens.find((candidate) => candidate.accessToken === token))?.userId;
      if (userId === undefined) throw new Error('fake GitLab: grant() needs a token from addUser() or a live OAuth access token');
      const target = projectAt(path) ?? groupAt(path);
      if (!target) throw new Error(`fake GitLab: no project or group at ${path}`);
      if (!grants.has(userId)) grants.set(userId, new Map());
      grants.get(userId)!.set(target, accessLevel);
    },
    oauthRequests,
    applications,
    registerApplication({ clientId, clientSecret, redirectUri, scopes }) {
      const application: FakeGitLabApplication = { clientId, clientSecret, redirectUri, scopes: scopes ?? DEFAULT_SCOPES };
      applications.set(clientId, application);
      return application;
    },
    signIn(userId) {
      if (!users.has(userId)) throw new Error(`fake GitLab: signIn() needs a user from addUser(), not ${userId}`);
      signedIn = userId;
    },
    signOut() {
      signedIn = undefined;
    },
    setTokenLifetime(seconds) {
      tokenLifetime = seconds;
    },
    setTokenDelay(ms) {
      tokenDelay = ms;
    },
    expireAccessTokens() {
      const now = Date.now();
      for (const issued of oauthTokens) issued.expiresAt = Math.min(issued.expiresAt, now);
    },
    revokeAuthorization(userId) {
      for (const code of codes.values()) if (code.userId === userId) code.revoked = true;
      for (const issued of oauthTokens) if (issued.userId === userId) issued.revoked = true;
    },
    tokensOf(userId) {
      return oauthTokens.filter((issued) => issued.userId === userId).flatMap((issued) => [issued.accessToken, issued.refreshToken]);
    },
    setEdition(next) {
      edition = next;
    },
    hooksOf(path) {
      const target = projectAt(path) ?? groupAt(path);
      if (!target) throw new Error(`fake GitLab: no project or group at ${path}`);
      const isProject = 'namespace' in target;
      return hooks.filter((hook) => (isProject ? hook.project_id === target.id : hook.group_id === target.id)).map((hook) => ({ ...hook }));
    },
    disableHook(hookId, { until } = {}) {
      const hook = hooks.find((candidate) => candidate.id === hookId);
      if (!hook) throw new Error(`fake GitLab: no hook ${hookId}`);
      hook.alert_status = until ? 'temporarily_disabled' : 'disabled';
      hook.disabled_until = until ? until.toISOString() : null;
    },
    hookTests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The parameters of an OAuth request: the query string, then a form or JSON body over it (Rails merges them). */
async function readParams(req: http.IncomingMessage, url: URL): Promise<Record<string, string>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks).toString('utf8');
  const contentType = req.headers['content-type'] ?? '';
  let body: Record<string, string> = {};
  if (/json/i.test(contentType)) {
    try {
      const parsed = JSON.parse(raw) as unknown;
      if (parsed && typeof parsed === 'object') body = Object.fromEntries(Object.entries(parsed).map(([name, value]) => [name, String(value)]));
    } catch {
      // Left empty: the request then lacks its parameters, as a Rails app would see it.
    }
  } else if (/x-www-form-urlencoded/i.test(contentType)) {
    body = Object.fromEntries(new URLSearchParams(raw));
  }
  return { ...Object.fromEntries(url.searchParams), ...body };
}

function formDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}

/** Grape's Boolean coercion of a parameter (dry-types' Params::Bool); undefined when it is neither. */
function grapeBoolean(value: string): boolean | undefined {
  if (['1', 'on', 't', 'true', 'y', 'yes'].includes(value.toLowerCase())) return true;
  if (['0', 'off', 'f', 'false', 'n', 'no'].includes(value.toLowerCase())) return false;
  return undefined;
}

function urlProtocol(value: string): string {
  try {
    return new URL(value).protocol;
  } catch {
    return '';
  }
}

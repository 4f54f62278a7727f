/**
 * Tags, releases and deployment lists for the fake GitLab: GET …/repository/tags (and one tag), GET …/releases
 * and GET …/deployments, with the push events tags make and the helpers tests change them with. The fake passes
 * its data and rules in (the world); this module keeps what only these need: tag objects (messages), releases,
 * and when each changed.
 *
 * Sources: lib/api/tags.rb, lib/api/entities/tag.rb, app/finders/tags_finder.rb; lib/api/releases.rb,
 * lib/api/entities/release.rb, app/finders/releases_finder.rb; lib/api/deployments.rb,
 * lib/api/entities/deployment.rb, app/finders/deployments_finder.rb, app/models/concerns/updated_at_filterable.rb;
 * app/services/event_create_service.rb and push_event_payload_service.rb for the events.
 */
import { createHash } from 'node:crypto';
import type { Declared, FakeGitLabDeployment, FakeGitLabDeploymentStatus, FakeGitLabProject, FakeGitLabPushData, Paging } from './fake-gitlab.js';

/** A tag as tests see it (tagsOf). */
export interface FakeGitLabTagRecord {
  name: string;
  /** An annotated tag's message; null for a lightweight tag. */
  message: string | null;
  /** What the ref points at: the tag object of an annotated tag, else the commit. */
  target: string;
  /** The commit. */
  sha: string;
  createdAt: string;
}

/** A release as tests see it (releasesOf). */
export interface FakeGitLabReleaseRecord {
  tag: string;
  name: string;
  description: string;
  authorId: number;
  createdAt: string;
  releasedAt: string;
  /** Not in the API (Entities::Release has no updated_at); `updated_after` filters on it. */
  updatedAt: string;
}

/** The helpers of this module (FakeGitLab has them all). */
export interface FakeGitLabReleases {
  /**
   * A tag pushed by `userId` on `ref` (the default branch unless given), annotated when it has a message: a
   * 'pushed new' event, as Git::TagPushService records one (push_data ref_type tag, action created).
   */
  pushTag(projectPath: string, name: string, tag: { userId: number; ref?: string; message?: string }): FakeGitLabTagRecord;
  /** The project's tags in the order made. */
  tagsOf(projectPath: string): FakeGitLabTagRecord[];
  /**
   * A release of a tag, made by `userId` (Releases::CreateService). A tag that does not exist yet is made from
   * `ref` (the default branch unless given) and pushed as `userId`, as GitLab creates it for the release.
   */
  addRelease(projectPath: string, release: { tag: string; userId: number; name?: string; description?: string; ref?: string; releasedAt?: string }): FakeGitLabReleaseRecord;
  /** Releases::UpdateService: name, description or release date. */
  updateRelease(projectPath: string, tag: string, changes: { name?: string; description?: string; releasedAt?: string }): FakeGitLabReleaseRecord;
  /** Releases::DestroyService: the release goes, the tag stays. */
  deleteRelease(projectPath: string, tag: string): void;
  releasesOf(projectPath: string): FakeGitLabReleaseRecord[];
  /** A deployment's new status (as its deploy job or the API would set it); touches its updated_at. */
  setDeploymentStatus(deploymentId: number, status: FakeGitLabDeploymentStatus): FakeGitLabDeployment;
}

type Answer = [status: number, body: unknown, headers?: Record<string, string>];
interface Call {
  userId: number | undefined;
  url: URL;
  params: Record<string, unknown>;
}
interface Route {
  method: string;
  pattern: RegExp;
  handle: (call: Call, segments: string[]) => Answer;
}

/** The fake's data and rules this module reads and acts through, live. */
export interface FakeGitLabReleasesWorld {
  readonly base: string;
  projectAt(fullPath: string): FakeGitLabProject | undefined;
  /** GitLab's user_project: the project :id names if the caller may see it. */
  userProject(segment: string, userId: number | undefined): FakeGitLabProject | undefined;
  knownUser(userId: number): void;
  /** read_code (download_code). */
  canReadCode(project: FakeGitLabProject, userId: number | undefined): boolean;
  /** read_release: whoever may see the project, while its releases feature is open to them. */
  canReadReleases(project: FakeGitLabProject, userId: number | undefined): boolean;
  /** read_deployment. */
  canReadDeployments(project: FakeGitLabProject, userId: number | undefined): boolean;
  /** Entities::UserBasic. */
  userJson(id: number): Record<string, unknown>;
  /** Entities::Commit of a commit the fake made; a made-up branch head has only its ids. */
  commitJson(sha: string): Record<string, unknown>;
  /** Puts the tag ref on `ref` (a branch, tag or sha) where the conversation module keeps refs, so files resolve at it too; the commit's sha (throws when `ref` names none). */
  addTagRef(project: FakeGitLabProject, name: string, ref: string): string;
  /** A push event of the project. */
  recordPush(project: FakeGitLabProject, actionName: 'pushed new', userId: number, pushData: FakeGitLabPushData): void;
  /** The fake's deployments, live, and their Entities::DeploymentExtended. */
  deployments: FakeGitLabDeployment[];
  deploymentJson(deployment: FakeGitLabDeployment): Record<string, unknown>;
  /** Now, ISO 8601, never twice the same. */
  stamp(): string;
  declared(params: Record<string, unknown>): Declared;
  pageOf(items: unknown[], paging: Paging, url: URL): Answer;
}

interface StoredTag extends FakeGitLabTagRecord {
  projectId: number;
}
interface StoredRelease extends FakeGitLabReleaseRecord {
  projectId: number;
}

const UNAUTHORIZED: Answer = [401, { message: '401 Unauthorized' }];
const FORBIDDEN: Answer = [403, { message: '403 Forbidden' }];
const PROJECT_NOT_FOUND: Answer = [404, { message: '404 Project Not Found' }];


/** Rails' "released_at_desc"-style ordering of one key, ties broken by id as PostgreSQL's order would not promise. */
const compare = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);

export function createReleases(world: FakeGitLabReleasesWorld) {
  const tags: StoredTag[] = [];
  const releases: StoredRelease[] = [];

  const projectNamed = (path: string) => {
    const project = world.projectAt(path);
    if (!project) throw new Error(`fake GitLab: no project ${path}`);
    return project;
  };
  const tagIn = (project: FakeGitLabProject, name: string) => tags.find((tag) => tag.projectId === project.id && tag.name === name);
  const releaseIn = (project: FakeGitLabProject, tag: string) => releases.find((release) => release.projectId === project.id && release.tag === tag);
  const tagRecord = ({ projectId: _projectId, ...tag }: StoredTag): FakeGitLabTagRecord => ({ ...tag });
  const releaseRecord = ({ projectId: _projectId, ...release }: StoredRelease): FakeGitLabReleaseRecord => ({ ...release });

  // --- JSON ---

  /** Entities::Tag (with created_at, GitLab 15.x+: the tagger's date, null for a lightweight tag). */
  const tagJson = (project: FakeGitLabProject, tag: StoredTag) => {
    const release = releaseIn(project, tag.name);
    return {
      name: tag.name,
      message: tag.message ?? '',
      target: tag.target,
      commit: world.commitJson(tag.sha),
      release: release ? { tag_name: release.tag, description: release.description } : null,
      protected: false,
      created_at: tag.message === null ? null : tag.createdAt,
    };
  };

  /** Entities::Release: the tag, commit and sources only for those who may read the code (can_download_code?). */
  const releaseJson = (project: FakeGitLabProject, release: StoredRelease, userId: number | undefined) => {
    const code = world.canReadCode(project, userId);
    const tag = tagIn(project, release.tag);
    const page = `${world.base}/${project.path_with_namespace}/-/releases/${encodeURIComponent(release.tag)}`;
    const archive = (format: string) => ({ format, url: `${world.base}/${project.path_with_namespace}/-/archive/${release.tag}/${project.path}-${release.tag}.${format}` });
    return {
      name: release.name,
      ...(code ? { tag_name: release.tag } : {}),
      description: release.description,
      created_at: release.createdAt,
      released_at: release.releasedAt,
      author: world.userJson(release.authorId),
      ...(code && tag ? { commit: world.commitJson(tag.sha) } : {}),
      upcoming_release: Date.parse(release.releasedAt) > Date.now(),
      commit_path: code && tag ? `/${project.path_with_namespace}/-/commit/${tag.sha}` : undefined,
      tag_path: code ? `/${project.path_with_namespace}/-/tags/${release.tag}` : undefined,
      // Four archive formats (Releases::Source::FORMATS), no links: the fake makes none.
      assets: { count: code ? 4 : 0, ...(code ? { sources: ['zip', 'tar.gz', 'tar.bz2', 'tar'].map(archive) } : {}), links: [] },
      _links: { self: page },
    };
  };

  /** Entities::Deployment: DeploymentExtended without the approvals. */
  const deploymentJson = (deployment: FakeGitLabDeployment) => {
    const { id, iid, ref, sha, created_at, updated_at, user, environment, deployable, status } = world.deploymentJson(deployment);
    return { id, iid, ref, sha, created_at, updated_at, user, environment, deployable, status };
  };

  // --- routes ---

  /**
   * GET …/repository/tags: read_code (403), TagsFinder: `search` (`^term` a prefix, `term$` a suffix, else a
   * part of the name, case-insensitive), ordered by `updated` (the tagger's or commit's date), `name` or
   * `version`, desc unless asked; offset pages, or keyset pages after the tag `page_token` names.
   */
  const listTags = (call: Call, [segment]: string[]): Answer => {
    const declared = world.declared(call.params);
    const sort = declared.string('sort', { values: ['asc', 'desc'], default: 'desc' });
    const orderBy = declared.string('order_by', { values: ['name', 'updated', 'version'], default: 'updated' });
    const search = declared.string('search');
    const pageToken = declared.string('page_token');
    const paging = declared.pagination();
    if (declared.refusal) return declared.refusal;
    const project = world.userProject(segment!, call.userId);
    if (!project) return PROJECT_NOT_FOUND;
    if (!world.canReadCode(project, call.userId)) return FORBIDDEN;
    const term = search?.toLowerCase() ?? '';
    const matches = (name: string) =>
      term.startsWith('^') ? name.toLowerCase().startsWith(term.slice(1)) : term.endsWith('$') ? name.toLowerCase().endsWith(term.slice(0, -1)) : name.toLowerCase().includes(term);
    // Version order as Gitaly's VERSION_REFNAME approximates `git tag --sort=version:refname`: numbers as numbers.
    const key = (tag: StoredTag) => (orderBy === 'updated' ? tag.createdAt : tag.name);
    const order = (a: StoredTag, b: StoredTag) =>
      orderBy === 'version' ? a.name.localeCompare(b.name, 'en', { numeric: true }) : compare(key(a), key(b)) || compare(a.name, b.name);
    const found = tags.filter((tag) => tag.projectId === project.id && matches(tag.name)).sort((a, b) => (sort === 'asc' ? order(a, b) : order(b, a)));
    if (pageToken !== undefined) {
      const start = found.findIndex((tag) => tag.name === pageToken);
      if (start < 0) return [422, { message: `Invalid page token: refs/tags/${pageToken}` }];
      return [200, found.slice(start + 1, start + 1 + paging.perPage).map((tag) => tagJson(project, tag))];
    }
    return world.pageOf(found.map((tag) => tagJson(project, tag)), paging, call.url);
  };

  /** GET …/repository/tags/:tag_name: read_code (403), then the tag (404 Tag Not Found). */
  const showTag = (call: Call, [segment, nameSegment]: string[]): Answer => {
    const project = world.userProject(segment!, call.userId);
    if (!project) return PROJECT_NOT_FOUND;
    if (!world.canReadCode(project, call.userId)) return FORBIDDEN;
    const tag = tagIn(project, decodeURIComponent(nameSegment!));
    return tag ? [200, tagJson(project, tag)] : [404, { message: '404 Tag Not Found' }];
  };

  /**
   * GET …/releases: authorize_read_releases! (403), ReleasesFinder ordered by `released_at` (default) or
   * `created_at`, desc unless asked. `updated_after`/`updated_before` (gitlab-org/gitlab#393981) filter on the
   * release's updated_at, inclusive as UpdatedAtFilterable's scopes are; GitLab before them ignores both, as
   * Grape does undeclared parameters.
   */
  const listReleases = (call: Call, [segment]: string[]): Answer => {
    const declared = world.declared(call.params);
    const orderBy = declared.string('order_by', { values: ['released_at', 'created_at'], default: 'released_at' });
    const sort = declared.string('sort', { values: ['asc', 'desc'], default: 'desc' });
    declared.boolean('include_html_description');
    const updatedAfter = timeOf(declared, 'updated_after');
    const updatedBefore = timeOf(declared, 'updated_before');
    const paging = declared.pagination();
    if (declared.refusal) return declared.refusal;
    const project = world.userProject(segment!, call.userId);
    if (!project) return PROJECT_NOT_FOUND;
    if (!world.canReadReleases(project, call.userId)) return FORBIDDEN;
    const found = releases.filter(
      (release) =>
        release.projectId === project.id &&
        (updatedAfter === undefined || Date.parse(release.updatedAt) >= updatedAfter) &&
        (updatedBefore === undefined || Date.parse(release.updatedAt) <= updatedBefore),
    );
    const key = (release: StoredRelease) => (orderBy === 'created_at' ? release.createdAt : release.releasedAt);
    found.sort((a, b) => (sort === 'asc' ? 1 : -1) * (compare(key(a), key(b)) || compare(a.createdAt, b.createdAt)));
    return world.pageOf(found.map((release) => releaseJson(project, release, call.userId)), paging, call.url);
  };

  /**
   * GET …/deployments: signed-in callers (401), read_deployment (403), DeploymentsFinder: `environment`, `status`,
   * `updated_after`/`updated_before` (inclusive, UpdatedAtFilterable), ordered by `id` (default), `iid`,
   * `created_at`, `updated_at` (ties: newest id first), `ref` or `finished_at`, asc unless asked. The finder
   * wants the updated_at filter and order together; GitLab only reports the mismatch to its error tracker and
   * answers anyway, so the fake does too.
   */
  const listDeployments = (call: Call, [segment]: string[]): Answer => {
    if (call.userId === undefined) return UNAUTHORIZED;
    const declared = world.declared(call.params);
    const orderBy = declared.string('order_by', { values: ['id', 'iid', 'created_at', 'updated_at', 'ref', 'finished_at'], default: 'id' });
    const sort = declared.string('sort', { values: ['asc', 'desc'], default: 'asc' });
    const updatedAfter = timeOf(declared, 'updated_after');
    const updatedBefore = timeOf(declared, 'updated_before');
    const environment = declared.string('environment');
    const status = declared.string('status', { values: ['created', 'running', 'success', 'failed', 'canceled', 'skipped', 'blocked'] });
    const paging = declared.pagination();
    if (declared.refusal) return declared.refusal;
    const project = world.userProject(segment!, call.userId);
    if (!project) return PROJECT_NOT_FOUND;
    if (!world.canReadDeployments(project, call.userId)) return FORBIDDEN;
    const found = world.deployments.filter(
      (deployment) =>
        deployment.projectId === project.id &&
        (environment === undefined || deployment.environment === environment) &&
        (status === undefined || deployment.status === status) &&
        (updatedAfter === undefined || Date.parse(deployment.updatedAt) >= updatedAfter) &&
        (updatedBefore === undefined || Date.parse(deployment.updatedAt) <= updatedBefore),
    );
    // created_at and iid order as id does (DeploymentsFinder#optimize_sort_params!); the fake has no finished_at, updated_at stands in.
    const key = (deployment: FakeGitLabDeployment): string | number =>
      orderBy === 'updated_at' || orderBy === 'finished_at' ? deployment.updatedAt : orderBy === 'ref' ? deployment.ref : deployment.id;
    const direction = sort === 'asc' ? 1 : -1;
    found.sort((a, b) => direction * compare(key(a), key(b)) || (orderBy === 'updated_at' ? b.id - a.id : 0));
    return world.pageOf(found.map(deploymentJson), paging, call.url);
  };

  const routes: Route[] = [
    { method: 'GET', pattern: /^\/api\/v4\/projects\/([^/]+)\/repository\/tags$/, handle: listTags },
    { method: 'GET', pattern: /^\/api\/v4\/projects\/([^/]+)\/repository\/tags\/([^/]+)$/, handle: showTag },
    { method: 'GET', pattern: /^\/api\/v4\/projects\/([^/]+)\/releases$/, handle: listReleases },
    { method: 'GET', pattern: /^\/api\/v4\/projects\/([^/]+)\/deployments$/, handle: listDeployments },
  ];

  // --- helpers ---

  const pushTag = (project: FakeGitLabProject, name: string, { userId, ref, message }: { userId: number; ref?: string; message?: string }) => {
    world.knownUser(userId);
    if (tagIn(project, name)) throw new Error(`fake GitLab: ${project.path_with_namespace} has a tag ${name} already`);
    const sha = world.addTagRef(project, name, ref ?? project.default_branch);
    const annotated = message !== undefined && message !== '';
    // An annotated tag is an object of its own; its id is made up, stable for the same tag.
    const target = annotated ? createHash('sha1').update(`tag\n${project.id}\n${name}\n${sha}\n${message}`).digest('hex') : sha;
    const tag: StoredTag = { projectId: project.id, name, message: annotated ? message : null, target, sha, createdAt: world.stamp() };
    tags.push(tag);
    // PushEventPayloadService: a created ref has no commit_from; the count and title are of the tag's commit.
    const commit = world.commitJson(sha);
    const title = typeof commit.title === 'string' ? commit.title.slice(0, 70) : null;
    world.recordPush(project, 'pushed new', userId, { commit_count: 1, action: 'created', ref_type: 'tag', commit_from: null, commit_to: target, ref: name, commit_title: title, ref_count: null });
    return tag;
  };

  const helpers: FakeGitLabReleases = {
    pushTag(projectPath, name, tag) {
      return tagRecord(pushTag(projectNamed(projectPath), name, tag));
    },
    tagsOf(projectPath) {
      const project = projectNamed(projectPath);
      return tags.filter((tag) => tag.projectId === project.id).map(tagRecord);
    },
    addRelease(projectPath, { tag, userId, name, description, ref, releasedAt }) {
      const project = projectNamed(projectPath);
      world.knownUser(userId);
      if (releaseIn(project, tag)) throw new Error(`fake GitLab: ${projectPath} has a release of ${tag} already`);
      if (!tagIn(project, tag)) pushTag(project, tag, { userId, ...(ref === undefined ? {} : { ref }) });
      const now = world.stamp();
      const release: StoredRelease = { projectId: project.id, tag, name: name ?? tag, description: description ?? '', authorId: userId, createdAt: now, releasedAt: releasedAt ?? now, updatedAt: now };
      releases.push(release);
      return releaseRecord(release);
    },
    updateRelease(projectPath, tag, changes) {
      const project = projectNamed(projectPath);
      const release = releaseIn(project, tag);
      if (!release) throw new Error(`fake GitLab: ${projectPath} has no release of ${tag}`);
      Object.assign(release, {
        ...(changes.name === undefined ? {} : { name: changes.name }),
        ...(changes.description === undefined ? {} : { description: changes.description }),
        ...(changes.releasedAt === undefined ? {} : { releasedAt: changes.releasedAt }),
        updatedAt: world.stamp(),
      });
      return releaseRecord(release);
    },
    deleteRelease(projectPath, tag) {
      const project = projectNamed(projectPath);
      const release = releaseIn(project, tag);
      if (!release) throw new Error(`fake GitLab: ${projectPath} has no release of ${tag}`);
      releases.splice(releases.indexOf(release), 1);
    },
    releasesOf(projectPath) {
      const project = projectNamed(projectPath);
      return releases.filter((release) => release.projectId === project.id).map(releaseRecord);
    },
    setDeploymentStatus(deploymentId, status) {
      const deployment = world.deployments.find((candidate) => candidate.id === deploymentId);
      if (!deployment) throw new Error(`fake GitLab: no deployment ${deploymentId}`);
      Object.assign(deployment, { status, updatedAt: world.stamp() });
      return structuredClone(deployment);
    },
  };

  return { routes, helpers };
}

/** Grape's DateTime: an ISO 8601 time, else a 400 naming the parameter. */
export function timeOf(declared: Declared, name: string): number | undefined {
  const value = declared.string(name);
  if (value === undefined) return undefined;
  const time = Date.parse(value);
  if (Number.isNaN(time)) {
    declared.errors.push(`${name} is invalid`);
    return undefined;
  }
  return time;
}

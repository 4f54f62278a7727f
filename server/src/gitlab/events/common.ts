/**
 * Readers for the pieces many GitLab payloads share (project, user, labels,
 * MR/issue reference, timestamps) and the small builders of URLs and keys.
 */
import { createHash } from 'node:crypto';
import type { Actor, GroupRef, ProjectRef, TargetRef, Visibility } from './event.js';
import { fields, number, records, text, type Fields } from './payload.js';

const VISIBILITY_LEVELS: Record<number, Visibility> = { 0: 'private', 10: 'internal', 20: 'public' };

/**
 * The project from `project` (current shapes), `repository.homepage` and
 * `project_id` (job and older shapes), or a path-only ref (group and system hooks).
 */
export function readProject(payload: Fields): ProjectRef | null {
  const project = fields(payload.project);
  const url = trimSlash(text(project.web_url) ?? text(project.homepage) ?? text(fields(payload.repository).homepage));
  const path =
    text(project.path_with_namespace) ??
    text(payload.path_with_namespace) ??
    text(payload.project_path_with_namespace) ??
    (url ? pathOfUrl(url) : null);
  if (!path) return null;
  return {
    id: number(project.id) ?? number(payload.project_id),
    path,
    name: text(project.name) ?? text(payload.project_name) ?? path.split('/').pop() ?? path,
    url: url ?? '',
    visibility: readVisibility(project.visibility_level ?? project.visibility ?? payload.project_visibility),
    defaultBranch: text(project.default_branch),
  };
}

function readVisibility(value: unknown): Visibility {
  const level = number(value);
  if (level !== null) return VISIBILITY_LEVELS[level] ?? 'unknown';
  return value === 'public' || value === 'internal' || value === 'private' ? value : 'unknown';
}

/** A group-hook group (`group_id`, `group_path`, `group_name`, or `full_path`). */
export function readGroup(group: Fields): GroupRef | null {
  const path = text(group.full_path) ?? text(group.group_path);
  if (!path) return null;
  return { id: number(group.group_id), path, name: text(group.group_name) ?? path, url: null };
}

/**
 * The GitLab address user profiles live under: the project URL without its path
 * (keeps a relative URL root such as `https://host/gitlab`), else its origin.
 */
export function gitlabBase(project: ProjectRef | null): string | null {
  if (!project?.url) return null;
  const suffix = `/${project.path}`.toLowerCase();
  if (project.url.toLowerCase().endsWith(suffix)) return project.url.slice(0, -suffix.length);
  try {
    return new URL(project.url).origin;
  } catch {
    return null;
  }
}

/** A `user` object (`name`, `username`, `id`, sometimes `web_url`). */
export function readUser(value: unknown, base: string | null, profileUrl?: string | null): Actor | null {
  const user = fields(value);
  return makeActor(text(user.name), text(user.username), number(user.id), text(user.web_url) ?? profileUrl ?? null, base);
}

/** The flat `user_name`, `user_username`, `user_id` fields of push, member and system hooks. */
export function readFlatUser(payload: Fields, base: string | null): Actor | null {
  return makeActor(text(payload.user_name), text(payload.user_username), number(payload.user_id), null, base);
}

function makeActor(name: string | null, username: string | null, id: number | null, url: string | null, base: string | null): Actor | null {
  if (!name && !username) return null;
  return { id, username, name: name ?? username ?? '', url: url ?? (username && base ? `${base}/${encodeURIComponent(username)}` : null) };
}

export function readUsers(value: unknown, base: string | null): Actor[] {
  return records(value).flatMap((user) => readUser(user, base) ?? []);
}

/** Label titles from label objects (or plain strings, which some older hooks sent). */
export function readLabels(value: unknown): string[] {
  const titles = Array.isArray(value) ? value.map((label) => text(label) ?? text(fields(label).title)) : [];
  return titles.filter((title): title is string => title !== null);
}

const STATES: Record<string, TargetRef['state']> = {
  opened: 'opened',
  reopened: 'opened',
  closed: 'closed',
  merged: 'merged',
  locked: 'locked',
};
const STATE_IDS: Record<number, TargetRef['state']> = { 1: 'opened', 2: 'closed', 3: 'merged', 4: 'locked' };

/** `state` (all versions) else `state_id` (current GitLab). */
export function readState(attributes: Fields): TargetRef['state'] {
  const state = text(attributes.state);
  if (state && STATES[state]) return STATES[state];
  const id = number(attributes.state_id);
  return (id !== null && STATE_IDS[id]) || 'unknown';
}

/** GitLab's draft title prefixes, current and historical (`WIP:`). */
const DRAFT_TITLE = /^\s*(\[(draft|wip)\]|\((draft|wip)\)|(draft|wip)\s*:|(draft|wip)\s+-)\s*/i;

export function isDraftTitle(title: string): boolean {
  return DRAFT_TITLE.test(title);
}

export function stripDraftPrefix(title: string): string {
  return title.replace(DRAFT_TITLE, '');
}

/**
 * The MR or issue an event concerns, from its attributes object. `people` are the
 * users the payload names in full, used to put a name on `author_id`.
 */
export function readTarget(type: TargetRef['type'], attributes: Fields, project: ProjectRef | null, people: Actor[]): TargetRef | null {
  const iid = number(attributes.iid);
  if (iid === null) return null;
  const title = text(attributes.title) ?? '';
  const section = type === 'merge_request' ? 'merge_requests' : 'issues';
  const draft = type === 'merge_request' && (readDraftFlag(attributes) ?? isDraftTitle(title));
  return {
    type,
    iid,
    title,
    url: text(attributes.url) ?? (project?.url ? `${project.url}/-/${section}/${iid}` : ''),
    reference: `${type === 'merge_request' ? '!' : '#'}${iid}`,
    state: readState(attributes),
    draft,
    author: readAuthor(attributes, people),
  };
}

function readDraftFlag(attributes: Fields): boolean | null {
  const draft = attributes.draft ?? attributes.work_in_progress;
  return typeof draft === 'boolean' ? draft : null;
}

function readAuthor(attributes: Fields, people: Actor[]): Actor | null {
  const inline = readUser(attributes.author, null);
  if (inline) return inline;
  const id = number(attributes.author_id);
  if (id === null) return null;
  return people.find((person) => person.id === id) ?? { id, username: null, name: '' };
}

/** ISO 8601 from GitLab's `2013-12-03T17:15:43Z` or `2013-12-03 17:15:43 UTC` forms; null otherwise. */
export function isoTime(value: unknown): string | null {
  const raw = text(value)?.trim();
  const match = raw ? /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2}(?:\.\d+)?)\s*(Z|UTC|[+-]\d{2}:?\d{2})?$/.exec(raw) : null;
  if (!match) return null;
  const zone = match[3];
  const offset = !zone || zone === 'UTC' || zone === 'Z' ? 'Z' : zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const time = new Date(`${match[1]}T${match[2]}${offset}`);
  return Number.isNaN(time.getTime()) ? null : time.toISOString();
}

export function isZeroSha(sha: string | null): boolean {
  return sha === null || /^0+$/.test(sha);
}

export function shortSha(sha: string): string {
  return sha.slice(0, 8);
}

/** `refs/heads/main` → `main`, `refs/tags/v1` → `v1`; other refs unchanged. */
export function shortRef(ref: string): string {
  return ref.replace(/^refs\/(heads|tags)\//, '');
}

/** `<project url>/-/<section>/<name>`, the name's segments encoded (branch and tag names may hold anything). */
export function projectPage(project: ProjectRef | null, section: string, name?: string | number): string | null {
  if (!project?.url) return null;
  const tail = name === undefined ? '' : `/${String(name).split('/').map(encodeURIComponent).join('/')}`;
  return `${project.url}/-/${section}${tail}`;
}

/** The first line of a commit message or similar. */
export function firstLine(value: string): string {
  return value.split(/\r?\n/, 1)[0]?.trim() ?? '';
}

/** A key part that stays readable: the value itself, or `?` when absent. */
export function keyPart(value: string | number | null | undefined): string {
  return value === null || value === undefined || value === '' ? '?' : String(value);
}

/**
 * A short content hash, for keys of events whose ids and timestamps do not tell
 * them apart. Object keys are sorted, so the same event sent by two hooks with its
 * keys in another order gets the same key.
 */
export function fingerprint(...parts: unknown[]): string {
  return createHash('sha256').update(canonicalJson(parts)).digest('hex').slice(0, 12);
}

/**
 * JSON with object keys sorted (by code unit, as `sort()` does). Keys are part of stored event keys, so the
 * output must never change; built by concatenation, as this runs for every merge request webhook.
 */
export function canonicalJson(value: unknown): string {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value) ?? 'null';
  let out: string;
  if (Array.isArray(value)) {
    out = '[';
    for (let index = 0; index < value.length; index += 1) out += (index === 0 ? '' : ',') + canonicalJson(value[index]);
    return `${out}]`;
  }
  const keys = Object.keys(value).sort();
  out = '{';
  for (let index = 0; index < keys.length; index += 1) {
    const key = keys[index]!;
    out += `${index === 0 ? '' : ','}${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`;
  }
  return `${out}}`;
}

function trimSlash(url: string | null): string | null {
  return url ? url.replace(/\/+$/, '') : null;
}

/** `https://host/group/project` → `group/project` (used only when the payload names no path). */
function pathOfUrl(url: string): string | null {
  try {
    const path = new URL(url).pathname.replace(/^\/+|\/+$/g, '').split('/-/')[0];
    return path ? decodeURIComponent(path) : null;
  } catch {
    return null;
  }
}

/**
 * A project ref from the URL of a page inside it (`https://host/group/project/-/…`),
 * for payloads with no project object. Assumes GitLab is served at the host's root.
 */
export function projectFromPageUrl(pageUrl: string | null, id: number | null): ProjectRef | null {
  const cut = pageUrl?.indexOf('/-/') ?? -1;
  if (!pageUrl || cut < 0) return null;
  const url = pageUrl.slice(0, cut);
  const path = pathOfUrl(url);
  if (!path) return null;
  return { id, path, name: path.split('/').pop() ?? path, url, visibility: 'unknown', defaultBranch: null };
}

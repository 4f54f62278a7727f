/**
 * System Hook events that are about the instance rather than a project's work:
 * projects, users, keys, groups and memberships created or changed, and
 * `repository_update`. (System pushes, tag pushes and MRs are parsed by their
 * project-hook parsers, see parse-event.ts.)
 */
import type { Actor, GroupRef, ParseResult, ProjectRef } from './event.js';
import { fingerprint, gitlabBase, isoTime, readFlatUser, readGroup, readProject, shortRef } from './common.js';
import { ignore, makeEvent } from './envelope.js';
import { number, strings, text, type Fields } from './payload.js';

interface SystemFacts {
  project: ProjectRef | null;
  group: GroupRef | null;
  actor: Actor | null;
  user: Actor | null;
  subject: string | null;
  accessLevel: string | null;
  refs: string[];
}

type Reader = (payload: Fields) => SystemFacts;

const NONE: SystemFacts = { project: null, group: null, actor: null, user: null, subject: null, accessLevel: null, refs: [] };

const readProjectEvent: Reader = (payload) => {
  const project = readProject(payload);
  return { ...NONE, project, subject: project?.path ?? text(payload.name) };
};

const readTeamEvent: Reader = (payload) => {
  const project = readProject(payload);
  return {
    ...NONE,
    project,
    user: readFlatUser(payload, null),
    subject: project?.path ?? null,
    accessLevel: text(payload.access_level) ?? text(payload.project_access),
  };
};

const readUserEvent: Reader = (payload) => {
  const name = text(payload.name);
  const username = text(payload.username);
  const user = name || username ? { id: number(payload.user_id), username, name: name ?? username ?? '', url: null } : null;
  return { ...NONE, user, subject: name ?? username };
};

const readKeyEvent: Reader = (payload) => {
  const username = text(payload.username);
  return { ...NONE, user: username ? { id: null, username, name: username, url: null } : null, subject: username };
};

const readGroupEvent: Reader = (payload) => {
  const path = text(payload.full_path) ?? text(payload.path);
  const group = path ? { id: number(payload.group_id), path, name: text(payload.name) ?? path, url: null } : null;
  return { ...NONE, group, subject: path };
};

const readGroupMemberEvent: Reader = (payload) => {
  const group = readGroup(payload);
  return { ...NONE, group, user: readFlatUser(payload, null), subject: group?.path ?? null, accessLevel: text(payload.group_access) };
};

const readRepositoryUpdate: Reader = (payload) => {
  const project = readProject(payload);
  return {
    ...NONE,
    project,
    actor: readFlatUser(payload, gitlabBase(project)),
    subject: project?.path ?? null,
    refs: strings(payload.refs).map(shortRef),
  };
};

const READERS: Record<string, Reader> = {
  project_create: readProjectEvent,
  project_destroy: readProjectEvent,
  project_rename: readProjectEvent,
  project_transfer: readProjectEvent,
  project_update: readProjectEvent,
  user_add_to_team: readTeamEvent,
  user_remove_from_team: readTeamEvent,
  user_update_for_team: readTeamEvent,
  user_create: readUserEvent,
  user_destroy: readUserEvent,
  user_rename: readUserEvent,
  user_failed_login: readUserEvent,
  key_create: readKeyEvent,
  key_destroy: readKeyEvent,
  group_create: readGroupEvent,
  group_destroy: readGroupEvent,
  group_rename: readGroupEvent,
  user_add_to_group: readGroupMemberEvent,
  user_remove_from_group: readGroupMemberEvent,
  user_update_for_group: readGroupMemberEvent,
  repository_update: readRepositoryUpdate,
};

export function parseSystem(payload: Fields): ParseResult {
  const eventName = text(payload.event_name) ?? text(payload.object_kind) ?? '';
  const read = READERS[eventName];
  if (!read) return ignore(`unsupported system event: ${eventName || 'none named'}`);
  const facts = read(payload);
  return makeEvent({
    kind: 'system',
    action: eventName,
    // System events come from one hook only: the payload itself identifies a re-delivery.
    key: `system:${eventName}:${fingerprint(payload)}`,
    project: facts.project,
    group: facts.group,
    actor: facts.actor,
    occurredAt: isoTime(payload.updated_at) ?? isoTime(payload.created_at),
    details: { kind: 'system', subject: facts.subject, user: facts.user, accessLevel: facts.accessLevel, refs: facts.refs },
  });
}

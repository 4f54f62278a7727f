// The chaos suite's webhooks: issues and merge requests whose events follow one another in GitLab's
// order, each a thread in its project's channel. Pure: payloads are built from the GitLab fixtures,
// with ids, times and actors that make every event distinct (the bridge dedupes by content) and
// recognisable in the post it makes: each event has an actor of its own, "Chaos actor <thread>.<step>",
// and the post names its actor first.
import { readFileSync } from 'node:fs';
import path from 'node:path';

const FIXTURES = {
  'issue:open': ['Issue Hook', 'issue.open.json'],
  'issue:close': ['Issue Hook', 'issue.close.json'],
  'issue:reopen': ['Issue Hook', 'issue.reopen.json'],
  'issue:note': ['Note Hook', 'note.issue.json'],
  'merge_request:open': ['Merge Request Hook', 'merge_request.open.json'],
  'merge_request:note': ['Note Hook', 'note.merge_request.json'],
  'merge_request:approval': ['Merge Request Hook', 'merge_request.approval.json'],
  'merge_request:merge': ['Merge Request Hook', 'merge_request.merge.json'],
  'merge_request:close': ['Merge Request Hook', 'merge_request.close.json'],
};

/** The steps of thread `n`: issues and merge requests alternate, each in two shapes. */
export function threadShape(n) {
  const long = Math.floor(n / 2) % 2 === 1;
  if (n % 2 === 0) return { kind: 'issue', steps: long ? ['open', 'note', 'close', 'reopen', 'note'] : ['open', 'note', 'close'] };
  return { kind: 'merge_request', steps: long ? ['open', 'note', 'close'] : ['open', 'note', 'approval', 'merge'] };
}

/**
 * The status line the thread's root shows once the first `sent` steps of thread `n` were posted
 * (delivery/object-status.ts), or null while the root was never edited (only its opening was posted).
 */
export function statusAfter(n, kind, steps, sent) {
  if (sent < 2) return null;
  let state = 'Open';
  let approvedBy = null;
  for (const [step, action] of steps.slice(0, sent).entries()) {
    if (action === 'close') state = 'Closed';
    if (action === 'reopen') state = 'Open';
    if (action === 'merge') state = 'Merged';
    if (action === 'approval') approvedBy = actorName(n, step);
  }
  return `Status: **${state}**${kind === 'merge_request' && approvedBy ? ` · approved by ${approvedBy}` : ''}`;
}

export const actorName = (n, step) => `Chaos actor ${n}.${step}`;
/** Finds the actor named first in a post: [thread, step]. */
export const ACTOR_IN_POST = /^\[Chaos actor (\d+)\.(\d+)\]/;
export const noteText = (n, step) => `Chaos note ${n}.${step}`;

const person = (id, name, username) => ({ id, name, username, avatar_url: null, email: `${username}@example.com` });
const actor = (n, step) => person(800_000 + n * 10 + step, actorName(n, step), `chaos-actor-${n}-${step}`);
/** GitLab's "2030-01-01 00:00:05 UTC": one second per step, so no two events of an object share a time. */
const stamp = (n, step) => new Date(Date.UTC(2030, 0, 1) + (n * 10 + step) * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');

function projectFields(project) {
  return {
    id: project.id,
    name: project.name,
    description: '',
    web_url: `${project.webBase}/${project.path}`,
    avatar_url: null,
    namespace: 'chaos',
    visibility_level: 0,
    path_with_namespace: project.path,
    default_branch: 'main',
    homepage: `${project.webBase}/${project.path}`,
    url: `${project.webBase}/${project.path}.git`,
  };
}

export function loadTemplates(root) {
  const templates = {};
  for (const [key, [event, file]] of Object.entries(FIXTURES)) {
    templates[key] = { event, body: JSON.parse(readFileSync(path.join(root, 'test/fixtures/gitlab/webhooks', file), 'utf8')) };
  }
  return templates;
}

/**
 * The webhook of step `step` of thread `thread` = { n, iid, project, recipient, kind, steps }:
 * { event (X-Gitlab-Event), body }. The recipient (a connected user) is the issue's assignee or the
 * merge request's reviewer; every actor is someone else, never connected.
 */
export function buildWebhook(templates, thread, step) {
  const { n, iid, project, recipient, kind } = thread;
  const action = thread.steps[step];
  const { event, body: template } = templates[`${kind}:${action}`];
  const body = structuredClone(template);
  const who = actor(n, step);
  const author = actor(n, 0);
  const target = recipient && person(recipient.gitlabId, recipient.name, recipient.username);
  const objectId = 1_000_000 + n;
  const url = `${project.webBase}/${project.path}/-/${kind === 'issue' ? 'issues' : 'merge_requests'}/${iid}`;
  const title = `Chaos ${kind === 'issue' ? 'issue' : 'merge request'} ${n}`;
  body.user = who;
  body.project = projectFields(project);
  if (action === 'note') {
    const noteId = 7_000_000 + n * 10 + step;
    body.project_id = project.id;
    Object.assign(body.object_attributes, {
      id: noteId,
      note: noteText(n, step),
      author_id: who.id,
      project_id: project.id,
      noteable_id: objectId,
      created_at: stamp(n, step),
      updated_at: stamp(n, step),
      url: `${url}#note_${noteId}`,
    });
    const parent = kind === 'issue' ? 'issue' : 'merge_request';
    body[parent] = {
      ...body[parent],
      id: objectId,
      iid,
      title,
      project_id: project.id,
      target_project_id: project.id,
      source_project_id: project.id,
      state: 'opened',
      author_id: author.id,
      labels: [],
      ...(kind === 'issue' ? { assignee_ids: [target.id], assignee_id: target.id } : { assignee_ids: [], assignee_id: null, reviewer_ids: [target.id] }),
    };
    return { event, body };
  }
  const state = { open: 'opened', reopen: 'opened', note: 'opened', approval: 'opened', close: 'closed', merge: 'merged' }[action];
  const stateId = { opened: 1, closed: 2, merged: 3 }[state];
  body.labels = [];
  body.changes = step === 0 ? {} : { updated_at: { previous: stamp(n, step - 1), current: stamp(n, step) }, ...(action === 'approval' ? {} : { state_id: { previous: action === 'reopen' ? 2 : 1, current: stateId } }) };
  Object.assign(body.object_attributes, {
    id: objectId,
    iid,
    title,
    description: `${title}, opened by the chaos suite.`,
    author_id: author.id,
    created_at: stamp(n, 0),
    updated_at: stamp(n, step),
    state,
    state_id: stateId,
    action,
    url,
    labels: [],
  });
  if (kind === 'issue') {
    body.assignees = [target];
    body.assignee = target;
    Object.assign(body.object_attributes, { project_id: project.id, assignee_ids: [target.id], assignee_id: target.id, confidential: false });
  } else {
    body.assignees = [];
    body.reviewers = [target];
    Object.assign(body.object_attributes, {
      source_project_id: project.id,
      target_project_id: project.id,
      source_branch: `chaos-${n}`,
      target_branch: 'main',
      assignee_ids: [],
      assignee_id: null,
      reviewer_ids: [target.id],
      draft: false,
      work_in_progress: false,
    });
  }
  return { event, body };
}

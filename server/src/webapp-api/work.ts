/**
 * GET /sidebar, GET /lists/{list} and POST /todos/{id}/done: the user's work
 * as of their last poll (a first look polls on the spot), and marking a to-do
 * done in GitLab as them.
 */
import express, { type Response } from 'express';
import type { GitLabCaller } from '../accounts/gitlab-connections.js';
import type { WorkSnapshot } from '../gitlab/work-query.js';
import { refreshWork } from '../polling/poll-users.js';
import { workCounts } from '../polling/work-changes.js';
import { publishLiveEvent } from '../store/live-events.js';
import { changeWorkSnapshot, readWorkSnapshot } from '../store/work-snapshots.js';
import { connectedCaller, sessionOf } from './context.js';
import type { WebappDeps } from './deps.js';
import { ApiError } from './errors.js';
import { assertMayWrite } from './refuse-write.js';
import { isListName, LIST_NAMES, readList, withoutTodo } from './work-lists.js';

/** GitLab's to-do ids are positive integers well below 2^53. */
const TODO_ID = /^[1-9]\d{0,15}$/;

export function workRoutes(deps: WebappDeps): express.Router {
  const router = express.Router();

  const callerOf = (response: Response): Promise<GitLabCaller> =>
    connectedCaller(async (userId) => (deps.connections ? deps.connections.callerFor(userId) : null), response);

  // The webapp asks for the sidebar and a list at once: one poll serves both.
  const polling = new Map<string, Promise<WorkSnapshot>>();
  const pollNow = (userId: string, caller: GitLabCaller): Promise<WorkSnapshot> => {
    let poll = polling.get(userId);
    if (!poll) {
      poll = refreshWork({ pool: deps.pool, client: deps.gitlab, log: deps.log }, userId, caller).finally(() => polling.delete(userId));
      polling.set(userId, poll);
    }
    return poll;
  };

  /** The saved snapshot, or a fresh one when the user was never polled. */
  const snapshotOf = async (response: Response): Promise<{ snapshot: WorkSnapshot; updatedAt: string }> => {
    const caller = await callerOf(response);
    const userId = sessionOf(response).user.id;
    const saved = await readWorkSnapshot(deps.pool, userId);
    if (saved) return { snapshot: saved.snapshot, updatedAt: saved.polledAt.toISOString() };
    const snapshot = await pollNow(userId, caller);
    return { snapshot, updatedAt: new Date().toISOString() };
  };

  router.get('/sidebar', async (_request, response) => {
    const { snapshot, updatedAt } = await snapshotOf(response);
    response.json({ counts: workCounts(snapshot), updatedAt });
  });

  router.get('/lists/:list', async (request, response) => {
    const { list } = request.params;
    if (!isListName(list)) throw new ApiError(404, 'not_found', `No list "${list.slice(0, 40)}": the lists are ${LIST_NAMES.join(', ')}.`);
    const { snapshot, updatedAt } = await snapshotOf(response);
    response.json({ list, ...readList(snapshot, list, deps.gitlabUrl), updatedAt });
  });

  router.post('/todos/:id/done', async (request, response) => {
    const { id } = request.params;
    if (!TODO_ID.test(id)) throw new ApiError(400, 'bad_request', 'The to-do id must be a positive whole number.');
    const caller = await callerOf(response);
    assertMayWrite(deps.scopeSetting, 'mark to-dos done', caller);
    const userId = sessionOf(response).user.id;
    // GitLab answers 404 for a to-do that is not the caller's: errors.ts maps it to not_found.
    await deps.gitlab.post(caller.token, `/todos/${id}/mark_as_done`);
    const saved = await changeWorkSnapshot(
      deps.pool,
      userId,
      (snapshot) => withoutTodo(snapshot, Number(id)),
      (db, snapshot) => publishLiveEvent(db, { kind: 'work', userId, data: { counts: workCounts(snapshot) } }),
    );
    // Never polled yet (done from a stale page): the fresh poll already leaves the to-do out.
    const snapshot = saved ?? (await pollNow(userId, caller));
    response.json({ ok: true, counts: workCounts(snapshot) });
  });

  return router;
}

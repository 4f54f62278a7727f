/**
 * GET /sidebar, GET /lists/{list} and POST /todos/{id}/done: the user's work
 * as of their last poll (a first look polls on the spot), and marking a to-do
 * done in GitLab as them. A person connected to several GitLab instances sees
 * them combined: counts added up, every item carrying its `instance` (and,
 * when the bridge has several, its `instanceLabel`); a to-do is marked done on
 * the instance the request names, with the person's token there.
 */
import express, { type Response } from 'express';
import type { GitLabCaller } from '../accounts/gitlab-connections.js';
import type { WorkSnapshot } from '../gitlab/work-query.js';
import { refreshWork } from '../polling/poll-users.js';
import { combinedCounts } from '../polling/work-changes.js';
import { publishLiveEvent } from '../store/live-events.js';
import { changeWorkSnapshot, readWorkSnapshot, readWorkSnapshots } from '../store/work-snapshots.js';
import { sessionOf } from './context.js';
import type { WebappDeps, WebappInstance } from './deps.js';
import { ApiError } from './errors.js';
import { findInstanceSide, instanceChoices, instanceSide } from './instance-side.js';
import { assertMayWrite } from './refuse-write.js';
import { isListName, LIST_NAMES, mergeLists, readList, withoutTodo, type ListedItem, type ListedTodo } from './work-lists.js';

/** GitLab's to-do ids are positive integers well below 2^53. */
const TODO_ID = /^[1-9]\d{0,15}$/;

/** One instance the user is connected to, with their caller there. */
interface Connected {
  side: WebappInstance;
  caller: GitLabCaller;
  /** Shown beside its items once the bridge has several GitLabs. */
  label: string | null;
}

export function workRoutes(deps: WebappDeps): express.Router {
  const router = express.Router();
  const several = instanceChoices(deps).length > 1;

  /** Every configured instance the user is connected to, the default first; 403 `not_connected` when none. */
  const connectedOf = async (response: Response): Promise<Connected[]> => {
    const userId = sessionOf(response).user.id;
    const found = await Promise.all(
      instanceChoices(deps).map(async ({ name, label }) => {
        const side = findInstanceSide(deps, name);
        const caller = side?.connections ? await side.connections.callerFor(userId) : null;
        return side && caller ? [{ side, caller, label: several ? label : null }] : [];
      }),
    );
    const connected = found.flat();
    if (connected.length === 0) throw new ApiError(403, 'not_connected', 'Connect your GitLab account first.');
    return connected;
  };

  // The webapp asks for the sidebar and a list at once: one poll per instance serves both.
  const polling = new Map<string, Promise<WorkSnapshot>>();
  const pollNow = (userId: string, { side, caller }: Connected): Promise<WorkSnapshot> => {
    const key = `${side.name}\n${userId}`;
    let poll = polling.get(key);
    if (!poll) {
      poll = refreshWork({ pool: deps.pool, client: side.client, log: deps.log }, userId, caller, side.name).finally(() => polling.delete(key));
      polling.set(key, poll);
    }
    return poll;
  };

  /**
   * Each connected instance's saved snapshot, or a fresh one when the user was never polled there.
   * An instance whose first poll fails is left out while another answers (its GitLab may be down);
   * `updatedAt` is the oldest snapshot's time.
   */
  const snapshotsOf = async (response: Response): Promise<{ parts: { connected: Connected; snapshot: WorkSnapshot }[]; updatedAt: string }> => {
    const userId = sessionOf(response).user.id;
    const connected = await connectedOf(response);
    const read = await Promise.allSettled(
      connected.map(async (entry) => {
        const saved = await readWorkSnapshot(deps.pool, userId, entry.side.name);
        if (saved) return { connected: entry, snapshot: saved.snapshot, at: saved.polledAt };
        return { connected: entry, snapshot: await pollNow(userId, entry), at: new Date() };
      }),
    );
    const parts = read.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
    const failed = read.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    if (parts.length === 0) throw failed!.reason;
    if (failed) deps.log.warn({ err: failed.reason }, 'one GitLab instance could not be polled for the work lists; showing the others');
    const updatedAt = new Date(Math.min(...parts.map((part) => part.at.getTime()))).toISOString();
    return { parts, updatedAt };
  };

  router.get('/sidebar', async (_request, response) => {
    const { parts, updatedAt } = await snapshotsOf(response);
    response.json({ counts: combinedCounts(parts.map((part) => part.snapshot)), updatedAt });
  });

  router.get('/lists/:list', async (request, response) => {
    const { list } = request.params;
    if (!isListName(list)) throw new ApiError(404, 'not_found', `No list "${list.slice(0, 40)}": the lists are ${LIST_NAMES.join(', ')}.`);
    const { parts, updatedAt } = await snapshotsOf(response);
    const lists = parts.map(({ connected, snapshot }) => {
      const found = readList(snapshot, list, connected.side.url);
      const where = { instance: connected.side.name, ...(connected.label ? { instanceLabel: connected.label } : {}) };
      return { total: found.total, items: (found.items as (ListedItem | ListedTodo)[]).map((item) => ({ ...item, ...where })) };
    });
    const merged = mergeLists(lists, (item) => ('updatedAt' in item ? item.updatedAt : item.createdAt));
    response.json({ list, ...merged, updatedAt });
  });

  router.post('/todos/:id/done', async (request, response) => {
    const { id } = request.params;
    if (!TODO_ID.test(id)) throw new ApiError(400, 'bad_request', 'The to-do id must be a positive whole number.');
    // To-do ids are numbered per GitLab: the request says whose (`?instance=`, the default without).
    const named = request.query.instance;
    if (named !== undefined && typeof named !== 'string') throw new ApiError(400, 'bad_request', '`instance` must be one name.');
    const side = instanceSide(deps, named);
    const userId = sessionOf(response).user.id;
    const caller = side.connections ? await side.connections.callerFor(userId) : null;
    if (!caller) throw new ApiError(403, 'not_connected', 'Connect your GitLab account first.');
    assertMayWrite(side.scopeSetting, 'mark to-dos done', caller);
    // GitLab answers 404 for a to-do that is not the caller's: errors.ts maps it to not_found.
    await side.client.post(caller.token, `/todos/${id}/mark_as_done`);
    const saved = await changeWorkSnapshot(
      deps.pool,
      userId,
      (snapshot) => withoutTodo(snapshot, Number(id)),
      async (db) => publishLiveEvent(db, { kind: 'work', userId, data: { counts: combinedCounts((await readWorkSnapshots(db, userId)).map((work) => work.snapshot)) } }),
      side.name,
    );
    // Never polled yet (done from a stale page): the fresh poll already leaves the to-do out.
    if (!saved) await pollNow(userId, { side, caller, label: null });
    const counts = combinedCounts((await readWorkSnapshots(deps.pool, userId)).map((work) => work.snapshot));
    response.json({ ok: true, counts });
  });

  return router;
}

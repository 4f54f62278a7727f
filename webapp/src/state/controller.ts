/**
 * What the plugin does with the bridge: load the account and counters, the lists people open, mark
 * to-dos done, apply live events, and open the connect popup. Components call these; nothing here
 * renders.
 */
import { ApiError, pluginBase, type ApiClient } from '../api/client';
import { LIST_NAMES, type Counts, type ListName, type WorkTodo } from '../api/types';
import type { LiveEventName } from '../live/live-client';
import type { PluginState, Store, TabName } from './store';

export interface ControllerOptions {
  api: ApiClient;
  store: Store<PluginState>;
  siteUrl: () => string;
  /** Shows the plugin's right-hand panel (the host's showRHSPlugin action). */
  showPanel?: () => void;
  openWindow?: (url: string, name: string, features: string) => { closed: boolean } | null;
  every?: (run: () => void, ms: number) => () => void;
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

function isCounts(value: unknown): value is Counts {
  return typeof value === 'object' && value !== null && LIST_NAMES.every((name) => typeof (value as Record<string, unknown>)[name] === 'number');
}

export function createController(options: ControllerOptions) {
  const { api, store } = options;
  const every =
    options.every ??
    ((run, ms) => {
      const id = setInterval(run, ms);
      return () => clearInterval(id);
    });

  async function loadMe(): Promise<void> {
    try {
      const me = await api.me();
      // Someone who disconnected must not keep seeing the lists of the account they unlinked.
      store.set(me.connected ? { me, meStatus: 'ready', meError: undefined } : { me, meStatus: 'ready', meError: undefined, counts: null, lists: {} });
    } catch (error) {
      store.set({ meStatus: 'error', meError: message(error) });
    }
  }

  async function refreshCounts(): Promise<void> {
    if (!store.get().me?.connected) return;
    try {
      const { counts } = await api.sidebar();
      store.set({ counts });
    } catch (error) {
      if (error instanceof ApiError && error.code === 'not_connected') await loadMe();
    }
  }

  async function loadList(list: ListName): Promise<void> {
    store.set((state) => {
      const previous = state.lists[list];
      // Keep showing what we have while refreshing: no flicker, no layout jump.
      return { lists: { ...state.lists, [list]: previous ? { ...previous } : { status: 'loading', items: [], total: 0 } } };
    });
    try {
      const answer = await api.list(list);
      store.set((state) => ({ lists: { ...state.lists, [list]: { status: 'ready', items: answer.items, total: answer.total } } }));
      store.set((state) => (state.counts ? { counts: { ...state.counts, [list]: answer.total } } : {}));
    } catch (error) {
      store.set((state) => ({
        lists: { ...state.lists, [list]: { status: 'error', items: state.lists[list]?.items ?? [], total: 0, error: message(error) } },
      }));
    }
  }

  /** Every list someone has opened since the panel was shown is refreshed on a change. */
  async function refreshOpenLists(): Promise<void> {
    const open = Object.keys(store.get().lists) as ListName[];
    await Promise.all(open.map(loadList));
  }

  async function refreshAll(): Promise<void> {
    await loadMe();
    await Promise.all([refreshCounts(), refreshOpenLists()]);
    store.set((state) => ({ everything: state.everything + 1 }));
  }

  async function markTodoDone(todo: WorkTodo): Promise<void> {
    const { counts } = await api.markTodoDone(todo.id, todo.instance);
    store.set((state) => {
      const todos = state.lists.todos;
      // Ids are numbered per GitLab instance: only this instance's to-do goes.
      const items = (todos?.items ?? []).filter((item) => !('id' in item) || item.id !== todo.id || item.instance !== todo.instance);
      return {
        counts: isCounts(counts) ? counts : state.counts,
        lists: { ...state.lists, todos: { status: 'ready', items, total: Math.max(0, (todos?.total ?? 1) - 1) } },
      };
    });
  }

  function showList(tab: TabName): void {
    store.set({ tab });
    options.showPanel?.();
  }

  async function applyEvent(name: LiveEventName, data: unknown): Promise<void> {
    const fields = (data ?? {}) as Record<string, unknown>;
    switch (name) {
      case 'work':
        if (isCounts(fields.counts)) store.set({ counts: fields.counts });
        else await refreshCounts();
        await refreshOpenLists();
        return;
      case 'subscriptions':
        if (typeof fields.channelId === 'string') {
          const channelId = fields.channelId;
          store.set((state) => ({
            subscriptionsVersion: { ...state.subscriptionsVersion, [channelId]: (state.subscriptionsVersion[channelId] ?? 0) + 1 },
          }));
        }
        return;
      case 'connection':
        await loadMe();
        await refreshCounts();
        return;
      case 'resync':
        await refreshAll();
        return;
    }
  }

  function setLive(state: 'open' | 'reconnecting'): void {
    store.set({ live: state });
    if (state === 'open') store.set({ reachable: true });
    // A stream that broke may mean the bridge is gone: ask once, so the banner says so.
    else void api.me().catch(() => undefined); // the API client reports reachability itself
  }

  /** Opens GitLab's consent in a popup; when it closes, the account is read again. */
  /** Opens the sign-in of one GitLab instance: the default's, unless another's name is given. */
  function connect(instance?: string): void {
    const url = `${pluginBase(options.siteUrl())}/oauth/connect${instance && instance !== 'default' ? `?instance=${encodeURIComponent(instance)}` : ''}`;
    const popup = (options.openWindow ?? ((u, n, f) => window.open(u, n, f)))(url, 'gitlab-bridge-connect', 'width=640,height=760');
    store.set({ connectBlocked: popup ? null : url });
    if (!popup) return;
    const stop = every(() => {
      if (!popup.closed) return;
      stop();
      void loadMe().then(refreshCounts);
    }, 500);
  }

  return { loadMe, refreshCounts, loadList, refreshAll, markTodoDone, showList, applyEvent, setLive, connect };
}

export type Controller = ReturnType<typeof createController>;

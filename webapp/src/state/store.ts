/**
 * The plugin's own state: a tiny observable store read with useSyncExternalStore. Mattermost's Redux
 * store stays the host's; keeping ours apart needs no reducer registration and no Redux in the bundle.
 */
import { useSyncExternalStore } from 'react';
import type { Counts, ListName, Me, WorkItem, WorkTodo } from '../api/types';

export type TabName = ListName | 'subscriptions';

export interface ListState {
  status: 'loading' | 'ready' | 'error';
  items: (WorkItem | WorkTodo)[];
  total: number;
  error?: string;
}

export interface PluginState {
  me: Me | null;
  meStatus: 'loading' | 'ready' | 'error';
  meError?: string;
  counts: Counts | null;
  lists: Partial<Record<ListName, ListState>>;
  /** False once a call found no bridge behind the reverse-proxy path; true again on the next answer. */
  reachable: boolean;
  live: 'connecting' | 'open' | 'reconnecting';
  tab: TabName;
  modal: { kind: 'create' | 'attach'; postId: string } | null;
  /** The connect page's URL when the browser blocked its popup: offered as a plain link instead. */
  connectBlocked: string | null;
  /** Bumped per channel when its subscriptions changed elsewhere; `resync` bumps `everything`. */
  subscriptionsVersion: Record<string, number>;
  everything: number;
}

export const initialState: PluginState = {
  me: null,
  meStatus: 'loading',
  counts: null,
  lists: {},
  reachable: true,
  live: 'connecting',
  tab: 'reviews',
  modal: null,
  connectBlocked: null,
  subscriptionsVersion: {},
  everything: 0,
};

export interface Store<S> {
  get(): S;
  set(change: Partial<S> | ((state: S) => Partial<S>)): void;
  subscribe(listener: () => void): () => void;
}

export function createStore<S extends object>(initial: S): Store<S> {
  let state = initial;
  const listeners = new Set<() => void>();
  return {
    get: () => state,
    set(change) {
      const patch = typeof change === 'function' ? change(state) : change;
      state = { ...state, ...patch };
      for (const listener of [...listeners]) listener();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

export function useStoreValue<S, T>(store: Store<S>, select: (state: S) => T): T {
  return useSyncExternalStore(store.subscribe, () => select(store.get()));
}

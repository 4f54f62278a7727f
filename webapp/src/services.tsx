/**
 * What every registered component needs (the API, the plugin's state and actions, the host's store),
 * handed down by context so components can be rendered in tests with fakes.
 */
import React, { createContext, useContext, useMemo, useSyncExternalStore } from 'react';
import type { ApiClient } from './api/client';
import type { Controller } from './state/controller';
import { useStoreValue, type PluginState, type Store } from './state/store';

export interface HostStore {
  getState(): unknown;
  dispatch(action: unknown): unknown;
  subscribe?(listener: () => void): () => void;
}

export interface Services {
  api: ApiClient;
  store: Store<PluginState>;
  controller: Controller;
  host: HostStore;
  /** Look-ups wait this long after the last keystroke. */
  debounceMs: number;
}

const ServicesContext = createContext<Services | null>(null);

export function ServicesProvider({ services, children }: { services: Services; children: React.ReactNode }): React.ReactElement {
  return <ServicesContext.Provider value={services}>{children}</ServicesContext.Provider>;
}

export function useServices(): Services {
  const services = useContext(ServicesContext);
  if (!services) throw new Error('gitlab-bridge component rendered without its services');
  return services;
}

export function usePluginState<T>(select: (state: PluginState) => T): T {
  return useStoreValue(useServices().store, select);
}

const noSubscribe = () => () => undefined;

/** A value from Mattermost's Redux state (mattermost-redux shape); select primitives or stored objects. */
export function useHostState<T>(select: (state: HostState) => T): T {
  const { host } = useServices();
  const subscribe = useMemo(() => (host.subscribe ? host.subscribe.bind(host) : noSubscribe), [host]);
  return useSyncExternalStore(subscribe, () => select(host.getState() as HostState));
}

/** The parts of mattermost-redux's state the plugin reads. */
export interface HostState {
  entities?: {
    general?: { config?: { SiteURL?: string } };
    /** `roles` is space-separated, e.g. "system_user system_admin". */
    users?: { currentUserId?: string; profiles?: Record<string, { roles?: string }> };
    channels?: { currentChannelId?: string; channels?: Record<string, { id: string; display_name?: string; type?: string }> };
    teams?: { currentTeamId?: string; teams?: Record<string, { id: string; name: string }> };
    posts?: { posts?: Record<string, { id: string; message: string; channel_id: string; user_id?: string }> };
  };
}

/**
 * The current user is a Mattermost system admin (mattermost-redux's isSystemAdmin reads the same roles). Only
 * decides what the page offers: the bridge checks again on every admin request.
 */
export function isSystemAdmin(state: HostState): boolean {
  const users = state.entities?.users;
  const roles = users?.profiles?.[users.currentUserId ?? '']?.roles ?? '';
  return roles.split(' ').includes('system_admin');
}

/** Wraps a component so it renders inside the plugin's services, wherever the host mounts it. */
export function withServices<P extends object>(services: Services, Component: React.ComponentType<P>): React.ComponentType<P> {
  function Wrapped(props: P): React.ReactElement {
    return (
      <ServicesProvider services={services}>
        <Component {...props} />
      </ServicesProvider>
    );
  }
  Wrapped.displayName = `GitLabBridge(${Component.displayName ?? Component.name})`;
  return Wrapped;
}

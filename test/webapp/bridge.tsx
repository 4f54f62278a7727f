/**
 * Test doubles for the webapp tests: a bridge that answers the plugin's HTTP calls from a route table
 * and records what it was sent, a Mattermost-like host store, and the plugin's services wired with the
 * real API client, store and controller.
 */
import React from 'react';
import { render, type RenderResult } from '@testing-library/react';
import { createApiClient } from '../../webapp/src/api/client';
import type { Counts, Me } from '../../webapp/src/api/types';
import { ServicesProvider, type HostStore, type Services } from '../../webapp/src/services';
import { createController, type ControllerOptions } from '../../webapp/src/state/controller';
import { createStore, initialState, type PluginState } from '../../webapp/src/state/store';

// React 18 warns unless told that this environment runs act().
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

export const SITE = 'https://chat.example.com';
export const API = `${SITE}/plugins/gitlab-bridge/api/v1`;
export const CSRF = 'csrf-token-123';

export interface Sent {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: unknown;
  credentials?: string;
}

type Answer = { status?: number; body?: unknown; text?: string } | 'network-error';
type Route = (request: Sent) => Answer | undefined;

/** A bridge behind `fetch`: routes are `METHOD /path` → answer (or a function of the request). */
export function fakeBridge(routes: Record<string, Answer | Route> = {}) {
  const sent: Sent[] = [];
  const table = { ...routes };
  const fetch = (async (input: string, init: RequestInit = {}) => {
    const url = new URL(input);
    if (!url.href.startsWith(API)) throw new Error(`unexpected URL ${input}`);
    const request: Sent = {
      method: init.method ?? 'GET',
      path: url.pathname.slice(new URL(API).pathname.length),
      query: url.searchParams,
      headers: { ...(init.headers as Record<string, string>) },
      body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
      credentials: init.credentials,
    };
    sent.push(request);
    const route = table[`${request.method} ${request.path}`];
    const answer = typeof route === 'function' ? route(request) : route;
    if (answer === 'network-error') throw new TypeError('Failed to fetch');
    if (!answer) return response(404, { error: 'no such route', code: 'not_found' });
    if (answer.text !== undefined) return response(answer.status ?? 200, undefined, answer.text);
    return response(answer.status ?? 200, answer.body);
  }) as unknown as typeof globalThis.fetch;
  return {
    fetch,
    sent,
    routes: table,
    calls: (method: string, path: string) => sent.filter((request) => request.method === method && request.path === path),
  };
}
export type FakeBridge = ReturnType<typeof fakeBridge>;

/** jsdom has no fetch Response; the client reads only these members. */
function response(status: number, body: unknown, text?: string) {
  return {
    ok: status >= 200 && status < 300,
    status,
    json: async () => (text !== undefined ? JSON.parse(text) : body),
  };
}

export function me(overrides: Partial<Me> = {}): Me {
  return {
    user: { id: 'mm-user-1', username: 'alice' },
    connected: true,
    gitlab: { username: 'alice.gl', userId: 7, webUrl: 'https://gitlab.example.com/alice.gl' },
    gitlabUrl: 'https://gitlab.example.com',
    connectUrl: '/plugins/gitlab-bridge/oauth/connect',
    features: { connect: true, createIssues: true },
    ...overrides,
  };
}

export const COUNTS: Counts = { reviews: 3, assigned_mrs: 1, my_mrs: 2, assigned_issues: 4, todos: 5 };

/** Mattermost's Redux store as far as the plugin reads it. */
export function fakeHost(state: Record<string, unknown> = {}) {
  let current: unknown = { entities: { general: { config: { SiteURL: SITE } }, ...state } };
  const listeners = new Set<() => void>();
  const dispatched: unknown[] = [];
  const host: HostStore & { set(next: unknown): void; dispatched: unknown[] } = {
    getState: () => current,
    dispatch: (action) => dispatched.push(action),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    set(next) {
      current = next;
      listeners.forEach((listener) => listener());
    },
    dispatched,
  };
  return host;
}

export function makeServices(
  bridge: FakeBridge,
  options: { host?: ReturnType<typeof fakeHost>; state?: Partial<PluginState>; controller?: Partial<ControllerOptions> } = {},
) {
  const host = options.host ?? fakeHost();
  const store = createStore({ ...initialState, ...options.state });
  const api = createApiClient({
    siteUrl: () => SITE,
    fetch: bridge.fetch,
    cookies: () => `MMAUTHTOKEN=session; MMCSRF=${CSRF}; other=1`,
    onReachability: (reachable) => store.set({ reachable }),
  });
  const shown: number[] = [];
  const controller = createController({ api, store, siteUrl: () => SITE, showPanel: () => shown.push(1), ...options.controller });
  const services: Services = { api, store, controller, host, debounceMs: 0 };
  return { services, store, controller, host, shown };
}

export function renderWith(services: Services, node: React.ReactNode): RenderResult {
  return render(<ServicesProvider services={services}>{node}</ServicesProvider>);
}

/**
 * A read-only bridge (GITLAB_OAUTH_SCOPES=read_api, `features.writes: false` in GET /me): the webapp
 * shows everything it reads and offers nothing that would write to GitLab.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import React from 'react';
import { cleanup, screen, waitFor } from '@testing-library/react';
import type { WorkTodo } from '../../webapp/src/api/types';
import { RhsPanel } from '../../webapp/src/components/rhs-panel';
import type { Plugin as PluginClass, PluginOptions } from '../../webapp/src/index';
import type { PluginRegistry } from '../../webapp/src/types/mattermost';
import { COUNTS, fakeBridge, fakeHost, makeServices, me, renderWith } from './bridge';

afterEach(cleanup);

const READ_ONLY = { connect: true, createIssues: false, writes: false };
const todo: WorkTodo = {
  id: 11,
  action: 'review_requested',
  body: '',
  targetType: 'merge_request',
  targetTitle: 'Review the cache',
  url: 'https://gitlab.example.com/g/p/-/merge_requests/11',
  author: { username: 'carol', name: 'Carol' },
  projectPath: 'g/p',
  createdAt: new Date().toISOString(),
};

describe('a read-only bridge in the webapp', () => {
  it('lists to-dos without a Done button', async () => {
    const bridge = fakeBridge({ 'GET /lists/todos': { body: { list: 'todos', total: 1, items: [todo], updatedAt: '' } } });
    const { services } = makeServices(bridge, { state: { me: me({ features: READ_ONLY }), meStatus: 'ready', counts: COUNTS, tab: 'todos' } });
    renderWith(services, <RhsPanel />);
    expect(await screen.findByText('Review the cache')).toBeTruthy();
    expect(screen.queryByRole('button', { name: /Mark done/ })).toBeNull();
  });

  it('leaves the post menu items that make or comment on issues out', async () => {
    window.registerPlugin = () => undefined;
    const Plugin: typeof PluginClass = (await import('../../webapp/src/index')).Plugin;
    const bridge = fakeBridge({ 'GET /me': { body: me({ features: READ_ONLY }) }, 'GET /sidebar': { body: { counts: COUNTS, updatedAt: '' } } });
    const opened: string[] = [];
    const openEventSource = (url: string) => {
      opened.push(url);
      return { readyState: 0, onopen: null, onerror: null, addEventListener: () => undefined, close: () => undefined };
    };
    const plugin = new Plugin({ fetch: bridge.fetch, openEventSource } as PluginOptions);
    const menu: [string, (postId: string) => void, () => boolean][] = [];
    const registry = new Proxy({} as Record<string, unknown>, {
      get: (_target, name) =>
        name === 'registerPostDropdownMenuAction'
          ? (...args: [string, (postId: string) => void, () => boolean]) => menu.push(args)
          : name === 'registerRightHandSidebarComponent'
            ? () => ({ id: 'rhs', showRHSPlugin: {}, hideRHSPlugin: {}, toggleRHSPlugin: {} })
            : () => 'id',
    }) as unknown as PluginRegistry;
    plugin.initialize(registry, fakeHost());
    await waitFor(() => expect(opened).toHaveLength(1));
    expect(menu.map(([text, , shown]) => [text, shown()])).toEqual([
      ['Create GitLab issue', false],
      ['Attach to GitLab issue', false],
    ]);
    plugin.uninitialize?.();
  });
});

/**
 * The Plugin class against a registry that records calls the way Mattermost's does: what it
 * registers, and what the App Bar button, counters and post menu items do.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import React from 'react';
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import type { Plugin as PluginClass, PluginOptions } from '../../webapp/src/index';
import type { MattermostPlugin, PluginRegistry } from '../../webapp/src/types/mattermost';
import { COUNTS, SITE, fakeBridge, fakeHost, me } from './bridge';

afterEach(cleanup);

let loaded: Promise<{ id: string; plugin: MattermostPlugin; Plugin: typeof PluginClass }> | undefined;

/** Imports the bundle's entry once (a fresh module copy would bring a second React). */
function loadPlugin(): Promise<{ id: string; plugin: MattermostPlugin; Plugin: typeof PluginClass }> {
  loaded ??= (async () => {
    let registered: { id: string; plugin: MattermostPlugin } | undefined;
    window.registerPlugin = (id, plugin) => {
      registered = { id, plugin };
    };
    const module = await import('../../webapp/src/index');
    if (!registered) throw new Error('the bundle did not call registerPlugin');
    return { ...registered, Plugin: module.Plugin };
  })();
  return loaded;
}

/** Records every registration; `withAppBar: false` is a Mattermost without the App Bar. */
function fakeRegistry({ withAppBar = true } = {}) {
  const calls: Record<string, unknown[][]> = {};
  const record =
    (name: string, answer: (...args: unknown[]) => unknown = () => `${name}-id`) =>
    (...args: unknown[]) => {
      (calls[name] ??= []).push(args);
      return answer(...args);
    };
  const rhs = { id: 'rhs-1', showRHSPlugin: { type: 'SHOW_RHS', id: 'rhs-1' }, hideRHSPlugin: {}, toggleRHSPlugin: { type: 'TOGGLE_RHS', id: 'rhs-1' } };
  const registry = {
    registerRightHandSidebarComponent: record('rhs', () => rhs),
    registerChannelHeaderButtonAction: record('headerButton'),
    registerLeftSidebarHeaderComponent: record('leftSidebarHeader'),
    registerBottomTeamSidebarComponent: record('bottomTeamSidebar'),
    registerLinkTooltipComponent: record('linkTooltip'),
    registerPostDropdownMenuAction: record('postMenu'),
    registerRootComponent: record('root'),
    registerPopoverUserAttributesComponent: record('popover'),
    registerCustomRoute: record('customRoute'),
    ...(withAppBar ? { registerAppBarComponent: record('appBar') } : {}),
  } as unknown as PluginRegistry;
  return { registry, calls, rhs };
}

function fakeEventSource() {
  const opened: string[] = [];
  const open = (url: string) => {
    opened.push(url);
    return { readyState: 0, onopen: null, onerror: null, addEventListener: () => undefined, close: () => undefined };
  };
  return { open, opened };
}

async function initialized(options: { withAppBar?: boolean; navigate?: (url: string) => void } = {}) {
  const { Plugin } = await loadPlugin();
  const bridge = fakeBridge({ 'GET /me': { body: me() }, 'GET /sidebar': { body: { counts: COUNTS, updatedAt: '' } } });
  const events = fakeEventSource();
  const plugin = new Plugin({ fetch: bridge.fetch, openEventSource: events.open, navigate: options.navigate } satisfies PluginOptions);
  const host = fakeHost({ teams: { currentTeamId: 't1', teams: { t1: { id: 't1', name: 'one' } } } });
  const { registry, calls, rhs } = fakeRegistry(options);
  plugin.initialize(registry, host);
  // The account and counters load first, then the stream opens: wait, so no update lands after a test.
  await waitFor(() => expect(events.opened).toHaveLength(1));
  return { plugin, bridge, events, host, registry, calls, rhs };
}

const component = (calls: Record<string, unknown[][]>, name: string) => calls[name]![0]![0] as React.ComponentType<Record<string, unknown>>;

describe('the gitlab-bridge webapp plugin', () => {
  it('registers itself under the id from plugin.json', async () => {
    const { id } = await loadPlugin();
    expect(id).toBe('gitlab-bridge');
  });

  it('registers the sidebar, App Bar icon, panel, link tooltips, post menu items, root, user popover and connect route', async () => {
    const { calls } = await initialized();
    expect(Object.keys(calls).sort()).toEqual(
      ['appBar', 'bottomTeamSidebar', 'customRoute', 'leftSidebarHeader', 'linkTooltip', 'popover', 'postMenu', 'rhs', 'root'].sort(),
    );
    // Mattermost shows it at /plug/gitlab-bridge/connect.
    expect(calls.customRoute!.map((args) => args[0])).toEqual(['connect']);
    expect(calls.postMenu!.map((args) => args[0])).toEqual(['Create GitLab issue', 'Attach to GitLab issue']);
    expect(calls.rhs![0]![1]).toBe('GitLab');
    const appBar = calls.appBar![0]![0] as { iconUrl: string; tooltipText: string };
    expect(appBar.iconUrl).toBe(`${SITE}/plugins/gitlab-bridge/public/icon.svg`);
    expect(appBar.tooltipText).toBe('GitLab');
  });

  it('toggles its panel from the App Bar icon', async () => {
    const { calls, host, rhs } = await initialized();
    (calls.appBar![0]![0] as { action: () => void }).action();
    expect(host.dispatched).toEqual([rhs.toggleRHSPlugin]);
  });

  it('falls back to a channel header button where the App Bar is missing, with the icon from the public folder', async () => {
    const { calls, host, rhs } = await initialized({ withAppBar: false });
    expect(calls.appBar).toBeUndefined();
    const [icon, action, dropdownText, tooltip] = calls.headerButton![0]! as [React.ReactNode, () => void, string, string];
    expect([dropdownText, tooltip]).toEqual(['GitLab', 'GitLab']);
    action();
    expect(host.dispatched).toEqual([rhs.toggleRHSPlugin]);
    const { container } = render(<>{icon}</>);
    expect(container.querySelector('img')!.getAttribute('src')).toBe(`${SITE}/plugins/gitlab-bridge/public/icon.svg`);
  });

  it('loads the account and counters, then opens the live stream, and a counter click shows that list in the panel', async () => {
    const { calls, events, host, rhs, bridge } = await initialized();
    await waitFor(() => expect(events.opened).toEqual([`${SITE}/plugins/gitlab-bridge/api/v1/events`]));
    const Sidebar = component(calls, 'leftSidebarHeader');
    const Panel = component(calls, 'rhs');
    render(
      <>
        <Sidebar />
        <Panel />
      </>,
    );
    fireEvent.click(await screen.findByRole('button', { name: 'Assigned issues: 4' }));
    expect(host.dispatched).toEqual([rhs.showRHSPlugin]);
    expect(screen.getByRole('tab', { name: 'Issues' }).getAttribute('aria-selected')).toBe('true');
    await waitFor(() => expect(bridge.calls('GET', '/lists/assigned_issues')).toHaveLength(1));
  });

  it('opens the create-issue dialog from the post menu, in its root component', async () => {
    const { calls } = await initialized();
    const Root = component(calls, 'root');
    render(<Root />);
    expect(screen.queryByRole('dialog')).toBeNull();
    const [, action] = calls.postMenu![0]! as [string, (postId: string) => void];
    act(() => action('post-1'));
    expect(screen.getByRole('dialog', { name: 'Create GitLab issue' })).toBeTruthy();
  });

  describe('its route at /plug/gitlab-bridge/connect, where Mattermost\'s login comes back to a connect link', () => {
    const LINK = 'AbC_-1'.repeat(7) + 'x'; // 43 characters, as `/gitlab connect` makes them

    async function openRoute(search: string) {
      const navigated: string[] = [];
      const { calls } = await initialized({ navigate: (url) => navigated.push(url) });
      window.history.pushState({}, '', `/plug/gitlab-bridge/connect${search}`);
      const Route = calls.customRoute![0]![1] as React.ComponentType;
      render(<Route />);
      return navigated;
    }
    afterEach(() => window.history.pushState({}, '', '/'));

    it("sends the browser on to the bridge's connect page under the site URL, with the link and nothing else", async () => {
      const navigated = await openRoute(`?link=${LINK}&next=${encodeURIComponent('https://evil.example/')}`);
      expect(navigated).toEqual([`${SITE}/plugins/gitlab-bridge/oauth/connect?link=${LINK}`]);
      expect(screen.getByRole('status').textContent).toContain('Connecting your GitLab account');
    });

    it.each([
      ['no link', ''],
      ['an empty link', '?link='],
      ['an address', `?link=${encodeURIComponent('https://evil.example/')}`],
      ['a path', `?link=${encodeURIComponent('//evil.example')}`],
      ['a link with other characters', `?link=${LINK.slice(0, 40)}%2F..`],
      ['two links', `?link=${LINK}&link=${LINK}`],
    ])('goes nowhere with %s, and says the link is not valid', async (_, search) => {
      const navigated = await openRoute(search);
      expect(navigated).toEqual([]);
      expect(screen.getByRole('alert').textContent).toContain('no valid connect link');
    });
  });

  it('shows only the bottom team sidebar counters when there are several teams', async () => {
    const { calls, host } = await initialized();
    const Bottom = component(calls, 'bottomTeamSidebar');
    render(<Bottom />);
    expect(screen.queryByTestId('gitlab-sidebar-compact')).toBeNull();
    act(() =>
      host.set({ entities: { general: { config: { SiteURL: SITE } }, teams: { teams: { t1: { id: 't1' }, t2: { id: 't2' } } } } }),
    );
    expect(screen.getByTestId('gitlab-sidebar-compact')).toBeTruthy();
  });
});

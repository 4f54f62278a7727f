/** The left sidebar header: counters that open their list, or the Connect GitLab call to action. */
import { afterEach, describe, expect, it } from '@jest/globals';
import React from 'react';
import { act, cleanup, fireEvent, screen } from '@testing-library/react';
import { RhsPanel } from '../../webapp/src/components/rhs-panel';
import { SidebarCounters } from '../../webapp/src/components/sidebar-counters';
import { COUNTS, SITE, fakeBridge, makeServices, me, renderWith } from './bridge';

afterEach(cleanup);

describe('the sidebar counters', () => {
  it('show each count with its name and open the panel on the matching list', async () => {
    const bridge = fakeBridge({ 'GET /lists/reviews': { body: { list: 'reviews', total: 3, items: [], updatedAt: '' } } });
    const { services, shown, store } = makeServices(bridge, { state: { me: me(), meStatus: 'ready', counts: COUNTS } });
    renderWith(services, <SidebarCounters />);
    const sidebar = screen.getByTestId('gitlab-sidebar');
    const names = [...sidebar.querySelectorAll('button')].map((button) => button.getAttribute('aria-label'));
    expect(names).toEqual(['Reviews: 3', 'Assigned merge requests: 1', 'My merge requests: 2', 'Assigned issues: 4', 'To-dos: 5']);
    act(() => store.set({ tab: 'todos' }));
    fireEvent.click(screen.getByRole('button', { name: 'Reviews: 3' }));
    expect(shown).toHaveLength(1);
    expect(store.get().tab).toBe('reviews');
  });

  it('reserve their place while the counts load', () => {
    const { services } = makeServices(fakeBridge(), { state: { me: me(), meStatus: 'ready', counts: null } });
    renderWith(services, <SidebarCounters />);
    expect(screen.getAllByRole('button')).toHaveLength(5);
    expect(screen.getByTestId('gitlab-sidebar').getAttribute('aria-busy')).toBe('true');
  });

  it('offer "Connect GitLab" when not connected, open the connect popup, and read the account again when it closes', async () => {
    const bridge = fakeBridge({
      'GET /me': { body: me() },
      'GET /sidebar': { body: { counts: COUNTS, updatedAt: '' } },
    });
    const popup = { closed: false };
    const opened: string[][] = [];
    let tick: () => void = () => undefined;
    const { services } = makeServices(bridge, {
      state: { me: me({ connected: false, gitlab: null }), meStatus: 'ready' },
      controller: {
        openWindow: (...args) => {
          opened.push(args);
          return popup;
        },
        every: (run) => {
          tick = run;
          return () => (tick = () => undefined);
        },
      },
    });
    renderWith(
      services,
      <>
        <SidebarCounters />
        <RhsPanel />
      </>,
    );
    expect(screen.queryByRole('button', { name: /Reviews/ })).toBeNull();
    const [sidebarButton] = screen.getAllByRole('button', { name: 'Connect GitLab' });
    expect(screen.getByTestId('gitlab-rhs').textContent).toContain('Connect GitLab');
    fireEvent.click(sidebarButton!);
    expect(opened).toEqual([[`${SITE}/plugins/gitlab-bridge/oauth/connect`, 'gitlab-bridge-connect', expect.stringMatching(/width=\d+,height=\d+/)]]);

    tick(); // still open: nothing to do yet
    expect(bridge.calls('GET', '/me')).toHaveLength(0);
    popup.closed = true;
    act(() => tick());
    expect(await screen.findByRole('button', { name: 'Reviews: 3' })).toBeTruthy();
    expect(bridge.calls('GET', '/me')).toHaveLength(1);
  });

  it('offer a plain link to the sign-in page when the browser blocks the popup', () => {
    const { services } = makeServices(fakeBridge(), {
      state: { me: me({ connected: false, gitlab: null }), meStatus: 'ready' },
      controller: { openWindow: () => null },
    });
    renderWith(services, <SidebarCounters />);
    expect(screen.queryByRole('link', { name: 'Open GitLab sign-in' })).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Connect GitLab' }));
    const link = screen.getByRole('link', { name: 'Open GitLab sign-in' });
    expect(link.getAttribute('href')).toBe(`${SITE}/plugins/gitlab-bridge/oauth/connect`);
    expect(link.getAttribute('target')).toBe('_blank');
  });
});

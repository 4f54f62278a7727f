/**
 * A bridge with several GitLab instances: the panel says which GitLabs the person is connected to and
 * offers to connect each of the others, each through its own sign-in (`/oauth/connect?instance=`).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import React from 'react';
import { cleanup, fireEvent, screen } from '@testing-library/react';
import { RhsPanel } from '../../webapp/src/components/rhs-panel';
import { COUNTS, fakeBridge, makeServices, me, renderWith, SITE } from './bridge';

afterEach(cleanup);

const INSTANCES = [
  { name: 'default', label: 'gitlab.example.com', url: 'https://gitlab.example.com', connected: true },
  { name: 'corp', label: 'corp', url: 'https://gitlab.corp.example', connected: false },
];

function panel(instances: typeof INSTANCES, connected = true) {
  const opened: string[] = [];
  const bridge = fakeBridge({ 'GET /lists/reviews': { body: { list: 'reviews', total: 0, items: [], updatedAt: '' } } });
  const { services } = makeServices(bridge, {
    state: { me: me({ connected, instances }), meStatus: 'ready', counts: COUNTS, tab: 'reviews' },
    controller: {
      openWindow: (url: string) => {
        opened.push(url);
        return null;
      },
    },
  });
  renderWith(services, <RhsPanel />);
  return opened;
}

describe('several GitLab instances in the panel', () => {
  it('shows each GitLab: connected, or a button that signs in to that one', async () => {
    const opened = panel(INSTANCES);
    await screen.findByText('No merge requests wait for your review.');
    expect(screen.getByText('Connected to gitlab.example.com')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Connect corp' }));
    expect(opened).toEqual([`${SITE}/plugins/gitlab-bridge/oauth/connect?instance=corp`]);
  });

  it('offers every GitLab when connected to none', () => {
    const opened = panel(INSTANCES.map((instance) => ({ ...instance, connected: false })), false);
    fireEvent.click(screen.getByRole('button', { name: 'Connect gitlab.example.com' }));
    fireEvent.click(screen.getByRole('button', { name: 'Connect corp' }));
    expect(opened).toEqual([`${SITE}/plugins/gitlab-bridge/oauth/connect`, `${SITE}/plugins/gitlab-bridge/oauth/connect?instance=corp`]);
  });

  it('shows nothing of the sort with one GitLab', async () => {
    panel(INSTANCES.slice(0, 1));
    await screen.findByText('No merge requests wait for your review.');
    expect(screen.queryByLabelText('GitLab accounts')).toBeNull();
  });
});

/** The Subscriptions tab shows how far a group's project hooks reach (a GitLab without group webhooks). */
import { afterEach, describe, expect, it } from '@jest/globals';
import React from 'react';
import { cleanup, screen } from '@testing-library/react';
import type { Subscription } from '../../webapp/src/api/types';
import { SubscriptionsTab } from '../../webapp/src/components/subscriptions-tab';
import { fakeBridge, fakeHost, makeServices, me, renderWith } from './bridge';

afterEach(cleanup);

const CHANNEL = 'channel-town';

function subscription(id: number, kind: 'project' | 'group', path: string, projectHooks: Subscription['projectHooks']): Subscription {
  return {
    id,
    target: { kind, path, url: `https://gitlab.example.com/${kind === 'group' ? 'groups/' : ''}${path}` },
    events: [],
    labels: [],
    branches: [],
    pipelines: [],
    style: 'full',
    buttons: true,
    syncReplies: false,
    webhook: { state: 'unknown', text: 'No event has arrived yet.' },
    projectHooks,
  };
}

describe("the Subscriptions tab's project hooks line", () => {
  it('shows the coverage of a group kept in step with project hooks, and nothing for other subscriptions', async () => {
    const text = "Project hooks: 14 of 16 projects hooked; 2 need a Maintainer: acme/b and acme/c · kept in step hourly with alice's GitLab account.";
    const bridge = fakeBridge({
      [`GET /channels/${CHANNEL}/subscriptions`]: {
        body: { subscriptions: [subscription(1, 'group', 'acme', { state: 'partial', text }), subscription(2, 'project', 'acme/site', null)], canCreateWebhooks: false },
      },
    });
    const host = fakeHost({ channels: { currentChannelId: CHANNEL, channels: { [CHANNEL]: { id: CHANNEL, display_name: 'Town Square', type: 'O' } } } });
    renderWith(makeServices(bridge, { host, state: { me: me(), meStatus: 'ready' } }).services, <SubscriptionsTab />);
    const items = await screen.findAllByRole('listitem');
    expect(items[0]!.textContent).toContain(text);
    expect(items[1]!.textContent).not.toContain('Project hooks');
  });
});

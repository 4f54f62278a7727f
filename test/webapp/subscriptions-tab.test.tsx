/** The Subscriptions tab for the current channel: list with webhook health, add, edit, delete, webhook creation, live refresh. */
import { afterEach, describe, expect, it } from '@jest/globals';
import React from 'react';
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import type { Subscription } from '../../webapp/src/api/types';
import { SubscriptionsTab } from '../../webapp/src/components/subscriptions-tab';
import { CSRF, fakeBridge, fakeHost, makeServices, me, renderWith } from './bridge';

afterEach(cleanup);

const CHANNEL = 'channel-town';
const path = `/channels/${CHANNEL}/subscriptions`;

function subscription(id: number, target: string, webhook: Subscription['webhook']): Subscription {
  return {
    id,
    target: { kind: 'project', path: target, url: `https://gitlab.example.com/${target}` },
    events: ['merge_request:merged', 'pipeline'],
    labels: [],
    branches: ['main'],
    pipelines: ['failed', 'fixed'],
    style: 'full',
    buttons: true,
    syncReplies: false,
    webhook,
  };
}

/** `type`: Mattermost's channel type (O public, P private); unknown when left out. */
function setup(routes: Parameters<typeof fakeBridge>[0], type?: 'O' | 'P') {
  const bridge = fakeBridge(routes);
  const host = fakeHost({ channels: { currentChannelId: CHANNEL, channels: { [CHANNEL]: { id: CHANNEL, display_name: 'Town Square', ...(type ? { type } : {}) } } } });
  const made = makeServices(bridge, { host, state: { me: me(), meStatus: 'ready' } });
  renderWith(made.services, <SubscriptionsTab />);
  return { bridge, ...made };
}

describe('the Subscriptions tab', () => {
  it("lists the current channel's subscriptions with their webhook health, offering to create a missing webhook", async () => {
    let webhookState: Subscription['webhook'] = { state: 'missing', text: 'No webhook: events arrive late or not at all' };
    const { bridge } = setup({
      [`GET ${path}`]: () => ({
        body: {
          subscriptions: [subscription(1, 'platform/api', { state: 'ok', text: 'Webhook OK' }), subscription(2, 'platform/web', webhookState)],
          canCreateWebhooks: true,
        },
      }),
      [`POST ${path}/2/webhook`]: () => {
        webhookState = { state: 'ok', text: 'Webhook OK' };
        return { status: 201, body: { webhook: webhookState } };
      },
    });
    const items = await screen.findAllByRole('listitem');
    expect(items.map((item) => within(item).getByRole('link').textContent)).toEqual(['platform/api', 'platform/web']);
    expect(items[0]!.textContent).toContain('Webhook OK');
    expect(within(items[0]!).queryByRole('button', { name: 'Create webhook' })).toBeNull();
    expect(items[1]!.textContent).toContain('No webhook');
    fireEvent.click(within(items[1]!).getByRole('button', { name: 'Create webhook' }));
    await waitFor(() => expect(screen.queryByRole('button', { name: 'Create webhook' })).toBeNull());
    expect(bridge.calls('POST', `${path}/2/webhook`)[0]!.headers['X-CSRF-Token']).toBe(CSRF);
  });

  it('does not offer webhook creation to someone who may not create webhooks', async () => {
    setup({
      [`GET ${path}`]: { body: { subscriptions: [subscription(2, 'platform/web', { state: 'missing', text: 'No webhook' })], canCreateWebhooks: false } },
    });
    await screen.findByRole('listitem');
    expect(screen.queryByRole('button', { name: 'Create webhook' })).toBeNull();
  });

  it('says why posts stopped: confidential delivery turned off, or a post given up', async () => {
    setup({
      [`GET ${path}`]: {
        body: {
          subscriptions: [
            { ...subscription(1, 'platform/api', { state: 'ok', text: 'Webhook OK' }), confidentialStopped: { at: '2026-01-02T03:04:05.000Z', reason: 'Dave no longer has Reporter access' }, lastFailure: null },
            { ...subscription(2, 'platform/vault', { state: 'ok', text: 'Webhook OK' }), confidentialStopped: null, lastFailure: 'this channel is public now' },
            subscription(3, 'platform/web', { state: 'ok', text: 'Webhook OK' }),
          ],
          canCreateWebhooks: false,
        },
      },
    });
    const items = await screen.findAllByRole('listitem');
    expect(within(items[0]!).getByText('Confidential delivery stopped: Dave no longer has Reporter access')).toBeTruthy();
    expect(items[0]!.textContent).not.toContain('Posting failed');
    expect(within(items[1]!).getByText('Posting failed: this channel is public now')).toBeTruthy();
    expect(items[1]!.textContent).not.toContain('Confidential delivery stopped');
    expect(items[2]!.textContent).not.toMatch(/stopped|failed/);
  });

  it('adds a subscription picked from projects and groups, with events, filters and style', async () => {
    const list: Subscription[] = [];
    const { bridge } = setup({
      [`GET ${path}`]: () => ({ body: { subscriptions: list, canCreateWebhooks: false } }),
      'GET /lookup/projects': { body: { items: [{ id: 1, path: 'platform/api', name: 'API' }] } },
      'GET /lookup/groups': { body: { items: [{ id: 9, path: 'platform', name: 'Platform' }] } },
      [`POST ${path}`]: (request) => {
        list.push(subscription(3, (request.body as { target: string }).target, { state: 'ok', text: 'Webhook OK' }));
        return { status: 201, body: { subscription: list[0] } };
      },
    });
    expect(await screen.findByText('This channel has no GitLab subscriptions yet.')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Add subscription' }));

    const picker = screen.getByRole('combobox', { name: 'Project or group' });
    fireEvent.change(picker, { target: { value: 'plat' } });
    const listbox = await screen.findByRole('listbox', { name: 'Project or group' });
    const options = await within(listbox).findAllByRole('option', { name: /platform/ });
    expect(options.map((option) => option.textContent)).toEqual(['platform/api · project', 'platform · group']);
    expect(bridge.calls('GET', '/lookup/groups').at(-1)!.query.get('search')).toBe('plat');
    fireEvent.click(options[1]!);
    expect((picker as HTMLInputElement).value).toBe('platform');

    const events = screen.getByRole('group', { name: 'Events' });
    fireEvent.click(within(events).getByRole('checkbox', { name: 'Comments' }));
    fireEvent.click(within(events).getByRole('checkbox', { name: 'Releases' }));
    fireEvent.change(screen.getByRole('textbox', { name: 'Labels' }), { target: { value: 'bug, security' } });
    fireEvent.change(screen.getByRole('textbox', { name: 'Branches' }), { target: { value: 'main, release/*' } });
    fireEvent.click(within(screen.getByRole('group', { name: 'Pipeline statuses' })).getByRole('checkbox', { name: 'running' }));
    fireEvent.change(screen.getByRole('combobox', { name: 'Style' }), { target: { value: 'compact' } });
    fireEvent.click(screen.getByRole('button', { name: 'Subscribe' }));

    const item = await screen.findByRole('listitem');
    expect(within(item).getByRole('link').textContent).toBe('platform');
    const [sent] = bridge.calls('POST', path);
    expect(sent!.headers['X-CSRF-Token']).toBe(CSRF);
    expect(sent!.body).toEqual({
      target: 'platform',
      events: ['merge_request', 'issue', 'tag_push', 'pipeline', 'note'],
      labels: ['bug', 'security'],
      branches: ['main', 'release/*'],
      pipelines: ['failed', 'fixed', 'running'],
      style: 'compact',
      buttons: true,
      // The channel's type is unknown here: nothing goes to GitLab unless ticked.
      syncReplies: false,
    });
  });

  it('shows why the bridge refused a subscription and keeps the form', async () => {
    setup({
      [`GET ${path}`]: { body: { subscriptions: [], canCreateWebhooks: false } },
      'GET /lookup/projects': { body: { items: [{ id: 1, path: 'secret/project', name: 'Secret' }] } },
      'GET /lookup/groups': { body: { items: [] } },
      [`POST ${path}`]: { status: 403, body: { error: 'A private project needs Reporter access.', code: 'forbidden' } },
    });
    fireEvent.click(await screen.findByRole('button', { name: 'Add subscription' }));
    fireEvent.focus(screen.getByRole('combobox', { name: 'Project or group' }));
    fireEvent.click(await screen.findByRole('option', { name: /secret\/project/ }));
    fireEvent.click(screen.getByRole('button', { name: 'Subscribe' }));
    expect((await screen.findByRole('alert')).textContent).toBe('A private project needs Reporter access.');
    expect(screen.getByRole('button', { name: 'Subscribe' })).toBeTruthy();
  });

  it('edits a subscription’s settings, keeping the actions an event kind was narrowed to', async () => {
    const { bridge } = setup({
      [`GET ${path}`]: { body: { subscriptions: [subscription(1, 'platform/api', { state: 'ok', text: 'Webhook OK' })], canCreateWebhooks: false } },
      [`PATCH ${path}/1`]: { body: { subscription: subscription(1, 'platform/api', { state: 'ok', text: 'Webhook OK' }) } },
    });
    fireEvent.click(await screen.findByRole('button', { name: 'Edit subscription platform/api' }));
    expect((screen.getByRole('textbox', { name: 'Branches' }) as HTMLInputElement).value).toBe('main');
    fireEvent.click(screen.getByRole('checkbox', { name: 'Pipelines' }));
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await screen.findByRole('listitem');
    expect(bridge.calls('PATCH', `${path}/1`)[0]!.body).toMatchObject({ events: ['merge_request:merged'], branches: ['main'], pipelines: ['failed', 'fixed'] });
  });

  it('turns the buttons on a subscription’s posts off and on with the Buttons box', async () => {
    const { bridge } = setup({
      [`GET ${path}`]: {
        body: { subscriptions: [subscription(1, 'platform/api', { state: 'ok', text: 'Webhook OK' }), { ...subscription(2, 'platform/web', { state: 'ok', text: 'Webhook OK' }), buttons: false }], canCreateWebhooks: false },
      },
      [`PATCH ${path}/1`]: { body: { subscription: subscription(1, 'platform/api', { state: 'ok', text: 'Webhook OK' }) } },
      [`PATCH ${path}/2`]: { body: { subscription: subscription(2, 'platform/web', { state: 'ok', text: 'Webhook OK' }) } },
    });
    fireEvent.click(await screen.findByRole('button', { name: 'Edit subscription platform/api' }));
    const on = screen.getByRole('checkbox', { name: 'Buttons' }) as HTMLInputElement;
    expect(on.checked).toBe(true);
    fireEvent.click(on);
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await screen.findAllByRole('listitem');
    expect(bridge.calls('PATCH', `${path}/1`)[0]!.body).toMatchObject({ buttons: false });

    fireEvent.click(screen.getByRole('button', { name: 'Edit subscription platform/web' }));
    const off = screen.getByRole('checkbox', { name: 'Buttons' }) as HTMLInputElement;
    expect(off.checked).toBe(false);
    fireEvent.click(off);
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await screen.findAllByRole('listitem');
    expect(bridge.calls('PATCH', `${path}/2`)[0]!.body).toMatchObject({ buttons: true });
  });

  it('sends thread replies to GitLab by default in a private channel only, as the box shows before subscribing', async () => {
    const routes = (): Parameters<typeof fakeBridge>[0] => ({
      [`GET ${path}`]: { body: { subscriptions: [], canCreateWebhooks: false } },
      'GET /lookup/projects': { body: { items: [{ id: 1, path: 'platform/api', name: 'API' }] } },
      'GET /lookup/groups': { body: { items: [] } },
      [`POST ${path}`]: { status: 201, body: { subscription: subscription(1, 'platform/api', { state: 'ok', text: 'Webhook OK' }) } },
    });
    const subscribe = async (tick: boolean) => {
      fireEvent.click(await screen.findByRole('button', { name: 'Add subscription' }));
      fireEvent.focus(screen.getByRole('combobox', { name: 'Project or group' }));
      fireEvent.click(await screen.findByRole('option', { name: /platform\/api/ }));
      const box = screen.getByRole('checkbox', { name: 'Send thread replies to GitLab as comments' }) as HTMLInputElement;
      const shown = box.checked;
      if (tick) fireEvent.click(box);
      fireEvent.click(screen.getByRole('button', { name: 'Subscribe' }));
      await screen.findByRole('status');
      return shown;
    };

    const secret = setup(routes(), 'P');
    expect(await subscribe(false)).toBe(true);
    expect(secret.bridge.calls('POST', path)[0]!.body).toMatchObject({ syncReplies: true });
    cleanup();

    const open = setup(routes(), 'O');
    expect(await subscribe(false)).toBe(false);
    expect(open.bridge.calls('POST', path)[0]!.body).toMatchObject({ syncReplies: false });
    cleanup();

    // Unticked in a private channel: the choice is sent, not the default.
    const unticked = setup(routes(), 'P');
    expect(await subscribe(true)).toBe(true);
    expect(unticked.bridge.calls('POST', path)[0]!.body).toMatchObject({ syncReplies: false });
  });

  it('shows which subscriptions send thread replies to GitLab and switches that with the box', async () => {
    const { bridge } = setup({
      [`GET ${path}`]: {
        body: { subscriptions: [{ ...subscription(1, 'platform/api', { state: 'ok', text: 'Webhook OK' }), syncReplies: true }, subscription(2, 'platform/web', { state: 'ok', text: 'Webhook OK' })], canCreateWebhooks: false },
      },
      [`PATCH ${path}/1`]: { body: { subscription: subscription(1, 'platform/api', { state: 'ok', text: 'Webhook OK' }) } },
      [`PATCH ${path}/2`]: { body: { subscription: subscription(2, 'platform/web', { state: 'ok', text: 'Webhook OK' }) } },
    }, 'P');
    const items = await screen.findAllByRole('listitem');
    expect(items.map((item) => item.textContent?.includes('replies → GitLab'))).toEqual([true, false]);

    fireEvent.click(screen.getByRole('button', { name: 'Edit subscription platform/api' }));
    const on = screen.getByRole('checkbox', { name: 'Send thread replies to GitLab as comments' }) as HTMLInputElement;
    expect(on.checked).toBe(true);
    fireEvent.click(on);
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await screen.findAllByRole('listitem');
    expect(bridge.calls('PATCH', `${path}/1`)[0]!.body).toMatchObject({ syncReplies: false });

    // An existing subscription shows what it has, whatever the channel's default for new ones.
    fireEvent.click(screen.getByRole('button', { name: 'Edit subscription platform/web' }));
    const off = screen.getByRole('checkbox', { name: 'Send thread replies to GitLab as comments' }) as HTMLInputElement;
    expect(off.checked).toBe(false);
    fireEvent.click(off);
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await screen.findAllByRole('listitem');
    expect(bridge.calls('PATCH', `${path}/2`)[0]!.body).toMatchObject({ syncReplies: true });
  });

  it('deletes a subscription after confirmation', async () => {
    let list = [subscription(1, 'platform/api', { state: 'ok', text: 'Webhook OK' })];
    const { bridge } = setup({
      [`GET ${path}`]: () => ({ body: { subscriptions: list, canCreateWebhooks: false } }),
      [`DELETE ${path}/1`]: () => {
        list = [];
        return { body: { ok: true } };
      },
    });
    fireEvent.click(await screen.findByRole('button', { name: 'Delete subscription platform/api' }));
    expect(bridge.calls('DELETE', `${path}/1`)).toHaveLength(0);
    fireEvent.click(screen.getByRole('button', { name: 'Delete' }));
    expect(await screen.findByText('This channel has no GitLab subscriptions yet.')).toBeTruthy();
    expect(bridge.calls('DELETE', `${path}/1`)[0]!.headers).toMatchObject({ 'X-CSRF-Token': CSRF, 'X-Requested-With': 'XMLHttpRequest' });
  });

  it('refreshes when the live stream says this channel’s subscriptions changed, and not for other channels', async () => {
    let list: Subscription[] = [];
    const { bridge, controller } = setup({ [`GET ${path}`]: () => ({ body: { subscriptions: list, canCreateWebhooks: false } }) });
    await screen.findByText('This channel has no GitLab subscriptions yet.');
    await act(() => controller.applyEvent('subscriptions', { channelId: 'another-channel' }));
    expect(bridge.calls('GET', path)).toHaveLength(1);
    list = [subscription(5, 'platform/ops', { state: 'polled', text: 'Polled every minute' })];
    await act(() => controller.applyEvent('subscriptions', { channelId: CHANNEL }));
    expect(await screen.findByRole('link', { name: 'platform/ops' })).toBeTruthy();
  });
  it('names the GitLab of each subscription and asks which one a new one is on, only when the bridge has several', async () => {
    const instances = [
      { name: 'default', label: 'gitlab.example.com' },
      { name: 'corp', label: 'corp' },
    ];
    const on = (id: number, name: string) => ({ ...subscription(id, 'group/project', { state: 'ok', text: 'Webhook OK' }), instance: instances.find((instance) => instance.name === name)! });
    const { bridge } = setup({
      [`GET ${path}`]: { body: { subscriptions: [on(1, 'default'), on(2, 'corp')], canCreateWebhooks: false, instances } },
      'GET /lookup/projects': { body: { items: [{ id: 7, path: 'group/project', name: 'Project' }] } },
      'GET /lookup/groups': { body: { items: [] } },
      [`POST ${path}`]: { status: 201, body: { subscription: on(3, 'corp') } },
    });
    const items = await screen.findAllByRole('listitem');
    expect(items.map((item) => item.textContent)).toEqual([expect.stringContaining('group/project on gitlab.example.com'), expect.stringContaining('group/project on corp')]);
    expect(screen.getByRole('button', { name: 'Edit subscription group/project on corp' })).toBeTruthy();

    fireEvent.click(screen.getByRole('button', { name: 'Add subscription' }));
    const gitlab = screen.getByRole('combobox', { name: 'GitLab' }) as HTMLSelectElement;
    expect([...gitlab.options].map((option) => option.textContent)).toEqual(['gitlab.example.com', 'corp']);
    fireEvent.change(gitlab, { target: { value: 'corp' } });
    fireEvent.focus(screen.getByRole('combobox', { name: 'Project or group' }));
    fireEvent.click(await screen.findByRole('option', { name: /group\/project/ }));
    // The picker asks the chosen GitLab.
    expect(bridge.calls('GET', '/lookup/projects').at(-1)!.query.get('instance')).toBe('corp');
    fireEvent.click(screen.getByRole('button', { name: 'Subscribe' }));
    await screen.findAllByRole('listitem');
    expect(bridge.calls('POST', path)[0]!.body).toMatchObject({ target: 'group/project', instance: 'corp' });
  });

  it('shows no GitLab choice and sends no instance with one GitLab', async () => {
    const { bridge } = setup({
      [`GET ${path}`]: {
        body: {
          subscriptions: [{ ...subscription(1, 'platform/web', { state: 'ok', text: 'Webhook OK' }), instance: { name: 'default', label: 'gitlab.example.com' } }],
          canCreateWebhooks: false,
          instances: [{ name: 'default', label: 'gitlab.example.com' }],
        },
      },
      'GET /lookup/projects': { body: { items: [{ id: 1, path: 'platform/api', name: 'API' }] } },
      'GET /lookup/groups': { body: { items: [] } },
      [`POST ${path}`]: { status: 201, body: { subscription: subscription(1, 'platform/api', { state: 'ok', text: 'Webhook OK' }) } },
    });
    expect((await screen.findByRole('listitem')).textContent).not.toContain('gitlab.example.com');
    fireEvent.click(screen.getByRole('button', { name: 'Add subscription' }));
    expect(screen.queryByRole('combobox', { name: 'GitLab' })).toBeNull();
    fireEvent.focus(screen.getByRole('combobox', { name: 'Project or group' }));
    fireEvent.click(await screen.findByRole('option', { name: /platform\/api/ }));
    expect(bridge.calls('GET', '/lookup/projects').at(-1)!.query.get('instance')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Subscribe' }));
    await screen.findByText('Subscribed this channel to platform/api.');
    expect(bridge.calls('POST', path)[0]!.body).not.toHaveProperty('instance');
  });
});

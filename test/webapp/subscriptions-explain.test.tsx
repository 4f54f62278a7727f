/**
 * "Explain" in the Subscriptions tab: what happened to a subscription's last events (posted, which rule
 * dropped it, queued, failing with Mattermost's error), hidden events, "nothing arrived" with the hook's
 * health and fix, a system admin's whole-project view across channels, and the server's refusals.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import React from 'react';
import { cleanup, fireEvent, screen, within } from '@testing-library/react';
import type { ExplainEvent, ExplainOutcome, ExplainReport, HookState, Subscription } from '../../webapp/src/api/types';
import { SubscriptionsTab } from '../../webapp/src/components/subscriptions-tab';
import { SITE, fakeBridge, fakeHost, makeServices, me, renderWith } from './bridge';

afterEach(() => {
  cleanup();
  Object.defineProperty(navigator, 'clipboard', { configurable: true, value: undefined });
});

const CHANNEL = 'channel-town';
const USER = 'mm-user-1';
const path = `/channels/${CHANNEL}/subscriptions`;
const INSTANCES = [
  { name: 'default', label: 'gitlab.example.com' },
  { name: 'corp', label: 'corp' },
];

function subscription(id: number, target: string, overrides: Partial<Subscription> = {}): Subscription {
  return {
    id,
    target: { kind: 'project', path: target, url: `https://gitlab.example.com/${target}` },
    events: ['merge_request'],
    labels: ['bug'],
    branches: [],
    pipelines: [],
    style: 'full',
    buttons: true,
    syncReplies: false,
    webhook: { state: 'ok', text: 'Webhook OK' },
    ...overrides,
  };
}

function outcome(fields: Partial<ExplainOutcome> & Pick<ExplainOutcome, 'outcome' | 'reason'>): ExplainOutcome {
  return { subscriptionId: '1', channelId: CHANNEL, channelName: 'town-square', rule: null, postUrl: null, ...fields };
}

let sequence = 0;
function event(summary: string | null, outcomes: ExplainOutcome[], fields: Partial<ExplainEvent> = {}): ExplainEvent {
  sequence += 1;
  return {
    deliveryId: `delivery-${sequence}`,
    receivedAt: new Date(Date.now() - 5 * 60_000).toISOString(),
    source: 'webhook',
    kind: 'merge_request',
    action: 'opened',
    summary,
    url: summary === null ? null : `https://gitlab.example.com/platform/api/-/merge_requests/${sequence}`,
    outcomes,
    ...fields,
  };
}

function report(events: ExplainEvent[], fields: Partial<ExplainReport> = {}): ExplainReport {
  return { target: { kind: 'project', path: 'platform/api', instance: 'default', label: null }, events, nothingArrived: false, hook: null, ...fields };
}

/** The tab in ~Town Square; `admin` makes the current user a Mattermost system admin, as Mattermost's state says it. */
function setup(routes: Parameters<typeof fakeBridge>[0], options: { admin?: boolean } = {}) {
  const bridge = fakeBridge(routes);
  const host = fakeHost({
    users: { currentUserId: USER, profiles: { [USER]: { id: USER, roles: options.admin ? 'system_user system_admin' : 'system_user' } } },
    channels: { currentChannelId: CHANNEL, channels: { [CHANNEL]: { id: CHANNEL, display_name: 'Town Square', type: 'O' } } },
  });
  const made = makeServices(bridge, { host, state: { me: me(), meStatus: 'ready' } });
  renderWith(made.services, <SubscriptionsTab />);
  return { bridge, ...made };
}

const listed = (subscriptions: Subscription[], extra: Record<string, unknown> = {}) => ({ body: { subscriptions, canCreateWebhooks: false, ...extra } });

async function openExplain(name = 'platform/api') {
  fireEvent.click(await screen.findByRole('button', { name: `Explain deliveries of ${name}` }));
  return screen.findByRole('region', { name: 'What happened to the last 20 events' });
}

/** The events, without the channel lines listed inside each. */
const items = async () => [...(await screen.findByRole('list', { name: 'Last events' })).children] as HTMLElement[];

describe("Explain in the Subscriptions tab: what happened to a subscription's last events", () => {
  it('shows each event with what happened: posted with a link to the post, dropped by which rule, queued, pending, failing with Mattermost’s error, given up', async () => {
    const { bridge } = setup({
      [`GET ${path}`]: listed([subscription(1, 'platform/api')]),
      [`GET ${path}/1/explain`]: {
        body: report([
          event('!12 Fix login', [outcome({ outcome: 'posted', reason: 'Posted in ~town-square.', postUrl: `${SITE}/team/pl/post-12` })], {
            url: 'https://gitlab.example.com/platform/api/-/merge_requests/12',
          }),
          event('!13 Tidy the CSS', [outcome({ outcome: 'dropped', rule: 'label_filter', reason: 'label filter bug did not match labels: ui' })]),
          event('!14 Add search', [outcome({ outcome: 'queued', reason: 'Waiting for its turn in this channel.' })]),
          event('!15 Bump Node', [outcome({ outcome: 'pending', reason: 'Received; the rules have not run yet.' })]),
          event('!16 Retry uploads', [outcome({ outcome: 'failing', reason: 'Mattermost answered 500: Unable to save the post.' })]),
          event('!17 Fix typo', [outcome({ outcome: 'failing', reason: 'You do not have the appropriate permissions.' })]),
          event('!18 Old', [outcome({ outcome: 'failed', reason: 'Given up after a day of retries.' })]),
        ]),
      },
    });
    await openExplain();
    const [posted, dropped, queued, pending, failing, refused, failed] = await items();
    expect(bridge.calls('GET', `${path}/1/explain`)).toHaveLength(1);
    expect(screen.getByText('platform/api in ~Town Square')).toBeTruthy();

    expect(within(posted!).getByRole('link', { name: '!12 Fix login' }).getAttribute('href')).toBe('https://gitlab.example.com/platform/api/-/merge_requests/12');
    expect(within(posted!).getByText('Posted')).toBeTruthy();
    expect(within(posted!).getByRole('link', { name: 'View post' }).getAttribute('href')).toBe(`${SITE}/team/pl/post-12`);
    expect(posted!.textContent).toContain('merge request · opened');
    expect(within(posted!).getByText('5m ago').getAttribute('datetime')).toMatch(/Z$/);

    // The outcome is a word, not only a colour; a dropped event names its rule and why.
    expect(within(dropped!).getByText('Not posted')).toBeTruthy();
    expect(within(dropped!).getByText('label filter')).toBeTruthy();
    expect(within(dropped!).getByText('label filter bug did not match labels: ui')).toBeTruthy();
    expect(within(dropped!).queryByRole('link', { name: 'View post' })).toBeNull();

    expect(within(queued!).getByText('Queued')).toBeTruthy();
    expect(queued!.textContent).toContain('Waiting for its turn in this channel.');
    expect(within(pending!).getByText('Pending')).toBeTruthy();
    expect(within(failing!).getByText('Failing')).toBeTruthy();
    expect(within(failing!).getByText('Mattermost answered 500: Unable to save the post.')).toBeTruthy();
    // Mattermost's bare error text is said to be Mattermost's.
    expect(within(refused!).getByText('Mattermost said: You do not have the appropriate permissions.')).toBeTruthy();
    expect(within(failed!).getByText('Given up')).toBeTruthy();
    expect(failed!.textContent).toContain('Given up after a day of retries.');
  });

  it('names every rule that can drop an event with a short label beside its sentence', async () => {
    const rules: [string, string][] = [
      ['kind_not_selected', 'event kind not selected'],
      ['pipeline_status', 'pipeline status filter'],
      ['branch_filter', 'branch filter'],
      ['label_filter', 'label filter'],
      ['draft', 'draft'],
      ['excluded_author', 'excluded author'],
      ['excluded_path', 'excluded path'],
      ['confidential_not_opted_in', 'confidential: not opted in'],
      ['confidential_not_vouched', 'confidential: nobody vouches'],
      ['not_visible', 'not visible to subscriber'],
      ['private_channel_required', 'needs a private channel'],
      ['same_channel_other_subscription', 'another subscription here'],
      ['echo', 'came from Mattermost'],
      ['not_processed_yet', 'not processed yet'],
      ['ignored', 'ignored'],
      ['processing_error', 'processing error'],
      // A rule this webapp does not know yet still reads as words.
      ['quiet_hours', 'quiet hours'],
    ];
    setup({
      [`GET ${path}`]: listed([subscription(1, 'platform/api')]),
      [`GET ${path}/1/explain`]: { body: report(rules.map(([rule]) => event(`about ${rule}`, [outcome({ outcome: 'dropped', rule, reason: `the sentence for ${rule}` })]))) },
    });
    await openExplain();
    const shown = await items();
    expect(shown).toHaveLength(rules.length);
    rules.forEach(([rule, label], index) => {
      const item = shown[index]!;
      expect(within(item).getByText('Not posted')).toBeTruthy();
      expect(within(item).getByText(label)).toBeTruthy();
      expect(within(item).getByText(`the sentence for ${rule}`)).toBeTruthy();
    });
  });

  it('says an event is hidden, with no text or link of it, when the viewer may not see it, and still says what happened to it', async () => {
    setup({
      [`GET ${path}`]: listed([subscription(1, 'platform/api')]),
      [`GET ${path}/1/explain`]: {
        body: report([
          event(null, [outcome({ outcome: 'dropped', rule: 'confidential_not_opted_in', reason: 'Confidential issues are not posted here.' })], { kind: 'issue', action: 'opened' }),
          event('Pushed 3 commits to main', [outcome({ outcome: 'posted', reason: 'Posted.', postUrl: null })], { kind: 'push', action: '', url: null, source: 'poll' }),
        ]),
      },
    });
    await openExplain();
    const [hidden, unlinked] = await items();
    expect(within(hidden!).getByText('Hidden: you may not see this event in GitLab')).toBeTruthy();
    expect(within(hidden!).queryAllByRole('link')).toHaveLength(0);
    expect(hidden!.textContent).toContain('issue · opened');
    expect(within(hidden!).getByText('confidential: not opted in')).toBeTruthy();
    // A summary without a GitLab link is plain text; a post without a permalink has no link either.
    expect(within(unlinked!).getByText('Pushed 3 commits to main').tagName).not.toBe('A');
    expect(within(unlinked!).queryAllByRole('link')).toHaveLength(0);
    expect(unlinked!.textContent).toContain('found by polling');
    expect(unlinked!.textContent).not.toContain('·');
  });

  it('links only to web pages: a summary or post URL of another scheme stays text', async () => {
    setup({
      [`GET ${path}`]: listed([subscription(1, 'platform/api')]),
      [`GET ${path}/1/explain`]: {
        body: report([event('!9 Crafted', [outcome({ outcome: 'posted', reason: 'Posted.', postUrl: 'javascript:alert(2)' })], { url: 'javascript:alert(1)' })]),
      },
    });
    await openExplain();
    const [crafted] = await items();
    expect(within(crafted!).getByText('!9 Crafted').tagName).not.toBe('A');
    expect(within(crafted!).queryAllByRole('link')).toHaveLength(0);
    expect(within(crafted!).getByText('Posted')).toBeTruthy();
  });

  const hooks: [HookState, string, string, string | null][] = [
    ['missing', 'No hook', 'No GitLab hook of platform/api points at the bridge.', '/gitlab webhook add platform/api'],
    ['disabled', 'Hook disabled', 'GitLab disabled the hook after 40 failures.', 'Settings > Webhooks > Edit > Enable, then: /gitlab webhook test platform/api'],
    ['failing', 'Hook failing', 'GitLab gets 502 from the bridge.', 'Check the reverse proxy for /plugins/gitlab-bridge/webhook'],
    ['paused', 'Hook paused', 'GitLab paused the hook for 10 minutes after failures.', null],
    ['working', 'Hook working', 'The hook answers; GitLab sent nothing for this project yet.', null],
    ['unknown', 'Hook unknown', 'Nobody connected may read this project’s hooks.', '/gitlab connect'],
    ['polling', 'Polled', 'Polled every minute: no hook needed.', null],
  ];
  it.each(hooks)('when nothing has arrived, says so and shows the hook’s health (%s) and its fix, to copy, when it has one', async (state, word, text, fix) => {
    const written: string[] = [];
    Object.defineProperty(navigator, 'clipboard', { configurable: true, value: { writeText: async (value: string) => void written.push(value) } });
    setup({
      [`GET ${path}`]: listed([subscription(1, 'platform/api')]),
      [`GET ${path}/1/explain`]: { body: report([], { nothingArrived: true, hook: { state, text, fix } }) },
    });
    const panel = await openExplain();
    await within(panel).findByText(/^Nothing has arrived from GitLab for platform\/api/);
    expect(within(panel).getByText(word)).toBeTruthy();
    expect(within(panel).getByText(text)).toBeTruthy();
    expect(within(panel).queryByRole('list', { name: 'Last events' })).toBeNull();
    if (fix === null) {
      expect(within(panel).queryByRole('button', { name: 'Copy the fix' })).toBeNull();
      return;
    }
    expect(within(panel).getByText(fix).tagName).toBe('CODE');
    fireEvent.click(within(panel).getByRole('button', { name: 'Copy the fix' }));
    expect(await within(panel).findByText('Copied.')).toBeTruthy();
    expect(written).toEqual([fix]);
  });

  it('says nothing arrived even when the bridge cannot tell the hook’s health', async () => {
    setup({
      [`GET ${path}`]: listed([subscription(1, 'platform/api')]),
      [`GET ${path}/1/explain`]: { body: report([], { nothingArrived: true, hook: null, target: { kind: 'group', path: 'platform', instance: 'corp', label: 'corp' } }) },
    });
    const panel = await openExplain();
    await within(panel).findByText(/^Nothing has arrived from GitLab for platform on corp/);
    expect(within(panel).queryByRole('button', { name: 'Copy the fix' })).toBeNull();
  });

  it('selects the fix for copying by hand when the browser gives no clipboard', async () => {
    Object.defineProperty(navigator, 'clipboard', { configurable: true, value: undefined });
    setup({
      [`GET ${path}`]: listed([subscription(1, 'platform/api')]),
      [`GET ${path}/1/explain`]: { body: report([], { nothingArrived: true, hook: { state: 'missing', text: 'No hook.', fix: '/gitlab webhook add platform/api' } }) },
    });
    const panel = await openExplain();
    fireEvent.click(await within(panel).findByRole('button', { name: 'Copy the fix' }));
    expect(await within(panel).findByText('Selected: press Ctrl+C (⌘C) to copy.')).toBeTruthy();
    expect(window.getSelection()?.toString()).toBe('/gitlab webhook add platform/api');
  });

  it('refreshes the report on demand and goes back to the list', async () => {
    let events = [event('!1 First', [outcome({ outcome: 'queued', reason: 'Waiting.' })])];
    const { bridge } = setup({
      [`GET ${path}`]: listed([subscription(1, 'platform/api')]),
      [`GET ${path}/1/explain`]: () => ({ body: report(events) }),
    });
    await openExplain();
    await screen.findByText('!1 First');
    events = [event('!2 Second', [outcome({ outcome: 'posted', reason: 'Posted.', postUrl: `${SITE}/team/pl/p2` })]), ...events];
    fireEvent.click(screen.getByRole('button', { name: 'Refresh' }));
    await screen.findByText('!2 Second');
    expect(bridge.calls('GET', `${path}/1/explain`)).toHaveLength(2);
    expect(await items()).toHaveLength(2);

    fireEvent.click(screen.getByRole('button', { name: '← Subscriptions' }));
    expect(await screen.findByRole('button', { name: 'Explain deliveries of platform/api' })).toBeTruthy();
    expect(screen.queryByRole('region', { name: 'What happened to the last 20 events' })).toBeNull();
  });

  it('asks about the subscription the button belongs to, naming its GitLab when the bridge has several', async () => {
    const { bridge } = setup({
      [`GET ${path}`]: listed([subscription(1, 'platform/api', { instance: INSTANCES[0] }), subscription(2, 'platform/api', { instance: INSTANCES[1] })], { instances: INSTANCES }),
      [`GET ${path}/2/explain`]: { body: report([event('!3 On corp', [outcome({ outcome: 'posted', reason: 'Posted.', subscriptionId: '2' })])]) },
    });
    await openExplain('platform/api on corp');
    await screen.findByText('!3 On corp');
    expect(screen.getByText('platform/api on corp in ~Town Square')).toBeTruthy();
    expect(bridge.calls('GET', `${path}/1/explain`)).toHaveLength(0);
  });

  it.each([
    [403, 'forbidden', 'You are not a member of this channel.'],
    [404, 'not_found', 'This channel has no subscription 1.'],
  ])('shows the bridge’s own message when it answers %i', async (status, code, message) => {
    setup({
      [`GET ${path}`]: listed([subscription(1, 'platform/api')]),
      [`GET ${path}/1/explain`]: { status, body: { error: message, code } },
    });
    const panel = await openExplain();
    expect((await within(panel).findByRole('alert')).textContent).toBe(message);
    expect(within(panel).queryByRole('list', { name: 'Last events' })).toBeNull();
    expect(within(panel).getByRole('button', { name: 'Refresh' })).toBeTruthy();
  });

  it('says when the bridge cannot be reached, and recovers on Refresh', async () => {
    let down = true;
    setup({
      [`GET ${path}`]: listed([subscription(1, 'platform/api')]),
      [`GET ${path}/1/explain`]: () => (down ? 'network-error' : { body: report([event('!4 Back', [outcome({ outcome: 'posted', reason: 'Posted.' })])]) }),
    });
    const panel = await openExplain();
    expect((await within(panel).findByRole('alert')).textContent).toBe('The GitLab bridge could not be reached.');
    down = false;
    fireEvent.click(within(panel).getByRole('button', { name: 'Refresh' }));
    await within(panel).findByText('!4 Back');
    expect(within(panel).queryByRole('alert')).toBeNull();
  });

  it('shows a loading state until the report comes', async () => {
    setup({
      [`GET ${path}`]: listed([subscription(1, 'platform/api')]),
      [`GET ${path}/1/explain`]: { body: report([event('!5 Arrived', [outcome({ outcome: 'posted', reason: 'Posted.' })])]) },
    });
    fireEvent.click(await screen.findByRole('button', { name: 'Explain deliveries of platform/api' }));
    const panel = screen.getByRole('region', { name: 'What happened to the last 20 events' });
    expect(panel.getAttribute('aria-busy')).toBe('true');
    expect(within(panel).getByLabelText('Loading')).toBeTruthy();
    expect((within(panel).getByRole('button', { name: 'Refreshing…' }) as HTMLButtonElement).disabled).toBe(true);
    await within(panel).findByText('!5 Arrived');
    expect(panel.getAttribute('aria-busy')).toBe('false');
    expect(within(panel).queryByLabelText('Loading')).toBeNull();
  });
});

describe('a system admin’s view of a whole project across channels', () => {
  const acrossChannels = report([
    event('!21 Fix login', [
      outcome({ subscriptionId: '1', channelName: 'town-square', outcome: 'posted', reason: 'Posted.', postUrl: `${SITE}/team/pl/a` }),
      outcome({ subscriptionId: '7', channelId: 'channel-ops', channelName: 'ops', outcome: 'dropped', rule: 'branch_filter', reason: 'branch filter release/* did not match main' }),
      outcome({ subscriptionId: '9', channelId: 'channel-gone', channelName: null, outcome: 'failing', reason: 'Mattermost answered 403: The bot is not in the channel.' }),
    ]),
    event('!22 Nobody follows', []),
  ]);

  it('offers the project view only to system admins', async () => {
    setup({ [`GET ${path}`]: listed([subscription(1, 'platform/api')]), [`GET ${path}/1/explain`]: { body: report([]) } });
    await screen.findByRole('listitem');
    expect(screen.queryByRole('form', { name: 'Whole project across channels' })).toBeNull();
    await openExplain();
    await screen.findByText('No recent events of platform/api are kept.');
    expect(screen.queryByRole('button', { name: 'Across all channels' })).toBeNull();
  });

  it('lists each event’s outcome in every channel, from a project path typed in the tab', async () => {
    const { bridge } = setup(
      {
        [`GET ${path}`]: listed([]),
        'GET /explain/project': { body: acrossChannels },
      },
      { admin: true },
    );
    const form = await screen.findByRole('form', { name: 'Whole project across channels' });
    fireEvent.click(within(form).getByRole('button', { name: 'Explain project' }));
    expect(within(form).getByRole('alert').textContent).toBe('Type the project’s full path, e.g. group/project.');
    expect(bridge.calls('GET', '/explain/project')).toHaveLength(0);

    fireEvent.change(within(form).getByRole('textbox', { name: 'Project path' }), { target: { value: ' /platform/api/ ' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Explain project' }));
    const [first, second] = await items();
    const call = bridge.calls('GET', '/explain/project')[0]!;
    expect(call.query.get('path')).toBe('platform/api');
    expect(call.query.has('instance')).toBe(false);
    expect(screen.getByText('platform/api in every channel')).toBeTruthy();

    const channels = within(within(first!).getByRole('list', { name: 'Channels' })).getAllByRole('listitem');
    expect(channels.map((line) => line.textContent)).toEqual([
      '~town-squarePostedView postPosted.',
      '~opsNot postedbranch filterbranch filter release/* did not match main',
      'channel channel-goneFailingMattermost answered 403: The bot is not in the channel.',
    ]);
    expect(within(channels[0]!).getByRole('link', { name: 'View post' }).getAttribute('href')).toBe(`${SITE}/team/pl/a`);
    expect(within(second!).getByText('No channel is subscribed to this.')).toBeTruthy();
  });

  it('goes from a subscription’s report to its project across all channels, on that subscription’s GitLab', async () => {
    const { bridge } = setup(
      {
        [`GET ${path}`]: listed([subscription(1, 'platform/api', { instance: INSTANCES[1] }), subscription(2, 'platform', { target: { kind: 'group', path: 'platform', url: 'https://gitlab.example.com/platform' } })], { instances: INSTANCES }),
        [`GET ${path}/1/explain`]: { body: report([]) },
        [`GET ${path}/2/explain`]: { body: report([]) },
        'GET /explain/project': { body: acrossChannels },
      },
      { admin: true },
    );
    // A group's report has no project view.
    await openExplain('platform');
    await screen.findByText(/No recent events/);
    expect(screen.queryByRole('button', { name: 'Across all channels' })).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: '← Subscriptions' }));

    await openExplain('platform/api on corp');
    fireEvent.click(await screen.findByRole('button', { name: 'Across all channels' }));
    await screen.findByText('platform/api on corp in every channel');
    await items();
    const call = bridge.calls('GET', '/explain/project')[0]!;
    expect(call.query.get('path')).toBe('platform/api');
    expect(call.query.get('instance')).toBe('corp');
  });

  it('asks which GitLab when the bridge has several, and shows the bridge’s refusal', async () => {
    const { bridge } = setup(
      {
        [`GET ${path}`]: listed([], { instances: INSTANCES }),
        'GET /explain/project': { status: 403, body: { error: 'Only Mattermost system admins may explain a project across channels.', code: 'forbidden' } },
      },
      { admin: true },
    );
    const form = await screen.findByRole('form', { name: 'Whole project across channels' });
    fireEvent.change(within(form).getByRole('combobox', { name: 'GitLab' }), { target: { value: 'corp' } });
    fireEvent.change(within(form).getByRole('textbox', { name: 'Project path' }), { target: { value: 'infra/vault' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Explain project' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Only Mattermost system admins may explain a project across channels.');
    expect(bridge.calls('GET', '/explain/project')[0]!.query.get('instance')).toBe('corp');
  });
});

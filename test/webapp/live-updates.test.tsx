/**
 * Live updates: the SSE client applies events to counters and open lists, reconnects with growing
 * delays when the stream dies, and the panel says when the bridge cannot be reached.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import React from 'react';
import { act, cleanup, screen, waitFor } from '@testing-library/react';
import { RhsPanel } from '../../webapp/src/components/rhs-panel';
import { SidebarCounters } from '../../webapp/src/components/sidebar-counters';
import { createLiveClient, defaultBackoff, type EventSourceLike } from '../../webapp/src/live/live-client';
import { COUNTS, fakeBridge, makeServices, me, renderWith } from './bridge';

afterEach(cleanup);

/** An EventSource the test drives: open it, send events, break it. */
class FakeStream implements EventSourceLike {
  readyState = 0;
  onopen: ((event: Event) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  closed = false;
  private listeners = new Map<string, ((event: MessageEvent) => void)[]>();
  constructor(readonly url: string) {}
  addEventListener(type: string, listener: (event: MessageEvent) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  close(): void {
    this.closed = true;
    this.readyState = 2;
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.(new Event('open'));
  }
  send(type: string, data: unknown): void {
    for (const listener of this.listeners.get(type) ?? []) listener(new MessageEvent(type, { data: JSON.stringify(data) }));
  }
  /** The browser gave up (e.g. the proxy answered 502): readyState CLOSED. */
  fail(): void {
    this.readyState = 2;
    this.onerror?.(new Event('error'));
  }
  /** A drop the browser retries itself: readyState CONNECTING. */
  drop(): void {
    this.readyState = 0;
    this.onerror?.(new Event('error'));
  }
}

function harness() {
  const streams: FakeStream[] = [];
  const timers: { run: () => void; ms: number }[] = [];
  const events: [string, unknown][] = [];
  const states: string[] = [];
  const client = createLiveClient({
    url: 'https://chat.example.com/plugins/gitlab-bridge/api/v1/events',
    open: (url) => {
      const stream = new FakeStream(url);
      streams.push(stream);
      return stream;
    },
    onEvent: (name, data) => events.push([name, data]),
    onState: (state) => states.push(state),
    setTimer: (run, ms) => timers.push({ run, ms }),
    clearTimer: () => undefined,
  });
  return { client, streams, timers, events, states };
}

describe('the live client', () => {
  it('hands on the named events with their data', () => {
    const { client, streams, events, states } = harness();
    client.start();
    streams[0]!.open();
    streams[0]!.send('work', { counts: COUNTS });
    streams[0]!.send('subscriptions', { channelId: 'c1' });
    streams[0]!.send('connection', { connected: false });
    expect(states).toEqual(['open']);
    expect(events).toEqual([
      ['work', { counts: COUNTS }],
      ['subscriptions', { channelId: 'c1' }],
      ['connection', { connected: false }],
    ]);
  });

  it('leaves short drops to the browser, which resumes the stream with Last-Event-ID', () => {
    const { client, streams, timers, states } = harness();
    client.start();
    streams[0]!.open();
    streams[0]!.drop();
    expect(states).toEqual(['open', 'reconnecting']);
    expect(timers).toHaveLength(0);
    expect(streams).toHaveLength(1);
  });

  it('opens a new stream with growing delays when the browser gives up, then asks for a full refresh', () => {
    const { client, streams, timers, events, states } = harness();
    client.start();
    streams[0]!.open();
    streams[0]!.fail();
    expect(streams[0]!.closed).toBe(true);
    expect(timers.map((timer) => timer.ms)).toEqual([1000]);
    timers[0]!.run();
    expect(streams).toHaveLength(2);
    streams[1]!.fail(); // the bridge is still restarting
    timers[1]!.run();
    expect(timers.map((timer) => timer.ms)).toEqual([1000, 2000]);
    streams[2]!.open();
    expect(events).toEqual([['resync', {}]]);
    expect(states).toEqual(['open', 'reconnecting', 'reconnecting', 'open']);
    streams[2]!.fail(); // a success resets the delay
    expect(timers.at(-1)!.ms).toBe(1000);
  });

  it('stops for good when stopped', () => {
    const { client, streams, timers } = harness();
    client.start();
    client.stop();
    expect(streams[0]!.closed).toBe(true);
    streams[0]!.onerror?.(new Event('error'));
    expect(timers).toHaveLength(0);
    expect(defaultBackoff(10)).toBe(30_000);
  });
});

describe('live updates in the panel', () => {
  it('a work event updates the counters and refreshes the open list', async () => {
    let reviews = [{ type: 'merge_request', reference: 'g/p!1', iid: 1, title: 'First', url: 'u1', author: null, labels: [], createdAt: '', updatedAt: '', draft: false, pipelineStatus: null, approvals: null, conflicts: false }];
    const bridge = fakeBridge({ 'GET /lists/reviews': () => ({ body: { list: 'reviews', total: reviews.length, items: reviews, updatedAt: '' } }) });
    const { services, controller } = makeServices(bridge, { state: { me: me(), meStatus: 'ready', counts: COUNTS, tab: 'reviews' } });
    renderWith(
      services,
      <>
        <SidebarCounters />
        <RhsPanel />
      </>,
    );
    await screen.findByRole('link', { name: 'First' });
    reviews = [...reviews, { ...reviews[0]!, reference: 'g/p!2', iid: 2, title: 'Second', url: 'u2' }];
    await act(() => controller.applyEvent('work', { counts: { ...COUNTS, reviews: 2, todos: 7 } }));
    expect(screen.getByRole('button', { name: 'Reviews: 2' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'To-dos: 7' })).toBeTruthy(); // a list nobody opened: from the event itself
    expect(await screen.findByRole('link', { name: 'Second' })).toBeTruthy();
  });

  it('a resync reads the account and counters again', async () => {
    const bridge = fakeBridge({ 'GET /me': { body: me() }, 'GET /sidebar': { body: { counts: { ...COUNTS, todos: 9 }, updatedAt: '' } } });
    const { services, controller } = makeServices(bridge, { state: { me: me(), meStatus: 'ready', counts: COUNTS } });
    renderWith(services, <SidebarCounters />);
    await act(() => controller.applyEvent('resync', {}));
    expect(screen.getByRole('button', { name: 'To-dos: 9' })).toBeTruthy();
  });

  it('a connection event shows the counters once the user connected', async () => {
    const bridge = fakeBridge({ 'GET /me': { body: me() }, 'GET /sidebar': { body: { counts: COUNTS, updatedAt: '' } } });
    const { services, controller } = makeServices(bridge, { state: { me: me({ connected: false, gitlab: null }), meStatus: 'ready' } });
    renderWith(services, <SidebarCounters />);
    expect(screen.getByRole('button', { name: 'Connect GitLab' })).toBeTruthy();
    await act(() => controller.applyEvent('connection', { connected: true }));
    expect(screen.getByRole('button', { name: 'Reviews: 3' })).toBeTruthy();
  });
});

describe('when the bridge cannot be reached', () => {
  it('the panel says so and names the reverse-proxy path, and the alert goes once the bridge answers', async () => {
    let up = false;
    const bridge = fakeBridge({
      'GET /me': () => (up ? { body: me() } : { status: 502, text: '<html><body>502 Bad Gateway</body></html>' }),
      'GET /sidebar': { body: { counts: COUNTS, updatedAt: '' } },
      'GET /lists/reviews': { body: { list: 'reviews', total: 0, items: [], updatedAt: '' } },
    });
    const { services, controller } = makeServices(bridge);
    renderWith(services, <RhsPanel />);
    await act(() => controller.loadMe());
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain("can't reach the GitLab bridge");
    expect(alert.textContent).toContain('/plugins/gitlab-bridge/');
    up = true;
    await act(() => controller.applyEvent('resync', {}));
    await waitFor(() => expect(screen.queryByRole('alert')).toBeNull());
    expect(screen.getByRole('tab', { name: 'Reviews' })).toBeTruthy();
  });

  it('a broken stream makes the plugin check, so the alert appears without anyone clicking', async () => {
    const bridge = fakeBridge({ 'GET /me': 'network-error' });
    const { services, controller } = makeServices(bridge, { state: { me: me(), meStatus: 'ready', counts: COUNTS, tab: 'subscriptions' } });
    renderWith(services, <RhsPanel />);
    expect(screen.queryByRole('alert')).toBeNull();
    act(() => controller.setLive('reconnecting'));
    expect((await screen.findByRole('alert')).textContent).toContain("can't reach the GitLab bridge");
    act(() => controller.setLive('open'));
    expect(screen.queryByRole('alert')).toBeNull();
  });
});

/** The panel's lists: what a row shows, marking a to-do done, and the tabs' keyboard use. */
import { afterEach, describe, expect, it } from '@jest/globals';
import React from 'react';
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import type { WorkItem, WorkTodo } from '../../webapp/src/api/types';
import { RhsPanel } from '../../webapp/src/components/rhs-panel';
import { COUNTS, CSRF, fakeBridge, makeServices, me, renderWith } from './bridge';

afterEach(cleanup);

const mr: WorkItem = {
  type: 'merge_request',
  reference: 'platform/backend/api!42',
  projectPath: 'platform/backend/api',
  iid: 42,
  title: 'Speed up the search index',
  url: 'https://gitlab.example.com/platform/backend/api/-/merge_requests/42',
  author: { username: 'bob', name: 'Bob' },
  labels: [
    { title: 'performance', color: '#428bca', textColor: '#FFFFFF' },
    { title: 'backend', color: '#8fbc8f', textColor: '#1F1E24' },
  ],
  createdAt: new Date(Date.now() - 3 * 86400_000).toISOString(),
  updatedAt: new Date().toISOString(),
  draft: true,
  pipelineStatus: 'failed',
  approvals: { required: 2, given: 1 },
  conflicts: true,
};
const todo = (id: number, title: string): WorkTodo => ({
  id,
  action: 'review_requested',
  body: '',
  targetType: 'merge_request',
  targetTitle: title,
  url: `https://gitlab.example.com/g/p/-/merge_requests/${id}`,
  author: { username: 'carol', name: 'Carol' },
  projectPath: 'g/p',
  createdAt: new Date().toISOString(),
});

describe('the work lists', () => {
  it('show title, reference, author, age, labels in their colours, pipeline, approvals "n of m", draft and conflicts', async () => {
    const bridge = fakeBridge({ 'GET /lists/reviews': { body: { list: 'reviews', total: 1, items: [mr], updatedAt: '' } } });
    const { services } = makeServices(bridge, { state: { me: me(), meStatus: 'ready', counts: COUNTS, tab: 'reviews' } });
    renderWith(services, <RhsPanel />);
    const item = await screen.findByRole('listitem');
    const link = within(item).getByRole('link', { name: 'Speed up the search index' });
    expect(link.getAttribute('href')).toBe(mr.url);
    const text = item.textContent!;
    for (const part of ['platform/backend/api!42', '@bob', '3d', 'Draft', 'Conflicts', 'Pipeline failed', 'Approvals 1 of 2']) {
      expect(text).toContain(part);
    }
    const label = within(item).getByText('performance');
    expect(label.style.background).toBe('rgb(66, 139, 202)');
    expect(label.style.color).toBe('rgb(255, 255, 255)');
    expect(within(item).getByText('backend').style.background).toBe('rgb(143, 188, 143)');
  });

  it('mark a to-do done with the CSRF headers, remove it and update the count', async () => {
    const bridge = fakeBridge({
      'GET /lists/todos': { body: { list: 'todos', total: 2, items: [todo(11, 'Review the cache'), todo(12, 'Fix the flaky test')], updatedAt: '' } },
      'POST /todos/11/done': { body: { ok: true, counts: { ...COUNTS, todos: 1 } } },
    });
    const { services } = makeServices(bridge, { state: { me: me(), meStatus: 'ready', counts: { ...COUNTS, todos: 2 }, tab: 'todos' } });
    renderWith(services, <RhsPanel />);
    fireEvent.click(await screen.findByRole('button', { name: 'Mark done: Review the cache' }));
    await waitFor(() => expect(screen.queryByText('Review the cache')).toBeNull());
    expect(screen.getAllByRole('listitem')).toHaveLength(1);
    const [done] = bridge.calls('POST', '/todos/11/done');
    expect(done!.headers).toMatchObject({ 'X-CSRF-Token': CSRF, 'X-Requested-With': 'XMLHttpRequest' });
    expect(services.store.get().counts?.todos).toBe(1);
  });

  it('with several GitLabs, show which one each row is on, and mark a to-do done on its own GitLab', async () => {
    // Both GitLabs number their to-dos from 1: the same id on each.
    const onMain = { ...todo(11, 'Review the cache'), instance: 'default', instanceLabel: 'gitlab.example.com' };
    const onCorp = { ...todo(11, 'Corp change'), instance: 'corp', instanceLabel: 'corp' };
    const bridge = fakeBridge({
      'GET /lists/todos': { body: { list: 'todos', total: 2, items: [onMain, onCorp], updatedAt: '' } },
      'POST /todos/11/done': { body: { ok: true, counts: { ...COUNTS, todos: 1 } } },
    });
    const { services } = makeServices(bridge, { state: { me: me(), meStatus: 'ready', counts: { ...COUNTS, todos: 2 }, tab: 'todos' } });
    renderWith(services, <RhsPanel />);
    const rows = await screen.findAllByRole('listitem');
    expect(rows.map((row) => within(row).getByText(/^(gitlab\.example\.com|corp)$/).textContent)).toEqual(['gitlab.example.com', 'corp']);
    fireEvent.click(screen.getByRole('button', { name: 'Mark done: Corp change' }));
    await waitFor(() => expect(screen.queryByText('Corp change')).toBeNull());
    const [done] = bridge.calls('POST', '/todos/11/done');
    expect(done!.query.get('instance')).toBe('corp');
    // The other GitLab's to-do with the same id stays.
    expect(screen.getByText('Review the cache')).toBeTruthy();
  });

  it('keep a to-do and say why when GitLab refuses', async () => {
    const bridge = fakeBridge({
      'GET /lists/todos': { body: { list: 'todos', total: 1, items: [todo(11, 'Review the cache')], updatedAt: '' } },
      'POST /todos/11/done': { status: 502, body: { error: 'GitLab could not be reached.', code: 'gitlab_unavailable' } },
    });
    const { services } = makeServices(bridge, { state: { me: me(), meStatus: 'ready', counts: COUNTS, tab: 'todos' } });
    renderWith(services, <RhsPanel />);
    fireEvent.click(await screen.findByRole('button', { name: 'Mark done: Review the cache' }));
    expect(await screen.findByText('GitLab could not be reached.')).toBeTruthy();
    expect(screen.getByText('Review the cache')).toBeTruthy();
  });

  it('move between tabs with the arrow keys, Home and End', async () => {
    const bridge = fakeBridge({});
    const { services } = makeServices(bridge, { state: { me: me(), meStatus: 'ready', counts: COUNTS, tab: 'reviews' } });
    renderWith(services, <RhsPanel />);
    const names = screen.getAllByRole('tab').map((tab) => tab.getAttribute('aria-label'));
    expect(names).toEqual(['Reviews', 'Assigned MRs', 'My MRs', 'Issues', 'To-dos', 'Subscriptions']);
    const selected = () => screen.getAllByRole('tab').find((tab) => tab.getAttribute('aria-selected') === 'true')!;
    fireEvent.keyDown(selected(), { key: 'ArrowRight' });
    expect(selected().getAttribute('aria-label')).toBe('Assigned MRs');
    expect(document.activeElement).toBe(selected());
    fireEvent.keyDown(selected(), { key: 'End' });
    expect(selected().getAttribute('aria-label')).toBe('Subscriptions');
    fireEvent.keyDown(selected(), { key: 'ArrowRight' });
    expect(selected().getAttribute('aria-label')).toBe('Reviews');
    fireEvent.keyDown(selected(), { key: 'ArrowLeft' });
    expect(selected().getAttribute('aria-label')).toBe('Subscriptions');
    // Only the selected tab is in the Tab order.
    expect(screen.getAllByRole('tab').filter((tab) => tab.tabIndex === 0)).toHaveLength(1);
    await waitFor(() => expect(bridge.calls('GET', '/lists/assigned_mrs')).toHaveLength(1));
  });
});

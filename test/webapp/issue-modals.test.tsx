/** The post menu's dialogs: create an issue from a post, attach a post to an issue. */
import { afterEach, describe, expect, it } from '@jest/globals';
import React from 'react';
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { PluginRoot } from '../../webapp/src/components/issue-modals';
import { CSRF, fakeBridge, fakeHost, makeServices, me, renderWith } from './bridge';

afterEach(cleanup);

const POST = {
  id: 'post-1',
  channel_id: 'c1',
  message: '## Login fails on Safari\nAfter the update, signing in loops back to the login page.\n@channel please look',
};

function setup(routes: Parameters<typeof fakeBridge>[0], kind: 'create' | 'attach') {
  const bridge = fakeBridge(routes);
  const host = fakeHost({ posts: { posts: { [POST.id]: POST } } });
  const made = makeServices(bridge, { host, state: { me: me(), meStatus: 'ready', modal: { kind, postId: POST.id } } });
  renderWith(made.services, <PluginRoot />);
  return { bridge, ...made };
}

async function pick(label: string, option: RegExp) {
  const box = screen.getByRole('combobox', { name: label });
  fireEvent.change(box, { target: { value: 'a' } });
  const listbox = await screen.findByRole('listbox', { name: label });
  fireEvent.click(await within(listbox).findByRole('option', { name: option }));
}

describe('the create-issue dialog', () => {
  it('prefills title and description from the post and creates the issue in the picked project', async () => {
    const { bridge } = setup(
      {
        'GET /lookup/projects': { body: { items: [{ id: 4, path: 'web/frontend', name: 'Frontend' }] } },
        'GET /lookup/labels': { body: { items: [{ title: 'bug', color: '#d9534f', textColor: '#fff' }] } },
        'POST /issues': { status: 201, body: { reference: 'web/frontend#12', url: 'https://gitlab.example.com/web/frontend/-/issues/12', iid: 12 } },
      },
      'create',
    );
    const dialog = screen.getByRole('dialog', { name: 'Create GitLab issue' });
    expect((within(dialog).getByRole('textbox', { name: 'Title' }) as HTMLInputElement).value).toBe('Login fails on Safari');
    expect((within(dialog).getByRole('textbox', { name: 'Description' }) as HTMLTextAreaElement).value).toBe(POST.message);
    expect((within(dialog).getByRole('combobox', { name: 'Labels' }) as HTMLInputElement).disabled).toBe(true);

    await pick('Project', /web\/frontend/);
    await pick('Labels', /bug/);
    expect(bridge.calls('GET', '/lookup/labels').at(-1)!.query.get('project')).toBe('web/frontend');
    fireEvent.change(within(dialog).getByRole('textbox', { name: 'Title' }), { target: { value: 'Safari login loop' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Create issue' }));

    const link = await screen.findByRole('link', { name: 'web/frontend#12' });
    expect(link.getAttribute('href')).toBe('https://gitlab.example.com/web/frontend/-/issues/12');
    expect(screen.getByRole('dialog').textContent).toContain('Created');
    const [sent] = bridge.calls('POST', '/issues');
    expect(sent!.headers['X-CSRF-Token']).toBe(CSRF);
    expect(sent!.body).toEqual({ postId: 'post-1', project: 'web/frontend', title: 'Safari login loop', description: POST.message, labels: ['bug'] });

    fireEvent.click(screen.getByRole('button', { name: 'Close' }));
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('asks for a project before sending anything', async () => {
    const { bridge } = setup({ 'GET /lookup/projects': { body: { items: [] } } }, 'create');
    expect(await screen.findByText('No matches')).toBeTruthy(); // the focused picker lists the user's projects
    fireEvent.click(screen.getByRole('button', { name: 'Create issue' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Pick a project.');
    expect(bridge.calls('POST', '/issues')).toHaveLength(0);
  });

  it('closes on Escape and keeps Tab inside the dialog', async () => {
    const { store } = setup({ 'GET /lookup/projects': { body: { items: [] } } }, 'create');
    const dialog = screen.getByRole('dialog');
    const project = within(dialog).getByRole('combobox', { name: 'Project' });
    expect(document.activeElement).toBe(project);
    const submit = within(dialog).getByRole('button', { name: 'Create issue' });
    act(() => submit.focus());
    fireEvent.keyDown(submit, { key: 'Tab' });
    expect(document.activeElement).toBe(project);
    fireEvent.keyDown(project, { key: 'Tab', shiftKey: true });
    expect(document.activeElement).toBe(submit);
    await waitFor(() => expect(screen.queryByRole('listbox')).toBeNull());
    fireEvent.keyDown(submit, { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(store.get().modal).toBeNull();
  });
});

describe('the attach dialog', () => {
  it('attaches the post to the issue picked in the picked project', async () => {
    const { bridge } = setup(
      {
        'GET /lookup/projects': { body: { items: [{ id: 4, path: 'web/frontend', name: 'Frontend' }] } },
        'GET /lookup/issues': { body: { items: [{ iid: 7, reference: 'web/frontend#7', title: 'Safari problems', state: 'opened', url: 'https://gitlab.example.com/web/frontend/-/issues/7' }] } },
        'POST /issues/web%2Ffrontend%237/notes': { status: 201, body: { url: 'https://gitlab.example.com/web/frontend/-/issues/7#note_1' } },
      },
      'attach',
    );
    expect(screen.getByRole('dialog', { name: 'Attach to GitLab issue' })).toBeTruthy();
    await pick('Project', /web\/frontend/);
    await pick('Issue', /Safari problems/);
    expect(bridge.calls('GET', '/lookup/issues').at(-1)!.query.get('project')).toBe('web/frontend');
    fireEvent.change(screen.getByRole('textbox', { name: 'Comment' }), { target: { value: 'Same on iOS' } });
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Attach' })));
    expect((await screen.findByRole('link', { name: 'web/frontend#7' })).getAttribute('href')).toContain('#note_1');
    expect(bridge.calls('POST', '/issues/web%2Ffrontend%237/notes')[0]!.body).toEqual({ postId: 'post-1', comment: 'Same on iOS' });
  });
});

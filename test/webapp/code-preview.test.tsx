/**
 * Code previews under posts: the embed component Mattermost renders for a post's first link when the
 * plugin's `match` takes it, and the plugin's registration of both.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import React from 'react';
import { act, cleanup, render, screen, waitFor } from '@testing-library/react';
import type { CodePreview } from '../../webapp/src/api/client';
import { clearCodePreviewCache, CodePreviewEmbed, isCodeLink, matchCodeEmbed, type PostEmbed } from '../../webapp/src/components/code-preview';
import { createStore, initialState } from '../../webapp/src/state/store';
import type { MattermostPlugin, PluginRegistry } from '../../webapp/src/types/mattermost';
import { COUNTS, fakeBridge, fakeHost, makeServices, me, renderWith } from './bridge';

beforeEach(clearCodePreviewCache);
afterEach(cleanup);

const COMMIT = '0123456789abcdef0123456789abcdef01234567';
const URL_READABLE = 'https://gitlab.example.com/platform/backend/api/-/blob/main/src/app.ts#L10-45';
const PREVIEW: CodePreview = {
  project: 'platform/backend/api',
  path: 'src/app.ts',
  fileName: 'app.ts',
  ref: 'main',
  commitId: COMMIT,
  language: 'typescript',
  startLine: 10,
  endLine: 12,
  lines: ['export function save(): void {', '  <script>alert(1)</script>', '}'],
  moreLines: 33,
  permalink: `https://gitlab.example.com/platform/backend/api/-/blob/${COMMIT}/src/app.ts#L10-45`,
};
const embed = (url: string, type = 'opengraph'): PostEmbed => ({ type, url });

describe('the code preview embed', () => {
  it('shows the lines with their numbers, the language, and links to them at the commit read', async () => {
    const bridge = fakeBridge({ 'GET /code-preview': { body: PREVIEW } });
    const { services } = makeServices(bridge, { state: { me: me(), meStatus: 'ready' } });
    renderWith(services, <CodePreviewEmbed embed={embed(URL_READABLE)} />);
    const shown = await screen.findByTestId('gitlab-code-preview');
    expect(shown.textContent).toContain('export function save(): void {');
    // Code is text, never markup.
    expect(shown.textContent).toContain('<script>alert(1)</script>');
    expect(shown.querySelector('script')).toBeNull();
    expect(shown.textContent).toMatch(/10export function/);
    expect(shown.textContent).toMatch(/12\}/);
    expect(screen.getByTestId('gitlab-code-language').textContent).toBe('TypeScript');
    expect(shown.textContent).toContain('Lines 10–12');
    expect(shown.textContent).toContain('main at 01234567');
    const links = [...shown.querySelectorAll('a')];
    expect(links.map((link) => link.getAttribute('href'))).toEqual([PREVIEW.permalink, PREVIEW.permalink]);
    expect(links[1]!.textContent).toBe('33 more lines in GitLab');
    expect(bridge.sent.map((request) => request.query.get('url'))).toEqual([URL_READABLE]);
  });

  it('shows nothing for a file the viewer may not read, and asks once per link', async () => {
    const bridge = fakeBridge({ 'GET /code-preview': { status: 404, body: { error: 'No code to show', code: 'not_found' } } });
    const { services } = makeServices(bridge, { state: { me: me(), meStatus: 'ready' } });
    const url = 'https://gitlab.example.com/secret/vault/-/blob/main/keys.txt#L1';
    renderWith(
      services,
      <>
        <CodePreviewEmbed embed={embed(url)} />
        <CodePreviewEmbed embed={embed(url, 'link')} />
      </>,
    );
    await waitFor(() => expect(bridge.sent).toHaveLength(1));
    await act(async () => undefined);
    expect(screen.queryByTestId('gitlab-code-preview')).toBeNull();
    expect(document.body.textContent).toBe('');
  });

  it('says why a readable file has no preview', async () => {
    const bridge = fakeBridge({ 'GET /code-preview': { status: 422, body: { error: 'This file is not text; open it in GitLab.', code: 'not_previewable' } } });
    const { services } = makeServices(bridge, { state: { me: me(), meStatus: 'ready' } });
    renderWith(services, <CodePreviewEmbed embed={embed('https://gitlab.example.com/g/p/-/blob/main/logo.png#L1')} />);
    expect((await screen.findByTestId('gitlab-code-preview-note')).textContent).toBe('This file is not text; open it in GitLab.');
  });

  it('asks nothing for a viewer who is not connected, nor ever for another host’s link', async () => {
    const bridge = fakeBridge({ 'GET /code-preview': { body: PREVIEW } });
    const { services, store } = makeServices(bridge, { state: { me: me({ connected: false, gitlab: null }), meStatus: 'ready' } });
    renderWith(
      services,
      <>
        <CodePreviewEmbed embed={embed(URL_READABLE)} />
        <CodePreviewEmbed embed={embed('https://gitlab.com/platform/backend/api/-/blob/main/src/app.ts#L10')} />
      </>,
    );
    await act(async () => undefined);
    expect(bridge.sent).toHaveLength(0);
    // Connected now: the first embed asks, and shows its code; the other host's link still asks nothing.
    act(() => store.set({ me: me() }));
    await screen.findByTestId('gitlab-code-preview');
    expect(bridge.sent.map((request) => request.query.get('url'))).toEqual([URL_READABLE]);
  });
});

describe('which embeds are code links', () => {
  it('takes GitLab code links with lines under the bridge’s GitLab, from opengraph and plain link embeds', () => {
    const store = createStore({ ...initialState, me: me() });
    const match = matchCodeEmbed(store);
    expect(match(embed(URL_READABLE))).toBe(true);
    expect(match(embed(URL_READABLE, 'link'))).toBe(true);
    expect(match(embed(URL_READABLE, 'image'))).toBe(false);
    expect(match(embed('https://gitlab.example.com/platform/api/-/blob/main/src/app.ts'))).toBe(false);
    expect(match(embed('https://gitlab.example.com/platform/api/-/merge_requests/1'))).toBe(false);
    expect(match(embed('https://gitlab.com/platform/api/-/blob/main/a.ts#L1'))).toBe(false);
    expect(match(embed('javascript:alert(1)//-/blob/x#L1'))).toBe(false);
    store.set({ me: me({ connected: false, gitlab: null }) });
    expect(match(embed(URL_READABLE))).toBe(false);
  });

  it('takes any GitLab-shaped code link until the viewer is known, so posts drawn at page load get their code', () => {
    const match = matchCodeEmbed(createStore({ ...initialState }));
    expect(match(embed('https://gitlab.com/platform/api/-/blob/main/a.ts#L1-L4'))).toBe(true);
    expect(isCodeLink('https://example.com/gitlab/g/p/-/blob/main/a.ts#L3', 'https://example.com/gitlab')).toBe(true);
    expect(isCodeLink('https://example.com/other/g/p/-/blob/main/a.ts#L3', 'https://example.com/gitlab')).toBe(false);
  });
});

describe('several GitLab instances', () => {
  const instances = (corpConnected: boolean) => [
    { name: 'default', label: 'gitlab.example.com', url: 'https://gitlab.example.com', connected: false },
    { name: 'corp', label: 'corp', url: 'https://git.corp.example', connected: corpConnected },
  ];
  const CORP_LINK = 'https://git.corp.example/team/app/-/blob/main/a.ts#L1-2';

  it('takes code links of each instance the viewer is connected to, and only those', () => {
    const store = createStore({ ...initialState, me: me({ connected: false, gitlab: null, instances: instances(true) }) });
    const match = matchCodeEmbed(store);
    expect(match(embed(CORP_LINK))).toBe(true);
    // Not connected on the default instance: its links are left to Mattermost.
    expect(match(embed(URL_READABLE))).toBe(false);
    expect(match(embed('https://gitlab.evil.example/team/app/-/blob/main/a.ts#L1'))).toBe(false);
    store.set({ me: me({ connected: false, gitlab: null, instances: instances(false) }) });
    expect(match(embed(CORP_LINK))).toBe(false);
  });

  it('asks the bridge for a corp link’s code and shows it', async () => {
    const bridge = fakeBridge({ 'GET /code-preview': { body: { ...PREVIEW, permalink: `https://git.corp.example/team/app/-/blob/${COMMIT}/a.ts#L1-2` } } });
    const { services } = makeServices(bridge, { state: { me: me({ connected: false, gitlab: null, instances: instances(true) }), meStatus: 'ready' } });
    renderWith(services, <CodePreviewEmbed embed={embed(CORP_LINK)} />);
    await screen.findByText('export function save(): void {', { exact: false });
    expect(bridge.sent.map((request) => request.query.get('url'))).toEqual([CORP_LINK]);
  });
});

describe('registration', () => {
  it('registers the embed with Mattermost as collapsible, and its match and component work together', async () => {
    let registered: MattermostPlugin | undefined;
    window.registerPlugin = (_id, plugin) => {
      registered = plugin;
    };
    const { Plugin } = await import('../../webapp/src/index');
    const bridge = fakeBridge({ 'GET /me': { body: me() }, 'GET /sidebar': { body: { counts: COUNTS, updatedAt: '' } }, 'GET /code-preview': { body: PREVIEW } });
    const plugin = new Plugin({ fetch: bridge.fetch, openEventSource: () => ({ readyState: 0, onopen: null, onerror: null, addEventListener: () => undefined, close: () => undefined }) as never });
    const embeds: [(embed: PostEmbed) => boolean, React.ComponentType<{ embed: PostEmbed }>, boolean][] = [];
    const registry = {
      registerRightHandSidebarComponent: () => ({ id: 'rhs', showRHSPlugin: {}, hideRHSPlugin: {}, toggleRHSPlugin: {} }),
      registerChannelHeaderButtonAction: () => 'button',
      registerPostWillRenderEmbedComponent: (match: (embed: PostEmbed) => boolean, component: React.ComponentType<{ embed: PostEmbed }>, toggleable: boolean) => {
        embeds.push([match, component, toggleable]);
        return 'embed';
      },
    } as unknown as PluginRegistry;
    plugin.initialize(registry, fakeHost());
    expect(registered).toBeDefined();
    expect(embeds).toHaveLength(1);
    const [match, Component, toggleable] = embeds[0]!;
    expect(toggleable).toBe(true);
    await waitFor(() => expect(bridge.calls('GET', '/me')).toHaveLength(1));
    expect(match(embed(URL_READABLE))).toBe(true);
    render(<Component embed={embed(URL_READABLE)} />);
    expect((await screen.findByTestId('gitlab-code-preview')).textContent).toContain('src/app.ts');
    plugin.uninitialize?.();
  });
});

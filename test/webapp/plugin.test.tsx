/**
 * The Plugin class against a registry that records calls the way Mattermost's
 * does, rendering with the same React the host provides.
 */
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import React from 'react';
import { act } from 'react-dom/test-utils';
import { createRoot, type Root } from 'react-dom/client';
import type { MattermostPlugin, PluginRegistry } from '../../webapp/src/types/mattermost';

// React 18 warns unless told that this environment runs act().
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

interface Registered {
  id: string;
  plugin: MattermostPlugin;
}

async function loadPlugin(): Promise<Registered> {
  let registered: Registered | undefined;
  window.registerPlugin = (id, plugin) => {
    registered = { id, plugin };
  };
  jest.resetModules();
  await import('../../webapp/src/index');
  if (!registered) throw new Error('the bundle did not call registerPlugin');
  return registered;
}

function fakeRegistry() {
  const rhs: { component?: React.ComponentType; title?: React.ReactNode } = {};
  const buttons: { icon: React.ReactNode; action: () => void; tooltip: string }[] = [];
  const toggle = { type: 'TOGGLE_RHS_PLUGIN', id: 'rhs-1' };
  const registry: PluginRegistry = {
    registerRightHandSidebarComponent(component, title) {
      rhs.component = component;
      rhs.title = title;
      return { id: 'rhs-1', showRHSPlugin: {}, hideRHSPlugin: {}, toggleRHSPlugin: toggle };
    },
    registerChannelHeaderButtonAction(icon, action, _dropdownText, tooltipText) {
      buttons.push({ icon, action, tooltip: tooltipText });
      return 'button-1';
    },
  };
  return { registry, rhs, buttons, toggle };
}

let root: Root | undefined;
afterEach(() => {
  act(() => root?.unmount());
  root = undefined;
  document.body.innerHTML = '';
});

function render(node: React.ReactNode): HTMLElement {
  const container = document.createElement('div');
  document.body.appendChild(container);
  root = createRoot(container);
  act(() => root!.render(node));
  return container;
}

describe('the gitlab-bridge webapp plugin', () => {
  it('registers itself under the id from plugin.json', async () => {
    const { id } = await loadPlugin();
    expect(id).toBe('gitlab-bridge');
  });

  it('adds a right-hand panel that says the bridge is being set up', async () => {
    const { plugin } = await loadPlugin();
    const { registry, rhs } = fakeRegistry();
    await plugin.initialize(registry, { dispatch: () => undefined, getState: () => ({}) });
    expect(rhs.title).toBe('GitLab');
    const Panel = rhs.component!;
    const container = render(<Panel />);
    expect(container.textContent).toContain('GitLab Bridge is being set up');
  });

  it('adds a channel header button that toggles the panel, with the icon served from the plugin public folder', async () => {
    const { plugin } = await loadPlugin();
    const { registry, buttons, toggle } = fakeRegistry();
    const dispatched: unknown[] = [];
    await plugin.initialize(registry, {
      dispatch: (action) => dispatched.push(action),
      getState: () => ({ entities: { general: { config: { SiteURL: 'https://chat.example.com/' } } } }),
    });
    expect(buttons).toHaveLength(1);
    buttons[0]!.action();
    expect(dispatched).toEqual([toggle]);
    const container = render(<>{buttons[0]!.icon}</>);
    expect(container.querySelector('img')!.getAttribute('src')).toBe('https://chat.example.com/plugins/gitlab-bridge/public/icon.svg');
  });
});

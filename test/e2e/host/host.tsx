/**
 * A stand-in for the Mattermost webapp, as far as a plugin can tell: the window
 * globals Mattermost provides (React, ReactDOM, Redux, ReactRedux, PropTypes),
 * mattermost-redux's store filled with what Mattermost has loaded, the theme as
 * CSS variables, and a plugin registry whose registrations show up where
 * Mattermost shows them. Built by the e2e tests, never shipped.
 */
import PropTypes from 'prop-types';
import React from 'react';
import * as ReactDOM from 'react-dom';
import { createRoot } from 'react-dom/client';
import * as ReactRedux from 'react-redux';
import * as Redux from 'redux';
import { PreferenceTypes } from 'mattermost-redux/action_types';
import { getTheme } from 'mattermost-redux/selectors/entities/preferences';
import { applyTheme } from './apply-theme.js';
import type { HostSetup, HostThemeName } from './host-setup.js';
import { createHostStore, themePreference } from './host-store.js';
import { Host } from './host-ui.js';
import { createRegistry, emptySlots, type HostRegistry } from './registry.js';
import { applyWebSocketEvent, type HostWebSocketEvent } from './websocket-events.js';

declare global {
  interface Window {
    __hostSetup: HostSetup;
  }
}

const setup = window.__hostSetup;
const store = createHostStore(setup);
const slots = emptySlots();

let appliedTheme: unknown;
const followTheme = () => {
  const theme = getTheme(store.getState());
  if (theme === appliedTheme) return;
  appliedTheme = theme;
  applyTheme(theme);
};
followTheme();
store.subscribe(followTheme);

const root = createRoot(document.getElementById('root')!);
function render(): void {
  root.render(
    <ReactRedux.Provider store={store}>
      <Host slots={{ ...slots }} />
    </ReactRedux.Provider>,
  );
}

const registered: { id: string }[] = [];
Object.assign(window, {
  React,
  ReactDOM,
  Redux,
  ReactRedux,
  PropTypes,
  registerPlugin(id: string, plugin: { initialize(registry: HostRegistry, s: typeof store): void | Promise<void> }) {
    registered.push({ id });
    void plugin.initialize(createRegistry(id, slots, render), store);
    render();
  },
  // For the tests: what registered, switching themes as a user does in Settings > Display, and the WebSocket's news.
  __host: {
    registered,
    store,
    setTheme(name: HostThemeName) {
      store.dispatch({ type: PreferenceTypes.RECEIVED_PREFERENCES, data: [themePreference(setup.currentUserId, name)] });
    },
    websocket(message: HostWebSocketEvent) {
      applyWebSocketEvent(store, message);
    },
  },
});
render();

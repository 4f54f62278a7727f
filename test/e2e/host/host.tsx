/**
 * A stand-in for the Mattermost webapp, as far as a plugin can tell: the window
 * globals Mattermost provides (React, ReactDOM, Redux, ReactRedux, PropTypes),
 * a Redux store with Mattermost's config shape, and a plugin registry that
 * renders what plugins register. Built by the e2e test, not shipped.
 */
import PropTypes from 'prop-types';
import React from 'react';
import * as ReactDOM from 'react-dom';
import { createRoot } from 'react-dom/client';
import * as ReactRedux from 'react-redux';
import * as Redux from 'redux';

interface HostState {
  entities: { general: { config: { SiteURL: string } } };
  views: { rhs: { pluggableId: string | null } };
}
type HostAction = { type: 'TOGGLE_RHS_PLUGIN'; pluggableId: string } | { type: string };

const initial: HostState = {
  entities: { general: { config: { SiteURL: window.location.origin } } },
  views: { rhs: { pluggableId: null } },
};

function reducer(state: HostState = initial, action: HostAction): HostState {
  if (action.type === 'TOGGLE_RHS_PLUGIN' && 'pluggableId' in action) {
    const open = state.views.rhs.pluggableId === action.pluggableId ? null : action.pluggableId;
    return { ...state, views: { rhs: { pluggableId: open } } };
  }
  return state;
}

const store = Redux.legacy_createStore(reducer);
const rhsComponents = new Map<string, { component: React.ComponentType; title: React.ReactNode }>();
const headerButtons: { id: string; icon: React.ReactNode; action: () => void; tooltip: string }[] = [];

const registry = {
  registerRightHandSidebarComponent(component: React.ComponentType, title: React.ReactNode) {
    const id = `rhs-${rhsComponents.size + 1}`;
    rhsComponents.set(id, { component, title });
    return {
      id,
      showRHSPlugin: { type: 'SHOW_RHS_PLUGIN', pluggableId: id },
      hideRHSPlugin: { type: 'HIDE_RHS_PLUGIN', pluggableId: id },
      toggleRHSPlugin: { type: 'TOGGLE_RHS_PLUGIN', pluggableId: id },
    };
  },
  registerChannelHeaderButtonAction(icon: React.ReactNode, action: () => void, _dropdownText: string, tooltipText: string) {
    const id = `button-${headerButtons.length + 1}`;
    headerButtons.push({ id, icon, action, tooltip: tooltipText });
    render();
    return id;
  },
};

function Host(): React.ReactElement {
  const open = ReactRedux.useSelector((state: HostState) => state.views.rhs.pluggableId);
  const rhs = open ? rhsComponents.get(open) : undefined;
  return (
    <div className="app">
      <header className="channel-header">
        {headerButtons.map((button) => (
          <button key={button.id} type="button" aria-label={button.tooltip} onClick={button.action}>
            {button.icon}
          </button>
        ))}
      </header>
      <aside className="rhs" aria-label="right-hand sidebar">
        {rhs ? (
          <>
            <h2>{rhs.title}</h2>
            <rhs.component />
          </>
        ) : null}
      </aside>
    </div>
  );
}

const root = createRoot(document.getElementById('root')!);
function render(): void {
  root.render(
    <ReactRedux.Provider store={store}>
      <Host />
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
  registerPlugin(id: string, plugin: { initialize(r: typeof registry, s: typeof store): void }) {
    registered.push({ id });
    plugin.initialize(registry, store);
    render();
  },
  __host: { registered },
});
render();

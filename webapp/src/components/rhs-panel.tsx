/**
 * The right-hand panel: the five lists and the current channel's subscriptions as tabs (arrow keys,
 * Home and End move between tabs, as WAI-ARIA's tab pattern says).
 */
import React, { useRef } from 'react';
import type { MeInstance } from '../api/types';
import { usePluginState, useServices } from '../services';
import type { TabName } from '../state/store';
import { ConnectButton } from './connect-button';
import { TABS } from './names';
import { SubscriptionsTab } from './subscriptions-tab';
import { UnreachableBanner } from './unreachable-banner';
import { WorkList } from './work-list';

export function RhsPanel(): React.ReactElement {
  const { store } = useServices();
  const me = usePluginState((state) => state.me);
  const meStatus = usePluginState((state) => state.meStatus);
  const tab = usePluginState((state) => state.tab);
  const counts = usePluginState((state) => state.counts);
  const tabRefs = useRef<Record<string, HTMLButtonElement | null>>({});

  const select = (next: TabName, focus: boolean) => {
    store.set({ tab: next });
    if (focus) tabRefs.current[next]?.focus();
  };
  const onKeyDown = (event: React.KeyboardEvent) => {
    const index = TABS.findIndex((entry) => entry.tab === tab);
    const moves: Record<string, number> = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: TABS.length - 1 };
    const target = moves[event.key];
    if (target === undefined) return;
    event.preventDefault();
    select(TABS[(target + TABS.length) % TABS.length]!.tab, true);
  };

  const connected = me?.connected ?? false;
  // With several GitLabs, each has its own account: say which are connected, and offer the others.
  const instances = me?.instances && me.instances.length > 1 ? me.instances : null;
  let body: React.ReactNode;
  if (meStatus === 'loading' && !me) {
    body = <div className="glb-tabpanel" aria-busy="true" />;
  } else if (!me) {
    body = null; // the banner, or the error below, explains
  } else if (!connected && tab !== 'subscriptions') {
    body = (
      <div className="glb-tabpanel">
        <p>Connect your GitLab account to see your reviews, merge requests, issues and to-dos here.</p>
        {!me.features.connect ? (
          <p className="glb-muted">Ask your administrator to set up GitLab sign-in for the bridge.</p>
        ) : instances ? (
          instances.map((instance) => <ConnectButton key={instance.name} instance={instance} />)
        ) : (
          <ConnectButton />
        )}
      </div>
    );
  } else {
    body = (
      <div className="glb-tabpanel" role="tabpanel" id={`glb-panel-${tab}`} aria-labelledby={`glb-tab-${tab}`}>
        {tab === 'subscriptions' ? <SubscriptionsTab /> : <WorkList list={tab} />}
      </div>
    );
  }

  return (
    <div className="glb-rhs" data-testid="gitlab-rhs">
      <UnreachableBanner />
      {instances && connected ? <GitLabAccounts instances={instances} canConnect={me?.features.connect ?? false} /> : null}
      {meStatus === 'error' && !me ? <MeError /> : null}
      <div role="tablist" aria-label="GitLab" className="glb-tabs" onKeyDown={onKeyDown}>
        {TABS.map((entry) => {
          const count = entry.tab === 'subscriptions' ? undefined : counts?.[entry.tab];
          return (
            <button
              key={entry.tab}
              ref={(element) => {
                tabRefs.current[entry.tab] = element;
              }}
              type="button"
              role="tab"
              id={`glb-tab-${entry.tab}`}
              aria-selected={entry.tab === tab}
              aria-controls={`glb-panel-${entry.tab}`}
              aria-label={entry.name}
              tabIndex={entry.tab === tab ? 0 : -1}
              className="glb-tab"
              onClick={() => select(entry.tab, false)}
            >
              {entry.name}
              {typeof count === 'number' ? <span className="glb-muted">{` ${count}`}</span> : null}
            </button>
          );
        })}
      </div>
      {body}
    </div>
  );
}

function MeError(): React.ReactElement | null {
  const reachable = usePluginState((state) => state.reachable);
  const error = usePluginState((state) => state.meError);
  if (!reachable) return null;
  return (
    <div role="status" className="glb-alert">
      {`GitLab Bridge could not load your account: ${error ?? 'unknown error'}`}
    </div>
  );
}

/** One line per GitLab: connected there, or a button that connects there. */
function GitLabAccounts({ instances, canConnect }: { instances: MeInstance[]; canConnect: boolean }): React.ReactElement {
  return (
    <ul className="glb-accounts" aria-label="GitLab accounts">
      {instances.map((instance) => (
        <li key={instance.name}>
          {instance.connected ? <span>{`Connected to ${instance.label}`}</span> : canConnect ? <ConnectButton className="glb-connect glb-connect-small" instance={instance} /> : <span className="glb-muted">{`Not connected to ${instance.label}`}</span>}
        </li>
      ))}
    </ul>
  );
}

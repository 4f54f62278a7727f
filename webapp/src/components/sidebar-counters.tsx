/**
 * The counters in the left sidebar header (and, compact, in the bottom team sidebar): one button per
 * list; a click opens the right-hand panel on that list. Space is reserved while loading.
 */
import React from 'react';
import { useHostState, usePluginState, useServices } from '../services';
import { ConnectButton } from './connect-button';
import { COUNTERS } from './names';

export function SidebarCounters({ compact = false }: { compact?: boolean }): React.ReactElement {
  const { controller } = useServices();
  const me = usePluginState((state) => state.me);
  const counts = usePluginState((state) => state.counts);
  const reachable = usePluginState((state) => state.reachable);
  const className = `glb-sidebar${compact ? ' glb-sidebar-compact' : ''}`;
  const testId = compact ? 'gitlab-sidebar-compact' : 'gitlab-sidebar';

  if (me && !me.connected) {
    return (
      <div className={className} data-testid={testId}>
        <ConnectButton />
      </div>
    );
  }
  return (
    <div className={className} data-testid={testId} aria-busy={counts ? undefined : true}>
      {COUNTERS.map(({ list, name, short, tiny }) => {
        const count = counts?.[list];
        const known = typeof count === 'number';
        return (
          <button
            key={list}
            type="button"
            className={`glb-counter${known && count === 0 ? ' glb-counter-zero' : ''}`}
            aria-label={`${name}: ${known ? count : reachable ? 'loading' : 'unavailable'}`}
            title={name}
            onClick={() => controller.showList(list)}
          >
            {compact ? <span className="glb-tiny">{tiny}</span> : <span>{short}</span>}
            <span>{known ? count : '–'}</span>
          </button>
        );
      })}
    </div>
  );
}

/** The bottom team sidebar's copy; Mattermost shows that sidebar only with several teams, and so do we. */
export function CompactSidebarCounters(): React.ReactElement | null {
  const teams = useHostState((state) => state.entities?.teams?.teams);
  if (!teams || Object.keys(teams).length < 2) return null;
  return <SidebarCounters compact />;
}

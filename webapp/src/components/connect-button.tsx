import React from 'react';
import { useServices, usePluginState } from '../services';

/**
 * "Connect GitLab": opens the bridge's OAuth flow in a popup (the desktop app keeps it in-app).
 * When the browser blocks the popup, a plain link to the same page is offered instead.
 */
export function ConnectButton({ className = 'glb-connect', instance }: { className?: string; instance?: { name: string; label: string } }): React.ReactElement {
  const { controller } = useServices();
  const blocked = usePluginState((state) => state.connectBlocked);
  return (
    <>
      <button type="button" className={className} onClick={() => controller.connect(instance?.name)}>
        {instance ? `Connect ${instance.label}` : 'Connect GitLab'}
      </button>
      {blocked ? (
        <p role="status">
          The browser blocked the sign-in window.{' '}
          <a href={blocked} target="_blank" rel="noopener noreferrer">
            Open GitLab sign-in
          </a>
        </p>
      ) : null}
    </>
  );
}

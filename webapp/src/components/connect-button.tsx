import React from 'react';
import { useServices } from '../services';

/** "Connect GitLab": opens the bridge's OAuth flow in a popup (the desktop app keeps it in-app). */
export function ConnectButton({ className = 'glb-connect' }: { className?: string }): React.ReactElement {
  const { controller } = useServices();
  return (
    <button type="button" className={className} onClick={() => controller.connect()}>
      Connect GitLab
    </button>
  );
}

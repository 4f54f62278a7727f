import React from 'react';
import { usePluginState } from '../services';

/** Says that no bridge answers and how to fix it, instead of failing silently. */
export function UnreachableBanner(): React.ReactElement | null {
  const reachable = usePluginState((state) => state.reachable);
  if (reachable) return null;
  return (
    <div role="alert" className="glb-alert">
      <strong>We can&apos;t reach the GitLab bridge.</strong> Ask your administrator to check that the gitlab-bridge service is
      running and that the reverse proxy forwards <code>/plugins/gitlab-bridge/</code> on this server to it. This panel
      reconnects on its own.
    </div>
  );
}

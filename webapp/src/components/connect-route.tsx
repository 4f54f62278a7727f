/**
 * The page at /plug/gitlab-bridge/connect (registerCustomRoute): where Mattermost's login brings a browser
 * back to a connect link. After a password login Mattermost follows `redirect_to` inside its own app, where
 * the bridge's address would be read as a team name; this route is inside the app, and it sends the browser
 * on to the bridge's connect page by a full page load (the bridge is not part of the app). Only one
 * well-formed link goes on, and only to the bridge under the site URL: nothing in the address chooses where
 * the browser goes, and without a link nothing is opened (the bridge's popup request, which has none, must
 * come from Mattermost's own pages, and this page must not make one for another website).
 */
import React, { useEffect, useState } from 'react';
import { pluginBase } from '../api/client';
import { useServices } from '../services';
import { siteUrlOf } from '../site-url';

/** What `/gitlab connect` makes is 32 random bytes in base64url (43 characters); some slack either way. */
const LINK = /^[A-Za-z0-9_-]{16,128}$/;

/** The bridge's connect page for the one link in `search`, or null unless there is exactly one well-formed link. */
export function connectTarget(siteUrl: string, search: string): string | null {
  const links = new URLSearchParams(search).getAll('link');
  if (links.length !== 1 || !LINK.test(links[0]!)) return null;
  return `${pluginBase(siteUrl)}/oauth/connect?link=${links[0]}`;
}

export function ConnectRoute({ navigate }: { navigate: (url: string) => void }): React.ReactElement {
  const { host } = useServices();
  // Read once, as the page opened: the site URL comes from Mattermost's configuration, the link from the address.
  const [target] = useState(() => connectTarget(siteUrlOf(host.getState()), window.location.search));
  useEffect(() => {
    if (target) navigate(target);
  }, [target, navigate]);
  // Mattermost's root layout places plugin routes by grid area.
  return (
    <div style={{ gridArea: 'center', padding: '48px 24px', textAlign: 'center' }}>
      {target ? (
        <p role="status">Connecting your GitLab account…</p>
      ) : (
        <p role="alert">
          This address holds no valid connect link. Run <code>/gitlab connect</code> in Mattermost for a new one.
        </p>
      )}
    </div>
  );
}

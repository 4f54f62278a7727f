/**
 * Where to send a browser that must sign in to Mattermost before a connect link
 * may go on: `<MATTERMOST_SITE_URL>/login?redirect_to=<path>`. Mattermost only
 * follows a `redirect_to` that is a path on its own site (`^/([^/]|$)`, relative
 * to the site URL, sub-path included), so the path back is built here from
 * configuration alone, never from the request's Host, and only when the
 * bridge's public URL lies on the Mattermost site (else the session cookie
 * could not reach the bridge anyway, and signing in would not help).
 *
 * After a password login Mattermost's login page follows `redirect_to` inside
 * its own app (`history.push`, webapp/channels/src/components/login/login.tsx),
 * where a bridge path such as `/plugins/gitlab-bridge/…` would be read as a team
 * name. So the way back is the webapp plugin's own route, which the app does
 * render (`registerCustomRoute` → `/plug/<plugin id>/<route>`, root.tsx); it
 * sends the browser on to the bridge with the link (webapp/src/components/
 * connect-route.tsx). A single sign-on login comes back by a full page load to
 * the same path, which also lands on that route.
 */

/** The webapp plugin's route for a connect link, relative to the site. */
export const CONNECT_ROUTE = '/plug/gitlab-bridge/connect';
/** Where the webapp plugin reaches the bridge, relative to the site (webapp/src/api/client.ts `pluginBase`). */
const WEBAPP_BRIDGE_PATH = '/plugins/gitlab-bridge';

/** The Mattermost login URL that leads back to this connect link, or null. */
export function connectLoginUrl(siteUrl: string | undefined, publicUrl: string | undefined, link: string): string | null {
  if (!siteUrl || !publicUrl) return null;
  let site: URL;
  let bridge: URL;
  try {
    site = new URL(siteUrl);
    bridge = new URL(publicUrl);
  } catch {
    return null;
  }
  if (site.origin !== bridge.origin) return null;
  const sitePath = site.pathname.replace(/\/+$/, '');
  const bridgePath = bridge.pathname.replace(/\/+$/, '');
  if (bridgePath !== sitePath && !bridgePath.startsWith(`${sitePath}/`)) return null;
  const bridgeOnSite = bridgePath.slice(sitePath.length);
  const query = `?link=${encodeURIComponent(link)}`;
  // The plugin's route sends the browser to /plugins/gitlab-bridge only; a bridge elsewhere on the site gets
  // its own path, which only a single sign-on login follows (a password login ends on Mattermost's start page).
  const back = bridgeOnSite === WEBAPP_BRIDGE_PATH ? `${CONNECT_ROUTE}${query}` : `${bridgeOnSite}/oauth/connect${query}`;
  // What Mattermost's login page accepts; anything else (`//host`, `/\host`) would be refused or worse.
  if (!/^\/[^/\\]/.test(back)) return null;
  return `${site.origin}${sitePath}/login?redirect_to=${encodeURIComponent(back)}`;
}

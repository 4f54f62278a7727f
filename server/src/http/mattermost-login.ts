/**
 * Where to send a browser that must sign in to Mattermost before it may go on:
 * `<MATTERMOST_SITE_URL>/login?redirect_to=<path>`. Mattermost only follows a
 * `redirect_to` that is a path on its own site (`^/([^/]|$)`, relative to the
 * site URL, sub-path included), so the path back is built here from
 * configuration alone, never from the request's Host, and only when the
 * bridge's public URL lies on the Mattermost site (else the session cookie
 * could not reach the bridge anyway, and signing in would not help).
 */

/** The Mattermost login URL that returns to `publicPath` (a path under PUBLIC_URL, with its query), or null. */
export function mattermostLoginUrl(siteUrl: string | undefined, publicUrl: string | undefined, publicPath: string): string | null {
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
  const back = `${bridgePath.slice(sitePath.length)}${publicPath}`;
  // What Mattermost's login page accepts; anything else (`//host`, `/\host`) would be refused or worse.
  if (!/^\/[^/\\]/.test(back)) return null;
  return `${site.origin}${sitePath}/login?redirect_to=${encodeURIComponent(back)}`;
}

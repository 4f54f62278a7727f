/**
 * Whether a browser's request was started from Mattermost's own site (or typed into the address bar),
 * not from another website. A GitLab sign-in that only the session cookie identifies must not start
 * from elsewhere: a page that first signed the victim's browser in to GitLab as its author could then
 * tie the victim's Mattermost account to the author's GitLab account (login CSRF).
 *
 * Fetch Metadata decides when the browser sends it (every current browser does): `same-origin` (the
 * webapp's popup, the fallback link beside the button) and `none` (typed, a bookmark, the desktop app
 * handing the page to a browser) pass; `same-site` does not, since a sibling host such as GitLab itself
 * at gitlab.example.com next to chat.example.com carries anyone's links. Older browsers: a Referer from
 * another origin is refused; none at all (a referrer policy can hide it) cannot be told from a typed
 * address and passes.
 */
export interface RequestOrigin {
  /** The Sec-Fetch-Site header. */
  fetchSite: string | undefined;
  /** The Referer header. */
  referer: string | undefined;
}

/** `siteOrigins`: the origins of MATTERMOST_SITE_URL and PUBLIC_URL, from configuration. */
export function startedFromSite(request: RequestOrigin, siteOrigins: readonly string[]): boolean {
  if (request.fetchSite) {
    const site = request.fetchSite.trim().toLowerCase();
    return site === 'same-origin' || site === 'none';
  }
  if (!request.referer) return true;
  try {
    return siteOrigins.includes(new URL(request.referer).origin);
  } catch {
    return false;
  }
}

/** The origins of the configured URLs that parse (a wrong one only narrows what passes). */
export function originsOf(urls: readonly (string | undefined)[]): string[] {
  const origins: string[] = [];
  for (const url of urls) {
    if (!url) continue;
    try {
      origins.push(new URL(url).origin);
    } catch {
      // not a URL: no origin of ours
    }
  }
  return origins;
}

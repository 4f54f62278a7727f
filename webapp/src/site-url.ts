/** Mattermost's SiteURL from the host's Redux state ('' when unset: same origin). */
export function siteUrlOf(state: unknown): string {
  const config = (state as { entities?: { general?: { config?: { SiteURL?: unknown } } } }).entities?.general?.config;
  return typeof config?.SiteURL === 'string' ? config.SiteURL : '';
}

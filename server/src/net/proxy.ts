/**
 * Node's fetch ignores HTTP(S)_PROXY. Installing undici's env-aware agent as the
 * global dispatcher makes every fetch in the process (ours, @mattermost/client,
 * @gitbeaker/rest) honour HTTP_PROXY, HTTPS_PROXY and NO_PROXY.
 */
import { EnvHttpProxyAgent, setGlobalDispatcher } from 'undici';
import type { Config } from '../config.js';

export function installProxySupport(proxy: Config['proxy']): boolean {
  if (!proxy.httpProxy && !proxy.httpsProxy) return false;
  setGlobalDispatcher(
    new EnvHttpProxyAgent({
      httpProxy: proxy.httpProxy,
      // As with curl, HTTPS traffic falls back to HTTP_PROXY when HTTPS_PROXY is unset.
      httpsProxy: proxy.httpsProxy ?? proxy.httpProxy,
      noProxy: proxy.noProxy ?? '',
    }),
  );
  return true;
}

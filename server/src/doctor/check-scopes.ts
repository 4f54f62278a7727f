/**
 * The GitLab scopes in use, per instance: what people's connections are asked
 * for (GITLAB_OAUTH_SCOPES), and what the stored connections were granted.
 * Where the two differ nothing breaks (accounts/write-access.ts has the rule),
 * but an admin who chose read-only access wants to know that tokens able to
 * write are still held. Pure.
 */
import { describeScopeSetting, parseScopes, writesAllowed, type ScopeSetting } from '../accounts/write-access.js';
import { plural } from '../render/format.js';
import type { ConnectedScopes } from '../store/connected-scopes.js';
import { ok, warn, type Check } from './check.js';

/** `connected`: null when the database could not be read. */
export function judgeScopes(instances: readonly ScopeSetting[], connected: readonly ConnectedScopes[] | null): Check[] {
  return instances.map((setting) => {
    const check = setting.name === 'default' ? 'GitLab scopes' : `GitLab scopes (${setting.name})`;
    const asked = `asks for ${describeScopeSetting(setting)}`;
    if (connected === null) return ok(check, `${asked}; the connections' own scopes could not be read from the database`);
    const mine = connected.filter((row) => row.instance === setting.name);
    if (mine.length === 0) return ok(check, `${asked}; no account is connected yet`);
    const held = mine.map((row) => `${plural(row.count, 'connection')} with ${parseScopes(row.scopes).join(', ') || 'unknown scopes'}`).join('; ');
    const count = (matches: (scopes: string[]) => boolean) => mine.filter((row) => matches(parseScopes(row.scopes))).reduce((sum, row) => sum + row.count, 0);
    if (!writesAllowed(setting)) {
      const writable = count((scopes) => scopes.includes('api'));
      if (writable > 0) {
        return warn(
          check,
          `${asked}; ${held}. Those with api (made before the switch) keep working, and the bridge only reads with them`,
          'nothing is needed; to hold no token that could write, ask those people to run /gitlab disconnect and /gitlab connect again (or revoke the application’s tokens in GitLab)',
        );
      }
    } else {
      const readOnly = count((scopes) => scopes.length > 0 && !scopes.includes('api'));
      if (readOnly > 0) {
        return warn(
          check,
          `${asked}; ${held}. Those without api (made while the bridge was read-only) cannot write: the bridge tells those people so when they try`,
          'ask them to run /gitlab disconnect, then /gitlab connect, to connect with api',
        );
      }
    }
    return ok(check, `${asked}; ${held}`);
  });
}

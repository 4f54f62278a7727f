/**
 * GitLab: GITLAB_URL serves GitLab's API, the OAuth application's id and secret
 * are accepted, and webhooks have a secret. Outgoing calls go through the
 * configured proxy, as the bridge's do (cli/doctor.ts installs it).
 */
import type { Config } from '../config.js';
import { checkGitLabUrl } from '../gitlab/check-gitlab-url.js';
import { exchangeCode, OAuthGrantError } from '../gitlab/oauth.js';
import { networkReason } from '../net/network-reason.js';
import { fail, ok, skipped, type Check, type ClockSample, type Findings } from './check.js';

const OAUTH = 'GitLab OAuth app';
const OAUTH_FIX = 'copy the Application ID and Secret from GitLab (Admin > Applications, or the Settings > Applications where it was made) into GITLAB_OAUTH_CLIENT_ID and GITLAB_OAUTH_CLIENT_SECRET';
/** A code no GitLab ever issued: the token endpoint checks the client before it looks the code up. */
export const PROBE_CODE = 'doctor-probe';

export async function checkGitLab(config: Config, options: { proxied: boolean }): Promise<Findings> {
  const { url } = config.gitlab;
  const clock: ClockSample[] = [];
  const sentAt = Date.now();
  const verdict = await checkGitLabUrl(url, (response) => clock.push({ source: 'GitLab', date: response.headers.get('date'), sentAt, receivedAt: Date.now() }))();
  const via = options.proxied ? ' (through the configured HTTP proxy)' : '';
  const checks: Check[] = [];
  if ('ok' in verdict) checks.push(ok('GitLab', `its API answers at ${url}${via}`));
  else if ('error' in verdict) checks.push(fail('GitLab', verdict.error, "set GITLAB_URL to your GitLab's address, e.g. https://gitlab.example.com"));
  else checks.push(fail('GitLab', `${verdict.unreachable}${via}`, 'check GITLAB_URL, and HTTP_PROXY/HTTPS_PROXY/NO_PROXY when GitLab is reached through a proxy'));

  checks.push('ok' in verdict ? await probeOAuthApplication(config) : skipped(OAUTH, 'GitLab does not answer', 'fix the GitLab check first'));
  checks.push(
    config.gitlab.webhookSecrets.length > 0
      ? ok('GitLab webhook secret', `GITLAB_WEBHOOK_SECRET is set${config.gitlab.webhookSecrets.length > 1 ? ` (${config.gitlab.webhookSecrets.length} accepted values)` : ''}`)
      : fail('GitLab webhook secret', 'GITLAB_WEBHOOK_SECRET is not set: the bridge refuses every webhook (503)', "set it to a long random string (openssl rand -hex 32) and give GitLab's webhooks the same secret token"),
  );
  return { checks, clock };
}

/**
 * Exchanges a bogus code: GitLab (Doorkeeper) authenticates the client first,
 * so 401 invalid_client means a wrong id or secret and 400 invalid_grant means
 * they are right. Nothing is issued and nothing changes at GitLab.
 */
async function probeOAuthApplication(config: Config): Promise<Check> {
  const { url, oauthClientId, oauthClientSecret } = config.gitlab;
  if (!oauthClientId || !oauthClientSecret) return skipped(OAUTH, 'GITLAB_OAUTH_CLIENT_ID and GITLAB_OAUTH_CLIENT_SECRET are not both set', `create the application (README: Set up GitLab), then ${OAUTH_FIX}`);
  if (!config.publicUrl) return skipped(OAUTH, 'no PUBLIC_URL (nor MATTERMOST_SITE_URL) for the redirect URI', 'set PUBLIC_URL to what browsers and GitLab reach the bridge at');
  const app = { gitlabUrl: url, clientId: oauthClientId, clientSecret: oauthClientSecret, redirectUri: `${config.publicUrl.replace(/\/+$/, '')}/oauth/complete` };
  try {
    await exchangeCode(app, PROBE_CODE, PROBE_CODE);
  } catch (error) {
    if (error instanceof OAuthGrantError) return judgeOAuthProbe(error.status, error.error);
    return fail(OAUTH, `the token request to ${url}/oauth/token failed: ${networkReason(error)}`, 'check GITLAB_URL and the proxy settings');
  }
  return judgeOAuthProbe(200, undefined);
}

export function judgeOAuthProbe(status: number, error: string | undefined): Check {
  if (status === 400 && error === 'invalid_grant') return ok(OAUTH, 'GitLab accepts GITLAB_OAUTH_CLIENT_ID and its secret');
  if (status === 401 && error === 'invalid_client') return fail(OAUTH, 'GitLab does not accept GITLAB_OAUTH_CLIENT_ID with GITLAB_OAUTH_CLIENT_SECRET (invalid_client): a wrong id or secret, or a deleted application', OAUTH_FIX);
  return fail(OAUTH, `GitLab answered ${status}${error ? ` ${error}` : ''} to a token request, not 400 invalid_grant as it does for a known application`, `check that GITLAB_URL is GitLab itself (not a proxy or login page), then ${OAUTH_FIX}`);
}

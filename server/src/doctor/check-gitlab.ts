/**
 * GitLab: GITLAB_URL serves GitLab's API, the OAuth application's id and secret
 * are accepted, and webhooks have a secret. Outgoing calls go through the
 * configured proxy, as the bridge's do (cli/doctor.ts installs it).
 */
import { requestedScopes } from '../accounts/write-access.js';
import { DEFAULT_INSTANCE, type Config, type GitLabInstanceConfig } from '../config.js';
import { checkGitLabUrl } from '../gitlab/check-gitlab-url.js';
import { exchangeCode, OAuthGrantError } from '../gitlab/oauth.js';
import { networkReason } from '../net/network-reason.js';
import { fail, ok, skipped, type Check, type ClockSample, type Findings } from './check.js';

const OAUTH = 'GitLab OAuth app';
const OAUTH_FIX = 'copy the Application ID and Secret from GitLab (Admin > Applications, or the Settings > Applications where it was made) into GITLAB_OAUTH_CLIENT_ID and GITLAB_OAUTH_CLIENT_SECRET';
/** A code no GitLab ever issued: the token endpoint checks the client before it looks the code up. */
export const PROBE_CODE = 'doctor-probe';

export async function checkGitLab(config: Config, options: { proxied: boolean }): Promise<Findings> {
  const found = await Promise.all(config.gitlabInstances.map((instance) => checkInstance(config, instance, options)));
  return { checks: found.flatMap((one) => one.checks), clock: found.flatMap((one) => one.clock) };
}

/** The variable names and check names of one instance: the default's as they always were, another's with its name. */
function namesOf(instance: GitLabInstanceConfig) {
  const prefix = instance.name === DEFAULT_INSTANCE ? 'GITLAB_' : `GITLAB_${instance.name.toUpperCase()}_`;
  const which = instance.name === DEFAULT_INSTANCE ? '' : ` ${instance.name}`;
  return {
    variable: (name: string) => `${prefix}${name}`,
    gitlab: `GitLab${which}`,
    oauth: `${OAUTH}${which ? ` (${instance.name})` : ''}`,
    secret: `GitLab${which} webhook secret`,
  };
}

async function checkInstance(config: Config, instance: GitLabInstanceConfig, options: { proxied: boolean }): Promise<Findings> {
  const { url } = instance;
  const names = namesOf(instance);
  const clock: ClockSample[] = [];
  const sentAt = Date.now();
  const verdict = await checkGitLabUrl(url, (response) => clock.push({ source: names.gitlab, date: response.headers.get('date'), sentAt, receivedAt: Date.now() }), names.variable('URL'))();
  const via = options.proxied ? ' (through the configured HTTP proxy)' : '';
  const checks: Check[] = [];
  if ('ok' in verdict) checks.push(ok(names.gitlab, `its API answers at ${url}${via}`));
  else if ('error' in verdict) checks.push(fail(names.gitlab, verdict.error, `set ${names.variable('URL')} to your GitLab's address, e.g. https://gitlab.example.com`));
  else checks.push(fail(names.gitlab, `${verdict.unreachable}${via}`, `check ${names.variable('URL')}, and HTTP_PROXY/HTTPS_PROXY/NO_PROXY when GitLab is reached through a proxy`));

  checks.push('ok' in verdict ? await probeOAuthApplication(config, instance) : skipped(names.oauth, 'GitLab does not answer', 'fix the GitLab check first'));
  const secret = names.variable('WEBHOOK_SECRET');
  const path = instance.name === DEFAULT_INSTANCE ? '/webhook' : `/webhook/${instance.name}`;
  checks.push(
    instance.webhookSecrets.length > 0
      ? ok(names.secret, `${secret} is set${instance.webhookSecrets.length > 1 ? ` (${instance.webhookSecrets.length} accepted values)` : ''}; its webhooks go to ${path}`)
      : fail(names.secret, `${secret} is not set: the bridge refuses every webhook at ${path} (503)`, "set it to a long random string (openssl rand -hex 32) and give GitLab's webhooks the same secret token"),
  );
  return { checks, clock };
}

/**
 * Exchanges a bogus code: GitLab (Doorkeeper) authenticates the client first,
 * so 401 invalid_client means a wrong id or secret and 400 invalid_grant means
 * they are right. Nothing is issued and nothing changes at GitLab.
 */
async function probeOAuthApplication(config: Config, instance: GitLabInstanceConfig = config.gitlab): Promise<Check> {
  const { url, oauthClientId, oauthClientSecret } = instance;
  const names = namesOf(instance);
  const both = `${names.variable('OAUTH_CLIENT_ID')} and ${names.variable('OAUTH_CLIENT_SECRET')}`;
  if (!oauthClientId || !oauthClientSecret) return skipped(names.oauth, `${both} are not both set`, `create the application (README: Set up GitLab), then ${OAUTH_FIX}`);
  if (!config.publicUrl) return skipped(names.oauth, 'no PUBLIC_URL (nor MATTERMOST_SITE_URL) for the redirect URI', 'set PUBLIC_URL to what browsers and GitLab reach the bridge at');
  const app = { gitlabUrl: url, clientId: oauthClientId, clientSecret: oauthClientSecret, redirectUri: `${config.publicUrl.replace(/\/+$/, '')}/oauth/complete`, scopes: requestedScopes(instance) };
  try {
    await exchangeCode(app, PROBE_CODE, PROBE_CODE);
  } catch (error) {
    if (error instanceof OAuthGrantError) return named(judgeOAuthProbe(error.status, error.error), instance);
    return fail(names.oauth, `the token request to ${url}/oauth/token failed: ${networkReason(error)}`, `check ${names.variable('URL')} and the proxy settings`);
  }
  return named(judgeOAuthProbe(200, undefined), instance);
}

/** judgeOAuthProbe speaks of the default's variables; another instance's check names its own. */
function named(check: Check, instance: GitLabInstanceConfig): Check {
  if (instance.name === DEFAULT_INSTANCE) return check;
  const rename = (text: string) => text.replaceAll('GITLAB_', `GITLAB_${instance.name.toUpperCase()}_`);
  return { ...check, check: namesOf(instance).oauth, detail: rename(check.detail), ...(check.fix ? { fix: rename(check.fix) } : {}) };
}

export function judgeOAuthProbe(status: number, error: string | undefined): Check {
  if (status === 400 && error === 'invalid_grant') return ok(OAUTH, 'GitLab accepts GITLAB_OAUTH_CLIENT_ID and its secret');
  if (status === 401 && error === 'invalid_client') return fail(OAUTH, 'GitLab does not accept GITLAB_OAUTH_CLIENT_ID with GITLAB_OAUTH_CLIENT_SECRET (invalid_client): a wrong id or secret, or a deleted application', OAUTH_FIX);
  return fail(OAUTH, `GitLab answered ${status}${error ? ` ${error}` : ''} to a token request, not 400 invalid_grant as it does for a known application`, `check that GITLAB_URL is GitLab itself (not a proxy or login page), then ${OAUTH_FIX}`);
}

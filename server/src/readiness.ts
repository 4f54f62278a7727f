/**
 * Whether the bridge can do its job, for /readyz and the status page.
 *
 * 503 means something an admin must fix: a missing or rejected setting, or the
 * database. A Mattermost or GitLab that is merely unreachable right now is a
 * warning and keeps /readyz at 200: webhooks are stored and delivered later,
 * and GitLab disables webhooks whose deliveries keep failing, so an outage
 * elsewhere must not take the bridge out of its load balancer.
 */
import type { StreamReport } from './conversations/stream-report.js';

export type CheckResult = { ok: string } | { error: string } | { unreachable: string };
export type Check = () => Promise<CheckResult>;

export interface Readiness {
  ready: boolean;
  /** Environment variables that must be set, by name. */
  missing: string[];
  /** Things that are set but do not work, one sentence each. */
  errors: string[];
  /** Things that do not answer right now; they do not make the bridge unready. */
  warnings: string[];
  /** Listening to Mattermost (conversations/stream-report.ts); a socket that is down is a warning. */
  mattermostStream?: StreamReport;
  /** Each configured GitLab, the default first (names and URLs only: nothing secret). */
  gitlabInstances?: GitLabInstanceReport[];
}

export interface GitLabInstanceReport {
  name: string;
  /** What people call it: the default by its host, the others by their name. */
  label: string;
  url: string;
  /** Where its webhooks go, below PUBLIC_URL: /webhook or /webhook/<name>. */
  webhookPath: string;
  /** Its OAuth application is configured (people can connect). */
  oauth: boolean;
  /** Its webhook secret is set (its door accepts webhooks). */
  webhookSecret: boolean;
  /** api or read_api. */
  scopes: string;
  /** `ok`, or the sentence of the error or of why it does not answer. */
  state: 'ok' | 'error' | 'unreachable';
  detail: string;
}

const CHECK_TIMEOUT_MS = 5000;

export async function checkReadiness(missing: readonly string[], checks: readonly Check[]): Promise<Readiness> {
  const results = await Promise.all(checks.map((check) => withTimeout(check)));
  const errors = results.flatMap((result) => ('error' in result ? [result.error] : []));
  const warnings = results.flatMap((result) => ('unreachable' in result ? [result.unreachable] : []));
  return { ready: missing.length === 0 && errors.length === 0, missing: [...missing], errors, warnings };
}

/** The database, checked on every call: it is local and cheap, and nothing works without it. */
export function databaseCheck(ping: () => Promise<void>): Check {
  return async () => {
    try {
      await ping();
      return { ok: 'database answers' };
    } catch (error) {
      return { error: `database: ${(error as Error).message}` };
    }
  };
}

/**
 * Remote checks are re-run at most every `ttlMs`, so probes every few seconds
 * from several replicas do not turn into load on Mattermost or GitLab.
 */
export function cached(check: Check, ttlMs: number, now: () => number = Date.now): Check {
  let last: { at: number; result: Promise<CheckResult> } | undefined;
  return () => {
    if (!last || now() - last.at >= ttlMs) last = { at: now(), result: check() };
    return last.result;
  };
}

async function withTimeout(check: Check): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => resolve({ unreachable: `a check did not answer within ${CHECK_TIMEOUT_MS} ms` }), CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([check(), timeout]);
  } catch (error) {
    return { error: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

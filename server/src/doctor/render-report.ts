/** The doctor's report, as aligned text lines (the look of `setup`) or as JSON for scripts. Pure. */
import type { Check, CheckStatus } from './check.js';

const MARKS: Record<CheckStatus, string> = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' };

export function renderReport(checks: readonly Check[], options: { json: boolean }): string {
  if (options.json) return JSON.stringify(checks, null, 2);
  const width = Math.max(0, ...checks.map((check) => check.check.length));
  const lines = checks.map(
    (check) => `${MARKS[check.status]} ${check.check.padEnd(width)}  ${check.detail}${check.fix && check.status !== 'ok' ? ` → ${check.fix}` : ''}`,
  );
  return [...lines, '', summary(checks)].join('\n');
}

/** 0 unless a check failed: warnings alone do not fail the run. */
export function exitStatus(checks: readonly Check[]): number {
  return checks.some((check) => check.status === 'fail') ? 1 : 0;
}

/**
 * A second line of defence, as the logger's redaction is: no check is meant to
 * quote a secret, but an error message from elsewhere might.
 */
export function withoutSecrets(checks: readonly Check[], secrets: readonly string[]): Check[] {
  // Short values would blank out ordinary words; real secrets are long.
  const hidden = [...new Set(secrets)].filter((secret) => secret.length >= 6).sort((a, b) => b.length - a.length);
  const scrub = (text: string) => hidden.reduce((result, secret) => result.replaceAll(secret, '[secret]'), text);
  return checks.map((check) => ({ ...check, detail: scrub(check.detail), ...(check.fix === undefined ? {} : { fix: scrub(check.fix) }) }));
}

function summary(checks: readonly Check[]): string {
  const count = (status: CheckStatus) => checks.filter((check) => check.status === status).length;
  const [failed, warned] = [count('fail'), count('warn')];
  if (failed === 0 && warned === 0) return `all ${checks.length} checks ok`;
  const parts = [failed > 0 ? `${failed} failed` : '', warned > 0 ? `${warned} ${warned === 1 ? 'warning' : 'warnings'}` : ''].filter(Boolean);
  return `${parts.join(', ')} (see → above)`;
}

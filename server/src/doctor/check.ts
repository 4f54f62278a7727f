/** One line of `gitlab-bridge doctor`'s report: what was checked, the verdict, and the fix when not ok. */
export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface Check {
  check: string;
  status: CheckStatus;
  detail: string;
  fix?: string;
}

export const ok = (check: string, detail: string): Check => ({ check, status: 'ok', detail });
export const warn = (check: string, detail: string, fix: string): Check => ({ check, status: 'warn', detail, fix });
export const fail = (check: string, detail: string, fix: string): Check => ({ check, status: 'fail', detail, fix });

/** A check that could not run because something it needs is missing: a warning, never a crash. */
export const skipped = (check: string, why: string, fix: string): Check => warn(check, `skipped: ${why}`, fix);

/** The `Date` header of an answer and when it was asked, to compare the other side's clock with ours. */
export interface ClockSample {
  source: string;
  date: string | null;
  sentAt: number;
  receivedAt: number;
}

/** What an area's checks found; the clock samples feed the clock check. */
export interface Findings {
  checks: Check[];
  clock: ClockSample[];
}

/** Every network call of the doctor gives up after this long. */
export const TIMEOUT_MS = 5000;

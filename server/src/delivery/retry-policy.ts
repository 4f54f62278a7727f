/**
 * What to do after a failed Mattermost call. Pure. Rate limits are obeyed to the
 * letter; 5xx, timeouts and network errors back off exponentially and are
 * "uncertain" (the post may exist), so the next attempt first looks for it;
 * refusals that will not change are permanent.
 */
import { MattermostHttpError } from '../mattermost/client.js';

export type FailureOutcome =
  | { kind: 'retry'; delayMs: number; uncertain: boolean; reason: string }
  | { kind: 'permanent'; reason: string };

const BASE_DELAY_MS = 1000;
const MAX_DELAY_MS = 5 * 60_000;
/** Transient failures are retried for this long before a post is given up. */
export const GIVE_UP_AFTER_MS = 24 * 60 * 60_000;

export function classifyFailure(error: unknown, attempts: number, random = Math.random): FailureOutcome {
  const backoff = backoffDelay(attempts, random);
  if (error instanceof MattermostHttpError) {
    const reason = `Mattermost answered ${error.status}: ${error.message}`;
    if (error.status === 429) return { kind: 'retry', delayMs: error.retryAfterMs ?? backoff, uncertain: false, reason };
    if (error.status >= 500) return { kind: 'retry', delayMs: error.retryAfterMs ?? backoff, uncertain: true, reason };
    // A bot token being fixed, or a permission being granted, is worth waiting for.
    if (error.status === 401 || error.status === 403) return { kind: 'retry', delayMs: backoff, uncertain: false, reason };
    return { kind: 'permanent', reason };
  }
  const name = (error as Error | undefined)?.name;
  const what = name === 'TimeoutError' || name === 'AbortError' ? 'no answer in time' : `network error: ${(error as Error | undefined)?.message ?? String(error)}`;
  return { kind: 'retry', delayMs: backoff, uncertain: true, reason: `Mattermost: ${what}` };
}

/** 1 s, 2 s, 4 s … capped at 5 minutes, with ±20 % jitter so replicas do not retry in step. */
export function backoffDelay(attempts: number, random = Math.random): number {
  const exponential = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.max(0, attempts - 1));
  return Math.round(exponential * (0.8 + 0.4 * random()));
}

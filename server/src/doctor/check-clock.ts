/**
 * Compares Mattermost's and GitLab's clocks (their answers' Date headers) with
 * ours. OAuth tokens expire and webhook signatures go stale by the clock, so a
 * skew shows up as sign-ins and webhooks that fail for no visible reason. Pure.
 */
import { ok, skipped, warn, type Check, type ClockSample } from './check.js';

const CHECK = 'clock';
export const MAX_SKEW_MS = 60_000;

export function checkClock(samples: readonly ClockSample[]): Check {
  // Date has whole seconds; the middle of the round trip is when the other side wrote it.
  const skews = samples.flatMap((sample) => {
    const at = sample.date === null ? NaN : Date.parse(sample.date);
    return Number.isNaN(at) ? [] : [{ source: sample.source, skewMs: at - (sample.sentAt + sample.receivedAt) / 2 }];
  });
  if (skews.length === 0) return skipped(CHECK, 'neither Mattermost nor GitLab answered with a Date header', 'fix the Mattermost and GitLab checks first');
  const off = skews.filter((skew) => Math.abs(skew.skewMs) > MAX_SKEW_MS);
  if (off.length > 0) {
    const described = off.map((skew) => `${formatSeconds(Math.abs(skew.skewMs))} ${skew.skewMs > 0 ? 'behind' : 'ahead of'} ${skew.source}`);
    return warn(CHECK, `this machine's clock is ${described.join(' and ')}: OAuth token expiry and webhook signatures depend on it`, 'synchronise the clocks with NTP (e.g. timedatectl set-ntp true) here and on the other servers');
  }
  const worst = Math.max(...skews.map((skew) => Math.abs(skew.skewMs)));
  return ok(CHECK, `within ${formatSeconds(Math.max(worst, 1000))} of ${skews.map((skew) => skew.source).join(' and ')}`);
}

function formatSeconds(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return seconds < 120 ? `${seconds} s` : `${Math.round(seconds / 60)} min`;
}

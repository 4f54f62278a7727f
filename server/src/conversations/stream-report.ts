/**
 * What /readyz and `/gitlab status` say about listening to Mattermost, from
 * this replica's own state and the listener's heartbeat. Pure.
 */
import type { StreamHeartbeat } from '../store/stream-heartbeat.js';

export interface StreamReport {
  /** connected: a replica listens and its socket is up; the others are worth a warning (except off). */
  state: 'off' | 'connected' | 'connecting' | 'reconnecting' | 'no_listener';
  /** 'this replica', another replica's name, or null. */
  listener: string | null;
  connectedAt: string | null;
  lastEventAt: string | null;
  reconnects: number;
  /** One sentence for people. */
  detail: string;
}

/** A heartbeat older than this means the listener is gone (another replica takes over within seconds). */
export const HEARTBEAT_STALE_MS = 30_000;

export function describeStream(
  local: { role: 'off' | 'standby' | 'listening'; reason?: string; beat?: StreamHeartbeat },
  shared: { beat: StreamHeartbeat; ageMs: number } | null,
): StreamReport {
  if (local.role === 'off') return report('off', null, undefined, `Mattermost stream: off (${local.reason ?? 'turned off'}); thread replies and reactions are not sent to GitLab`);
  const own = local.role === 'listening' && local.beat ? local.beat : null;
  const beat = own ?? (shared && shared.ageMs < HEARTBEAT_STALE_MS ? shared.beat : null);
  if (!beat) return report('no_listener', null, undefined, 'Mattermost stream: no replica listens right now (one takes over within seconds)');
  const listener = own ? 'this replica' : beat.listener;
  const since = beat.connectedAt ? new Date(beat.connectedAt).toISOString() : null;
  switch (beat.phase) {
    case 'connected':
      return report('connected', listener, beat, `Mattermost stream: ${listener} listens, connected since ${since}`);
    case 'reconnecting':
      return report('reconnecting', listener, beat, `Mattermost stream: ${listener} lost the socket and is reconnecting (${beat.reconnects} reconnections so far)`);
    default:
      return report('connecting', listener, beat, `Mattermost stream: ${listener} is connecting`);
  }
}

function report(state: StreamReport['state'], listener: string | null, beat: StreamHeartbeat | undefined, detail: string): StreamReport {
  return {
    state,
    listener,
    connectedAt: beat?.connectedAt ? new Date(beat.connectedAt).toISOString() : null,
    lastEventAt: beat?.lastEventAt ? new Date(beat.lastEventAt).toISOString() : null,
    reconnects: beat?.reconnects ?? 0,
    detail,
  };
}

/** What /readyz and `/gitlab status` say about listening to Mattermost, on the listening replica and on the others. */
import { describe, expect, it } from '@jest/globals';
import { describeStream, HEARTBEAT_STALE_MS } from '../../../server/src/conversations/stream-report.js';
import type { StreamHeartbeat } from '../../../server/src/store/stream-heartbeat.js';

const CONNECTED_AT = Date.UTC(2026, 0, 5, 9, 30);
const beat = (phase: string, more: Partial<StreamHeartbeat> = {}): StreamHeartbeat => ({
  listener: 'bridge-2 (pid 7)',
  phase,
  connectedAt: phase === 'connected' ? CONNECTED_AT : null,
  lastEventAt: null,
  reconnects: 0,
  ...more,
});

describe('describeStream', () => {
  it('turned off: says so and why, and that replies and reactions stay in Mattermost', () => {
    const report = describeStream({ role: 'off', reason: 'MATTERMOST_WEBSOCKET=off' }, { beat: beat('connected'), ageMs: 0 });
    expect(report.state).toBe('off');
    expect(report.listener).toBeNull();
    expect(report.detail).toContain('MATTERMOST_WEBSOCKET=off');
    expect(report.detail).toContain('not sent to GitLab');
  });

  it('the listening replica speaks for itself, from its own state rather than the shared heartbeat', () => {
    const report = describeStream({ role: 'listening', beat: beat('connected', { lastEventAt: CONNECTED_AT + 5000, reconnects: 2 }) }, { beat: beat('reconnecting'), ageMs: 0 });
    expect(report).toEqual({
      state: 'connected',
      listener: 'this replica',
      connectedAt: '2026-01-05T09:30:00.000Z',
      lastEventAt: '2026-01-05T09:30:05.000Z',
      reconnects: 2,
      detail: 'Mattermost stream: this replica listens, connected since 2026-01-05T09:30:00.000Z',
    });
  });

  it('a standby replica names the replica that listens, from a fresh heartbeat', () => {
    const report = describeStream({ role: 'standby' }, { beat: beat('connected'), ageMs: 4000 });
    expect(report.state).toBe('connected');
    expect(report.listener).toBe('bridge-2 (pid 7)');
    expect(report.detail).toContain('bridge-2 (pid 7) listens');
  });

  it('a listener that lost its socket is reported reconnecting, with how often it did', () => {
    const report = describeStream({ role: 'standby' }, { beat: beat('reconnecting', { reconnects: 3 }), ageMs: 1000 });
    expect(report.state).toBe('reconnecting');
    expect(report.connectedAt).toBeNull();
    expect(report.reconnects).toBe(3);
    expect(report.detail).toContain('3 reconnections');
  });

  it('a listener still connecting is reported as connecting', () => {
    expect(describeStream({ role: 'listening', beat: beat('connecting') }, null).state).toBe('connecting');
  });

  it('no heartbeat, or only a stale one (its replica is gone), means no one listens', () => {
    expect(describeStream({ role: 'standby' }, null).state).toBe('no_listener');
    const stale = describeStream({ role: 'standby' }, { beat: beat('connected'), ageMs: HEARTBEAT_STALE_MS });
    expect(stale).toMatchObject({ state: 'no_listener', listener: null, connectedAt: null });
    expect(stale.detail).toContain('no replica listens');
    expect(describeStream({ role: 'standby' }, { beat: beat('connected'), ageMs: HEARTBEAT_STALE_MS - 1 }).state).toBe('connected');
  });
});

/** Retention settings: documented defaults, durations with a unit, and a clear refusal of anything else. */
import { describe, expect, it } from '@jest/globals';
import { parseConfig } from '../../server/src/config.js';
import { BridgeError } from '../../server/src/errors.js';

const parse = (env: Record<string, string>) => parseConfig(env, '/srv/bridge');

describe('retention settings', () => {
  it('default to a week of deduplication, a month of delivered work, a year of idle threads and audit, pruned hourly', () => {
    expect(parse({}).retention).toEqual({
      webhookDedupeSeconds: 7 * 86_400,
      deliverySeconds: 30 * 86_400,
      idleThreadSeconds: 365 * 86_400,
      auditSeconds: 365 * 86_400,
      pruneIntervalSeconds: 3600,
    });
  });

  it('take a whole number with a unit, down to seconds for tests', () => {
    const { retention } = parse({ WEBHOOK_DEDUPE_WINDOW: '90s', DELIVERY_RETENTION: '12h', IDLE_THREAD_RETENTION: '2d', AUDIT_RETENTION: '3650d', PRUNE_INTERVAL: '5m' });
    expect(retention).toEqual({ webhookDedupeSeconds: 90, deliverySeconds: 43_200, idleThreadSeconds: 172_800, auditSeconds: 315_360_000, pruneIntervalSeconds: 300 });
  });

  it('prune at most monthly: 30d is the longest PRUNE_INTERVAL', () => {
    expect(parse({ PRUNE_INTERVAL: '30d' }).retention.pruneIntervalSeconds).toBe(30 * 86_400);
  });

  it.each([
    ['WEBHOOK_DEDUPE_WINDOW', '7', /WEBHOOK_DEDUPE_WINDOW must be a duration: a whole number and a unit, for example 7d, 12h, 30m or 90s \(got "7"\)/],
    ['DELIVERY_RETENTION', '1.5d', /DELIVERY_RETENTION must be a duration/],
    ['AUDIT_RETENTION', '-1d', /AUDIT_RETENTION must be a duration/],
    ['PRUNE_INTERVAL', '0s', /PRUNE_INTERVAL must be a duration from 1s to 3650d/],
    ['IDLE_THREAD_RETENTION', '3651d', /IDLE_THREAD_RETENTION must be a duration from 1s to 3650d/],
    ['PRUNE_INTERVAL', '31d', /PRUNE_INTERVAL must be at most 30d \(got "31d"\)/],
  ])('stop on an invalid %s with a message naming it', (name, value, message) => {
    let error: unknown;
    try {
      parse({ [name]: value });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(BridgeError);
    expect((error as BridgeError).message).toMatch(message);
  });
});

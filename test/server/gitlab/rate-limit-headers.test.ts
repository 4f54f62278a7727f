import { describe, expect, it } from '@jest/globals';
import { readRateLimit, throttleScope } from '../../../server/src/gitlab/rate-limit-headers.js';

const now = new Date('2025-03-08T14:05:00Z');
const read = (status: number, headers: Record<string, string>) => readRateLimit(status, new Headers(headers), now);

describe("reading GitLab's rate-limit headers", () => {
  it('reads Retry-After in seconds on a 429', () => {
    expect(read(429, { 'Retry-After': '30' }).retryAt).toEqual(new Date('2025-03-08T14:05:30Z'));
  });

  it('reads Retry-After as an HTTP date', () => {
    expect(read(429, { 'Retry-After': 'Sat, 08 Mar 2025 14:07:00 GMT' }).retryAt).toEqual(new Date('2025-03-08T14:07:00Z'));
  });

  it('honours Retry-After on a 503 too', () => {
    expect(read(503, { 'Retry-After': '120' }).retryAt).toEqual(new Date('2025-03-08T14:07:00Z'));
  });

  it('ignores Retry-After on answers that are not refusals for load', () => {
    expect(read(200, { 'Retry-After': '30' }).retryAt).toBeNull();
    expect(read(301, { 'Retry-After': '30' }).retryAt).toBeNull();
  });

  it("falls back on the window's reset when a 429 has no Retry-After", () => {
    expect(read(429, { 'RateLimit-Reset': String(Date.parse('2025-03-08T14:06:00Z') / 1000) }).retryAt).toEqual(
      new Date('2025-03-08T14:06:00Z'),
    );
    expect(read(503, {}).retryAt).toBeNull();
  });

  it("reads GitLab's RateLimit headers", () => {
    expect(
      read(200, {
        'RateLimit-Limit': '2000',
        'RateLimit-Remaining': '1987',
        'RateLimit-Reset': '1741442760',
        'RateLimit-ResetTime': 'Sat, 08 Mar 2025 14:06:00 GMT',
      }),
    ).toEqual({ retryAt: null, limit: 2000, remaining: 1987, resetAt: new Date('2025-03-08T14:06:00Z') });
  });

  it('reads RateLimit-ResetTime when RateLimit-Reset is missing', () => {
    expect(read(200, { 'RateLimit-ResetTime': 'Sat, 08 Mar 2025 14:06:00 GMT' }).resetAt).toEqual(new Date('2025-03-08T14:06:00Z'));
  });

  it('reads a small RateLimit-Reset as seconds from now (the IETF draft form some proxies send)', () => {
    expect(read(200, { 'RateLimit-Reset': '45' }).resetAt).toEqual(new Date('2025-03-08T14:05:45Z'));
  });

  it('treats garbage as absent', () => {
    expect(
      read(429, {
        'Retry-After': 'soon',
        'RateLimit-Limit': '-1',
        'RateLimit-Remaining': '12.5',
        'RateLimit-Reset': 'tomorrow',
        'RateLimit-ResetTime': '2025',
      }),
    ).toEqual({ retryAt: null, limit: null, remaining: null, resetAt: null });
    expect(read(429, { 'Retry-After': '-30' }).retryAt).toBeNull();
    expect(read(429, { 'Retry-After': 'Someday, 99 Foo 2025 99:99:99 GMT' }).retryAt).toBeNull();
  });

  it('says nothing when there are no headers', () => {
    expect(read(200, {})).toEqual({ retryAt: null, limit: null, remaining: null, resetAt: null });
  });
});

describe('throttleScope', () => {
  const scope = (status: number, headers: Record<string, string>) => throttleScope(status, new Headers(headers));

  it("pauses only the token for GitLab's per-user throttles, endpoint limits and unnamed 429s", () => {
    expect(scope(429, { 'RateLimit-Name': 'throttle_authenticated_api', 'Retry-After': '30' })).toBe('caller');
    expect(scope(429, { 'Retry-After': '30' })).toBe('caller');
    expect(scope(200, { 'RateLimit-Remaining': '3', 'RateLimit-Limit': '2000' })).toBe('caller');
  });

  it("pauses everyone for a throttle of the bridge's IP and for a 503", () => {
    expect(scope(429, { 'RateLimit-Name': 'throttle_unauthenticated_api' })).toBe('everyone');
    expect(scope(200, { 'RateLimit-Name': 'Throttle_Unauthenticated_Web', 'RateLimit-Remaining': '0' })).toBe('everyone');
    expect(scope(503, { 'Retry-After': '120' })).toBe('everyone');
  });
});

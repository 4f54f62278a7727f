/**
 * What the bridge remembers of Mattermost's answers about session tokens, with
 * a resolver that counts its questions and a clock the test moves: good
 * answers for a minute, refusals for 15 s, both in bounded maps, and tokens
 * not accepted lately checked at a bounded rate.
 */
import { describe, expect, it } from '@jest/globals';
import type { SessionUser } from '../../../server/src/webapp-api/context.js';
import { ApiError } from '../../../server/src/webapp-api/errors.js';
import { cacheSessions, type SessionCacheOptions } from '../../../server/src/webapp-api/session-cache.js';

const ALICE: SessionUser = { id: 'alice-id', username: 'alice', roles: 'system_user' };

function setup(options: SessionCacheOptions = {}) {
  let clock = Date.parse('2030-01-01T12:00:00Z');
  const asked: string[] = [];
  let down = false;
  const resolve = cacheSessions(
    async (token) => {
      asked.push(token);
      if (down) throw new Error('Mattermost is down');
      return token.startsWith('good') ? ALICE : null;
    },
    { now: () => clock, ...options },
  );
  return {
    resolve,
    asked,
    advance: (ms: number) => (clock += ms),
    setDown: (value: boolean) => (down = value),
  };
}

describe('remembering session answers', () => {
  it('asks once about a bogus token sent again and again, and again after 15 s', async () => {
    const { resolve, asked, advance } = setup();
    for (let i = 0; i < 50; i += 1) expect(await resolve('bogus')).toBeNull();
    expect(asked).toEqual(['bogus']);
    advance(14_999);
    expect(await resolve('bogus')).toBeNull();
    expect(asked).toHaveLength(1);
    advance(1);
    expect(await resolve('bogus')).toBeNull();
    expect(asked).toHaveLength(2);
  });

  it('trusts a good answer for a minute, then asks again', async () => {
    const { resolve, asked, advance } = setup();
    expect(await resolve('good-1')).toEqual(ALICE);
    advance(59_999);
    expect(await resolve('good-1')).toEqual(ALICE);
    expect(asked).toHaveLength(1);
    advance(1);
    expect(await resolve('good-1')).toEqual(ALICE);
    expect(asked).toHaveLength(2);
  });

  it('asks once for calls made at the same time', async () => {
    const { resolve, asked } = setup();
    const answers = await Promise.all(Array.from({ length: 10 }, () => resolve('bogus')));
    expect(answers).toEqual(Array(10).fill(null));
    expect(asked).toHaveLength(1);
  });

  it('remembers nothing when Mattermost cannot be asked', async () => {
    const { resolve, asked, setDown } = setup();
    setDown(true);
    await expect(resolve('good-1')).rejects.toThrow('Mattermost is down');
    setDown(false);
    expect(await resolve('good-1')).toEqual(ALICE);
    expect(asked).toHaveLength(2);
  });

  it('keeps at most maxEntries of each: the oldest are forgotten first', async () => {
    const { resolve, asked } = setup({ maxEntries: 3 });
    for (const token of ['bogus-1', 'bogus-2', 'bogus-3', 'bogus-4']) await resolve(token);
    await resolve('bogus-4');
    await resolve('bogus-2');
    expect(asked).toEqual(['bogus-1', 'bogus-2', 'bogus-3', 'bogus-4']);
    // bogus-1 was pushed out by bogus-4: asked again.
    await resolve('bogus-1');
    expect(asked.at(-1)).toBe('bogus-1');
    for (const token of ['good-1', 'good-2', 'good-3', 'good-4']) await resolve(token);
    const before = asked.length;
    await resolve('good-1');
    expect(asked.length).toBe(before + 1);
  });

  it('keeps a bounded memory however many distinct tokens arrive', async () => {
    const { resolve, asked } = setup({ maxEntries: 100, newTokensPerSecond: 1_000_000, newTokenBurst: 1_000_000 });
    for (let i = 0; i < 5000; i += 1) await resolve(`bogus-${i}`);
    expect(asked).toHaveLength(5000);
    // Only the newest 100 are remembered: the newest is answered from memory, one from early on is not.
    await resolve('bogus-4999');
    expect(asked).toHaveLength(5000);
    await resolve('bogus-0');
    expect(asked).toHaveLength(5001);
  });
});

describe('checks of new tokens', () => {
  it('asks about new tokens at a bounded rate: beyond it they are refused without asking', async () => {
    const { resolve, asked, advance } = setup({ newTokensPerSecond: 2, newTokenBurst: 5 });
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => resolve(`bogus-${i}`).catch((error: unknown) => error)));
    expect(asked).toHaveLength(5);
    const refusals = answers.filter((answer) => answer instanceof ApiError) as ApiError[];
    expect(refusals).toHaveLength(5);
    expect(refusals[0]).toMatchObject({ status: 429, code: 'too_many_session_checks', retryAfterSeconds: 1 });
    advance(1000);
    await resolve('bogus-10');
    await resolve('bogus-11');
    await expect(resolve('bogus-12')).rejects.toMatchObject({ code: 'too_many_session_checks' });
    expect(asked).toHaveLength(7);
  });

  it('still re-checks a session accepted lately, and answers one in memory, while new tokens are refused', async () => {
    const { resolve, asked, advance } = setup({ newTokensPerSecond: 1, newTokenBurst: 2 });
    expect(await resolve('good-1')).toEqual(ALICE);
    expect(await resolve('good-2')).toEqual(ALICE);
    await expect(resolve('bogus-1')).rejects.toMatchObject({ code: 'too_many_session_checks' });
    expect(await resolve('good-2')).toEqual(ALICE);
    advance(60_000);
    // The bucket refilled meanwhile; empty it again.
    await resolve('bogus-2');
    await resolve('bogus-3');
    await expect(resolve('bogus-4')).rejects.toMatchObject({ code: 'too_many_session_checks' });
    expect(await resolve('good-1')).toEqual(ALICE);
    expect(asked.filter((token) => token === 'good-1')).toHaveLength(2);
  });
});

describe('checks of new tokens per client', () => {
  it('refuses one client flooding new tokens beyond its own allowance, while another client\'s new session is still checked', async () => {
    // The default share: a tenth of 50 a second, at least 5, bursts of four seconds' worth (20).
    const { resolve, asked } = setup({ newTokensPerSecond: 50 });
    const flood = await Promise.all(Array.from({ length: 100 }, (_, i) => resolve(`bogus-${i}`, '203.0.113.7').catch((error: unknown) => error)));
    expect(asked).toHaveLength(20);
    expect(flood.filter((answer) => answer instanceof ApiError && answer.code === 'too_many_session_checks')).toHaveLength(80);
    expect(await resolve('good-bob', '198.51.100.9')).toEqual(ALICE);
    await expect(resolve('good-carol', '203.0.113.7')).rejects.toMatchObject({ status: 429, code: 'too_many_session_checks' });
  });

  it('keeps the total as a ceiling over many clients', async () => {
    const { resolve, asked } = setup({ newTokensPerSecond: 2, newTokenBurst: 5 });
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => resolve(`bogus-${i}`, `client-${i}`).catch((error: unknown) => error)));
    expect(asked).toHaveLength(5);
    expect(answers.filter((answer) => answer instanceof ApiError)).toHaveLength(5);
  });

  it('lets callers that name no client share one allowance', async () => {
    const { resolve, asked } = setup({ newTokensPerSecond: 50 });
    await Promise.all(Array.from({ length: 30 }, (_, i) => resolve(`bogus-${i}`).catch(() => undefined)));
    expect(asked).toHaveLength(20);
    expect(await resolve('good-1', '198.51.100.9')).toEqual(ALICE);
  });

  it('remembers a bounded number of clients, least recently seen forgotten first', async () => {
    const { resolve, asked } = setup({ newTokensPerSecond: 50, maxEntries: 2 });
    await Promise.all(Array.from({ length: 25 }, (_, i) => resolve(`bogus-a${i}`, 'a').catch(() => undefined)));
    expect(asked).toHaveLength(20);
    await resolve('bogus-b', 'b');
    await resolve('bogus-c', 'c');
    // `a` was forgotten: as if idle, it has a full allowance again (the total still bounds it).
    await resolve('bogus-a-again', 'a');
    expect(asked.at(-1)).toBe('bogus-a-again');
  });
});

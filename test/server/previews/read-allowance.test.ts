import { describe, expect, it } from '@jest/globals';
import { createReadAllowance } from '../../../server/src/previews/read-allowance.js';

describe('createReadAllowance', () => {
  it('grants a user perMinute reads at once, then one each 60/perMinute seconds, saying when the next is back', () => {
    let now = 1_000_000;
    const allowance = createReadAllowance({ perMinute: 30, now: () => now });
    for (let read = 0; read < 30; read += 1) expect(allowance.take('dave')).toEqual({ granted: true });
    expect(allowance.take('dave')).toEqual({ granted: false, retryAfterSeconds: 2 });
    now += 1_000;
    expect(allowance.take('dave')).toEqual({ granted: false, retryAfterSeconds: 1 });
    now += 1_000;
    expect(allowance.take('dave')).toEqual({ granted: true });
    expect(allowance.take('dave')).toMatchObject({ granted: false });
    // Others are not held back; an hour idle fills the bucket again, and no more.
    expect(allowance.take('erin')).toEqual({ granted: true });
    now += 3_600_000;
    for (let read = 0; read < 30; read += 1) expect(allowance.take('dave')).toEqual({ granted: true });
    expect(allowance.take('dave')).toMatchObject({ granted: false });
  });

  it('forgets the users least recently seen when full, who come back as if idle', () => {
    const allowance = createReadAllowance({ perMinute: 1, now: () => 0, maxUsers: 2 });
    expect(allowance.take('a')).toEqual({ granted: true });
    expect(allowance.take('b')).toEqual({ granted: true });
    expect(allowance.take('a')).toMatchObject({ granted: false });
    expect(allowance.take('c')).toEqual({ granted: true });
    // `b` was the least recently seen: forgotten for `c`.
    expect(allowance.take('b')).toEqual({ granted: true });
    expect(allowance.take('a')).toEqual({ granted: true });
  });
});

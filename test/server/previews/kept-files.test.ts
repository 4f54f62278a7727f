import { describe, expect, it } from '@jest/globals';
import type { FileRead } from '../../../server/src/previews/fetch-code.js';
import { createKeptFiles, keptWeight } from '../../../server/src/previews/kept-files.js';

const file = (lines: string[]): FileRead => ({ ok: true, file: { project: 'g/p', path: 'a.ts', fileName: 'a.ts', ref: 'main', commitId: 'c'.repeat(40), lines } });
const refused: FileRead = { ok: false, reason: 'not_found' };

describe('createKeptFiles', () => {
  it('keeps what was read, refusals too, for ttlMs', () => {
    let now = 0;
    const kept = createKeptFiles({ ttlMs: 30_000, maxEntries: 10, maxBytes: 1_000_000, now: () => now });
    kept.keep('a', file(['x']));
    kept.keep('b', refused);
    expect(kept.get('a')).toEqual(file(['x']));
    expect(kept.get('b')).toEqual(refused);
    expect(kept.get('c')).toBeUndefined();
    now += 30_000;
    expect(kept.get('a')).toBeUndefined();
  });

  it('lets the oldest go when the count or the weight would pass its bound, and never keeps what alone weighs more', () => {
    const big = file(['y'.repeat(1_000)]);
    const kept = createKeptFiles({ ttlMs: 30_000, maxEntries: 3, maxBytes: keptWeight(big) * 2, now: () => 0 });
    kept.keep('one', big);
    kept.keep('two', big);
    kept.keep('three', big);
    expect([kept.get('one'), kept.get('two'), kept.get('three')].map(Boolean)).toEqual([false, true, true]);
    kept.keep('small-1', refused);
    kept.keep('small-2', refused);
    // Three entries at most: `two` went for `small-2`.
    expect([kept.get('two'), kept.get('three'), kept.get('small-1'), kept.get('small-2')].map(Boolean)).toEqual([false, true, true, true]);
    kept.keep('huge', file(['z'.repeat(10_000)]));
    expect(kept.get('huge')).toBeUndefined();
    expect(kept.get('three')).toBeDefined();
  });
});

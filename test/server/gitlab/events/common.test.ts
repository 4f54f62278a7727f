import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { canonicalJson, gitlabBase, isoTime, readProject } from '../../../../server/src/gitlab/events/common.js';

/** canonicalJson as first written: event keys stored since then hold its output, so it must never change. */
function canonicalJsonAsStored(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJsonAsStored).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJsonAsStored((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

describe('canonicalJson', () => {
  it('writes every fixture, and awkward values, exactly as the event keys already stored have them', () => {
    const dir = new URL('../../../fixtures/gitlab/webhooks/', import.meta.url);
    const fixtures = readdirSync(dir).filter((name) => name.endsWith('.json')).map((name) => JSON.parse(readFileSync(new URL(name, dir), 'utf8')) as unknown);
    expect(fixtures.length).toBeGreaterThan(20);
    const awkward = [
      { 10: 'a', 9: 'b', b: [1, { z: null, a: [] }], a: 'é "quoted" \\ \u0001 \ud800', '': -0, x: 1e21, y: Number.NaN },
      [undefined, { nothing: undefined }, true, false, 0.1],
      undefined,
      null,
      'text',
    ];
    for (const value of [...fixtures, ...awkward, [fixtures[0], undefined]]) expect(canonicalJson(value)).toBe(canonicalJsonAsStored(value));
  });
});

describe('isoTime', () => {
  it('reads the forms GitLab sends', () => {
    expect(isoTime('2013-12-03T17:15:43Z')).toBe('2013-12-03T17:15:43.000Z');
    expect(isoTime('2013-12-05 10:02:11 UTC')).toBe('2013-12-05T10:02:11.000Z');
    expect(isoTime('2021-04-28 21:50:00 +0200')).toBe('2021-04-28T19:50:00.000Z');
    expect(isoTime('2021-02-23T02:41:37.886Z')).toBe('2021-02-23T02:41:37.886Z');
  });

  it('gives null for anything else', () => {
    for (const value of [null, undefined, 12, '', 'yesterday', '2013-13-45 99:99:99', {}]) expect(isoTime(value)).toBeNull();
  });
});

describe('gitlabBase', () => {
  it('keeps a relative URL root', () => {
    const project = readProject({ project: { path_with_namespace: 'group/app', web_url: 'https://example.com/gitlab/group/app' } });
    expect(gitlabBase(project)).toBe('https://example.com/gitlab');
  });

  it('falls back to the origin when the URL does not end with the path', () => {
    const project = readProject({ project: { path_with_namespace: 'group/app', web_url: 'https://example.com/elsewhere' } });
    expect(gitlabBase(project)).toBe('https://example.com');
  });

  it('gives null without a usable URL', () => {
    expect(gitlabBase(readProject({ path_with_namespace: 'group/app' }))).toBeNull();
    expect(gitlabBase(readProject({ project: { path_with_namespace: 'a/b', web_url: 'not a url' } }))).toBeNull();
  });
});

import { describe, expect, it } from '@jest/globals';
import { gitlabBase, isoTime, readProject } from '../../../../server/src/gitlab/events/common.js';

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

import { describe, expect, it } from '@jest/globals';
import { parseGitLabUrl } from '../../../server/src/gitlab/parse-gitlab-url.js';

const gitlab = 'https://gitlab.example.com';

describe('parseGitLabUrl', () => {
  it('reads issues, merge requests, pipelines and commits at any group depth', () => {
    expect(parseGitLabUrl('https://gitlab.example.com/a/b/c/Project/-/issues/12', gitlab)).toEqual({ kind: 'issue', project: 'a/b/c/project', iid: 12 });
    expect(parseGitLabUrl('https://gitlab.example.com/group/project/-/merge_requests/4/diffs?view=inline#note_1', gitlab)).toEqual({ kind: 'merge_request', project: 'group/project', iid: 4 });
    expect(parseGitLabUrl('https://gitlab.example.com/group/project/-/pipelines/9001', gitlab)).toEqual({ kind: 'pipeline', project: 'group/project', id: 9001 });
    expect(parseGitLabUrl('https://gitlab.example.com/group/project/-/commit/ABCDEF12', gitlab)).toEqual({ kind: 'commit', project: 'group/project', sha: 'abcdef12' });
    expect(parseGitLabUrl('https://example.com/gitlab/group/project/-/issues/3', 'https://example.com/gitlab')).toEqual({ kind: 'issue', project: 'group/project', iid: 3 });
  });

  it('ignores other hosts, other pages and group pages', () => {
    for (const url of [
      'https://gitlab.com/group/project/-/issues/1',
      'https://gitlab.example.com/group/project',
      'https://gitlab.example.com/group/project/-/wikis/home',
      'https://gitlab.example.com/group/project/-/issues',
      'https://gitlab.example.com/groups/group/-/issues/1',
      'https://gitlab.example.com/group/-/issues/1',
      'https://gitlab.example.com/group/project/-/issues/99999999999999999999',
      'javascript:alert(1)',
      'not a url',
    ]) {
      expect([url, parseGitLabUrl(url, gitlab)]).toEqual([url, null]);
    }
  });
});

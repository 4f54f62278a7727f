/** The webapp's lists from a work snapshot, and whether a poll changed what it shows. */
import { describe, expect, it } from '@jest/globals';
import type { WorkItem, WorkSnapshot, WorkTodo } from '../../../server/src/gitlab/work-query.js';
import { combinedCounts, workCounts, workDigest } from '../../../server/src/polling/work-changes.js';
import { mergeLists, projectPathOfReference, projectPathOfUrl, readList, withoutTodo } from '../../../server/src/webapp-api/work-lists.js';

const item = (reference: string, url: string): WorkItem => ({
  type: 'merge_request',
  projectId: 1,
  reference,
  iid: 1,
  title: 'T',
  url,
  author: null,
  labels: [],
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
  draft: false,
  pipelineStatus: null,
  approvals: null,
  conflicts: null,
});
const todo = (id: number, projectPath: string | null, url: string | null): WorkTodo => ({
  id,
  action: 'mentioned',
  body: '',
  createdAt: '2026-01-01T00:00:00Z',
  targetType: 'issue',
  targetIid: 1,
  targetTitle: 'T',
  url,
  author: null,
  projectId: 1,
  projectPath,
  noteId: null,
});
const snapshot = (): WorkSnapshot => ({
  gitlabUserId: 6,
  reviews: { total: 3, items: [item('a/b/c!4', 'https://gl.example/a/b/c/-/merge_requests/4')] },
  assignedMergeRequests: { total: 0, items: [] },
  myMergeRequests: { total: 1, items: [item('!9', 'https://gl.example/gitlab/x/y/-/merge_requests/9')] },
  assignedIssues: { total: 0, items: [] },
  todos: { total: 2, items: [todo(11, 'g/p', null), todo(12, null, 'https://gl.example/g/sub/p/-/issues/1#note_3')] },
  moreTodos: false,
});

describe('project paths', () => {
  it('come from full references, at any group depth', () => {
    expect(projectPathOfReference('group/sub/project!12')).toBe('group/sub/project');
    expect(projectPathOfReference('group/project#3')).toBe('group/project');
    expect(projectPathOfReference('!12')).toBeNull();
  });

  it('or from the URL, without GitLab\'s own path prefix', () => {
    expect(projectPathOfUrl('https://gl.example/gitlab/x/y/-/merge_requests/9', 'https://gl.example/gitlab')).toBe('x/y');
    expect(projectPathOfUrl('https://gl.example/a/b/c/-/issues/1', 'https://gl.example/')).toBe('a/b/c');
    expect(projectPathOfUrl('not a url', 'https://gl.example')).toBeNull();
    expect(projectPathOfUrl(null, 'https://gl.example')).toBeNull();
  });

  it('are on every listed item', () => {
    expect(readList(snapshot(), 'reviews', 'https://gl.example').items[0]).toMatchObject({ projectPath: 'a/b/c' });
    expect(readList(snapshot(), 'my_mrs', 'https://gl.example/gitlab').items[0]).toMatchObject({ projectPath: 'x/y' });
    expect(readList(snapshot(), 'todos', 'https://gl.example').items.map((entry) => entry.projectPath)).toEqual(['g/p', 'g/sub/p']);
  });
});

describe('withoutTodo', () => {
  it('drops the to-do and counts one less', () => {
    const after = withoutTodo(snapshot(), 11)!;
    expect(after.todos).toEqual({ total: 1, items: [expect.objectContaining({ id: 12 })] });
    expect(workCounts(after)).toEqual({ reviews: 3, assigned_mrs: 0, my_mrs: 1, assigned_issues: 0, todos: 1 });
  });

  it('changes nothing for a to-do the snapshot does not hold', () => {
    expect(withoutTodo(snapshot(), 99)).toBeNull();
  });
});

describe('workDigest', () => {
  it('is the same for a poll that found the same work, and differs when counts, items or anything else changed', () => {
    expect(workDigest(snapshot())).toBe(workDigest(snapshot()));
    const retitled = snapshot();
    retitled.reviews.items[0]!.title = 'New title';
    expect(workDigest(retitled)).not.toBe(workDigest(snapshot()));
    expect(workDigest(withoutTodo(snapshot(), 12)!)).not.toBe(workDigest(snapshot()));
    expect(workDigest({ ...snapshot(), moreTodos: true })).not.toBe(workDigest(snapshot()));
  });
});

describe('several GitLab instances in one list', () => {
  const at = (reference: string, updatedAt: string) => ({ ...item(reference, `https://x/${reference}`), updatedAt });

  it('adds the totals up and takes items newest first, each instance keeping its own order', () => {
    const main = { total: 5, items: [at('a!3', '2026-01-05T00:00:00Z'), at('a!2', '2026-01-02T00:00:00Z')] };
    const corp = { total: 2, items: [at('c!9', '2026-01-04T00:00:00Z'), at('c!8', '2026-01-03T00:00:00Z')] };
    const merged = mergeLists([main, corp], (entry) => entry.updatedAt);
    expect(merged.total).toBe(7);
    expect(merged.items.map((entry) => entry.reference)).toEqual(['a!3', 'c!9', 'c!8', 'a!2']);
    expect(mergeLists([], (entry: WorkItem) => entry.updatedAt)).toEqual({ total: 0, items: [] });
  });

  it('counts for the sidebar are every instance\'s added up', () => {
    const one = { ...empty(), reviews: { total: 2, items: [] }, todos: { total: 1, items: [] } };
    const two = { ...empty(), reviews: { total: 1, items: [] }, assignedIssues: { total: 4, items: [] } };
    expect(combinedCounts([one, two])).toEqual({ reviews: 3, assigned_mrs: 0, my_mrs: 0, assigned_issues: 4, todos: 1 });
    expect(combinedCounts([])).toEqual({ reviews: 0, assigned_mrs: 0, my_mrs: 0, assigned_issues: 0, todos: 0 });
  });
});

function empty(): WorkSnapshot {
  const none = { total: 0, items: [] };
  return { gitlabUserId: 1, reviews: none, assignedMergeRequests: none, myMergeRequests: none, assignedIssues: none, todos: none, moreTodos: false };
}

import { describe, expect, it } from '@jest/globals';
import type { WorkTodo } from '../../../server/src/gitlab/work-query.js';
import type { Recipient } from '../../../server/src/rules/personal-notifications.js';
import { todoNotice } from '../../../server/src/rules/todo-notices.js';
import { DEFAULT_SETTINGS } from '../../../server/src/store/notification-settings.js';

const me: Recipient = { mattermostUserId: 'mm-me', gitlabUserId: 6, gitlabUsername: 'user1', settings: DEFAULT_SETTINGS, mutedGitLabUserIds: [] };

function todo(overrides: Partial<WorkTodo>): WorkTodo {
  return {
    id: 100,
    action: 'review_requested',
    body: 'Title',
    createdAt: '2026-11-25T08:00:00Z',
    targetType: 'merge_request',
    targetIid: 12,
    targetTitle: 'Title',
    url: 'https://gitlab.example/g/p/-/merge_requests/12',
    author: { id: 1, username: 'root', name: 'Administrator' },
    projectId: 5,
    projectPath: 'g/p',
    noteId: null,
    ...overrides,
  };
}

describe('to-dos as personal notices', () => {
  it('a review request to-do has the key the webhook path gives the same request', () => {
    expect(todoNotice(todo({}), me)).toEqual({ kind: 'reviews', key: 'review:5:merge_request:12:6', family: null, threadKey: '5:merge_request:12' });
  });

  it('assignments, mentions in comments and in descriptions match their webhook keys too', () => {
    expect(todoNotice(todo({ action: 'assigned', targetType: 'issue' }), me)?.key).toBe('assigned:5:issue:12:6');
    expect(todoNotice(todo({ action: 'mentioned', noteId: 1244 }), me)?.key).toBe('note:1244:user1');
    expect(todoNotice(todo({ action: 'directly_addressed' }), me)?.key).toBe('mention:5:merge_request:12:description:user1');
  });

  it('"build failed" joins the failed-pipeline family; other to-dos get their own key', () => {
    expect(todoNotice(todo({ action: 'build_failed' }), me)).toMatchObject({ kind: 'pipelines', key: 'todo:100', family: 'build_failed:5:merge_request:12:6' });
    expect(todoNotice(todo({ action: 'approval_required' }), me)).toMatchObject({ kind: 'todos', key: 'todo:100' });
  });

  it('never from a muted author, nor for a kind switched off', () => {
    expect(todoNotice(todo({}), { ...me, mutedGitLabUserIds: [1] })).toBeNull();
    expect(todoNotice(todo({}), { ...me, settings: { ...DEFAULT_SETTINGS, disabledKinds: ['reviews'] } })).toBeNull();
    expect(todoNotice(todo({}), { ...me, settings: { ...DEFAULT_SETTINGS, enabled: false } })).toBeNull();
  });
});

describe('to-dos of another GitLab instance', () => {
  it('carry its name in every key, as its webhooks do, so equal ids on two GitLabs never meet', () => {
    expect(todoNotice(todo({}), me, 'corp')).toEqual({ kind: 'reviews', key: 'review:corp~5:merge_request:12:6', family: null, threadKey: 'corp~5:merge_request:12' });
    expect(todoNotice(todo({ action: 'mentioned', noteId: 1244 }), me, 'corp')?.key).toBe('note:corp~1244:user1');
    expect(todoNotice(todo({ action: 'build_failed' }), me, 'corp')).toMatchObject({ key: 'todo:corp~100', family: 'build_failed:corp~5:merge_request:12:6' });
    // The default instance's keys are what they were before several instances.
    expect(todoNotice(todo({ action: 'mentioned', noteId: 1244 }), me, 'default')?.key).toBe('note:1244:user1');
  });
});

/** How `/gitlab` answers read: GitLab text made safe, counts right, the next step named. */
import { describe, expect, it } from '@jest/globals';
import { renderIssue } from '../../../server/src/commands/issue.js';
import { renderTodoLists, renderTodoParts } from '../../../server/src/commands/todo.js';
import { webhookHealth } from '../../../server/src/commands/webhook-health.js';

const GITLAB = 'https://gitlab.example.com';
const mr = (iid: number, title: string) => ({ title, web_url: `${GITLAB}/platform/web/-/merge_requests/${iid}`, references: { full: `platform/web!${iid}` }, author: { name: 'Dana' } });

describe('renderTodoLists', () => {
  it('shows each section with its total, links the rest, and pings nobody', () => {
    const answer = renderTodoLists(
      {
        reviews: { items: [mr(3, 'Fix login @channel'), mr(4, 'Docs')], total: 12 },
        mergeRequests: { items: [], total: 0 },
        issues: { items: [{ title: 'Broken [link](javascript:alert(1))', web_url: `${GITLAB}/platform/web/-/issues/9`, references: { full: 'platform/web#9' } }], total: 1 },
        todos: { items: [{ action_name: 'review_requested', target_type: 'MergeRequest', target_url: `${GITLAB}/platform/web/-/merge_requests/3`, target: mr(3, 'Fix login'), author: { name: 'Eve' } }], total: 1 },
      },
      GITLAB,
      'alice.gl',
    );
    expect(answer).toMatch(/^#### Your GitLab to-do list: 14 items\n\*\*Reviews requested from you \(12\)\*\*\n/);
    expect(answer).toContain(`- … [10 more in GitLab](${GITLAB}/dashboard/merge_requests?reviewer_username=alice.gl)`);
    expect(answer).not.toContain('Merge requests assigned to you');
    expect(answer).toContain('**Issues assigned to you (1)**');
    expect(answer).toContain('- review requested: [platform/web!3 Fix login]');
    expect(answer).not.toMatch(/@channel/);
    expect(answer).not.toContain('](javascript:');
  });

  it('says so when nothing waits', () => {
    const empty = { items: [], total: 0 };
    expect(renderTodoLists({ reviews: empty, mergeRequests: empty, issues: empty, todos: empty }, GITLAB, 'alice.gl')).toMatch(/^Nothing waits for you in GitLab/);
  });
});

describe('renderTodoParts (several GitLabs)', () => {
  it('adds each section up, names the GitLab of every item, and links what is left on each', () => {
    const CORP = 'https://git.corp.example';
    const empty = { items: [], total: 0 };
    const corpMr = { title: 'Corp fix', web_url: `${CORP}/corp/app/-/merge_requests/2`, references: { full: 'corp/app!2' } };
    const answer = renderTodoParts([
      { label: 'gitlab.example.com', gitlabUrl: GITLAB, gitlabUsername: 'alice.gl', lists: { reviews: { items: [mr(3, 'Fix login')], total: 1 }, mergeRequests: empty, issues: empty, todos: empty } },
      { label: 'corp', gitlabUrl: CORP, gitlabUsername: 'alice', lists: { reviews: { items: [corpMr], total: 4 }, mergeRequests: empty, issues: empty, todos: empty } },
    ]);
    expect(answer).toMatch(/^#### Your GitLab to-do list: 5 items\n\*\*Reviews requested from you \(5\)\*\*\n/);
    expect(answer).toContain('- [platform/web!3 Fix login](https://gitlab.example.com/platform/web/-/merge_requests/3) · on gitlab.example.com · by Dana');
    expect(answer).toContain(`- [corp/app!2 Corp fix](${CORP}/corp/app/-/merge_requests/2) · on corp`);
    expect(answer).toContain(`- … [3 more on corp](${CORP}/dashboard/merge_requests?reviewer_username=alice)`);
  });
});

describe('renderIssue', () => {
  it('shows the facts and the start of the description, with mentions made harmless', () => {
    const answer = renderIssue({
      id: 1,
      iid: 9,
      title: 'Crash on save',
      description: 'Hey @all, steps:\n1. open\n2. save',
      state: 'closed',
      web_url: `${GITLAB}/platform/web/-/issues/9`,
      labels: ['bug'],
      confidential: true,
      author: { name: 'Dana' },
      assignees: [{ name: 'Eve' }],
      references: { full: 'platform/web#9' },
      user_notes_count: 2,
      created_at: '2026-11-20T10:00:00Z',
    });
    expect(answer.split('\n').slice(0, 2)).toEqual([
      `#### [platform/web#9 Crash on save](${GITLAB}/platform/web/-/issues/9)`,
      '**closed** · confidential · by Dana · assigned to Eve · `bug` · 2 comments · opened 2026-11-20',
    ]);
    expect(answer).toContain('> Hey @\u200Ball, steps:');
  });
});

describe('webhookHealth', () => {
  const now = new Date('2026-11-25T12:00:00Z');
  const hook = { id: 4, url: 'https://bridge/webhook', events: ['push_events'], alertStatus: 'executable', disabledUntil: null };

  it('says when events last arrived and what GitLab says of the hook', () => {
    expect(webhookHealth({ targetKind: 'project', targetPath: 'platform/web', lastEventAt: new Date('2026-11-25T11:50:00Z') }, { hooks: [hook] }, 'gitlab', now)).toBe(
      'Webhook: last event 10 min ago · GitLab hook 4 working',
    );
    expect(
      webhookHealth({ targetKind: 'project', targetPath: 'platform/web', lastEventAt: null }, { hooks: [{ ...hook, alertStatus: 'temporarily_disabled', disabledUntil: '2026-11-25T13:00:00Z' }] }, 'gitlab', now),
    ).toBe('Webhook: **no event has arrived yet** · GitLab hook 4 **paused by GitLab after failures** until 2026-11-25T13:00:00Z');
  });

  it('points at `webhook add` when no hook reaches the bridge, but not for a group fed by its projects', () => {
    expect(webhookHealth({ targetKind: 'project', targetPath: 'platform/web', lastEventAt: null }, { hooks: [] }, 'gl', now)).toContain('`/gl webhook add platform/web`');
    expect(webhookHealth({ targetKind: 'group', targetPath: 'platform', lastEventAt: new Date('2026-11-22T12:00:00Z') }, { hooks: [] }, 'gl', now)).toBe(
      "Webhook: last event 3 days ago (through its projects' hooks)",
    );
    expect(webhookHealth({ targetKind: 'project', targetPath: 'platform/web', lastEventAt: null }, { unknown: true }, 'gl', now)).toBe('Webhook: **no event has arrived yet**');
  });
});

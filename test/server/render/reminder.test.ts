import { describe, expect, it } from '@jest/globals';
import type { WorkItem, WorkSnapshot, WorkTodo } from '../../../server/src/gitlab/work-query.js';
import { combinedReminderDigest, REMINDER_SHOWN, reminderDigest, renderCombinedReminder, renderReminder, type ReminderPart } from '../../../server/src/render/reminder.js';

const PINGS = /(^|[^\w])@(channel|all|here|someone)\b/i;
const NOW = new Date('2025-06-10T07:00:00Z');
const OPTIONS = { gitlabUrl: 'https://gitlab.example.com/', username: 'alice', now: NOW };

function mergeRequest(iid: number, title = `Change ${iid}`, extra: Partial<WorkItem> = {}): WorkItem {
  return {
    type: 'merge_request',
    projectId: 7,
    reference: `acme/api!${iid}`,
    iid,
    title,
    url: `https://gitlab.example.com/acme/api/-/merge_requests/${iid}`,
    author: { id: 2, username: 'bob', name: 'Bob Builder' },
    labels: [],
    createdAt: '2025-06-07T07:00:00Z',
    updatedAt: '2025-06-09T07:00:00Z',
    draft: false,
    pipelineStatus: 'success',
    approvals: null,
    conflicts: false,
    ...extra,
  };
}

function issue(iid: number, title = `Problem ${iid}`): WorkItem {
  return {
    ...mergeRequest(iid, title),
    type: 'issue',
    reference: `acme/api#${iid}`,
    url: `https://gitlab.example.com/acme/api/-/issues/${iid}`,
    draft: null,
    pipelineStatus: null,
  };
}

function todo(id: number, extra: Partial<WorkTodo> = {}): WorkTodo {
  return {
    id,
    action: 'mentioned',
    body: 'can you look at this?',
    createdAt: '2025-06-10T05:00:00Z',
    targetType: 'issue',
    targetIid: 3,
    targetTitle: 'Flaky login',
    url: 'https://gitlab.example.com/acme/api/-/issues/3#note_9',
    author: { id: 3, username: 'carol', name: 'Carol' },
    projectId: 7,
    projectPath: 'acme/api',
    noteId: 9,
    ...extra,
  };
}

const list = <T>(items: T[], total = items.length) => ({ total, items });

function snapshot(parts: Partial<WorkSnapshot> = {}): WorkSnapshot {
  return {
    gitlabUserId: 1,
    reviews: list([]),
    assignedMergeRequests: list([]),
    myMergeRequests: list([]),
    assignedIssues: list([]),
    todos: list([]),
    moreTodos: false,
    ...parts,
  };
}

describe('renderReminder', () => {
  it('sends nothing when nothing waits, even with merge requests of ones own', () => {
    expect(renderReminder(snapshot(), OPTIONS)).toBeNull();
    expect(renderReminder(snapshot({ myMergeRequests: list([mergeRequest(1)]) }), OPTIONS)).toBeNull();
  });

  it('lists review requests with links, author and age, and a heading with the total', () => {
    const text = renderReminder(snapshot({ reviews: list([mergeRequest(12, 'Add caching'), mergeRequest(13, 'Fix typo', { draft: true })]) }), OPTIONS)!;
    const lines = text.split('\n');
    expect(lines[0]).toBe('#### Your GitLab day: 2 items waiting');
    expect(lines[1]).toBe('**Reviews requested from you (2)**');
    expect(lines[2]).toBe('- [acme/api!12 Add caching](https://gitlab.example.com/acme/api/-/merge_requests/12) · by Bob Builder · opened 3 days ago');
    expect(lines[3]).toContain('· draft');
    expect(text).not.toContain('Merge requests assigned');
    expect(text).not.toContain('Issues assigned');
    expect(text).not.toContain('To-dos');
  });

  it('lists assigned merge requests and issues in their own sections', () => {
    const text = renderReminder(snapshot({ assignedMergeRequests: list([mergeRequest(4)]), assignedIssues: list([issue(5, 'Crash on start')]) }), OPTIONS)!;
    expect(text).toContain('**Merge requests assigned to you (1)**\n- [acme/api!4 Change 4](https://gitlab.example.com/acme/api/-/merge_requests/4)');
    expect(text).toContain('**Issues assigned to you (1)**\n- [acme/api#5 Crash on start](https://gitlab.example.com/acme/api/-/issues/5)');
    expect(text).not.toContain('Reviews requested');
    expect(text.split('\n')[0]).toBe('#### Your GitLab day: 2 items waiting');
  });

  it('lists to-dos with what they are about, who and what was said', () => {
    const text = renderReminder(
      snapshot({ todos: list([todo(1), todo(2, { action: 'build_failed', targetType: 'merge_request', targetIid: 8, targetTitle: 'Bump deps', body: 'ignored', author: null, url: 'https://gitlab.example.com/acme/api/-/merge_requests/8' })]) }),
      OPTIONS,
    )!;
    expect(text).toContain('**To-dos (2)**');
    expect(text).toContain('- mentioned: [acme/api#3 Flaky login](https://gitlab.example.com/acme/api/-/issues/3#note_9) · from Carol: “can you look at this?” · 2 h ago');
    expect(text).toContain('- build failed: [acme/api!8 Bump deps](https://gitlab.example.com/acme/api/-/merge_requests/8) · 2 h ago');
    expect(text).not.toContain('ignored');
  });

  it('shows ten items per section and links the rest to the GitLab dashboard', () => {
    const many = Array.from({ length: 20 }, (_, index) => mergeRequest(index + 1));
    const text = renderReminder(snapshot({ reviews: list(many, 34), assignedIssues: list(many.slice(0, 12).map((item) => issue(item.iid))) }), OPTIONS)!;
    expect(text).toContain('**Reviews requested from you (34)**');
    expect(text.match(/^- \[acme\/api!/gm)).toHaveLength(10);
    expect(text).toContain('- … [and 24 more in GitLab](https://gitlab.example.com/dashboard/merge_requests?reviewer_username=alice)');
    expect(text).toContain('- … [and 2 more in GitLab](https://gitlab.example.com/dashboard/issues?assignee_username=alice)');
    expect(text.split('\n')[0]).toBe('#### Your GitLab day: 46 items waiting');
  });

  it('says "at least" when GitLab had more to-dos than one page', () => {
    const todos = Array.from({ length: 100 }, (_, index) => todo(index + 1));
    const text = renderReminder(snapshot({ todos: list(todos), moreTodos: true }), OPTIONS)!;
    expect(text.split('\n')[0]).toBe('#### Your GitLab day: 100+ items waiting');
    expect(text).toContain('**To-dos (100+)**');
    expect(text).toContain('- … [and 90+ more in GitLab](https://gitlab.example.com/dashboard/todos)');
  });

  it('pings nobody and keeps GitLab text from breaking the layout', () => {
    const title = 'Hey @channel and @all, @someone look [here](https://evil.example) **now**\n#### big';
    const text = renderReminder(
      snapshot({
        reviews: list([mergeRequest(1, title, { author: { id: 9, username: 'x', name: '@here [Mallory](https://evil.example)' } })]),
        todos: list([todo(1, { body: '@all please\n- look', targetTitle: '@channel', author: { id: 9, username: 'x', name: '@someone' } })]),
      }),
      OPTIONS,
    )!;
    expect(text).not.toMatch(PINGS);
    expect(text).not.toContain('](https://evil.example)');
    expect(text).not.toContain('**now**');
    // Every line is the heading, a section title, a list item, or the footer: nothing GitLab wrote starts a line.
    for (const line of text.split('\n').slice(1)) expect(line).toMatch(/^(\*\*[A-Z]|- |_`|$)/);
  });

  it('builds dashboard links for the user, whatever their name', () => {
    const many = Array.from({ length: 11 }, (_, index) => mergeRequest(index + 1));
    const text = renderReminder(snapshot({ assignedMergeRequests: list(many) }), { ...OPTIONS, username: 'ann.o-b' })!;
    expect(text).toContain('(https://gitlab.example.com/dashboard/merge_requests?assignee_username=ann.o-b)');
  });

  it('tells how to move or stop the reminder with the team trigger', () => {
    const text = renderReminder(snapshot({ reviews: list([mergeRequest(1)]) }), { ...OPTIONS, trigger: 'gl' })!;
    expect(text).toContain('`/gl settings reminder off`');
  });
});

describe('reminderDigest', () => {
  const base = snapshot({ reviews: list([mergeRequest(1), mergeRequest(2)]), assignedIssues: list([issue(3)]), todos: list([todo(10), todo(11)]) });

  it('is a sha256 hex string that is the same for the same content', () => {
    expect(reminderDigest(base)).toMatch(/^[0-9a-f]{64}$/);
    expect(reminderDigest(structuredClone(base))).toBe(reminderDigest(base));
  });

  it('changes when an item or a to-do is added or removed', () => {
    const digest = reminderDigest(base);
    expect(reminderDigest({ ...base, reviews: list([mergeRequest(1), mergeRequest(2), mergeRequest(4)]) })).not.toBe(digest);
    expect(reminderDigest({ ...base, reviews: list([mergeRequest(1)]) })).not.toBe(digest);
    expect(reminderDigest({ ...base, assignedIssues: list([]) })).not.toBe(digest);
    expect(reminderDigest({ ...base, assignedMergeRequests: list([mergeRequest(1)]) })).not.toBe(digest);
    expect(reminderDigest({ ...base, todos: list([todo(10)]) })).not.toBe(digest);
    expect(reminderDigest({ ...base, todos: list([todo(10), todo(12)]) })).not.toBe(digest);
  });

  it('changes when a title changes', () => {
    expect(reminderDigest({ ...base, reviews: list([mergeRequest(1, 'Renamed'), mergeRequest(2)]) })).not.toBe(reminderDigest(base));
  });

  it('does not change when only activity stamps or the order change', () => {
    const touched = {
      ...base,
      reviews: list([mergeRequest(2, 'Change 2', { updatedAt: '2025-06-10T06:59:00Z', pipelineStatus: 'running' }), mergeRequest(1)]),
      todos: list([todo(11), todo(10)]),
    };
    expect(reminderDigest(touched)).toBe(reminderDigest(base));
  });
});

describe('one reminder over several GitLab instances', () => {
  const CORP = 'https://git.corp.example';
  const corpItem = (iid: number, title: string, updatedAt: string): WorkItem => ({
    ...mergeRequest(iid, title),
    reference: `corp/app!${iid}`,
    url: `${CORP}/corp/app/-/merge_requests/${iid}`,
    updatedAt,
  });
  const parts = (main: Partial<WorkSnapshot>, corp: Partial<WorkSnapshot>): ReminderPart[] => [
    { instance: 'default', label: 'gitlab.example.com', snapshot: snapshot(main), gitlabUrl: 'https://gitlab.example.com', username: 'alice' },
    { instance: 'corp', label: 'corp', snapshot: snapshot(corp), gitlabUrl: CORP, username: 'alice.c' },
  ];

  it('adds the sections up and shows which GitLab each item is on', () => {
    const text = renderCombinedReminder(
      parts({ reviews: list([mergeRequest(12, 'Add caching')]) }, { reviews: list([corpItem(3, 'Corp change', '2025-06-09T09:00:00Z')]), todos: list([todo(4)]) }),
      { now: NOW },
    )!;
    expect(text).toMatch(/^#### Your GitLab day: 3 items waiting/);
    expect(text).toContain('**Reviews requested from you (2)**');
    // Newest first across the instances (the corp one was updated later).
    const reviews = text.split('\n').filter((line) => line.startsWith('- [')).slice(0, 2);
    expect(reviews[0]).toMatch(/^- \[corp\/app!3 Corp change\]\(https:\/\/git\.corp\.example\/.*\) · on corp ·/);
    expect(reviews[1]).toMatch(/^- \[acme\/api!12 Add caching\]\(https:\/\/gitlab\.example\.com\/.*\) · on gitlab\.example\.com ·/);
    expect(text).toMatch(/- mentioned: \[acme\/api#3 Flaky login\]\([^)]+\) · on corp · from Carol/);
  });

  it('links what is left to each GitLab\'s own dashboard, as the person is known there', () => {
    const many = (count: number, make: (iid: number) => WorkItem) => Array.from({ length: count }, (_, index) => make(index + 1));
    const text = renderCombinedReminder(
      parts({ reviews: list(many(8, (iid) => mergeRequest(iid)), 20) }, { reviews: list(many(8, (iid) => corpItem(iid, `Corp ${iid}`, '2025-06-08T07:00:00Z')), 9) }),
      { now: NOW },
    )!;
    expect(text).toContain('**Reviews requested from you (29)**');
    expect(text.split('\n').filter((line) => /^- \[(acme|corp)/.test(line))).toHaveLength(REMINDER_SHOWN);
    expect(text).toContain('- … [and 12 more on gitlab.example.com](https://gitlab.example.com/dashboard/merge_requests?reviewer_username=alice)');
    expect(text).toContain(`- … [and 7 more on corp](${CORP}/dashboard/merge_requests?reviewer_username=alice.c)`);
  });

  it('says when an instance\'s part is old (its GitLab has not answered since)', () => {
    const [main, corp] = parts({ reviews: list([mergeRequest(1)]) }, { reviews: list([corpItem(2, 'Old news', '2025-06-01T00:00:00Z')]) });
    const text = renderCombinedReminder([main!, { ...corp!, polledAt: new Date(NOW.getTime() - 5 * 60 * 60_000) }], { now: NOW })!;
    expect(text).toContain('_What is listed from corp was read 5 h ago: it could not be asked since._');
  });

  it('is nothing when no instance has anything waiting', () => {
    expect(renderCombinedReminder(parts({}, { myMergeRequests: list([mergeRequest(1)]) }), { now: NOW })).toBeNull();
  });

  it('has one digest over every part: a change on either instance changes it; the default alone keeps its old digest', () => {
    const base = parts({ reviews: list([mergeRequest(1)]) }, { reviews: list([corpItem(1, 'Corp', '2025-06-09T07:00:00Z')]) });
    const digest = combinedReminderDigest(base);
    expect(combinedReminderDigest([base[1]!, base[0]!])).toBe(digest);
    expect(combinedReminderDigest([base[0]!, { ...base[1]!, snapshot: snapshot({ reviews: list([]) }) }])).not.toBe(digest);
    expect(combinedReminderDigest([base[0]!])).toBe(reminderDigest(base[0]!.snapshot));
    // The same items on another instance are other items.
    expect(combinedReminderDigest([{ ...base[0]!, instance: 'corp' }])).not.toBe(reminderDigest(base[0]!.snapshot));
  });
});

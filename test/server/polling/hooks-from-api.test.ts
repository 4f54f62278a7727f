import { describe, expect, it } from '@jest/globals';
import { hookFromEvent, lookupRequests, lookupsFor } from '../../../server/src/polling/hooks-from-api.js';
import type { RestCommit, RestEvent } from '../../../server/src/polling/rest-shapes.js';
import { renderPost } from '../../../server/src/render/render-post.js';
import * as api from './api-objects.js';
import { expectSamePost, fullPost, parseHook, pollHook } from './fallback-fetch.js';

const ZERO = '0'.repeat(40);

describe('merge request events give the webhook’s posts', () => {
  it('opened', () => {
    const event = api.mergeRequestEvent('opened', '2013-12-03T17:23:34.512Z');
    expectSamePost(pollHook(event, api.gitlabTest, { mergeRequest: api.msViewport() }), 'merge_request.open.json');
  });

  it('closed, though the MR was reopened before the poll', () => {
    const event = api.mergeRequestEvent('closed', '2013-12-04T09:15:02.301Z');
    const mergeRequest = api.msViewport({ state: 'opened', updated_at: '2013-12-05T10:00:00.000Z' });
    const { polled } = expectSamePost(pollHook(event, api.gitlabTest, { mergeRequest }), 'merge_request.close.json');
    expect(polled.target?.state).toBe('closed');
  });

  it('reopened', () => {
    const event = api.mergeRequestEvent('reopened', '2013-12-04T09:15:02.301Z');
    expectSamePost(pollHook(event, api.gitlabTest, { mergeRequest: api.msViewport() }), 'merge_request.reopen.json');
  });

  it('accepted, as merged', () => {
    const event = api.mergeRequestEvent('accepted', '2013-12-04T09:15:02.301Z');
    const mergeRequest = api.msViewport({ state: 'merged', detailed_merge_status: 'not_open', merge_commit_sha: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7' });
    const { polled } = expectSamePost(pollHook(event, api.gitlabTest, { mergeRequest }), 'merge_request.merge.json');
    expect(polled.target?.state).toBe('merged');
  });

  it('approved on GitLab Free, where every approval meets the requirement', () => {
    const event = api.mergeRequestEvent('approved', '2013-12-03T17:23:34.807Z');
    const approvals = { approved: true, approved_by: [{ user: api.root }] };
    const { polled, webhook } = expectSamePost(pollHook(event, api.gitlabTest, { mergeRequest: api.msViewport(), approvals }), 'merge_request.approved.json');
    // GitLab stamped the MR in the event's second: the key is the webhook's, so a late webhook is not posted again.
    expect(polled.key).toBe(webhook.key);
  });

  it('approved on Premium by the first of two required approvers: one approval, not all', () => {
    const event = api.mergeRequestEvent('approved', '2013-12-03T17:23:34.807Z');
    const approvals = { approved: false, approvals_required: 2, approvals_left: 1, approved_by: [{ user: api.root }] };
    expectSamePost(pollHook(event, api.gitlabTest, { mergeRequest: api.msViewport(), approvals }), 'merge_request.approval.json');
  });

  it('approved on Premium by the approver who met the requirement', () => {
    const event = api.mergeRequestEvent('approved', '2013-12-03T17:23:34.807Z');
    const approvals = { approved: true, approvals_required: 2, approvals_left: 0, approved_by: [{ user: api.user1 }, { user: api.root }] };
    expectSamePost(pollHook(event, api.gitlabTest, { mergeRequest: api.msViewport(), approvals }), 'merge_request.approved.json');
  });

  it('approved, when the approvals could not be read: says no more than one approval', () => {
    const event = api.mergeRequestEvent('approved', '2013-12-03T17:23:34.807Z');
    expectSamePost(hookFromEvent(event, { project: api.gitlabTest, mergeRequest: api.msViewport() }), 'merge_request.approval.json');
  });

  it('keeps the key of a polled event when the MR changes between polls', () => {
    const event = api.mergeRequestEvent('closed', '2013-12-04T09:15:02.301Z');
    const first = parseHook(pollHook(event, api.gitlabTest, { mergeRequest: api.msViewport({ state: 'closed' }) }));
    const later = parseHook(pollHook(event, api.gitlabTest, { mergeRequest: api.msViewport({ state: 'opened', title: 'MS-Viewport v2', updated_at: '2013-12-09T08:00:00.000Z' }) }));
    expect(later.key).toBe(first.key);
  });
});

describe('issue events give the webhook’s posts', () => {
  it('opened', () => {
    expectSamePost(pollHook(api.issueEvent('opened', '2013-12-03T17:15:43.250Z'), api.gitlabTest, { issue: api.newApiIssue() }), 'issue.open.json');
  });

  it('closed', () => {
    const issue = api.newApiIssue({ state: 'closed', closed_at: '2013-12-05T10:02:11.000Z', updated_at: '2013-12-05T10:02:11.000Z' });
    expectSamePost(pollHook(api.issueEvent('closed', '2013-12-05T10:02:11.640Z'), api.gitlabTest, { issue }), 'issue.close.json');
  });

  it('reopened', () => {
    expectSamePost(pollHook(api.issueEvent('reopened', '2013-12-05T10:02:11.640Z'), api.gitlabTest, { issue: api.newApiIssue() }), 'issue.reopen.json');
  });

  it('keeps a confidential issue confidential', () => {
    const hook = pollHook(api.issueEvent('closed', '2013-12-05T10:02:11.640Z'), api.gitlabTest, { issue: api.newApiIssue({ confidential: true }) });
    const polled = parseHook(hook);
    expect(polled.confidential).toBe(true);
    expect(fullPost(polled).message).toContain('closed confidential issue');
    expect(hook?.payload).toMatchObject({ event_type: 'confidential_issue' });
  });

  it('names an incident by its work item type', () => {
    const polled = parseHook(pollHook(api.issueEvent('opened', '2013-12-03T17:15:43.250Z'), api.gitlabTest, { issue: api.newApiIssue({ issue_type: 'incident', type: 'INCIDENT' }) }));
    expect(renderPost(polled, 'title').message).toContain('opened incident');
  });
});

describe('comments give the webhook’s posts', () => {
  it('on a merge request', () => {
    const note = api.mergeRequestNote();
    const { polled, webhook } = expectSamePost(pollHook(api.noteEvent(note), api.gitlabOrgTest, { mergeRequest: api.temporaMergeRequest }), 'note.merge_request.json');
    expect(polled.key).toBe(webhook.key);
    expect(polled.occurredAt).toBe(webhook.occurredAt);
  });

  it('on an issue', () => {
    const { polled, webhook } = expectSamePost(pollHook(api.noteEvent(api.issueNote()), api.gitlabOrgTest, { issue: api.testIssue() }), 'note.issue.json');
    expect(polled.key).toBe(webhook.key);
  });

  it('on a confidential issue, kept confidential', () => {
    const { polled } = expectSamePost(
      pollHook(api.noteEvent(api.issueNote()), api.gitlabOrgTest, { issue: api.testIssue({ confidential: true }) }),
      'note.issue.confidential.json',
    );
    expect(polled.confidential).toBe(true);
  });

  it('an internal note stays internal', () => {
    const note = api.issueNote({ internal: true, confidential: true });
    const { polled } = expectSamePost(pollHook(api.noteEvent(note), api.gitlabOrgTest, { issue: api.testIssue() }), 'note.issue.json', (payload) => {
      // GitLab marks an internal note's delivery as a confidential note, whatever its issue.
      payload.event_type = 'confidential_note';
      payload.object_attributes.internal = true;
    });
    expect(polled.internal).toBe(true);
  });

  it('reads GitLab 13–15’s `confidential` as internal', () => {
    const { internal: _internal, ...note } = api.issueNote({ confidential: true });
    expect(parseHook(pollHook(api.noteEvent(note), api.gitlabOrgTest, { issue: api.testIssue() })).internal).toBe(true);
  });

  it('asks for the note when the event does not say whether it is internal, and drops it if the note does not either', () => {
    const { internal: _internal, confidential: _confidential, ...note } = api.issueNote();
    const event = api.noteEvent(note);
    expect(lookupsFor(event)).toEqual({ issue: 17, note: { noteableType: 'Issue', noteableIid: 17, noteId: 1241 } });

    const fetchedInternal = pollHook(event, api.gitlabOrgTest, { issue: api.testIssue(), note: api.issueNote({ internal: true }) });
    expect(parseHook(fetchedInternal).internal).toBe(true);

    expect(pollHook(event, api.gitlabOrgTest, { issue: api.testIssue(), note })).toBeNull();
    expect(pollHook(event, api.gitlabOrgTest, { issue: api.testIssue() })).toBeNull();
  });
});

describe('branch pushes give the webhook’s posts', () => {
  /** mike/diaspora's history, newest first: the two pushed commits, then the one before. */
  const history: RestCommit[] = [api.fixedReadme, api.catalanTranslation, { ...api.fixedReadme, id: api.BEFORE, title: 'Older', message: 'Older' }];

  it('pushed to: two commits, with the compare link and both commits', () => {
    const { polled, webhook } = expectSamePost(pollHook(api.pushEvent('pushed to', {}), api.diaspora, { commits: history }), 'push.json', (payload) => {
      // The documented example lists 2 commits but counts 4; a real push of these two counts 2.
      payload.total_commits_count = 2;
    });
    expect(polled.key).toBe(webhook.key);
  });

  it('pushed to: a single commit', () => {
    const event = api.pushEvent('pushed to', { commit_count: 1, commit_from: api.catalanTranslation.id });
    expect(lookupsFor(event)).toEqual({ commit: api.AFTER });
    const { polled, webhook } = expectSamePost(pollHook(event, api.diaspora, { commits: history }), 'push.json', (payload) => {
      payload.before = api.catalanTranslation.id;
      payload.commits = payload.commits.slice(1);
      payload.total_commits_count = 1;
    });
    expect(polled.key).toBe(webhook.key);
  });

  it('pushed new: a branch created with its commits', () => {
    const event = api.pushEvent('pushed new', { commit_from: null });
    const { polled, webhook } = expectSamePost(pollHook(event, api.diaspora, { commits: history }), 'push.json', (payload) => {
      payload.before = ZERO;
      payload.total_commits_count = 2;
    });
    expect(polled.action).toBe('branch_created');
    expect(polled.key).toBe(webhook.key);
  });

  it('deleted: a branch removed, without any request', () => {
    const event = api.pushEvent('deleted', { commit_count: 0, commit_to: null, commit_title: null });
    expect(lookupsFor(event)).toEqual({});
    const { polled, webhook } = expectSamePost(hookFromEvent(event, { project: api.diaspora }), 'push.json', (payload) => {
      payload.after = ZERO;
      payload.commits = [];
      payload.total_commits_count = 0;
    });
    expect(polled.action).toBe('branch_deleted');
    expect(polled.key).toBe(webhook.key);
  });

  it('lists the latest 20 commits of a longer push, oldest first, and counts all', () => {
    const commits = Array.from({ length: 25 }, (_, index) => ({
      ...api.fixedReadme,
      id: (25 - index).toString(16).padStart(40, 'a'),
      title: `Commit ${25 - index}`,
      message: `Commit ${25 - index}`,
    }));
    const event = api.pushEvent('pushed to', { commit_count: 25, commit_to: commits[0]?.id ?? '' });
    expect(lookupsFor(event)).toEqual({ commits: { from: api.BEFORE, to: commits[0]?.id, perPage: 20 } });
    const hook = pollHook(event, api.diaspora, { commits });
    const titles = (hook?.payload.commits as Array<{ title: string }>).map((commit) => commit.title);
    expect(titles).toEqual(Array.from({ length: 20 }, (_, index) => `Commit ${index + 6}`));
    expect(fullPost(parseHook(hook)).message).toContain('pushed 25 commits');
  });
});

describe('project visibility', () => {
  it.each([
    ['private', 0],
    ['internal', 10],
    ['public', 20],
  ] as const)('%s projects send visibility_level %i and stay %s', (visibility, level) => {
    const hook = pollHook(api.mergeRequestEvent('opened', '2013-12-03T17:23:34.512Z'), { ...api.gitlabTest, visibility }, { mergeRequest: api.msViewport() });
    expect(hook?.payload).toMatchObject({ project: { visibility_level: level } });
    expect(parseHook(hook).project?.visibility).toBe(visibility);
  });

  it('stays unknown, never public, when the project answer has no visibility', () => {
    const { visibility: _visibility, ...project } = api.diaspora;
    expect(parseHook(hookFromEvent(api.pushEvent('deleted', { commit_count: 0, commit_to: null }), { project })).project?.visibility).toBe('unknown');
  });
});

describe('skipped events', () => {
  const skipped: Array<[string, RestEvent]> = [
    ['a member joining', api.apiEvent({ id: 1, action_name: 'joined', created_at: '2020-01-01T00:00:00.000Z' })],
    ['a milestone created', api.apiEvent({ id: 2, action_name: 'created', target_type: 'Milestone', target_iid: 3, created_at: '2020-01-01T00:00:00.000Z' })],
    ['a wiki page updated', api.apiEvent({ id: 3, action_name: 'updated', target_type: 'WikiPage::Meta', target_id: 4, created_at: '2020-01-01T00:00:00.000Z' })],
    ['an MR updated', api.mergeRequestEvent('updated', '2020-01-01T00:00:00.000Z')],
    ['a bulk push', api.pushEvent('pushed to', { ref: null, ref_count: 5 })],
    ['a comment on a commit', api.noteEvent(api.issueNote({ noteable_type: 'Commit', noteable_iid: null, commit_id: api.AFTER }))],
    ['a comment on a snippet', api.noteEvent(api.issueNote({ noteable_type: 'Snippet', noteable_iid: null }))],
    ['a system note', api.noteEvent(api.issueNote({ system: true }))],
  ];

  it.each(skipped)('%s: nothing to fetch, no hook', (_name, event) => {
    expect(lookupsFor(event)).toBeNull();
    expect(hookFromEvent(event, { project: api.gitlabTest, mergeRequest: api.msViewport(), issue: api.testIssue(), commit: api.fixedReadme, commits: [api.fixedReadme] })).toBeNull();
  });

  it('builds nothing when the object fetched is not the event’s', () => {
    const event = api.mergeRequestEvent('opened', '2013-12-03T17:23:34.512Z');
    expect(hookFromEvent(event, { project: api.gitlabTest })).toBeNull();
    expect(hookFromEvent(event, { project: api.gitlabTest, mergeRequest: api.msViewport({ iid: 2 }) })).toBeNull();
    expect(hookFromEvent(api.pushEvent('pushed to', { commit_count: 1 }), { project: api.diaspora, commit: api.catalanTranslation })).toBeNull();
  });
});

describe('requests per event', () => {
  const cost = (event: RestEvent): string[] => {
    const lookups = lookupsFor(event);
    return lookups ? lookupRequests(event.project_id, lookups).map(({ path, query }) => (query ? `${path}?${new URLSearchParams(Object.entries(query).map(([key, value]) => [key, String(value)]))}` : path)) : [];
  };

  it('fetches one object for an MR or issue event, two for an approval', () => {
    expect(cost(api.mergeRequestEvent('opened', '2020-01-01T00:00:00.000Z'))).toEqual(['/projects/1/merge_requests/1']);
    expect(cost(api.mergeRequestEvent('approved', '2020-01-01T00:00:00.000Z'))).toEqual(['/projects/1/merge_requests/1', '/projects/1/merge_requests/1/approvals']);
    expect(cost(api.issueEvent('closed', '2020-01-01T00:00:00.000Z'))).toEqual(['/projects/1/issues/23']);
  });

  it('fetches the noteable for a comment, and the note only when the event leaves its visibility open', () => {
    expect(cost(api.noteEvent(api.mergeRequestNote()))).toEqual(['/projects/5/merge_requests/1']);
    const { internal: _internal, confidential: _confidential, ...note } = api.mergeRequestNote();
    expect(cost(api.noteEvent(note))).toEqual(['/projects/5/merge_requests/1', '/projects/5/merge_requests/1/notes/1244']);
  });

  it('fetches one commit, or one page of commits, for a push', () => {
    expect(cost(api.pushEvent('pushed to', { commit_count: 1 }))).toEqual([`/projects/15/repository/commits/${api.AFTER}`]);
    expect(cost(api.pushEvent('pushed to', { commit_count: 2 }))).toEqual([`/projects/15/repository/commits?ref_name=${api.BEFORE}..${api.AFTER}&per_page=2`]);
    expect(cost(api.pushEvent('pushed new', { commit_from: null, commit_count: 3 }))).toEqual([`/projects/15/repository/commits?ref_name=${api.AFTER}&per_page=3`]);
    expect(cost(api.pushEvent('pushed new', { commit_from: null, commit_count: 0 }))).toEqual([]);
  });

  it('names a project by its path when given one', () => {
    expect(lookupRequests('mike/diaspora', { issue: 3 })).toEqual([{ path: '/projects/mike%2Fdiaspora/issues/3' }]);
  });
});

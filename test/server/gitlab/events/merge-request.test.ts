import { describe, expect, it } from '@jest/globals';
import type { MergeRequestDetails } from '../../../../server/src/gitlab/events/details.js';
import { parseFixture } from './payloads.js';

const changesOf = (name: string, edit?: Parameters<typeof parseFixture>[1]): MergeRequestDetails['changes'] =>
  (parseFixture(name, edit).details as MergeRequestDetails).changes;

describe('merge request', () => {
  it('reads an opened MR: target, branches, people, labels', () => {
    const event = parseFixture('merge_request.open.json');
    expect(event).toMatchObject({
      kind: 'merge_request',
      action: 'opened',
      ref: null,
      target: { type: 'merge_request', iid: 1, reference: '!1', title: 'MS-Viewport', state: 'opened', draft: false, url: 'http://example.com/diaspora/merge_requests/1' },
      labels: ['API'],
    });
    expect(event.details).toMatchObject({ id: 99, sourceBranch: 'ms-viewport', targetBranch: 'master' });
    expect((event.details as MergeRequestDetails).reviewers.map((person) => person.username)).toEqual(['user1']);
  });

  it.each([
    ['merge_request.merge.json', 'merged', 'merged'],
    ['merge_request.close.json', 'closed', 'closed'],
    ['merge_request.reopen.json', 'reopened', 'opened'],
    ['merge_request.approval.json', 'approval', 'opened'],
    ['merge_request.approved.json', 'approved', 'opened'],
    ['merge_request.unapproval.json', 'unapproval', 'opened'],
    ['merge_request.unapproved.json', 'unapproved', 'opened'],
    ['legacy.merge_request.merge.gitlab11.json', 'merged', 'merged'],
  ])('normalises %s to %s', (name, action, state) => {
    const event = parseFixture(name);
    expect(event.action).toBe(action);
    expect(event.target?.state).toBe(state);
  });

  it('sees reviewers added', () => {
    const changes = changesOf('merge_request.update.reviewers.json');
    expect(changes.reviewersAdded).toEqual([{ id: 6, username: 'user1', name: 'User1', url: 'http://example.com/user1' }]);
    expect(changes.reviewersRemoved).toEqual([]);
    expect(changes.draft).toBeNull();
  });

  it('sees a change to draft, and the MR is a draft now', () => {
    const event = parseFixture('merge_request.update.draft.json');
    expect((event.details as MergeRequestDetails).changes.draft).toBe('to_draft');
    expect(event.target?.draft).toBe(true);
  });

  it('sees draft ↔ ready from the title alone when `draft` is not there (older GitLab)', () => {
    const toReady = changesOf('merge_request.update.draft.json', (payload) => {
      delete payload.changes.draft;
      payload.changes.title = { previous: 'WIP: MS-Viewport', current: 'MS-Viewport' };
    });
    expect(toReady.draft).toBe('to_ready');
    const toDraft = parseFixture('merge_request.update.draft.json', (payload) => {
      delete payload.changes.draft;
      delete payload.object_attributes.draft;
      payload.object_attributes.title = '[Draft] MS-Viewport';
      payload.changes.title = { previous: 'MS-Viewport', current: '[Draft] MS-Viewport' };
    });
    expect((toDraft.details as MergeRequestDetails).changes.draft).toBe('to_draft');
    expect(toDraft.target?.draft).toBe(true);
  });

  it('sees new commits from `oldrev`', () => {
    expect(changesOf('merge_request.update.push.json').newCommits).toBe(true);
    expect(changesOf('merge_request.update.reviewers.json').newCommits).toBe(false);
  });

  it('reads GitLab 11 shapes: `changes.state`, single assignee, no reviewers or draft', () => {
    const event = parseFixture('legacy.merge_request.merge.gitlab11.json');
    expect(event.target).toMatchObject({ iid: 4, draft: false, state: 'merged' });
    const details = event.details as MergeRequestDetails;
    expect(details.reviewers).toEqual([]);
    expect(details.assignees.map((person) => person.username)).toEqual(['manland']);
    expect(details.changes.assigneesAdded.map((person) => person.username)).toEqual(['manland']);
    expect(parseFixture('legacy.merge_request.merge.gitlab11.json', (payload) => delete payload.object_attributes.action).action).toBe('merged');
  });

  it('names the author when the author is a reviewer or assignee the payload describes', () => {
    const event = parseFixture('merge_request.open.json', (payload) => (payload.object_attributes.author_id = 6));
    expect(event.target?.author).toMatchObject({ id: 6, username: 'user1', name: 'User1' });
  });

  it('tells apart two approvals by different people in the same second', () => {
    const first = parseFixture('merge_request.approval.json');
    const second = parseFixture('merge_request.approval.json', (payload) => (payload.user = { id: 2, name: 'Other', username: 'other' }));
    expect(first.key).not.toBe(second.key);
  });
});

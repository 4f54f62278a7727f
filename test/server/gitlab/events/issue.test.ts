import { describe, expect, it } from '@jest/globals';
import type { IssueDetails } from '../../../../server/src/gitlab/events/details.js';
import { ignoredReason, parseFixture } from './payloads.js';

const details = (name: string, edit?: Parameters<typeof parseFixture>[1]): IssueDetails => parseFixture(name, edit).details as IssueDetails;

describe('issue', () => {
  it('reads an opened issue: target, actor, labels, assignees', () => {
    const event = parseFixture('issue.open.json');
    expect(event).toMatchObject({
      kind: 'issue',
      action: 'opened',
      actor: { id: 1, username: 'root', name: 'Administrator', url: 'http://example.com/root' },
      project: { id: 1, path: 'gitlabhq/gitlab-test', visibility: 'public' },
      target: { type: 'issue', iid: 23, reference: '#23', title: 'New API: create/update/delete file', url: 'http://example.com/diaspora/issues/23', state: 'opened', draft: false },
      labels: ['API'],
      confidential: false,
      internal: false,
      occurredAt: '2017-09-15T16:52:00.000Z',
    });
    expect(event.details).toMatchObject({ id: 301, workItemType: 'Issue', description: 'Create new API for manipulations with repository' });
    expect((event.details as IssueDetails).assignees).toEqual([{ id: null, username: 'user1', name: 'User1', url: 'http://example.com/user1' }]);
  });

  it.each([
    ['issue.close.json', 'closed', 'closed'],
    ['issue.reopen.json', 'reopened', 'opened'],
    ['issue.update.json', 'updated', 'opened'],
    ['legacy.issue.close.gitlab11.json', 'closed', 'closed'],
  ])('normalises %s to %s', (name, action, state) => {
    const event = parseFixture(name);
    expect(event.action).toBe(action);
    expect(event.target?.state).toBe(state);
  });

  it('accepts past-tense actions, and infers one from the state change when there is none', () => {
    expect(parseFixture('issue.close.json', (payload) => (payload.object_attributes.action = 'closed')).action).toBe('closed');
    expect(parseFixture('issue.close.json', (payload) => delete payload.object_attributes.action).action).toBe('closed');
    expect(parseFixture('issue.reopen.json', (payload) => delete payload.object_attributes.action).action).toBe('reopened');
    expect(parseFixture('issue.update.json', (payload) => delete payload.object_attributes.action).action).toBe('updated');
  });

  it('ignores an action it does not know', () => {
    expect(ignoredReason('issue.open.json', (payload) => (payload.object_attributes.action = 'teleport'))).toBe('unsupported issue action: teleport');
  });

  it('says which labels an update added and removed', () => {
    expect(details('issue.update.json').changes).toMatchObject({ labelsAdded: ['Platform'], labelsRemoved: ['API'] });
  });

  it('says who was assigned and unassigned, title and milestone changes', () => {
    const changes = details('issue.update.json', (payload) => {
      payload.changes = {
        assignees: { previous: [{ name: 'Old', username: 'old' }], current: [{ name: 'New', username: 'new' }] },
        title: { previous: 'Before', current: 'After' },
        milestone_id: { previous: null, current: 4 },
        description: { previous: 'a', current: 'b' },
      };
    }).changes;
    expect(changes.assigneesAdded.map((person) => person.username)).toEqual(['new']);
    expect(changes.assigneesRemoved.map((person) => person.username)).toEqual(['old']);
    expect(changes.title).toEqual({ from: 'Before', to: 'After' });
    expect(changes.milestone).toEqual({ from: null, to: 4 });
    expect(changes.descriptionChanged).toBe(true);
    expect(changes.labelsAdded).toEqual([]);
  });

  it('reads GitLab 11 shapes: no state_id, no user id, assignees changed', () => {
    const event = parseFixture('legacy.issue.close.gitlab11.json');
    expect(event).toMatchObject({ target: { iid: 1, state: 'closed', url: 'http://localhost:3000/manland/webhook/issues/1' }, actor: { username: 'manland', id: null } });
    expect((event.details as IssueDetails).changes.assigneesAdded.map((person) => person.username)).toEqual(['manland']);
  });

  it('marks a confidential issue, from the payload or the Confidential Issue Hook', () => {
    const event = parseFixture('issue.update.confidential.json');
    expect(event.confidential).toBe(true);
    expect((event.details as IssueDetails).changes.confidential).toBe(true);
  });

  it('names the author when the author is someone the payload describes, else by id only', () => {
    expect(parseFixture('issue.open.json').target?.author).toEqual({ id: 51, username: null, name: '' });
    const event = parseFixture('issue.open.json', (payload) => (payload.object_attributes.author_id = 1));
    expect(event.target?.author).toMatchObject({ id: 1, username: 'root', name: 'Administrator' });
  });

  it('tells apart two updates made in the same second', () => {
    const first = parseFixture('issue.update.json');
    const second = parseFixture('issue.update.json', (payload) => (payload.changes.title = { previous: 'a', current: 'b' }));
    expect(first.key).not.toBe(second.key);
  });

  it('ignores an issue without an iid', () => {
    expect(ignoredReason('issue.open.json', (payload) => delete payload.object_attributes.iid)).toBe('issue without an iid');
  });
});

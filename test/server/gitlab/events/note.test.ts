import { describe, expect, it } from '@jest/globals';
import type { NoteDetails } from '../../../../server/src/gitlab/events/details.js';
import { ignoredReason, parseFixture } from './payloads.js';

describe('note', () => {
  it('keys a note by its id, so a re-delivery is the same event', () => {
    expect(parseFixture('note.merge_request.json').key).toBe('note:1244');
  });

  it('puts a comment on an MR or issue under that MR or issue', () => {
    expect(parseFixture('note.merge_request.json')).toMatchObject({
      kind: 'note',
      action: 'commented',
      target: { type: 'merge_request', iid: 1, reference: '!1', title: 'Tempora et eos debitis quae laborum et.', url: 'http://example.com/gitlab-org/gitlab-test/-/merge_requests/1' },
      labels: ['Afterpod', 'Element'],
    });
    expect(parseFixture('note.issue.json')).toMatchObject({ target: { type: 'issue', iid: 17, state: 'closed', author: { username: 'root' } } });
  });

  it('reads a comment on a commit', () => {
    const event = parseFixture('note.commit.json');
    expect(event.target).toBeNull();
    expect(event.details as NoteDetails).toMatchObject({
      on: 'commit',
      body: 'This is a commit comment. How does this work?',
      commit: { sha: 'cfe32cf61b73a0d5e9f13e774abde7ff789b1660', title: 'Add submodule' },
    });
  });

  it('reads a comment on a snippet', () => {
    const event = parseFixture('note.commit.json', (payload) => {
      payload.object_attributes.noteable_type = 'Snippet';
      payload.snippet = { id: 53, title: 'test' };
      delete payload.commit;
    });
    expect((event.details as NoteDetails).snippet).toEqual({ id: 53, title: 'test', url: 'http://example.com/gitlabhq/gitlab-test/-/snippets/53' });
  });

  it('ignores system notes', () => {
    expect(ignoredReason('note.issue.json', (payload) => (payload.object_attributes.system = true))).toBe('a system note is not a comment');
  });

  it('ignores an edited note, by its action or by its changes', () => {
    expect(ignoredReason('note.issue.json', (payload) => (payload.object_attributes.action = 'update'))).toBe('an edited note is not a new post');
    expect(
      ignoredReason('note.issue.json', (payload) => {
        delete payload.object_attributes.action;
        payload.changes = { note: { previous: 'Hello', current: 'Hello world' } };
      }),
    ).toBe('an edited note is not a new post');
  });

  it('marks a note on a confidential issue, or from the Confidential Note Hook, as confidential', () => {
    expect(parseFixture('note.issue.confidential.json').confidential).toBe(true);
    expect(parseFixture('note.issue.json').confidential).toBe(false);
    expect(parseFixture('note.issue.json', (payload) => (payload.issue.confidential = true)).confidential).toBe(true);
  });

  it('marks an internal note as internal', () => {
    expect(parseFixture('note.issue.json', (payload) => (payload.object_attributes.internal = true)).internal).toBe(true);
    expect(parseFixture('note.issue.json', (payload) => (payload.object_attributes.confidential = true)).internal).toBe(true);
    expect(parseFixture('note.issue.json').internal).toBe(false);
  });

  it('ignores a note without an id, or on something it cannot place', () => {
    expect(ignoredReason('note.issue.json', (payload) => delete payload.object_attributes.id)).toBe('note without an id');
    expect(ignoredReason('note.issue.json', (payload) => (payload.object_attributes.noteable_type = 'Epic'))).toBe('note on an unsupported Epic');
  });
});

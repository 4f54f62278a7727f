/** Which MR or issue a bridge thread is about, and the GitLab API paths its replies and reactions go to. */
import { describe, expect, it } from '@jest/globals';
import { createNoteRequest, discussionThreadKey, noteablePath, notePath, objectKeyOf, parseThreadKey } from '../../../server/src/conversations/thread-target.js';

const DISCUSSION = '6a9c1750b37d513a43987b574953fceb50b03ce7';

describe('parseThreadKey', () => {
  it('reads the keys delivery gives threads (delivery/object-status.ts objectKey)', () => {
    expect(parseThreadKey('42:merge_request:7')).toEqual({ instance: 'default', project: '42', type: 'merge_request', iid: 7, discussionId: null });
    expect(parseThreadKey('group/sub/app:issue:12')).toEqual({ instance: 'default', project: 'group/sub/app', type: 'issue', iid: 12, discussionId: null });
    expect(parseThreadKey(discussionThreadKey('42:issue:3', DISCUSSION))).toEqual({ instance: 'default', project: '42', type: 'issue', iid: 3, discussionId: DISCUSSION });
  });

  it('reads another instance’s keys (gitlab/instances.ts scopedKey): the instance, and the key as on its own GitLab', () => {
    expect(parseThreadKey('corp~42:merge_request:7')).toEqual({ instance: 'corp', project: '42', type: 'merge_request', iid: 7, discussionId: null });
    expect(parseThreadKey(discussionThreadKey('eu2~group/app:issue:3', DISCUSSION))).toEqual({ instance: 'eu2', project: 'group/app', type: 'issue', iid: 3, discussionId: DISCUSSION });
    // The API path is the project's on that GitLab: the instance's name never reaches it.
    expect(createNoteRequest(parseThreadKey('corp~42:issue:3')!)).toEqual({ path: '/projects/42/issues/3/notes', internal: false });
  });

  it('other threads (pipelines, pushes) and malformed keys are not about an MR or issue', () => {
    for (const key of ['', '42', '42:pipeline:9', '42:merge_request:', '42:merge_request:x', ':issue:1', '42:issue:1:discussion:', '42:issue:1:discussion:../../notes', '42:issue:1:discussion:ABC', '42:issue:1 ']) {
      expect({ key, target: parseThreadKey(key) }).toEqual({ key, target: null });
    }
  });

  it('a discussion thread’s MR or issue has the MR’s or issue’s own key', () => {
    expect(objectKeyOf(parseThreadKey(discussionThreadKey('a/b:merge_request:5', DISCUSSION))!)).toBe('a/b:merge_request:5');
    expect(objectKeyOf(parseThreadKey(discussionThreadKey('corp~12:merge_request:5', DISCUSSION))!)).toBe('corp~12:merge_request:5');
  });
});

describe('API paths', () => {
  it('a reply in an MR or issue thread is a comment on it; the project path is one path segment', () => {
    expect(createNoteRequest(parseThreadKey('group/app:merge_request:7')!)).toEqual({ path: '/projects/group%2Fapp/merge_requests/7/notes', internal: false });
    expect(createNoteRequest(parseThreadKey('42:issue:3')!)).toEqual({ path: '/projects/42/issues/3/notes', internal: false });
  });

  it('a reply in an internal note’s thread joins that discussion and stays internal', () => {
    expect(createNoteRequest(parseThreadKey(`42:merge_request:7:discussion:${DISCUSSION}`)!)).toEqual({
      path: `/projects/42/merge_requests/7/discussions/${DISCUSSION}/notes`,
      internal: true,
    });
  });

  it('when the hook did not name the discussion, the reply is a new internal note, never a public comment', () => {
    expect(createNoteRequest(parseThreadKey('42:issue:3:discussion:note991')!)).toEqual({ path: '/projects/42/issues/3/notes', internal: true });
  });

  it('edits and deletions address the comment under its MR or issue', () => {
    expect(notePath(parseThreadKey('group/app:merge_request:7')!, 1234)).toBe('/projects/group%2Fapp/merge_requests/7/notes/1234');
    expect(noteablePath(parseThreadKey(`42:issue:3:discussion:${DISCUSSION}`)!)).toBe('/projects/42/issues/3');
  });
});

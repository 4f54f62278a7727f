import { describe, expect, it } from '@jest/globals';
import { inInstance } from '../../../server/src/gitlab/instances.js';
import { personalNotices, type PersonalContext, type Recipient } from '../../../server/src/rules/personal-notifications.js';
import { DEFAULT_SETTINGS, type NotificationSettings } from '../../../server/src/store/notification-settings.js';
import { fixtureEvent } from '../../helpers/fixtures.js';

const ROOT = { id: 1, name: 'Administrator', username: 'root' };
const USER1 = { id: 6, name: 'User1', username: 'user1' };

function person(id: number, username: string, options: { settings?: Partial<NotificationSettings>; muted?: number[] } = {}): Recipient {
  return {
    mattermostUserId: `mm-${username}`,
    gitlabUserId: id,
    gitlabUsername: username,
    settings: { ...DEFAULT_SETTINGS, ...options.settings },
    mutedGitLabUserIds: options.muted ?? [],
  };
}

function context(recipients: Recipient[], more: Partial<PersonalContext> = {}): PersonalContext {
  return { recipients, participants: [], mergeRequestAuthorId: null, ...more };
}

const reasons = (notices: ReturnType<typeof personalNotices>) => notices.map((notice) => `${notice.recipient.gitlabUsername}:${notice.reason}`).sort();

describe('review requests', () => {
  it('tells a reviewer added later, keyed by MR and person', () => {
    const event = fixtureEvent('merge_request.update.reviewers.json');
    const notices = personalNotices(event, context([person(6, 'user1'), person(51, 'author')]));
    expect(reasons(notices)).toEqual(['user1:review_requested']);
    expect(notices[0]!.key).toBe('review:1:merge_request:1:6');
    expect(notices[0]!.threadKey).toBe('1:merge_request:1');
    expect(notices[0]!.kind).toBe('reviews');
  });

  it('tells reviewers present when the MR is opened', () => {
    const event = fixtureEvent('merge_request.open.json');
    expect(reasons(personalNotices(event, context([person(6, 'user1')])))).toContain('user1:review_requested');
  });

  it('says nothing when a reviewer is removed', () => {
    const event = fixtureEvent('merge_request.update.reviewers.json', (payload) => {
      payload.changes.reviewers = { previous: [USER1], current: [] };
      payload.reviewers = [];
      payload.assignees = [];
    });
    expect(personalNotices(event, context([person(6, 'user1')]))).toEqual([]);
  });
});

describe('assignments', () => {
  it('tells an assignee added to an issue, not the ones already there', () => {
    const event = fixtureEvent('issue.update.json', (payload) => {
      payload.changes = { assignees: { previous: [USER1], current: [USER1, { id: 7, name: 'Seven', username: 'seven' }] } };
    });
    expect(reasons(personalNotices(event, context([person(6, 'user1'), person(7, 'seven')])))).toEqual(['seven:assigned']);
  });

  it('tells the assignees of a new MR', () => {
    const event = fixtureEvent('merge_request.open.json', (payload) => {
      payload.reviewers = [];
    });
    expect(reasons(personalNotices(event, context([person(6, 'user1')])))).toEqual(['user1:assigned']);
  });
});

describe('mentions', () => {
  it('tells people mentioned in a new description', () => {
    const event = fixtureEvent('issue.open.json', (payload) => {
      payload.object_attributes.description = 'Hey @Seven and @eight, see `@not_me` and me@example.com';
      payload.assignees = [];
    });
    expect(reasons(personalNotices(event, context([person(7, 'seven'), person(8, 'eight'), person(9, 'not_me'), person(10, 'example.com')])))).toEqual([
      'eight:mentioned',
      'seven:mentioned',
    ]);
  });

  it('on an edit, tells only the people the edit added', () => {
    const event = fixtureEvent('issue.update.json', (payload) => {
      payload.object_attributes.description = 'cc @seven @eight';
      payload.changes = { description: { previous: 'cc @seven', current: 'cc @seven @eight' } };
      payload.assignees = [];
    });
    expect(reasons(personalNotices(event, context([person(7, 'seven'), person(8, 'eight')])))).toEqual(['eight:mentioned']);
  });

  it('an edit that only removes a mention tells nobody', () => {
    const event = fixtureEvent('issue.update.json', (payload) => {
      payload.object_attributes.description = 'cc';
      payload.changes = { description: { previous: 'cc @seven', current: 'cc' } };
      payload.assignees = [];
    });
    expect(personalNotices(event, context([person(7, 'seven')]))).toEqual([]);
  });

  it('tells people mentioned in a comment and in a commit message', () => {
    const note = fixtureEvent('note.issue.json', (payload) => {
      payload.object_attributes.note = 'What do you think, @seven?';
    });
    expect(reasons(personalNotices(note, context([person(7, 'seven')])))).toEqual(['seven:mentioned']);
    const push = fixtureEvent('push.json', (payload) => {
      payload.commits[0].message = 'Fix the build\n\nThanks @seven for the hint';
    });
    const notices = personalNotices(push, context([person(7, 'seven')]));
    expect(reasons(notices)).toEqual(['seven:mentioned']);
    expect(notices[0]!.key).toMatch(/^mention:commit:[0-9a-f]{40}:seven$/);
    // The same commit pushed to another GitLab instance (a mirror) is news there too: its key is that instance's.
    const mirrored = personalNotices(inInstance(push, 'corp'), context([person(7, 'seven')]));
    expect(mirrored[0]!.key).toBe(notices[0]!.key.replace('mention:commit:', 'mention:commit:corp~'));
  });
});

describe('comments', () => {
  it('tells the author, assignees, reviewers and earlier commenters — once each, mention first', () => {
    const event = fixtureEvent('note.merge_request.json', (payload) => {
      payload.merge_request.author_id = 8;
      payload.merge_request.assignee_ids = [9];
      payload.merge_request.reviewer_ids = [10];
      payload.object_attributes.note = 'Looks good, @eight';
    });
    const everyone = [person(8, 'eight'), person(9, 'nine'), person(10, 'ten'), person(11, 'eleven'), person(12, 'bystander')];
    expect(reasons(personalNotices(event, context(everyone, { participants: [11] })))).toEqual(['eight:mentioned', 'eleven:commented', 'nine:commented', 'ten:commented']);
  });
});

describe('merge request outcomes', () => {
  const author = person(51, 'author');
  it('tells the author of an approval, a revoked approval, a merge and a close', () => {
    for (const [fixture, reason] of [
      ['merge_request.approval.json', 'approved'],
      ['merge_request.unapproval.json', 'unapproved'],
      ['merge_request.merge.json', 'merged'],
      ['merge_request.close.json', 'closed'],
    ] as const) {
      const event = fixtureEvent(fixture, (payload) => {
        payload.object_attributes.author_id = 51;
        payload.reviewers = [];
        payload.assignees = [];
      });
      expect(reasons(personalNotices(event, context([author])))).toEqual([`author:${reason}`]);
    }
  });

  it('does not repeat an approval for the "all approvals given" hook that follows it', () => {
    const event = fixtureEvent('merge_request.approved.json', (payload) => {
      payload.object_attributes.author_id = 51;
      payload.reviewers = [];
      payload.assignees = [];
    });
    expect(personalNotices(event, context([author]))).toEqual([]);
  });

  it('tells the author when their MR gets conflicts', () => {
    const event = fixtureEvent('merge_request.update.push.json', (payload) => {
      payload.object_attributes.author_id = 51;
      payload.changes = { merge_status: { previous: 'can_be_merged', current: 'cannot_be_merged' } };
      payload.reviewers = [];
      payload.assignees = [];
    });
    expect(reasons(personalNotices(event, context([author])))).toEqual(['author:conflicts']);
  });
});

describe('pipelines', () => {
  it('tells the pusher and the MR author when it fails, and again when it is fixed', () => {
    const failed = fixtureEvent('pipeline.failed.json');
    const recipients = [person(1, 'root'), person(51, 'author')];
    const notices = personalNotices(failed, context(recipients, { mergeRequestAuthorId: 51 }));
    expect(reasons(notices)).toEqual(['author:pipeline_failed', 'root:pipeline_failed']);
    expect(notices.find((notice) => notice.recipient.gitlabUserId === 51)!.family).toBe('build_failed:1:merge_request:1:51');
    const fixed = fixtureEvent('pipeline.success.json', () => undefined, 'fixed');
    expect(reasons(personalNotices(fixed, context(recipients, { mergeRequestAuthorId: 51 })))).toEqual(['author:pipeline_fixed', 'root:pipeline_fixed']);
  });

  it('says nothing about a pipeline that merely succeeds', () => {
    const success = fixtureEvent('pipeline.success.json');
    expect(personalNotices(success, context([person(1, 'root')], { mergeRequestAuthorId: 51 }))).toEqual([]);
  });
});

describe('never', () => {
  const reviewRequest = () =>
    fixtureEvent('merge_request.update.reviewers.json', (payload) => {
      payload.assignees = [];
    });

  it('for your own action', () => {
    const event = fixtureEvent('merge_request.update.reviewers.json', (payload) => {
      payload.user = USER1;
    });
    expect(personalNotices(event, context([person(6, 'user1')]))).toEqual([]);
    const note = fixtureEvent('note.issue.json', (payload) => {
      payload.object_attributes.note = 'note to self @root';
    });
    expect(personalNotices(note, context([person(ROOT.id, 'root')]))).toEqual([]);
  });

  it('from a muted GitLab user', () => {
    expect(personalNotices(reviewRequest(), context([person(6, 'user1', { muted: [ROOT.id] })]))).toEqual([]);
    expect(personalNotices(reviewRequest(), context([person(6, 'user1', { muted: [999] })]))).toHaveLength(1);
  });

  it('for a kind switched off, or with personal messages off', () => {
    expect(personalNotices(reviewRequest(), context([person(6, 'user1', { settings: { disabledKinds: ['reviews'] } })]))).toEqual([]);
    expect(personalNotices(reviewRequest(), context([person(6, 'user1', { settings: { enabled: false } })]))).toEqual([]);
    expect(personalNotices(reviewRequest(), context([person(6, 'user1', { settings: { disabledKinds: ['comments'] } })]))).toHaveLength(1);
  });

  it('for people who are not connected', () => {
    expect(personalNotices(reviewRequest(), context([person(7, 'someone_else')]))).toEqual([]);
  });
});

describe('keys', () => {
  it('a project hook and a group hook of the same event give the same keys', () => {
    const fromProject = personalNotices(fixtureEvent('note.merge_request.json', (p) => void (p.object_attributes.note = '@seven')), context([person(7, 'seven')]));
    const fromGroup = personalNotices(fixtureEvent('note.merge_request.json', (p) => void (p.object_attributes.note = '@seven')), context([person(7, 'seven')]));
    expect(fromProject.map((notice) => notice.key)).toEqual(fromGroup.map((notice) => notice.key));
    expect(fromProject[0]!.key).toBe('note:1244:seven');
  });
});

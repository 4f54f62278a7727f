/** Whose polls a webhook brings forward: the people whose work lists it may have changed. */
import { describe, expect, it } from '@jest/globals';
import { peopleWithChangedWork } from '../../../server/src/delivery/plan-work-refresh.js';
import { fixtureEvent } from '../../helpers/fixtures.js';

const NO_CONTEXT = { participants: [], mergeRequestAuthorId: null };
const sorted = (people: { ids: number[]; usernames: string[] }) => ({ ids: [...people.ids].sort((a, b) => a - b), usernames: [...people.usernames].sort() });

describe('peopleWithChangedWork', () => {
  it('a review request: the new reviewer, the author and whoever asked', () => {
    const event = fixtureEvent('merge_request.update.reviewers.json', (payload) => {
      payload.assignees = [];
      payload.user = { id: 51, name: 'The Author', username: 'author' };
    });
    expect(sorted(peopleWithChangedWork(event, NO_CONTEXT)).ids).toEqual([6, 51]);
  });

  it('a merge: author, assignees and reviewers, whose lists lose it', () => {
    const event = fixtureEvent('merge_request.merge.json', (payload) => {
      payload.assignees = [{ id: 7, name: 'A', username: 'assignee' }];
      payload.reviewers = [{ id: 8, name: 'R', username: 'reviewer' }];
    });
    const people = sorted(peopleWithChangedWork(event, NO_CONTEXT));
    expect(people.ids).toEqual(expect.arrayContaining([7, 8]));
    expect(people.ids).toContain(event.target!.author!.id);
  });

  it('a closed issue: its assignees', () => {
    const event = fixtureEvent('issue.close.json', (payload) => {
      payload.assignees = [{ id: 9, name: 'I', username: 'issuer' }];
    });
    expect(peopleWithChangedWork(event, NO_CONTEXT).ids).toContain(9);
  });

  it('a comment: only the people it mentions (a new to-do), not everyone on the thread', () => {
    const event = fixtureEvent('note.merge_request.json', (payload) => {
      payload.object_attributes.note = 'please look, @Reviewer2 and `@not_code`';
    });
    expect(peopleWithChangedWork(event, { participants: [3, 4], mergeRequestAuthorId: 5 })).toEqual({ ids: [], usernames: ['reviewer2'] });
  });

  it('a finished pipeline: the pusher and the merge request\'s author; a running one: nobody', () => {
    const success = fixtureEvent('pipeline.success.json');
    const people = peopleWithChangedWork(success, { participants: [], mergeRequestAuthorId: 77 });
    expect(people.ids.length + people.usernames.length).toBeGreaterThan(0);
    const running = fixtureEvent('pipeline.running.json');
    expect(peopleWithChangedWork(running, NO_CONTEXT)).toEqual({ ids: [], usernames: [] });
  });

  it('events that touch nobody\'s lists: nobody', () => {
    expect(peopleWithChangedWork(fixtureEvent('release.create.json'), NO_CONTEXT)).toEqual({ ids: [], usernames: [] });
    expect(peopleWithChangedWork(fixtureEvent('wiki_page.create.json'), NO_CONTEXT)).toEqual({ ids: [], usernames: [] });
  });
});

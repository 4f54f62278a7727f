/**
 * What a personal DM must be checked against before it is sent (accessProbe),
 * and that a payload naming no project (malformed or forged) queues no DM at
 * all instead of one sent unchecked.
 */
import { describe, expect, it } from '@jest/globals';
import { DirectMessageLookups, WITHHELD, accessProbe, planDirectMessages } from '../../../server/src/delivery/plan-direct-messages.js';
import type { Recipient } from '../../../server/src/rules/personal-notifications.js';
import { DEFAULT_SETTINGS } from '../../../server/src/store/notification-settings.js';
import { fixtureEvent } from '../../helpers/fixtures.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The fixture's reviewer (user1, id 6) is connected; nobody has commented. */
class Lookups extends DirectMessageLookups {
  constructor() {
    super(null as never);
  }
  override participantsOf() {
    return Promise.resolve({ commenters: [], authorId: null });
  }
  override recipientsOf(): Promise<Recipient[]> {
    return Promise.resolve([{ mattermostUserId: 'mm-user1', gitlabUserId: 6, gitlabUsername: 'user1', settings: DEFAULT_SETTINGS, mutedGitLabUserIds: [] }]);
  }
}

const withoutProject = (payload: Json) => {
  delete payload.project;
  delete payload.repository;
  delete payload.object_attributes.target_project_id;
  delete payload.object_attributes.source_project_id;
};

describe('access checks for personal direct messages', () => {
  it('a review request in a named project is checked against that project', async () => {
    const event = fixtureEvent('merge_request.update.reviewers.json', (payload) => {
      payload.project.visibility_level = 0;
    });
    const planned = await planDirectMessages(new Lookups(), event, 'https://gitlab.example', { openToAll: false });
    expect(planned.messages.map((message) => message.accessProbe)).toEqual([`project:${event.project!.id}`]);
  });

  it('a review request whose payload names no project is not sent, not sent unchecked', async () => {
    const event = fixtureEvent('merge_request.update.reviewers.json', withoutProject);
    expect(event.project).toBeNull();
    expect(accessProbe(event, { openToAll: false })).toBe(WITHHELD);
    const planned = await planDirectMessages(new Lookups(), event, 'https://gitlab.example', { openToAll: false });
    expect(planned.messages).toEqual([]);
  });

  it('without a project, a confidential or internal item is withheld even if called open to all', () => {
    const confidential = { ...fixtureEvent('merge_request.update.reviewers.json', withoutProject), confidential: true };
    const internal = { ...fixtureEvent('merge_request.update.reviewers.json', withoutProject), internal: true };
    expect(accessProbe(confidential, { openToAll: true })).toBe(WITHHELD);
    expect(accessProbe(internal, { openToAll: true })).toBe(WITHHELD);
    expect(accessProbe(fixtureEvent('merge_request.update.reviewers.json', withoutProject), { openToAll: true })).toBeNull();
  });
});

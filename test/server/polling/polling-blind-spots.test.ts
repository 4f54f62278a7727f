import { describe, expect, it } from '@jest/globals';
import { describeBlindSpots, pollingBlindSpots } from '../../../server/src/polling/polling-blind-spots.js';
import { EVENT_KINDS } from '../../../server/src/rules/subscription.js';

describe('what polling cannot see', () => {
  it('of the default events: MR and issue updates and release deletions, said in one sentence', () => {
    expect(pollingBlindSpots(undefined)).toEqual([
      'merge request updates (new commits, reviewers, labels, draft to ready) and unapprovals',
      'issue updates (labels, assignees, edits)',
      'release deletions',
    ]);
    expect(describeBlindSpots(undefined, 'add a webhook')).toBe(
      'Polling cannot see merge request updates (new commits, reviewers, labels, draft to ready) and unapprovals; issue updates (labels, assignees, edits); release deletions: only a webhook brings those (add a webhook).',
    );
  });

  it('nothing missing for what polling sees in full', () => {
    expect(describeBlindSpots(['push', 'tag_push', 'pipeline', 'deployment', 'merge_request:merged', 'issue:closed', 'release:created'])).toBeNull();
  });

  it('names an action it cannot see, and whole kinds', () => {
    expect(pollingBlindSpots(['merge_request:updated', 'job', 'wiki_page', 'note', 'emoji', 'feature_flag'])).toEqual([
      'merge_request:updated',
      'jobs',
      'wiki pages',
      'comments on commits and snippets, and edited comments',
      'emoji reactions',
      'feature flags',
    ]);
  });

  it('knows every kind a subscription can name', () => {
    for (const kind of EVENT_KINDS) expect(() => pollingBlindSpots([kind])).not.toThrow();
    const unseen = EVENT_KINDS.filter((kind) => pollingBlindSpots([kind]).length > 0);
    expect(unseen).not.toContain('tag_push');
    expect(unseen).not.toContain('deployment');
    expect(unseen).toContain('release');
  });
});

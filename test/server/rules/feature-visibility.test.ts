import { describe, expect, it } from '@jest/globals';
import { makeEvent } from '../../../server/src/gitlab/events/envelope.js';
import type { GitLabEvent } from '../../../server/src/gitlab/events/event.js';
import { readLevels } from '../../../server/src/gitlab/project-features.js';
import { isOpenToAll, needsFeatureLevels, type FeatureLevels } from '../../../server/src/rules/feature-visibility.js';

const event = (kind: GitLabEvent['kind'], overrides: Partial<GitLabEvent> = {}): GitLabEvent =>
  makeEvent({
    kind,
    action: 'opened',
    key: 'k',
    project: { id: 7, path: 'a/b', name: 'b', url: 'u', visibility: 'public', defaultBranch: 'main' },
    details: { kind } as GitLabEvent['details'],
    ...overrides,
  });

const everythingPublic: FeatureLevels = readLevels({
  visibility: 'public',
  public_jobs: true,
  ...Object.fromEntries(['repository', 'merge_requests', 'builds', 'wiki', 'issues', 'environments', 'releases', 'feature_flags', 'snippets'].map((name) => [`${name}_access_level`, 'enabled'])),
});
const keeping = (feature: string, level = 'private'): FeatureLevels => readLevels({ ...levelsAsApi(everythingPublic), [`${feature}_access_level`]: level });
function levelsAsApi(levels: FeatureLevels): Record<string, unknown> {
  return { visibility: levels.visibility, public_jobs: levels.publicJobs, ...Object.fromEntries(Object.entries(levels.levels).map(([name, level]) => [`${name}_access_level`, level])) };
}

describe('whether an event of a public project is open to everyone', () => {
  it('follows the feature it belongs to', () => {
    expect(isOpenToAll(event('merge_request'), everythingPublic)).toBe(true);
    expect(isOpenToAll(event('merge_request'), keeping('merge_requests'))).toBe(false);
    expect(isOpenToAll(event('merge_request'), keeping('repository'))).toBe(false);
    expect(isOpenToAll(event('issue'), keeping('merge_requests'))).toBe(true);
    expect(isOpenToAll(event('push'), keeping('repository', 'disabled'))).toBe(false);
    expect(isOpenToAll(event('wiki_page'), keeping('wiki'))).toBe(false);
    expect(isOpenToAll(event('deployment'), keeping('environments'))).toBe(false);
    expect(isOpenToAll(event('release'), keeping('releases'))).toBe(false);
  });

  it('reads a comment or an emoji as part of what it is on', () => {
    const onMr = { target: { type: 'merge_request', iid: 1 } } as Partial<GitLabEvent>;
    expect(isOpenToAll(event('note', { ...onMr, details: { kind: 'note', on: 'merge_request' } } as Partial<GitLabEvent>), keeping('merge_requests'))).toBe(false);
    expect(isOpenToAll(event('note', { target: { type: 'issue', iid: 1 }, details: { kind: 'note', on: 'issue' } } as Partial<GitLabEvent>), keeping('merge_requests'))).toBe(true);
    expect(isOpenToAll(event('emoji', { ...onMr, details: { kind: 'emoji', awardableType: 'MergeRequest' } } as Partial<GitLabEvent>), keeping('merge_requests'))).toBe(false);
  });

  it('keeps pipelines to members when public pipelines are off', () => {
    expect(isOpenToAll(event('pipeline'), everythingPublic)).toBe(true);
    expect(isOpenToAll(event('pipeline'), { ...everythingPublic, publicJobs: false })).toBe(false);
    expect(isOpenToAll(event('job'), keeping('builds'))).toBe(false);
  });

  it('counts what is unknown as members-only: no answer, a level GitLab did not send, a project no longer public', () => {
    expect(isOpenToAll(event('merge_request'), null)).toBe(false);
    expect(isOpenToAll(event('merge_request'), readLevels({ visibility: 'public', repository_access_level: 'enabled' }))).toBe(false);
    expect(isOpenToAll(event('merge_request'), { ...everythingPublic, visibility: 'private' })).toBe(false);
    expect(isOpenToAll(event('merge_request'), readLevels({ ...levelsAsApi(everythingPublic), merge_requests_access_level: 'whatever' }))).toBe(false);
  });

  it('never opens a private project, vulnerabilities or access tokens, and needs no levels for those', () => {
    const internal = event('issue', { project: { ...event('issue').project!, visibility: 'internal' } });
    expect(isOpenToAll(internal, everythingPublic)).toBe(false);
    expect(needsFeatureLevels(internal)).toBe(false);
    expect(isOpenToAll(event('vulnerability'), everythingPublic)).toBe(false);
    expect(needsFeatureLevels(event('access_token'))).toBe(false);
    expect(needsFeatureLevels(event('merge_request'))).toBe(true);
  });
});

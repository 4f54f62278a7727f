import { describe, expect, it } from '@jest/globals';
import type { PushDetails, TagPushDetails } from '../../../../server/src/gitlab/events/details.js';
import { ignoredReason, parseFixture } from './payloads.js';

const ZERO = '0000000000000000000000000000000000000000';

describe('push', () => {
  it('reads branch, actor, project, commits and the compare link', () => {
    const event = parseFixture('push.json');
    const details = event.details as PushDetails;
    expect(event).toMatchObject({
      kind: 'push',
      action: 'pushed',
      ref: 'master',
      key: 'push:15:refs/heads/master:95790bf891e76fee5e1747ab589903a6a1f80f22:da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
      actor: { id: 4, username: 'jsmith', name: 'John Smith', url: 'http://example.com/jsmith' },
      project: { id: 15, path: 'mike/diaspora', url: 'http://example.com/mike/diaspora', visibility: 'private', defaultBranch: 'master' },
      target: null,
    });
    expect(details.compareUrl).toBe(
      'http://example.com/mike/diaspora/-/compare/95790bf891e76fee5e1747ab589903a6a1f80f22...da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
    );
    expect(details.totalCommits).toBe(4);
    expect(details.commits.map((commit) => commit.title)).toEqual(['Update Catalan translation to e38cb41.', 'fixed readme']);
    expect(details.commits[0]?.authorName).toBe('Jordi Mallach');
  });

  it('calls an all-zeros `before` a branch created, with no compare link', () => {
    const event = parseFixture('push.json', (payload) => {
      payload.before = ZERO;
      payload.ref = 'refs/heads/feature/new';
    });
    expect(event.action).toBe('branch_created');
    expect(event.ref).toBe('feature/new');
    expect(event.details).toMatchObject({ compareUrl: null, branchUrl: 'http://example.com/mike/diaspora/-/tree/feature/new' });
  });

  it('calls an all-zeros `after` a branch deleted', () => {
    const event = parseFixture('push.json', (payload) => {
      payload.after = ZERO;
      payload.commits = [];
      payload.total_commits_count = 0;
    });
    expect(event.action).toBe('branch_deleted');
    expect(event.details).toMatchObject({ compareUrl: null, branchUrl: null });
  });

  it('links branch names safely, whatever they hold', () => {
    const event = parseFixture('push.json', (payload) => {
      payload.ref = 'refs/heads/fix/a b#c';
    });
    expect((event.details as PushDetails).branchUrl).toBe('http://example.com/mike/diaspora/-/tree/fix/a%20b%23c');
  });

  it('ignores a push without a branch', () => {
    expect(ignoredReason('push.json', (payload) => delete payload.ref)).toBe('push without a branch ref');
    expect(ignoredReason('push.json', (payload) => (payload.ref = 'refs/tags/v1'))).toBe('push without a branch ref');
  });

  it('keeps a system push (no project id, no username) on the same key as the project hook push', () => {
    const event = parseFixture('system.push.json');
    expect(event.kind).toBe('push');
    expect(event.actor).toMatchObject({ name: 'John Smith', username: null, url: null });
    expect(event.key).toBe(parseFixture('push.json').key);
  });
});

describe('tag push', () => {
  it('reads a created tag', () => {
    const event = parseFixture('tag_push.json');
    expect(event).toMatchObject({ kind: 'tag_push', action: 'created', ref: 'v1.0.0', project: { path: 'jsmith/example' } });
    expect(event.details as TagPushDetails).toMatchObject({
      sha: '82b3d5ae55f7080f1e6022629cdb57bfae7cccc7',
      tagUrl: 'http://example.com/jsmith/example/-/tags/v1.0.0',
    });
  });

  it('reads a deleted tag', () => {
    const event = parseFixture('tag_push.json', (payload) => {
      payload.before = payload.after;
      payload.after = ZERO;
    });
    expect(event.action).toBe('deleted');
    expect(event.details).toMatchObject({ sha: null, tagUrl: null });
  });
});

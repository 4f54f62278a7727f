/**
 * The official GitLab plugin's stored subscriptions (test/fixtures/official-plugin, from its source) read
 * and mapped onto the bridge's filters: what maps, what maps only in part, what cannot.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { readSettings } from '../../../server/src/commands/subscription-options.js';
import { mapSubscription } from '../../../server/src/import/official-plugin/map-features.js';
import { parseStoredSubscriptions, StoredFormatError, tokenOwner } from '../../../server/src/import/official-plugin/stored-format.js';

const FIXTURE = readFileSync(new URL('../../fixtures/official-plugin/subscriptions.json', import.meta.url), 'utf8');

describe('the stored subscriptions value', () => {
  it('yields every channel subscription with the path key it was stored under', () => {
    const subscriptions = parseStoredSubscriptions(FIXTURE);
    expect(subscriptions).toHaveLength(8);
    expect(subscriptions[0]).toEqual({ key: 'acme/', channelId: 'chanpublictown000000000000', creatorId: 'useralice00000000000000000', features: 'merges,pipeline,label:"bug",label:"needs review"' });
    expect(new Set(subscriptions.map((subscription) => subscription.key))).toEqual(new Set(['acme/', 'acme/secret', 'acme/tools', 'acme/website']));
  });

  it('takes the empty map Go writes as null', () => {
    expect(parseStoredSubscriptions('{"Repositories":null}')).toEqual([]);
    expect(parseStoredSubscriptions('{"Repositories":{"a/b":null}}')).toEqual([]);
  });

  it.each([
    ['not JSON', '{"Repositories": {', /not JSON/],
    ['another value', '[1, 2]', /"Repositories" was expected/],
    ['a list that is not one', '{"Repositories":{"a/b":"x"}}', /"Repositories"\."a\/b" is not a list/],
    ['an entry without a channel', '{"Repositories":{"a/b":[{"CreatorID":"u","Features":"merges"}]}}', /"Repositories"\."a\/b"\[0\] has no valid ChannelID/],
    ['an entry without features', '{"Repositories":{"a/b":[{"ChannelID":"chanpublictown000000000000","CreatorID":"u"}]}}', /has no Features/],
  ])('refuses %s, saying where', (_, text, message) => {
    expect(() => parseStoredSubscriptions(text)).toThrow(StoredFormatError);
    expect(() => parseStoredSubscriptions(text)).toThrow(message);
  });

  it('knows a token row by its key, and nothing else', () => {
    expect(tokenOwner('useralice00000000000000000_gitlabtoken')).toBe('useralice00000000000000000');
    expect(tokenOwner('alice_gitlabusername')).toBeNull();
    expect(tokenOwner('x_gitlabtoken')).toBeNull();
    expect(tokenOwner('subscriptions')).toBeNull();
  });
});

describe('mapping features', () => {
  const map = (key: string, features: string) => {
    const outcome = mapSubscription(key, features);
    if (!outcome.ok) throw new Error(outcome.reason);
    return outcome.subscription;
  };

  it('maps the plugin default, merges,issues,tag, onto merge requests, issues and tags of a project', () => {
    expect(map('Acme/Website', 'merges,issues,tag')).toMatchObject({ kind: 'project', path: 'acme/website', settings: { events: ['merge_request', 'issue', 'tag_push'] }, notes: [] });
  });

  it('reads a trailing slash as a whole group, labels as any-of, and pipelines as the plugin posted them', () => {
    const group = map('acme/', 'merges,pipeline,label:"bug",label:"needs review"');
    expect(group).toMatchObject({ kind: 'group', path: 'acme' });
    expect(group.settings).toEqual({ events: ['merge_request', 'pipeline'], labels: ['bug', 'needs review'], pipelines: ['running', 'success', 'failed'], branches: ['**'] });
  });

  it('maps every newer feature, says what comes over only in part, and leaves out what it does not know', () => {
    const mapped = map('acme/website', 'issue_comments,jobs,deployments,releases,pull_reviews,wiki');
    expect(mapped.settings.events).toEqual(['job', 'deployment', 'release', 'merge_request:approved', 'merge_request:unapproved', 'note']);
    expect(mapped.notes).toEqual([expect.stringContaining('`wiki` is not a feature'), expect.stringContaining('issue_comments: the bridge does not tell comments on issues from those on merge requests')]);
  });

  it('never turns confidential issues on, but keeps the issues the plugin also posted for it', () => {
    const mapped = map('acme/secret', 'confidential_issues');
    expect(mapped.settings.events).toEqual(['issue']);
    expect(mapped.confidentialAsked).toBe(true);
    expect(mapped.notes).toEqual([expect.stringContaining('--confidential')]);
  });

  it('gives settings the subscription command itself accepts', () => {
    for (const features of ['merges,issues,tag', 'merges,pipeline,label:"bug"', 'issue_comments,jobs,deployments,releases,pull_reviews', 'pull_reviews,merges']) {
      expect(readSettings(map('a/b', features).settings)).toMatchObject({ ok: true });
    }
  });

  it('refuses what has nothing to carry over, with the reason', () => {
    expect(mapSubscription('acme/website', '')).toEqual({ ok: false, reason: expect.stringContaining('no features') });
    expect(mapSubscription('acme/website', 'wiki,label:"x"')).toEqual({ ok: false, reason: expect.stringContaining('has an equal here') });
    expect(mapSubscription('../etc', 'merges')).toEqual({ ok: false, reason: expect.stringContaining('not a GitLab project or group path') });
    expect(mapSubscription('acme', 'merges')).toEqual({ ok: false, reason: expect.stringContaining('not a GitLab project or group path') });
  });

  it('leaves out a label the plugin could not read either', () => {
    expect(map('a/b', 'merges,label:bug').notes).toEqual([expect.stringContaining('label:bug')]);
  });
});

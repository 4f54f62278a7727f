import { describe, expect, it } from '@jest/globals';
import { changeSettings, editSubscriptionSettings, parseSubscriptionOptions, parseTarget } from '../../../server/src/commands/subscription-options.js';

describe('parseSubscriptionOptions', () => {
  it('turns the options into filters, understanding the words people use for event kinds', () => {
    const parsed = parseSubscriptionOptions({
      events: 'MRs:merged, issues, comments,mr:opened',
      labels: 'bug, ui',
      'labels-match': 'all',
      branches: 'main,release/*',
      pipelines: 'failed,FIXED',
      drafts: 'ready',
      exclude: '/group/legacy/*/',
      'exclude-authors': '@renovate-bot,dependabot',
      style: 'compact',
      'no-threads': true,
      buttons: 'off',
    });
    expect(parsed).toEqual({
      ok: true,
      settings: {
        filters: {
          events: ['merge_request:merged', 'issue', 'note', 'merge_request:opened'],
          labels: ['bug', 'ui'],
          labelsMatch: 'all',
          branches: ['main', 'release/*'],
          pipelines: ['failed', 'fixed'],
          drafts: 'ready',
          exclude: ['group/legacy/*'],
          excludeAuthors: ['renovate-bot', 'dependabot'],
        },
        style: 'compact',
        threads: false,
        buttons: false,
        confidential: false,
        poll: false,
      },
    });
  });

  it('leaves defaults to the subscription when nothing is given', () => {
    expect(parseSubscriptionOptions({})).toEqual({ ok: true, settings: { filters: {}, style: 'full', threads: true, buttons: true, confidential: false, poll: false } });
  });

  it('reads `--sync-replies on|off`, and leaves it out when not given so that the channel’s type decides', () => {
    expect(parseSubscriptionOptions({ 'sync-replies': 'on' })).toMatchObject({ ok: true, settings: { syncReplies: true, buttons: true } });
    expect(parseSubscriptionOptions({ 'sync-replies': 'OFF' })).toMatchObject({ ok: true, settings: { syncReplies: false } });
    const unsaid = parseSubscriptionOptions({ style: 'compact' });
    expect(unsaid.ok && 'syncReplies' in unsaid.settings).toBe(false);
  });

  it.each([
    [{ events: 'merge_request,builds' }, /`builds` is not an event kind/],
    [{ pipelines: 'failed,broken' }, /`broken` is not a pipeline status/],
    [{ style: 'short' }, /`--style` is `full`, `compact`/],
    [{ drafts: 'no' }, /`--drafts` is `include`, `exclude` or `ready`/],
    [{ 'labels-match': 'some' }, /`--labels-match` is `any` or `all`/],
    [{ buttons: 'no' }, /^`--buttons` is `on` or `off`$/],
    [{ buttons: '' }, /^`--buttons` is `on` or `off`$/],
    [{ 'sync-replies': 'yes' }, /^`--sync-replies` is `on` or `off`$/],
    [{ 'sync-replies': '' }, /^`--sync-replies` is `on` or `off`$/],
  ])('explains a wrong value in one sentence: %j', (values, message) => {
    const parsed = parseSubscriptionOptions(values);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.error).toMatch(message);
  });
});

describe('parseTarget', () => {
  const gitlab = 'https://gitlab.example.com';
  it('accepts a path or any URL into the project or group, and lower-cases it', () => {
    expect(parseTarget('Group/Sub/Project', gitlab)).toEqual({ ok: true, path: 'group/sub/project' });
    expect(parseTarget('https://gitlab.example.com/group/project/-/merge_requests/4', gitlab)).toEqual({ ok: true, path: 'group/project' });
    expect(parseTarget('https://gitlab.example.com/group/project.git', gitlab)).toEqual({ ok: true, path: 'group/project' });
    expect(parseTarget('https://gitlab.example.com/groups/platform/-/epics/2', gitlab)).toEqual({ ok: true, path: 'platform' });
    expect(parseTarget('https://example.com/gitlab/group/project', 'https://example.com/gitlab')).toEqual({ ok: true, path: 'group/project' });
  });

  it('refuses a URL on another host and text that is no path', () => {
    expect(parseTarget('https://gitlab.com/group/project', gitlab)).toEqual({ ok: false, error: "`https://gitlab.com/group/project` is not on this bridge's GitLab (gitlab.example.com)" });
    expect(parseTarget('group//project', gitlab).ok).toBe(false);
    expect(parseTarget('../etc', gitlab).ok).toBe(false);
  });
});

describe('editSubscriptionSettings', () => {
  const current = { filters: { events: ['merge_request'], labels: ['bug'], branches: ['main'] }, style: 'compact' as const, threads: false, buttons: true, confidential: false, poll: false };

  it('replaces what the options name, clears an empty one, and keeps the rest', () => {
    expect(editSubscriptionSettings(current, { events: 'issues,mr', labels: '', threads: true })).toEqual({
      ok: true,
      settings: { filters: { events: ['issue', 'merge_request'], branches: ['main'] }, style: 'compact', threads: true, buttons: true, confidential: false, poll: false },
    });
    expect(editSubscriptionSettings(current, { style: 'title' })).toMatchObject({ ok: true, settings: { style: 'title', filters: current.filters } });
  });

  it('switches buttons with `--buttons on|off`, keeping everything else, and refuses any other word', () => {
    const off = editSubscriptionSettings(current, { buttons: 'off' });
    expect(off).toEqual({ ok: true, settings: { ...current, buttons: false } });
    expect(off.ok && editSubscriptionSettings(off.settings, { buttons: 'on' })).toEqual({ ok: true, settings: current });
    expect(editSubscriptionSettings(current, { buttons: 'false' })).toEqual({ ok: false, error: '`--buttons` is `on` or `off`' });
  });

  it('switches replies to GitLab with `--sync-replies on|off`, keeping it through other changes', () => {
    const syncing = { ...current, syncReplies: false };
    const on = editSubscriptionSettings(syncing, { 'sync-replies': 'on' });
    expect(on).toEqual({ ok: true, settings: { ...syncing, syncReplies: true } });
    expect(on.ok && editSubscriptionSettings(on.settings, { style: 'title' })).toMatchObject({ ok: true, settings: { syncReplies: true, style: 'title' } });
    expect(on.ok && editSubscriptionSettings(on.settings, { 'sync-replies': 'off', buttons: 'off' })).toEqual({ ok: true, settings: { ...syncing, buttons: false } });
    expect(editSubscriptionSettings(syncing, { 'sync-replies': 'maybe' })).toEqual({ ok: false, error: '`--sync-replies` is `on` or `off`' });
  });

  it('asks for a change, and refuses contradictions and wrong values', () => {
    expect(editSubscriptionSettings(current, {})).toMatchObject({ ok: false, error: expect.stringContaining('Say what to change') });
    expect(editSubscriptionSettings(current, { threads: true, 'no-threads': true })).toMatchObject({ ok: false });
    expect(editSubscriptionSettings(current, { poll: true, 'no-poll': true })).toMatchObject({ ok: false });
    expect(editSubscriptionSettings(current, { poll: true })).toMatchObject({ ok: true, settings: { poll: true } });
    expect(editSubscriptionSettings(current, { pipelines: 'broken' })).toMatchObject({ ok: false, error: expect.stringContaining('`broken` is not a pipeline status') });
  });
});

describe('changeSettings (the webapp API)', () => {
  const current = { filters: { events: ['merge_request'], labels: ['bug'] }, style: 'compact' as const, threads: true, buttons: true, confidential: false, poll: false };

  it('takes structured input, clears a filter named without a value, and words errors with the field names', () => {
    expect(changeSettings(current, { labels: undefined, branches: ['main'], threads: false }, (name) => name)).toEqual({
      ok: true,
      settings: { filters: { events: ['merge_request'], branches: ['main'] }, style: 'compact', threads: false, buttons: true, confidential: false, poll: false },
    });
    expect(changeSettings(current, { labelsMatch: 'most' }, (name) => name)).toEqual({ ok: false, error: '`labelsMatch` is `any` or `all`' });
    expect(changeSettings(current, { buttons: false }, (name) => name)).toEqual({ ok: true, settings: { ...current, buttons: false } });
    expect(changeSettings({ ...current, syncReplies: false }, { syncReplies: true }, (name) => name)).toEqual({ ok: true, settings: { ...current, syncReplies: true } });
  });
});

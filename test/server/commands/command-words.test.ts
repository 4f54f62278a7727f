/** What users type into the `/gitlab` subcommands, read the way they mean it, and mistakes named. */
import { describe, expect, it } from '@jest/globals';
import { parseObjectRef } from '../../../server/src/commands/gitlab-references.js';
import { gitlabUsername } from '../../../server/src/commands/mute.js';
import { parseVariables } from '../../../server/src/commands/pipeline.js';
import { applyChange } from '../../../server/src/commands/settings.js';
import { splitLabels } from '../../../server/src/commands/issue.js';
import { DEFAULT_SETTINGS } from '../../../server/src/store/notification-settings.js';

const GITLAB = 'https://gitlab.example.com';

describe('parseObjectRef', () => {
  it('reads an issue as group/project#iid or as its URL, paths lower-cased', () => {
    expect(parseObjectRef('Platform/Web#12', GITLAB, 'issue')).toEqual({ ok: true, project: 'platform/web', number: 12 });
    expect(parseObjectRef(`${GITLAB}/platform/sub/web/-/issues/7#note_3`, GITLAB, 'issue')).toEqual({ ok: true, project: 'platform/sub/web', number: 7 });
    expect(parseObjectRef(`${GITLAB}/platform/web/-/pipelines/991`, GITLAB, 'pipeline')).toEqual({ ok: true, project: 'platform/web', number: 991 });
  });

  it('names the mistake: no number, a merge request URL, another GitLab', () => {
    expect(parseObjectRef('platform/web', GITLAB, 'issue')).toMatchObject({ ok: false, error: expect.stringContaining('`group/project#12`') });
    expect(parseObjectRef('#12', GITLAB, 'issue')).toMatchObject({ ok: false });
    expect(parseObjectRef(`${GITLAB}/platform/web/-/merge_requests/3`, GITLAB, 'issue')).toMatchObject({ ok: false, error: expect.stringContaining('does not name an issue') });
    expect(parseObjectRef('https://elsewhere.example/platform/web/-/issues/3', GITLAB, 'issue')).toMatchObject({ ok: false, error: expect.stringContaining("not on this bridge's GitLab") });
  });
});

describe('parseVariables', () => {
  it('turns KEY=value words into pipeline variables, keeping = and spaces in values', () => {
    expect(parseVariables(['DEPLOY=1', 'NOTE=a=b c', 'EMPTY='])).toEqual({
      ok: true,
      list: [
        { key: 'DEPLOY', value: '1' },
        { key: 'NOTE', value: 'a=b c' },
        { key: 'EMPTY', value: '' },
      ],
    });
  });

  it('refuses a word without =, a key GitLab would refuse, and a key given twice', () => {
    expect(parseVariables(['DEPLOY'])).toMatchObject({ ok: false, error: expect.stringContaining('KEY=value') });
    expect(parseVariables(['MY-KEY=1'])).toMatchObject({ ok: false, error: expect.stringContaining('`MY-KEY` is not a variable') });
    expect(parseVariables(['A=1', 'A=2'])).toMatchObject({ ok: false, error: '`A` is given twice.' });
  });
});

describe('gitlabUsername', () => {
  it('takes a name, an @name or a profile link on this GitLab', () => {
    expect(gitlabUsername('@dana.k', GITLAB)).toBe('dana.k');
    expect(gitlabUsername('dana_k', GITLAB)).toBe('dana_k');
    expect(gitlabUsername(`${GITLAB}/dana-k/`, GITLAB)).toBe('dana-k');
  });

  it('refuses what cannot be a GitLab username', () => {
    expect(gitlabUsername('https://elsewhere.example/dana', GITLAB)).toBeUndefined();
    expect(gitlabUsername('.dana', GITLAB)).toBeUndefined();
    expect(gitlabUsername('dana k', GITLAB)).toBeUndefined();
    expect(gitlabUsername(`${GITLAB}/group/project`, GITLAB)).toBeUndefined();
  });
});

describe('applyChange (/gitlab settings)', () => {
  it('switches one kind, understanding the words people use for it', () => {
    const off = applyChange(DEFAULT_SETTINGS, ['MRs', 'off']);
    expect(off).toMatchObject({ settings: { enabled: true, disabledKinds: ['merge_requests'] }, said: '`merge_requests` notifications are **off**.' });
    const on = applyChange(typeof off === 'string' ? DEFAULT_SETTINGS : off.settings, ['merge-requests', 'on']);
    expect(on).toMatchObject({ settings: { disabledKinds: [] } });
  });

  it('sets the reminder time, turning it on, and its only-when-changed mode', () => {
    const off = applyChange(DEFAULT_SETTINGS, ['reminder', 'off']);
    if (typeof off === 'string') throw new Error(off);
    expect(off.settings.reminder.enabled).toBe(false);
    const later = applyChange(off.settings, ['reminder', '8:05']);
    expect(later).toMatchObject({ settings: { reminder: { enabled: true, time: '08:05', onlyWhenChanged: false } } });
    expect(applyChange(DEFAULT_SETTINGS, ['reminder', 'only-when-changed'])).toMatchObject({ settings: { reminder: { onlyWhenChanged: true } } });
  });

  it('names each mistake', () => {
    expect(applyChange(DEFAULT_SETTINGS, ['reminder', '25:00'])).toContain('is not a time');
    expect(applyChange(DEFAULT_SETTINGS, ['builds', 'off'])).toContain('`builds` is not a kind of notification');
    expect(applyChange(DEFAULT_SETTINGS, ['reviews', 'maybe'])).toBe('Switch `reviews` on or off.');
    expect(applyChange(DEFAULT_SETTINGS, ['reviews'])).toBe('Say what to change and how.');
    expect(applyChange(DEFAULT_SETTINGS, ['reviews', 'off', 'now'])).toContain('one word too many');
  });
});

describe('splitLabels', () => {
  it('trims, drops empties and repeats', () => {
    expect(splitLabels(' bug, ui ,,bug')).toEqual(['bug', 'ui']);
  });
});

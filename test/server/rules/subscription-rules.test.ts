import { describe, expect, it } from '@jest/globals';
import { commandOptionName, readSettings } from '../../../server/src/commands/subscription-options.js';
import type { GitLabTarget } from '../../../server/src/gitlab/find-target.js';
import { refuseAccess, refuseConfidential, refuseForKind } from '../../../server/src/rules/subscription-rules.js';

const target = (visibility: GitLabTarget['visibility'], accessLevel: number | null): GitLabTarget => ({ kind: 'project', id: 1, path: 'g/p', url: 'https://gitlab/g/p', visibility, accessLevel });
const apiName = (setting: string) => setting;
const settings = (input: Parameters<typeof readSettings>[0]) => {
  const read = readSettings(input);
  if (!read.ok) throw new Error(read.error);
  return read.settings;
};

describe('subscription rules', () => {
  it('needs Reporter access to a private or internal target', () => {
    expect(refuseAccess(target('private', 10), 'P', { force: false, systemAdmin: false }, apiName)).toMatchObject({ code: 'forbidden', message: expect.stringContaining('at least Reporter') });
    expect(refuseAccess(target('internal', null), 'P', { force: false, systemAdmin: false }, apiName)).toMatchObject({ code: 'forbidden' });
    expect(refuseAccess(target('private', 20), 'P', { force: false, systemAdmin: false }, apiName)).toBeNull();
    expect(refuseAccess(target('public', null), 'O', { force: false, systemAdmin: false }, apiName)).toBeNull();
  });

  it('lets a private target into a public channel only when a system admin forces it, naming the option as the front end does', () => {
    expect(refuseAccess(target('private', 30), 'O', { force: false, systemAdmin: true }, commandOptionName)!.message).toContain('a system admin can add `--force`');
    expect(refuseAccess(target('private', 30), 'O', { force: true, systemAdmin: false }, apiName)!.message).toBe('Only a system admin can use `force`.');
    expect(refuseAccess(target('private', 30), 'O', { force: true, systemAdmin: true }, apiName)).toBeNull();
  });

  it('keeps confidential events out of public channels and settings to the kinds they fit', () => {
    expect(refuseConfidential({ confidential: true }, 'O')).toMatchObject({ code: 'bad_request' });
    expect(refuseConfidential({ confidential: true }, 'P')).toBeNull();
    expect(refuseForKind(settings({ exclude: ['legacy/*'] }), 'project', apiName)!.message).toContain('`exclude` leaves projects out');
    expect(refuseForKind(settings({ poll: true }), 'group', commandOptionName)!.message).toContain('`--poll` works for projects only');
    expect(refuseForKind(settings({ poll: true }), 'project', apiName)).toBeNull();
  });
});

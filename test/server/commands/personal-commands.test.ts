/**
 * `/gitlab settings`, `mute` and `me`: a user choosing their direct messages
 * and finding out why one did not come. Real bridge process and PostgreSQL;
 * Mattermost and GitLab are fakes on loopback.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { startCommandBridge, type CommandBridge } from '../../helpers/command-bridge.js';

let running: CommandBridge;
let alice: string;
const aliceOnGitLab = { id: 501, username: 'alice.gl', name: 'Alice' };

beforeEach(async () => {
  running = await startCommandBridge({ users: ['alice'], oauth: true });
  alice = running.users.alice!;
  running.gitlab.addUser({ id: 502, username: 'dana.gl', name: 'Dana' });
});
afterEach(() => running.close());

describe('/gitlab settings', () => {
  it('shows the defaults, switches kinds and the reminder, and keeps them', async () => {
    const shown = await running.command(alice, 'settings');
    expect(shown).toContain('- Direct messages: **on**');
    expect(shown).toContain('- `reviews`: on · when your review is requested');
    expect(shown).toContain('- Daily reminder: on, at 09:00 in your Mattermost timezone, every day something is waiting');
    expect(shown).toContain('- Buttons (approve, merge, retry…) on direct messages: on');

    expect(await running.command(alice, 'settings review off')).toMatch(/^`reviews` notifications are \*\*off\*\*\.\n/);
    expect(await running.command(alice, 'settings reminder 7:30')).toContain('at 07:30 in your Mattermost timezone');
    const changed = await running.command(alice, 'settings reminder only-when-changed');
    expect(changed).toContain('- `reviews`: off');
    expect(changed).toContain('at 07:30 in your Mattermost timezone, only when something changed since the last one');

    const { rows } = await running.pool.query('SELECT disabled_kinds, reminder_time, reminder_only_when_changed FROM notification_settings WHERE mattermost_user_id = $1', [alice]);
    expect(rows).toEqual([{ disabled_kinds: ['reviews'], reminder_time: '07:30:00', reminder_only_when_changed: true }]);
  });

  it('turns the buttons on direct messages off and on', async () => {
    const off = await running.command(alice, 'settings buttons off');
    expect(off).toMatch(/^Buttons on your direct messages are \*\*off\*\*\.\n/);
    expect(off).toContain('- Buttons (approve, merge, retry…) on direct messages: off');
    const stored = async () => (await running.pool.query('SELECT buttons, enabled FROM notification_settings WHERE mattermost_user_id = $1', [alice])).rows;
    expect(await stored()).toEqual([{ buttons: false, enabled: true }]);
    // Other changes keep it.
    await running.command(alice, 'settings reviews off');
    expect(await stored()).toEqual([{ buttons: false, enabled: true }]);
    expect(await running.command(alice, 'settings buttons maybe')).toMatch(/^Switch `buttons` on or off\. Usage: `\/gitlab settings .*buttons on\|off\]`$/);
    expect(await running.command(alice, 'settings buttons on')).toContain('- Buttons (approve, merge, retry…) on direct messages: on');
    expect(await stored()).toEqual([{ buttons: true, enabled: true }]);
  });

  it('keeps one’s thread replies in Mattermost with `replies off`, saying what that means, and sends them again with `replies on`', async () => {
    expect(await running.command(alice, 'settings')).toContain('- `replies`: on · your replies in threads of channels that send replies to GitLab are posted there as your comments');
    const stored = async () => (await running.pool.query('SELECT sync_replies, buttons FROM notification_settings WHERE mattermost_user_id = $1', [alice])).rows;

    const off = await running.command(alice, 'settings replies off');
    expect(off).toMatch(/^Your replies in threads of channels that send replies to GitLab are \*\*not\*\* posted as GitLab comments\.\n/);
    expect(off).toContain('- `replies`: off · your replies in threads stay in Mattermost, even where the channel sends replies to GitLab');
    expect(await stored()).toEqual([{ sync_replies: false, buttons: true }]);
    // Other changes keep it.
    await running.command(alice, 'settings buttons off');
    expect(await stored()).toEqual([{ sync_replies: false, buttons: false }]);
    expect(await running.command(alice, 'settings replies sometimes')).toMatch(/^Switch `replies` on or off\. Usage: `\/gitlab settings .*replies on\|off/);
    expect(await running.command(alice, 'settings replies on')).toMatch(/^Your replies in threads of channels that send replies to GitLab are posted as GitLab comments, written as you with your connected GitLab account\.\n/);
    expect(await stored()).toEqual([{ sync_replies: true, buttons: false }]);
    // The channel's own setting is not a personal one.
    expect(await running.command(alice, 'settings --code-previews on')).toBe('`--code-previews` is a setting of the channel: `/gitlab settings channel [--code-previews on|off]`.');
  });

  it('answers a mistake with one line and the usage, changing nothing', async () => {
    expect(await running.command(alice, 'settings builds off')).toMatch(/^`builds` is not a kind of notification \(reviews, .*\)\. Usage: `\/gitlab settings /);
    expect(await running.command(alice, 'settings reminder 9pm')).toContain('`9pm` is not a time');
    expect((await running.pool.query('SELECT count(*)::int AS n FROM notification_settings')).rows[0].n).toBe(0);
  });
});

describe('/gitlab mute', () => {
  it('needs a connected account to look the GitLab user up', async () => {
    expect(await running.command(alice, 'mute add dana.gl')).toContain('`/gitlab connect` first');
  });

  it('mutes an existing GitLab user once, lists and unmutes them, and refuses strangers and oneself', async () => {
    await running.connectGitLab(alice, aliceOnGitLab);
    expect(await running.command(alice, 'mute list')).toMatch(/^You have muted nobody/);
    expect(await running.command(alice, 'mute add @Dana.GL')).toMatch(/^Muted dana\.gl: nothing they do in GitLab will send you a direct message/);
    expect(await running.command(alice, 'mute add dana.gl')).toBe('You had already muted dana.gl.');
    expect(await running.command(alice, 'mute add ghost')).toBe('GitLab has no user `ghost`.');
    expect(await running.command(alice, 'mute add alice.gl')).toContain('That is you');
    expect(await running.command(alice, 'mute add "not a name"')).toContain('is not a GitLab username');
    expect(await running.command(alice, 'mute')).toBe('Usage: `/gitlab mute add <gitlab user> | delete <gitlab user> | list`');
    expect(await running.command(alice, 'mute list')).toMatch(/^#### GitLab users you muted \(1\)\n- dana\.gl, since \d{4}-\d\d-\d\d$/);
    expect(await running.command(alice, 'me')).toContain('- Muted GitLab users: dana.gl');
    expect((await running.pool.query('SELECT gitlab_user_id FROM gitlab_mutes')).rows).toEqual([{ gitlab_user_id: '502' }]);

    expect(await running.command(alice, 'mute delete DANA.gl')).toBe('Unmuted dana.gl.');
    expect(await running.command(alice, 'mute delete dana.gl')).toBe('You had not muted dana.gl.');
  });
});

describe('/gitlab me', () => {
  it('answers "why am I not getting DMs?": switches, mutes, and the last direct message', async () => {
    await running.connectGitLab(alice, aliceOnGitLab);
    const me = await running.command(alice, 'me');
    expect(me).toContain('- Direct messages: on for every kind');
    expect(me).toContain('- Daily reminder: at 09:00');
    expect(me).toContain('- Buttons on direct messages: on');
    expect(me).toContain('- Muted GitLab users: none');
    expect(me).toMatch(/- Last direct message: \d{4}-\d\d-\d\d \d\d:\d\d UTC, “You are connected to GitLab as \*\*alice\.gl\*\*\./);

    await running.command(alice, 'settings notifications off');
    await running.command(alice, 'settings todos off');
    const off = await running.command(alice, 'me');
    expect(off).toContain('- Direct messages: **off**: `/gitlab settings notifications on` turns them back on');
    await running.command(alice, 'settings buttons off');
    expect(await running.command(alice, 'me')).toContain('- Buttons on direct messages: off: `/gitlab settings buttons on` turns them back on');
    expect(me).toContain('- Your replies in threads that go to GitLab: posted as your GitLab comments');
    await running.command(alice, 'settings replies off');
    expect(await running.command(alice, 'me')).toContain('- Your replies in threads that go to GitLab: kept in Mattermost: `/gitlab settings replies on` sends them');
    await running.command(alice, 'settings notifications on');
    expect(await running.command(alice, 'me')).toContain('- Direct messages: on for reviews, assignments, mentions, comments, merge_requests, pipelines (off: todos)');
  });

  it('shows a direct message that Mattermost refused', async () => {
    running.mattermost.inject('CreateDirectChannel', { status: 403, body: { id: 'api.context.permissions.app_error', message: 'You do not have the appropriate permissions.', status_code: 403 } });
    await running.connectGitLab(alice, aliceOnGitLab);
    const me = await running.command(alice, 'me');
    expect(me).toContain('- Last direct message: none sent yet');
    expect(me).toMatch(/- \*\*The last attempt to message you failed\*\* \(\d{4}-\d\d-\d\d \d\d:\d\d UTC\): You do not have the appropriate permissions\./);
  });
});

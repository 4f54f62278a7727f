/**
 * `/gitlab settings channel`: anyone in the channel sees its settings; only a channel, team or
 * system admin changes them, in the channel they change, and each change is audited. Real bridge
 * process and PostgreSQL; Mattermost (its member and team roles) is a fake on loopback.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { FakeChannel } from '../../fakes/fake-mattermost.js';
import { startCommandBridge, type CommandBridge } from '../../helpers/command-bridge.js';

let running: CommandBridge;
let users: Record<'alice' | 'carol' | 'dana' | 'erin', string>;
let room: FakeChannel;

beforeEach(async () => {
  running = await startCommandBridge({ users: ['alice', 'carol', 'dana', 'erin'] });
  users = running.users as typeof users;
  // Alice administers the channel, Carol is a plain member, Dana is not in it, Erin administers the
  // team. The bot is a member: it learns people's roles in a private channel only from inside.
  const bot = [...running.mattermost.users.values()].find((user) => user.username === 'gitlab')!.id;
  // As in Mattermost, where only a team's members may join its channels.
  running.team.members.add(bot);
  room = running.mattermost.addChannel('review', { type: 'P', members: [users.alice, users.carol, bot], admins: [users.alice], teamId: running.team.id });
  running.team.admins.add(users.erin);
});
afterEach(() => running.close());

const previews = async (channelId: string) => (await running.pool.query('SELECT code_previews, updated_by FROM channel_settings WHERE channel_id = $1', [channelId])).rows;
const audited = async () => (await running.pool.query("SELECT actor, target, details FROM audit_log WHERE action = 'channel.settings_changed' ORDER BY id")).rows;

describe('/gitlab settings channel', () => {
  it('shows the defaults to any member, with what code previews mean and who changes them', async () => {
    const shown = await running.command(users.carol, 'settings channel', room.id);
    expect(shown).toBe(
      [
        '#### GitLab settings of this channel',
        '- Code previews: **off** · when on, the bot replies in the thread with the code of GitLab code links posted here (for mobile; the webapp shows them itself), when everyone in the channel may read that code.',
        '',
        'A channel, team or system admin changes it with `/gitlab settings channel --code-previews on`.',
      ].join('\n'),
    );
    expect(await previews(room.id)).toEqual([]);
  });

  it('lets a channel admin turn code previews on and off, audited, for that channel only', async () => {
    const on = await running.command(users.alice, 'settings channel --code-previews on', room.id);
    expect(on).toMatch(/^Code previews in this channel are \*\*on\*\*\.\n\n#### GitLab settings of this channel\n- Code previews: \*\*on\*\* · /);
    expect(await previews(room.id)).toEqual([{ code_previews: true, updated_by: users.alice }]);
    expect(await running.command(users.carol, 'settings channel', room.id)).toContain('- Code previews: **on**');

    // Another channel keeps its own (the default).
    const other = running.mattermost.addChannel('other', { type: 'O', members: [users.alice, users.carol], teamId: running.team.id });
    expect(await running.command(users.carol, 'settings channel', other.id)).toContain('- Code previews: **off**');

    expect(await running.command(users.alice, 'settings channel --code-previews=off', room.id)).toMatch(/^Code previews in this channel are \*\*off\*\*\./);
    expect(await previews(room.id)).toEqual([{ code_previews: false, updated_by: users.alice }]);
    expect(await audited()).toEqual([
      { actor: users.alice, target: `channel:${room.id}`, details: { changes: { codePreviews: true }, settings: { codePreviews: true } } },
      { actor: users.alice, target: `channel:${room.id}`, details: { changes: { codePreviews: false }, settings: { codePreviews: false } } },
    ]);
  });

  it('lets a team admin change them too', async () => {
    expect(await running.command(users.erin, 'settings channel --code-previews on', room.id)).toMatch(/^Code previews in this channel are \*\*on\*\*\./);
    expect(await previews(room.id)).toEqual([{ code_previews: true, updated_by: users.erin }]);
  });

  it('refuses a plain member and someone outside the channel, changing nothing and auditing nothing', async () => {
    const refusal = "Only a channel, team or system admin can change this channel's settings.";
    expect(await running.command(users.carol, 'settings channel --code-previews on', room.id)).toBe(refusal);
    // Dana is no member: naming the channel gets her nowhere either.
    expect(await running.command(users.dana, 'settings channel --code-previews on', room.id)).toBe(refusal);
    // A channel admin elsewhere is no admin here.
    const theirs = running.mattermost.addChannel('theirs', { type: 'O', members: [users.dana], admins: [users.dana], teamId: running.team.id });
    expect(await running.command(users.dana, 'settings channel --code-previews on', theirs.id)).toMatch(/^Code previews in this channel are \*\*on\*\*\./);
    expect(await previews(room.id)).toEqual([]);
    expect((await audited()).map((row: { target: string }) => row.target)).toEqual([`channel:${theirs.id}`]);
  });

  it('answers a wrong value or a stray word with the usage, changing nothing', async () => {
    expect(await running.command(users.alice, 'settings channel --code-previews yes', room.id)).toBe('`--code-previews` is `on` or `off`. Usage: `/gitlab settings channel [--code-previews on|off]`');
    expect(await running.command(users.alice, 'settings channel previews on', room.id)).toBe('`previews on` is not a channel setting. Usage: `/gitlab settings channel [--code-previews on|off]`');
    expect(await running.command(users.alice, 'settings channel --colour red', room.id)).toMatch(/^Unknown option '--colour'\. Usage: `\/gitlab settings /);
    expect(await previews(room.id)).toEqual([]);
  });
});

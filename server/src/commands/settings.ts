/**
 * `/gitlab settings`: which personal direct messages a user gets, their daily reminder, buttons on
 * them, and whether their thread replies go to GitLab; `settings channel`: the channel's own settings.
 */
import type pg from 'pg';
import type { MattermostClient } from '../mattermost/client.js';
import { PERSONAL_KINDS, personalKind, type PersonalKind } from '../rules/personal-kinds.js';
import { changeChannelSettings, readChannelSettings, type ChannelSettings } from '../store/channel-settings.js';
import { readNotificationSettings, saveNotificationSettings, type NotificationSettings } from '../store/notification-settings.js';
import { managesChannel } from '../subscriptions/change-subscriptions.js';
import type { CommandCall, Subcommand } from './command-router.js';

export interface SettingsDeps {
  pool: pg.Pool;
  /** Asks Mattermost who manages a channel; null without a bot token (then channel settings cannot change). */
  bot: MattermostClient | null;
}

const CHANNEL_USAGE = 'settings channel [--code-previews on|off]';
const USAGE = `settings [channel [--code-previews on|off] | notifications on|off | <kind> on|off | reminder on|off|HH:MM|only-when-changed|daily | replies on|off | buttons on|off]`;

/** What the replies switch means, in the words of its answer. */
const REPLIES_MEANING = (on: boolean) => `Your replies in threads of channels that send replies to GitLab are ${on ? '' : '**not** '}posted as GitLab comments${on ? ', written as you with your connected GitLab account' : ''}.`;
/** What code previews mean, in the words of the channel's answer. */
const CODE_PREVIEWS_MEANING =
  'the bot replies in the thread with the code of GitLab code links posted here (for mobile; the webapp shows them itself), when everyone in the channel may read that code';

export const settingsCommand: Subcommand<SettingsDeps> = {
  name: 'settings',
  summary: `your personal notifications: all on or off, one kind (${Object.keys(PERSONAL_KINDS).join(', ')}) on or off, the daily reminder, buttons on them, and whether your replies in threads go to GitLab (\`replies on|off\`); \`settings channel\` shows this channel's settings, and its admins change them (\`--code-previews on|off\`)`,
  usage: USAGE,
  options: { 'code-previews': { type: 'string' } },
  async run(call, { values, positionals }, deps) {
    if (positionals[0]?.toLowerCase() === 'channel') return channelSettings(call, positionals.slice(1), values, deps);
    if ('code-previews' in values) return `\`--code-previews\` is a setting of the channel: \`/${call.trigger} ${CHANNEL_USAGE}\`.`;
    const current = await readNotificationSettings(deps.pool, call.userId);
    if (positionals.length === 0) return describeNotificationSettings(current, call.trigger);
    const change = applyChange(current, positionals);
    if (typeof change === 'string') return `${change} Usage: \`/${call.trigger} ${USAGE}\``;
    await saveNotificationSettings(deps.pool, call.userId, change.settings);
    return `${change.said}\n\n${describeNotificationSettings(change.settings, call.trigger)}`;
  },
};

/** The settings after one change, and what to say about it; a string explains a mistake. */
export function applyChange(current: NotificationSettings, words: string[]): { settings: NotificationSettings; said: string } | string {
  const [what, value, ...extra] = words.map((word) => word.toLowerCase());
  if (!what || !value) return 'Say what to change and how.';
  if (extra.length > 0) return `One change at a time: \`${words.slice(2).join(' ')}\` is one word too many.`;
  if (what === 'reminder') {
    const reminder = { ...current.reminder };
    if (value === 'on' || value === 'off') reminder.enabled = value === 'on';
    else if (value === 'only-when-changed') reminder.onlyWhenChanged = true;
    else if (value === 'daily') reminder.onlyWhenChanged = false;
    else {
      const time = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(value);
      if (!time) return `\`${value}\` is not a time: give it as HH:MM, 24-hour (for example 08:30).`;
      reminder.time = `${time[1]!.padStart(2, '0')}:${time[2]}`;
      reminder.enabled = true;
    }
    return { settings: { ...current, reminder }, said: 'Your daily reminder is changed.' };
  }
  if (value !== 'on' && value !== 'off') return `Switch \`${what}\` on or off.`;
  if (what === 'notifications' || what === 'all') {
    return { settings: { ...current, enabled: value === 'on' }, said: `Personal direct messages are **${value}**.` };
  }
  if (what === 'buttons') return { settings: { ...current, buttons: value === 'on' }, said: `Buttons on your direct messages are **${value}**.` };
  if (what === 'replies') return { settings: { ...current, syncReplies: value === 'on' }, said: REPLIES_MEANING(value === 'on') };
  const kind = personalKind(what);
  if (!kind) return `\`${what}\` is not a kind of notification (${Object.keys(PERSONAL_KINDS).join(', ')}).`;
  const disabledKinds: PersonalKind[] = value === 'on' ? current.disabledKinds.filter((off) => off !== kind) : [...new Set([...current.disabledKinds, kind])];
  return { settings: { ...current, disabledKinds }, said: `\`${kind}\` notifications are **${value}**.` };
}

export function describeNotificationSettings(settings: NotificationSettings, trigger: string): string {
  const { reminder } = settings;
  return [
    '#### Your GitLab notifications',
    `- Direct messages: **${settings.enabled ? 'on' : 'off'}**${settings.enabled ? '' : ' (nothing below is sent while this is off)'}`,
    ...Object.entries(PERSONAL_KINDS).map(([kind, when]) => `- \`${kind}\`: ${settings.disabledKinds.includes(kind as PersonalKind) ? 'off' : 'on'} · when ${when}`),
    `- Daily reminder: ${reminder.enabled ? `on, at ${reminder.time} in your Mattermost timezone, ${reminder.onlyWhenChanged ? 'only when something changed since the last one' : 'every day something is waiting'}` : 'off'}`,
    `- Buttons (approve, merge, retry…) on direct messages: ${settings.buttons ? 'on' : 'off'}`,
    `- \`replies\`: ${settings.syncReplies ? 'on' : 'off'} · ${settings.syncReplies ? 'your replies in threads of channels that send replies to GitLab are posted there as your comments' : 'your replies in threads stay in Mattermost, even where the channel sends replies to GitLab'}`,
    '',
    `Change one with \`/${trigger} settings reviews off\`, \`/${trigger} settings reminder 08:30\` or \`/${trigger} settings notifications off\`.`,
  ].join('\n');
}

/** `settings channel`: anyone may see them; a channel, team or system admin may change them. */
async function channelSettings(call: CommandCall, words: string[], values: Record<string, unknown>, deps: SettingsDeps): Promise<string> {
  if (words.length > 0) return `\`${words.join(' ')}\` is not a channel setting. Usage: \`/${call.trigger} ${CHANNEL_USAGE}\``;
  if (!('code-previews' in values)) return describeChannelSettings(await readChannelSettings(deps.pool, call.channelId), call.trigger);
  const word = String(values['code-previews']).trim().toLowerCase();
  if (word !== 'on' && word !== 'off') return `\`--code-previews\` is \`on\` or \`off\`. Usage: \`/${call.trigger} ${CHANNEL_USAGE}\``;
  if (!deps.bot) return 'The bridge has no MATTERMOST_BOT_TOKEN yet: ask an admin to run `gitlab-bridge setup`.';
  if (!(await managesChannel(deps.bot, { userId: call.userId, channelId: call.channelId, teamId: call.teamId || null }))) {
    return "Only a channel, team or system admin can change this channel's settings.";
  }
  const settings = await changeChannelSettings(deps.pool, call.channelId, { codePreviews: word === 'on' }, call.userId);
  return `Code previews in this channel are **${word}**.\n\n${describeChannelSettings(settings, call.trigger)}`;
}

export function describeChannelSettings(settings: ChannelSettings, trigger: string): string {
  return [
    '#### GitLab settings of this channel',
    `- Code previews: **${settings.codePreviews ? 'on' : 'off'}** · when on, ${CODE_PREVIEWS_MEANING}.`,
    '',
    `A channel, team or system admin changes it with \`/${trigger} settings channel --code-previews ${settings.codePreviews ? 'off' : 'on'}\`.`,
  ].join('\n');
}

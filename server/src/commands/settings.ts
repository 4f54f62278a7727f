/** `/gitlab settings`: which personal direct messages a user gets, their daily reminder, and buttons on them. */
import type pg from 'pg';
import { PERSONAL_KINDS, personalKind, type PersonalKind } from '../rules/personal-kinds.js';
import { readNotificationSettings, saveNotificationSettings, type NotificationSettings } from '../store/notification-settings.js';
import type { Subcommand } from './command-router.js';

export interface SettingsDeps {
  pool: pg.Pool;
}

const USAGE = 'settings [notifications on|off | <kind> on|off | reminder on|off|HH:MM|only-when-changed|daily | buttons on|off]';

export const settingsCommand: Subcommand<SettingsDeps> = {
  name: 'settings',
  summary: `your personal notifications: all on or off, one kind (${Object.keys(PERSONAL_KINDS).join(', ')}) on or off, the daily reminder, and buttons on them`,
  usage: USAGE,
  async run(call, { positionals }, deps) {
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
    '',
    `Change one with \`/${trigger} settings reviews off\`, \`/${trigger} settings reminder 08:30\` or \`/${trigger} settings notifications off\`.`,
  ].join('\n');
}

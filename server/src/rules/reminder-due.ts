/**
 * When a user's daily reminder is due, and whether a due one is sent (pure).
 * The user's poll carries this state from one cycle to the next, so the
 * reminder goes out with the poll that follows its time, with fresh data.
 */
import type { NotificationSettings } from '../store/notification-settings.js';
import { nextReminderAt } from './reminder-schedule.js';

export interface ReminderState {
  /** When the next reminder is due (ISO). */
  dueAt: string;
  /** The time and zone `dueAt` was worked out for: a change of either moves it. */
  for: string;
}

/**
 * Which instance's poll sends a person's one daily reminder: the first configured instance (the
 * default comes first) they are connected to; null when none. Each runner asks this of what is
 * stored, so exactly one sends, without talking to the others.
 */
export function reminderSender(configured: readonly string[], connected: readonly string[]): string | null {
  return configured.find((name) => connected.includes(name)) ?? null;
}

/** A reminder this late (the bridge was down at the time) is skipped: tomorrow's will come. */
const TOO_LATE_MS = 3 * 60 * 60_000;

export type ReminderStep = { state: ReminderState; send: boolean };

export function stepReminder(previous: ReminderState | null, now: Date, settings: NotificationSettings['reminder'], timeZone: string): ReminderStep {
  const wanted = `${settings.time}|${timeZone}`;
  if (!previous || previous.for !== wanted) return { state: { dueAt: nextReminderAt(now, timeZone, settings.time).toISOString(), for: wanted }, send: false };
  const dueAt = new Date(previous.dueAt);
  if (now < dueAt) return { state: previous, send: false };
  const late = now.getTime() - dueAt.getTime() > TOO_LATE_MS;
  return { state: { dueAt: nextReminderAt(now, timeZone, settings.time).toISOString(), for: wanted }, send: settings.enabled && !late };
}

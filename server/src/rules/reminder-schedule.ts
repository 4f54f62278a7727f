/**
 * When a user's daily reminder is due: which time zone Mattermost uses for them,
 * and the next instant their wall clock shows the chosen time (pure, `Intl` only).
 */

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/**
 * The zone Mattermost itself uses for a user's `timezone` object: the manual
 * zone when `useAutomaticTimezone` is `'false'`, otherwise the automatic one;
 * the other one when that is empty, and UTC when neither is a zone `Intl` knows.
 */
export function reminderTimeZone(timezone: unknown): string {
  if (!timezone || typeof timezone !== 'object') return 'UTC';
  const { useAutomaticTimezone, automaticTimezone, manualTimezone } = timezone as Record<string, unknown>;
  // Mattermost stores the flag as the string 'true'/'false'; a boolean is accepted too.
  const manualFirst = useAutomaticTimezone === 'false' || useAutomaticTimezone === false;
  const candidates = manualFirst ? [manualTimezone, automaticTimezone] : [automaticTimezone, manualTimezone];
  for (const candidate of candidates) {
    if (typeof candidate === 'string' && candidate.trim() !== '' && isTimeZone(candidate.trim())) return candidate.trim();
  }
  return 'UTC';
}

function isTimeZone(name: string): boolean {
  try {
    formatterFor(name);
    return true;
  } catch {
    return false;
  }
}

/**
 * The first instant strictly after `after` at which the wall clock in `timeZone`
 * reads `time` (`HH:MM`). A time skipped by a clock change (spring forward) gives
 * the instant the clock jumps past it; a time that happens twice (fall back)
 * gives the first of the two.
 */
export function nextReminderAt(after: Date, timeZone: string, time: string): Date {
  const match = /^(\d{1,2}):(\d{2})$/.exec(time.trim());
  const hour = Number(match?.[1]);
  const minute = Number(match?.[2]);
  if (!match || hour > 23 || minute > 59) throw new RangeError(`"${time}" is not a time of day (HH:MM)`);
  const today = wallClock(after.getTime(), timeZone);
  // Tomorrow's time is normally enough; more days cover a date a zone skipped (Samoa, 2011-12-30).
  for (let days = 0; days <= 3; days++) {
    const wall = Date.UTC(today.year, today.month - 1, today.day + days, hour, minute);
    const instant = instantOf(wall, timeZone);
    if (instant > after.getTime()) return new Date(instant);
  }
  throw new Error(`no ${time} in ${timeZone} within three days of ${after.toISOString()}`);
}

/**
 * The instant at which `timeZone`'s clock reads `wall` (a wall-clock time
 * written as if it were UTC milliseconds), earliest first; the end of the gap
 * when the clock skips it.
 */
function instantOf(wall: number, timeZone: string): number {
  // Offsets a day either side cover every real zone's single change around one time.
  const offsets = [...new Set([offsetAt(wall - DAY, timeZone), offsetAt(wall + DAY, timeZone)])];
  const matching = offsets.map((offset) => wall - offset).filter((instant) => offsetAt(instant, timeZone) === wall - instant);
  if (matching.length > 0) return Math.min(...matching);
  // In the gap: the clock jumps from before `wall` to after it at one instant, between these two guesses.
  let early = Math.min(...offsets.map((offset) => wall - offset));
  let late = Math.max(...offsets.map((offset) => wall - offset));
  const lateOffset = offsetAt(late, timeZone);
  while (late - early > MINUTE) {
    const middle = early + Math.floor((late - early) / 2 / MINUTE) * MINUTE;
    if (offsetAt(middle, timeZone) === lateOffset) late = middle;
    else early = middle;
  }
  return late;
}

/** How far `timeZone`'s wall clock is ahead of UTC at `instant`, in milliseconds. */
function offsetAt(instant: number, timeZone: string): number {
  const wall = wallClock(instant, timeZone);
  const whole = Math.floor(instant / 1000) * 1000;
  return Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second) - whole;
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function wallClock(instant: number, timeZone: string): WallClock {
  const parts: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(instant)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour!, minute: parts.minute!, second: parts.second! };
}

// Building a formatter is far slower than using one, and every user's reminder needs several.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

import { describe, expect, it } from '@jest/globals';
import { nextReminderAt, reminderTimeZone } from '../../../server/src/rules/reminder-schedule.js';

/** The next reminder after `after` (ISO), as an ISO string. */
const next = (after: string, zone: string, time: string) => nextReminderAt(new Date(after), zone, time).toISOString();

describe('nextReminderAt on ordinary days', () => {
  it('finds 09:00 in Berlin in winter (UTC+1) and summer (UTC+2)', () => {
    expect(next('2025-01-15T06:00:00Z', 'Europe/Berlin', '09:00')).toBe('2025-01-15T08:00:00.000Z');
    expect(next('2025-07-01T05:00:00Z', 'Europe/Berlin', '09:00')).toBe('2025-07-01T07:00:00.000Z');
  });

  it('finds 09:00 in Los Angeles, whose local date lags the UTC date in the evening', () => {
    expect(next('2025-01-15T16:00:00Z', 'America/Los_Angeles', '09:00')).toBe('2025-01-15T17:00:00.000Z');
    expect(next('2025-01-15T20:00:00Z', 'America/Los_Angeles', '09:00')).toBe('2025-01-16T17:00:00.000Z');
    // 19:00 on the 15th in Los Angeles is already the 16th in UTC.
    expect(next('2025-01-16T03:00:00Z', 'America/Los_Angeles', '09:00')).toBe('2025-01-16T17:00:00.000Z');
  });

  it('handles half- and quarter-hour offsets', () => {
    expect(next('2025-05-10T00:00:00Z', 'Asia/Kolkata', '09:00')).toBe('2025-05-10T03:30:00.000Z');
    expect(next('2025-05-10T00:00:00Z', 'Asia/Kathmandu', '09:00')).toBe('2025-05-10T03:15:00.000Z');
    // 20:00 UTC is 01:30 the next day in Kolkata: that day's 00:15 is gone, the one after is next.
    expect(next('2025-05-10T20:00:00Z', 'Asia/Kolkata', '00:15')).toBe('2025-05-11T18:45:00.000Z');
  });

  it('takes the first instant strictly after the given one', () => {
    expect(next('2025-07-01T06:59:59.999Z', 'Europe/Berlin', '09:00')).toBe('2025-07-01T07:00:00.000Z');
    expect(next('2025-07-01T07:00:00.000Z', 'Europe/Berlin', '09:00')).toBe('2025-07-02T07:00:00.000Z');
    expect(next('2025-07-01T07:00:00.001Z', 'Europe/Berlin', '09:00')).toBe('2025-07-02T07:00:00.000Z');
  });

  it('accepts midnight and the last minute of the day, and refuses what is not a time', () => {
    expect(next('2025-01-15T12:00:00Z', 'UTC', '00:00')).toBe('2025-01-16T00:00:00.000Z');
    expect(next('2025-01-15T12:00:00Z', 'UTC', '23:59')).toBe('2025-01-15T23:59:00.000Z');
    expect(() => next('2025-01-15T12:00:00Z', 'UTC', '24:00')).toThrow(RangeError);
    expect(() => next('2025-01-15T12:00:00Z', 'UTC', '9am')).toThrow(RangeError);
  });
});

describe('nextReminderAt across clock changes', () => {
  it('Berlin, spring forward (2025-03-30, 02:00 → 03:00)', () => {
    expect(next('2025-03-29T12:00:00Z', 'Europe/Berlin', '09:00')).toBe('2025-03-30T07:00:00.000Z');
    expect(next('2025-03-28T12:00:00Z', 'Europe/Berlin', '09:00')).toBe('2025-03-29T08:00:00.000Z');
    // 02:30 does not exist that day: the reminder comes when the clock jumps to 03:00.
    expect(next('2025-03-29T12:00:00Z', 'Europe/Berlin', '02:30')).toBe('2025-03-30T01:00:00.000Z');
    expect(next('2025-03-30T01:10:00Z', 'Europe/Berlin', '02:30')).toBe('2025-03-31T00:30:00.000Z');
  });

  it('Berlin, fall back (2025-10-26, 03:00 → 02:00)', () => {
    expect(next('2025-10-25T12:00:00Z', 'Europe/Berlin', '09:00')).toBe('2025-10-26T08:00:00.000Z');
    // 02:30 happens twice: the first one (summer time) counts, and only once that day.
    expect(next('2025-10-25T12:00:00Z', 'Europe/Berlin', '02:30')).toBe('2025-10-26T00:30:00.000Z');
    expect(next('2025-10-26T00:30:00Z', 'Europe/Berlin', '02:30')).toBe('2025-10-27T01:30:00.000Z');
  });

  it('Los Angeles, spring forward (2025-03-09, 02:00 → 03:00)', () => {
    expect(next('2025-03-08T20:00:00Z', 'America/Los_Angeles', '09:00')).toBe('2025-03-09T16:00:00.000Z');
    expect(next('2025-03-07T20:00:00Z', 'America/Los_Angeles', '09:00')).toBe('2025-03-08T17:00:00.000Z');
    expect(next('2025-03-08T20:00:00Z', 'America/Los_Angeles', '02:30')).toBe('2025-03-09T10:00:00.000Z');
  });

  it('Los Angeles, fall back (2025-11-02, 02:00 → 01:00)', () => {
    expect(next('2025-11-01T20:00:00Z', 'America/Los_Angeles', '09:00')).toBe('2025-11-02T17:00:00.000Z');
    expect(next('2025-11-01T20:00:00Z', 'America/Los_Angeles', '01:30')).toBe('2025-11-02T08:30:00.000Z');
    expect(next('2025-11-02T08:30:00Z', 'America/Los_Angeles', '01:30')).toBe('2025-11-03T09:30:00.000Z');
  });

  it('Sydney, spring forward in the southern hemisphere (2025-10-05, 02:00 → 03:00)', () => {
    expect(next('2025-10-03T12:00:00Z', 'Australia/Sydney', '09:00')).toBe('2025-10-03T23:00:00.000Z');
    expect(next('2025-10-04T12:00:00Z', 'Australia/Sydney', '09:00')).toBe('2025-10-04T22:00:00.000Z');
    expect(next('2025-10-04T12:00:00Z', 'Australia/Sydney', '02:30')).toBe('2025-10-04T16:00:00.000Z');
  });
});

describe('reminderTimeZone', () => {
  it('uses the automatic zone unless the user chose a manual one', () => {
    expect(reminderTimeZone({ useAutomaticTimezone: 'true', automaticTimezone: 'Europe/Berlin', manualTimezone: 'Asia/Tokyo' })).toBe('Europe/Berlin');
    expect(reminderTimeZone({ useAutomaticTimezone: 'false', automaticTimezone: 'Europe/Berlin', manualTimezone: 'Asia/Tokyo' })).toBe('Asia/Tokyo');
  });

  it('reads the flag as Mattermost stores it, a string', () => {
    // 'false' is a non-empty, truthy string: it must still mean manual.
    expect(reminderTimeZone({ useAutomaticTimezone: 'false', automaticTimezone: 'America/New_York', manualTimezone: 'Asia/Kolkata' })).toBe('Asia/Kolkata');
    expect(reminderTimeZone({ useAutomaticTimezone: '', automaticTimezone: 'America/New_York', manualTimezone: 'Asia/Kolkata' })).toBe('America/New_York');
  });

  it('falls back to the other zone when the chosen one is empty', () => {
    expect(reminderTimeZone({ useAutomaticTimezone: 'true', automaticTimezone: '', manualTimezone: 'Asia/Tokyo' })).toBe('Asia/Tokyo');
    expect(reminderTimeZone({ useAutomaticTimezone: 'false', automaticTimezone: 'Europe/Berlin', manualTimezone: '' })).toBe('Europe/Berlin');
  });

  it('falls back to UTC when nothing usable is there', () => {
    expect(reminderTimeZone(undefined)).toBe('UTC');
    expect(reminderTimeZone(null)).toBe('UTC');
    expect(reminderTimeZone('Europe/Berlin; DROP TABLE')).toBe('UTC');
    expect(reminderTimeZone({})).toBe('UTC');
    expect(reminderTimeZone({ useAutomaticTimezone: 'true', automaticTimezone: '', manualTimezone: '' })).toBe('UTC');
    expect(reminderTimeZone({ useAutomaticTimezone: 'false', automaticTimezone: 'Mars/Olympus_Mons', manualTimezone: 'not a zone' })).toBe('UTC');
    expect(reminderTimeZone({ useAutomaticTimezone: 'true', automaticTimezone: 42, manualTimezone: ['Europe/Berlin'] })).toBe('UTC');
  });

  it('gives a zone the schedule can use', () => {
    const zone = reminderTimeZone({ useAutomaticTimezone: 'true', automaticTimezone: 'Asia/Kathmandu', manualTimezone: '' });
    expect(next('2025-05-10T00:00:00Z', zone, '09:00')).toBe('2025-05-10T03:15:00.000Z');
  });
});

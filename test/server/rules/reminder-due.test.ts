import { describe, expect, it } from '@jest/globals';
import { reminderSender, stepReminder } from '../../../server/src/rules/reminder-due.js';

const daily = { enabled: true, time: '09:00', onlyWhenChanged: false };

describe('the daily reminder in two timezones', () => {
  it('falls due at 09:00 local time in Berlin and in Los Angeles, nine hours apart', () => {
    const now = new Date('2026-11-25T06:00:00Z');
    const berlin = stepReminder(null, now, daily, 'Europe/Berlin');
    const losAngeles = stepReminder(null, now, daily, 'America/Los_Angeles');
    expect(berlin.state.dueAt).toBe('2026-11-25T08:00:00.000Z');
    expect(losAngeles.state.dueAt).toBe('2026-11-25T17:00:00.000Z');
    expect(berlin.send || losAngeles.send).toBe(false);
  });

  it('is sent by the first poll after it falls due, then falls due the next day', () => {
    const first = stepReminder(null, new Date('2026-11-25T06:00:00Z'), daily, 'Europe/Berlin');
    expect(stepReminder(first.state, new Date('2026-11-25T07:59:00Z'), daily, 'Europe/Berlin').send).toBe(false);
    const due = stepReminder(first.state, new Date('2026-11-25T08:00:40Z'), daily, 'Europe/Berlin');
    expect(due.send).toBe(true);
    expect(due.state.dueAt).toBe('2026-11-26T08:00:00.000Z');
    expect(stepReminder(due.state, new Date('2026-11-25T08:01:40Z'), daily, 'Europe/Berlin').send).toBe(false);
  });

  it('moves when the user changes the time or their timezone, without sending', () => {
    const first = stepReminder(null, new Date('2026-11-25T06:00:00Z'), daily, 'Europe/Berlin');
    const moved = stepReminder(first.state, new Date('2026-11-25T08:30:00Z'), { ...daily, time: '10:00' }, 'Europe/Berlin');
    expect(moved.send).toBe(false);
    expect(moved.state.dueAt).toBe('2026-11-25T09:00:00.000Z');
    const travelled = stepReminder(moved.state, new Date('2026-11-25T08:31:00Z'), { ...daily, time: '10:00' }, 'America/Los_Angeles');
    expect(travelled.state.dueAt).toBe('2026-11-25T18:00:00.000Z');
  });

  it('is not sent when switched off, nor hours late after an outage', () => {
    const first = stepReminder(null, new Date('2026-11-25T06:00:00Z'), daily, 'Europe/Berlin');
    expect(stepReminder(first.state, new Date('2026-11-25T08:01:00Z'), { ...daily, enabled: false }, 'Europe/Berlin').send).toBe(false);
    const late = stepReminder(first.state, new Date('2026-11-25T12:00:00Z'), daily, 'Europe/Berlin');
    expect(late.send).toBe(false);
    expect(late.state.dueAt).toBe('2026-11-26T08:00:00.000Z');
  });
});

describe('which instance sends a person\'s one reminder', () => {
  it('is the first configured instance they are connected to, whatever order the accounts come in', () => {
    expect(reminderSender(['default', 'corp', 'eu'], ['corp', 'default'])).toBe('default');
    expect(reminderSender(['default', 'corp', 'eu'], ['eu', 'corp'])).toBe('corp');
    // An account on an instance no longer configured sends nothing; nobody connected, nobody sends.
    expect(reminderSender(['default', 'corp'], ['gone'])).toBeNull();
    expect(reminderSender(['default'], [])).toBeNull();
  });
});

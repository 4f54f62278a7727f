/** Whether Mattermost's and GitLab's clocks agree with ours, from their Date headers. */
import { describe, expect, it } from '@jest/globals';
import { checkClock } from '../../../server/src/doctor/check-clock.js';

const NOW = Date.parse('2026-11-25T10:00:00Z');
const answered = (source: string, offsetMs: number | null) => ({
  source,
  date: offsetMs === null ? null : new Date(NOW + offsetMs).toUTCString(),
  sentAt: NOW - 40,
  receivedAt: NOW + 40,
});

describe('checkClock', () => {
  it('is ok within a minute, naming whom it compared with', () => {
    expect(checkClock([answered('Mattermost', 0), answered('GitLab', 20_000)])).toEqual({ check: 'clock', status: 'ok', detail: 'within 20 s of Mattermost and GitLab' });
  });

  it('warns beyond a minute, saying which way and by how much', () => {
    const check = checkClock([answered('Mattermost', 0), answered('GitLab', 5 * 60_000)]);
    expect(check).toMatchObject({ status: 'warn', detail: expect.stringMatching(/^this machine's clock is 5 min behind GitLab: /), fix: expect.stringContaining('NTP') });
    expect(checkClock([answered('GitLab', -90_000)]).detail).toMatch(/^this machine's clock is 90 s ahead of GitLab/);
  });

  it('is skipped when no answer carried a Date', () => {
    expect(checkClock([answered('GitLab', null)])).toMatchObject({ status: 'warn', detail: expect.stringMatching(/^skipped: /) });
    expect(checkClock([])).toMatchObject({ status: 'warn' });
  });
});

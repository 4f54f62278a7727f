/** The doctor's report as people and scripts read it. */
import { describe, expect, it } from '@jest/globals';
import { exitStatus, renderReport, withoutSecrets } from '../../../server/src/doctor/render-report.js';
import { fail, ok, warn } from '../../../server/src/doctor/check.js';

const checks = [
  ok('database', 'db:5432/bridge (external) answers'),
  warn('migrations', '1 of 9 pending (0009_x)', 'run gitlab-bridge migrate'),
  fail('GitLab OAuth app', 'GitLab does not accept it (invalid_client)', 'copy the id and secret'),
];

describe('renderReport', () => {
  it('prints one line per check, marks and details in columns, the fix after an arrow, then a summary', () => {
    expect(renderReport(checks, { json: false }).split('\n')).toEqual([
      'ok   database          db:5432/bridge (external) answers',
      'warn migrations        1 of 9 pending (0009_x) → run gitlab-bridge migrate',
      'FAIL GitLab OAuth app  GitLab does not accept it (invalid_client) → copy the id and secret',
      '',
      '1 failed, 1 warning (see → above)',
    ]);
  });

  it('says so when everything is ok', () => {
    expect(renderReport([checks[0]!], { json: false }).split('\n').at(-1)).toBe('all 1 checks ok');
  });

  it('prints the checks as a JSON array for scripts, fix only where there is one', () => {
    expect(JSON.parse(renderReport(checks, { json: true }))).toEqual([
      { check: 'database', status: 'ok', detail: 'db:5432/bridge (external) answers' },
      { check: 'migrations', status: 'warn', detail: '1 of 9 pending (0009_x)', fix: 'run gitlab-bridge migrate' },
      { check: 'GitLab OAuth app', status: 'fail', detail: 'GitLab does not accept it (invalid_client)', fix: 'copy the id and secret' },
    ]);
  });
});

describe('exitStatus', () => {
  it('is 1 when a check failed, 0 when there are warnings at most', () => {
    expect(exitStatus(checks)).toBe(1);
    expect(exitStatus(checks.slice(0, 2))).toBe(0);
    expect(exitStatus([])).toBe(0);
  });
});

describe('withoutSecrets', () => {
  it('blanks out secret values wherever a message quoted them, longest first, and leaves short values alone', () => {
    const leaky = [fail('Mattermost bot token', 'rejected token abcdef123456 and abcdef1234567890', 'not abc')];
    expect(withoutSecrets(leaky, ['abcdef123456', 'abcdef1234567890', 'abc'])).toEqual([
      { check: 'Mattermost bot token', status: 'fail', detail: 'rejected token [secret] and [secret]', fix: 'not abc' },
    ]);
  });
});

/** Migration level and encryption key, judged from what the database holds. */
import { describe, expect, it } from '@jest/globals';
import { judgeKey, judgeMigrations } from '../../../server/src/doctor/check-database.js';

const shipped = [1, 2, 3].map((version) => ({ version, name: `m${version}`, sql: '', checksum: `c${version}` }));
const applied = (version: number, extra: { unknown?: boolean; changed?: boolean } = {}) => ({ version, name: `m${version}`, appliedAt: new Date(0), unknown: false, changed: false, ...extra });

describe('judgeMigrations', () => {
  it('is ok when every shipped migration is applied', () => {
    expect(judgeMigrations({ applied: [1, 2, 3].map((v) => applied(v)), pending: [] }, shipped)).toEqual({ check: 'migrations', status: 'ok', detail: 'all 3 applied' });
  });

  it('warns about pending migrations, with migrate as the fix', () => {
    expect(judgeMigrations({ applied: [applied(1)], pending: shipped.slice(1) }, shipped)).toEqual({
      check: 'migrations',
      status: 'warn',
      detail: '2 of 3 pending (0002_m2, 0003_m3)',
      fix: 'run gitlab-bridge migrate (start applies them too)',
    });
    const many = Array.from({ length: 9 }, (_, index) => ({ version: index + 1, name: `m${index + 1}`, sql: '', checksum: '' }));
    expect(judgeMigrations({ applied: [], pending: many }, many).detail).toBe('9 of 9 pending (0001_m1 … 0009_m9)');
  });

  it('fails on a database migrated by a newer version, or an edited migration', () => {
    const newer = judgeMigrations({ applied: [1, 2, 3].map((v) => applied(v)).concat(applied(4, { unknown: true })), pending: [] }, shipped);
    expect(newer).toMatchObject({ status: 'fail', detail: expect.stringContaining('newer gitlab-bridge (schema version 4; this one knows up to 3)') });
    expect(judgeMigrations({ applied: [applied(1, { changed: true })], pending: [] }, shipped)).toMatchObject({ status: 'fail', detail: expect.stringContaining('0001_m1') });
  });
});

describe('judgeKey', () => {
  it('is ok when nothing is recorded yet or the ids match', () => {
    expect(judgeKey(undefined, 'aaaa', [], '/data').status).toBe('ok');
    expect(judgeKey('aaaa', 'aaaa', [], '/data').status).toBe('ok');
  });

  it('fails on another key, or none, with the fix', () => {
    expect(judgeKey('aaaa', 'bbbb', [], '/data')).toMatchObject({ status: 'fail', detail: 'the configured key (id bbbb) is not the one the database was set up with (id aaaa)', fix: expect.stringContaining('ENCRYPTION_KEY') });
    expect(judgeKey('aaaa', undefined, [], '/data')).toMatchObject({ status: 'fail', detail: expect.stringContaining('/data/encryption.key') });
  });

  it('warns about an unfinished rotation', () => {
    expect(judgeKey('aaaa', 'bbbb', ['aaaa'], '/data')).toMatchObject({ status: 'warn', fix: 'run gitlab-bridge rotate-key' });
  });
});

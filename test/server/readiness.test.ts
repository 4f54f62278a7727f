import { describe, expect, it } from '@jest/globals';
import { cached, checkReadiness, databaseCheck, type CheckResult } from '../../server/src/readiness.js';

describe('readiness', () => {
  it('is ready when nothing is missing and no check reports an error', async () => {
    const result = await checkReadiness([], [async () => ({ ok: 'fine' })]);
    expect(result).toEqual({ ready: true, missing: [], errors: [], warnings: [] });
  });

  it('is not ready when a setting is missing', async () => {
    expect((await checkReadiness(['MATTERMOST_URL'], [])).ready).toBe(false);
  });

  it('is not ready on an error, but only warns when something does not answer', async () => {
    const unreachable = await checkReadiness([], [async () => ({ unreachable: 'cannot reach Mattermost' })]);
    expect(unreachable).toEqual({ ready: true, missing: [], errors: [], warnings: ['cannot reach Mattermost'] });
    const wrong = await checkReadiness([], [async () => ({ error: 'token rejected' })]);
    expect(wrong).toMatchObject({ ready: false, errors: ['token rejected'] });
  });

  it('turns a check that throws into an error instead of failing the probe', async () => {
    const result = await checkReadiness([], [async () => Promise.reject(new Error('boom'))]);
    expect(result).toMatchObject({ ready: false, errors: ['boom'] });
  });

  it('reports a database that does not answer', async () => {
    const result = await checkReadiness([], [databaseCheck(async () => Promise.reject(new Error('connection refused')))]);
    expect(result.errors).toEqual(['database: connection refused']);
  });

  it('re-runs a cached remote check only after its time to live', async () => {
    let calls = 0;
    let clock = 0;
    const check = cached(async (): Promise<CheckResult> => ({ ok: `call ${++calls}` }), 30_000, () => clock);
    expect(await check()).toEqual({ ok: 'call 1' });
    clock = 29_999;
    expect(await check()).toEqual({ ok: 'call 1' });
    clock = 30_000;
    expect(await check()).toEqual({ ok: 'call 2' });
  });
});

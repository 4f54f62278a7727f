/** Pressing twice does one thing: how a press claims its key, is answered, and is taken over (migration 0020). */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import { claimPress, forgetPress, recordPressAnswer, releasePress } from '../../../server/src/store/action-presses.js';
import { createMigratedDatabase, type MigratedDatabase } from '../../helpers/databases.js';

let database: MigratedDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  database = await createMigratedDatabase();
  pool = database.pool;
});

afterAll(async () => {
  await database.close();
});

/** Moves a key's times back, as if that many seconds had passed. */
const age = (key: string, seconds: number) =>
  pool.query(`UPDATE action_presses SET pressed_at = pressed_at - $2 * interval '1 second', answered_at = answered_at - $2 * interval '1 second' WHERE press_key = $1`, [key, seconds]);

describe('press claims', () => {
  it('one of two presses at the same moment wins; the other hears it is at work, then its answer', async () => {
    const claims = await Promise.all([claimPress(pool, 'k1'), claimPress(pool, 'k1')]);
    const first = claims.find((claim) => claim.first);
    expect(claims.filter((claim) => claim.first)).toHaveLength(1);
    expect(claims.find((claim) => !claim.first)).toEqual({ first: false, answer: null, by: null });
    await recordPressAnswer(pool, 'k1', (first as { at: string }).at, 'ann', 'You approved !1.');
    expect(await claimPress(pool, 'k1')).toEqual({ first: false, answer: 'You approved !1.', by: 'ann' });
  });

  it('an answer stands for a short while, a dialog’s for as long as asked; then a press acts again', async () => {
    const claim = await claimPress(pool, 'k2');
    await recordPressAnswer(pool, 'k2', (claim as { at: string }).at, 'ann', 'done');
    await age('k2', 16);
    expect((await claimPress(pool, 'k2')).first).toBe(true);
    const dialog = await claimPress(pool, 'k3', 1800);
    await recordPressAnswer(pool, 'k3', (dialog as { at: string }).at, 'ann', 'commented');
    await age('k3', 600);
    expect(await claimPress(pool, 'k3', 1800)).toMatchObject({ first: false, answer: 'commented' });
  });

  it('a press that died lets go after two minutes; a late answer or release never touches a newer claim', async () => {
    const old = await claimPress(pool, 'k4');
    expect((await claimPress(pool, 'k4')).first).toBe(false);
    await age('k4', 121);
    const newer = await claimPress(pool, 'k4');
    expect(newer.first).toBe(true);
    // The old press finishes late: its answer and its release do not apply to the newer claim.
    await recordPressAnswer(pool, 'k4', (old as { at: string }).at, 'ann', 'stale');
    await releasePress(pool, 'k4', (old as { at: string }).at);
    expect(await claimPress(pool, 'k4')).toEqual({ first: false, answer: null, by: null });
    await releasePress(pool, 'k4', (newer as { at: string }).at);
    expect((await claimPress(pool, 'k4')).first).toBe(true);
  });

  it('forgetting an answered key lets the next press act at once', async () => {
    const claim = await claimPress(pool, 'k5');
    await recordPressAnswer(pool, 'k5', (claim as { at: string }).at, 'ann', 'You revoked your approval.');
    await forgetPress(pool, 'k5');
    expect((await claimPress(pool, 'k5')).first).toBe(true);
  });
});

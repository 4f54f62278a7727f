/** Storing a webhook across a database restart: waited out while there is time, anything else answered at once. */
import { describe, expect, it } from '@jest/globals';
import { isConnectionLoss, rideOutRestart } from '../../../server/src/store/ride-out-restart.js';

const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
const shuttingDown = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
const startingUp = Object.assign(new Error('the database system is starting up'), { code: '57P03' });
const unique = Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' });

/** A store that fails with the given errors, in turn, then stores. */
function flaky(errors: Error[]) {
  const calls: number[] = [];
  const store = async (delivery: string) => {
    calls.push(Date.now());
    const error = errors.shift();
    if (error) throw error;
    return `stored ${delivery}`;
  };
  return { store, calls };
}

describe('riding out a database restart', () => {
  it('tells the loss of the connection from other errors', () => {
    for (const error of [refused, shuttingDown, startingUp, new Error('Connection terminated unexpectedly'), new Error('timeout exceeded when trying to connect'), Object.assign(new Error('x'), { code: '08006' })]) {
      expect(isConnectionLoss(error)).toBe(true);
    }
    for (const error of [unique, new Error('syntax error at or near'), null, undefined]) expect(isConnectionLoss(error)).toBe(false);
  });

  it('stores once the server is back: refused, shutting down, starting up, then up', async () => {
    const { store, calls } = flaky([refused, shuttingDown, startingUp]);
    expect(await rideOutRestart(store, { withinMs: 5000 })('delivery')).toBe('stored delivery');
    expect(calls).toHaveLength(4);
  });

  it('gives up when the outage outlasts the time it has, with the last error', async () => {
    const { store } = flaky(Array.from({ length: 50 }, () => refused));
    const started = Date.now();
    await expect(rideOutRestart(store, { withinMs: 600 })('delivery')).rejects.toBe(refused);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('answers any other error at once', async () => {
    const { store, calls } = flaky([unique]);
    await expect(rideOutRestart(store, { withinMs: 5000 })('delivery')).rejects.toBe(unique);
    expect(calls).toHaveLength(1);
  });
});

/**
 * When pruning runs. Node fires a timer longer than 2^31-1 ms (about 24.8 days)
 * after 1 ms; jest's fake timers do the same (@sinonjs/fake-timers, like Node),
 * so a PRUNE_INTERVAL of 30d here would prune back to back if the scheduler
 * handed it to one timer.
 */
import { afterEach, beforeEach, expect, it, jest } from '@jest/globals';
import type { RetentionSettings } from '../../../server/src/config.js';
import { startPruning, type Pruning } from '../../../server/src/jobs/run-pruning.js';
import { silentLog } from '../../helpers/silent-log.js';

const DAY = 86_400;
const HOUR_MS = 3_600_000;

let pruning: Pruning | undefined;
beforeEach(() => {
  jest.useFakeTimers({ doNotFake: ['performance', 'queueMicrotask', 'nextTick', 'setImmediate'] });
});
afterEach(async () => {
  await pruning?.stop();
  pruning = undefined;
  jest.useRealTimers();
});

/** A pruner whose every turn only asks for the lock (and is refused), counting the turns. */
const startCounting = (pruneIntervalSeconds: number) => {
  const turns = { count: 0 };
  const retention: RetentionSettings = { webhookDedupeSeconds: 7 * DAY, deliverySeconds: 30 * DAY, idleThreadSeconds: 365 * DAY, auditSeconds: 365 * DAY, pruneIntervalSeconds };
  pruning = startPruning({
    db: { query: () => Promise.reject(new Error('no turn gets the lock here')) } as never,
    locks: {
      tryLock: () => {
        turns.count += 1;
        return Promise.resolve(null);
      },
    },
    retention,
    log: silentLog,
    count: () => undefined,
    options: { firstRunMs: HOUR_MS },
  });
  return turns;
};

it('prunes once every 30 days when PRUNE_INTERVAL is 30d, not back to back', async () => {
  const turns = startCounting(30 * DAY);
  await jest.advanceTimersByTimeAsync(HOUR_MS);
  expect(turns.count).toBe(1);

  await jest.advanceTimersByTimeAsync(1000);
  expect(turns.count).toBe(1);

  await jest.advanceTimersByTimeAsync(29 * DAY * 1000);
  expect(turns.count).toBe(1);
  await jest.advanceTimersByTimeAsync(DAY * 1000);
  expect(turns.count).toBe(2);
  await jest.advanceTimersByTimeAsync(30 * DAY * 1000);
  expect(turns.count).toBe(3);
});

it('prunes every hour with the default, the first time when asked', async () => {
  const turns = startCounting(3600);
  await jest.advanceTimersByTimeAsync(HOUR_MS - 1);
  expect(turns.count).toBe(0);
  await jest.advanceTimersByTimeAsync(1);
  expect(turns.count).toBe(1);
  await jest.advanceTimersByTimeAsync(3 * HOUR_MS);
  expect(turns.count).toBe(4);
});

it('stops: no turn after stop()', async () => {
  const turns = startCounting(3600);
  await pruning!.stop();
  await jest.advanceTimersByTimeAsync(5 * HOUR_MS);
  expect(turns.count).toBe(0);
});

/**
 * Keeps the database bounded: every PRUNE_INTERVAL (the first time a few minutes
 * after start), one replica works through the steps of store/prune.ts in small
 * batches with a pause between them, so that pruning a large backlog never
 * holds up delivery. One replica at a time, by an advisory lock on the lock
 * session (store/session-locks.ts): no pooled connection is held for the turn,
 * each batch is one short statement through the pool.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { RetentionSettings } from '../config.js';
import type { Logger } from '../log.js';
import { PRUNE_STEPS, type PruneRules } from '../store/prune.js';
import type { Queryable } from '../store/queryable.js';
import type { SessionLocks } from '../store/session-locks.js';

/** Arbitrary, fixed: the advisory lock that makes pruning single-file across replicas. */
const PRUNE_LOCK = 0x67627035;
/** Start-up has enough to do, and a crash-looping bridge should not prune on every start. */
const FIRST_RUN_MAX_MS = 5 * 60_000;
/** Node runs a timer of more than 2^31-1 ms (24.8 days) after 1 ms instead: a 30d interval would prune back to back. */
const MAX_TIMER_MS = 2 ** 31 - 1;
export const BATCH_ROWS = 1000;
export const PAUSE_MS = 200;

export interface PruningDeps {
  db: Queryable;
  locks: Pick<SessionLocks, 'tryLock'>;
  retention: RetentionSettings;
  log: Logger;
  /** Rows deleted from a table, for /metrics. */
  count(table: string, rows: number): void;
  /** Tests: smaller batches, shorter pauses, another clock, no timer. */
  options?: { batchRows?: number; pauseMs?: number; now?: () => Date | null; firstRunMs?: number; accessCacheMaxRows?: number };
}

export interface PruneRun {
  /** False when another replica was pruning (or this one is stopping). */
  ran: boolean;
  /** Rows deleted, by table. */
  pruned: Record<string, number>;
}

export interface Pruning {
  /** One turn now (what the timer runs); a call during a turn shares it. */
  runOnce(): Promise<PruneRun>;
  /** Ends the turn after the batch in flight and stops the timer. */
  stop(): Promise<void>;
}

export function startPruning(deps: PruningDeps): Pruning {
  const { retention, log, options = {} } = deps;
  const batchRows = options.batchRows ?? BATCH_ROWS;
  const pauseMs = options.pauseMs ?? PAUSE_MS;
  const stopping = new AbortController();
  let running: Promise<PruneRun> | undefined;

  const turn = async (): Promise<PruneRun> => {
    const pruned: Record<string, number> = {};
    if (stopping.signal.aborted) return { ran: false, pruned };
    const lock = await deps.locks.tryLock(PRUNE_LOCK, 'prune');
    if (!lock) return { ran: false, pruned };
    const started = performance.now();
    try {
      const rules: PruneRules = { ...retention, now: options.now?.() ?? null, accessCacheMaxRows: options.accessCacheMaxRows };
      for (const step of PRUNE_STEPS) {
        for (;;) {
          if (stopping.signal.aborted || !lock.held()) return { ran: true, pruned };
          const deleted = await step.run(deps.db, rules, batchRows);
          let total = 0;
          for (const [table, rows] of Object.entries(deleted)) {
            if (rows === 0) continue;
            pruned[table] = (pruned[table] ?? 0) + rows;
            deps.count(table, rows);
            total += rows;
          }
          if (total < batchRows) break;
          await sleep(pauseMs, undefined, { signal: stopping.signal }).catch(() => undefined);
        }
      }
      return { ran: true, pruned };
    } finally {
      await lock.release();
      const seconds = Math.round((performance.now() - started) / 10) / 100;
      if (Object.keys(pruned).length > 0) log.info({ pruned, seconds }, 'pruned old rows');
      else log.debug({ seconds }, 'nothing to prune');
    }
  };

  const runOnce = (): Promise<PruneRun> =>
    (running ??= turn()
      .catch((error: unknown) => {
        log.warn({ err: error }, 'pruning old rows failed; trying again at the next run');
        return { ran: false, pruned: {} };
      })
      .finally(() => {
        running = undefined;
      }));

  const intervalMs = retention.pruneIntervalSeconds * 1000;
  let timer: NodeJS.Timeout | undefined;
  /** Runs a turn after `ms`, then every interval; long waits are chained (see MAX_TIMER_MS). */
  const schedule = (ms: number): void => {
    const step = Math.min(ms, MAX_TIMER_MS);
    timer = setTimeout(() => {
      if (stopping.signal.aborted) return;
      if (ms > step) return schedule(ms - step);
      void runOnce();
      schedule(intervalMs);
    }, step);
    timer.unref();
  };
  schedule(options.firstRunMs ?? Math.min(intervalMs, FIRST_RUN_MAX_MS));
  return {
    runOnce,
    async stop() {
      stopping.abort();
      clearTimeout(timer);
      await running;
    },
  };
}

/**
 * With MATTERMOST_ADMIN_TOKEN configured, the running bridge repeats setup's
 * provisioning now and then, so that teams created since get /gitlab without
 * anyone running setup again. One replica at a time (an advisory lock on the
 * lock session, so no pooled connection waits on Mattermost meanwhile); a run
 * that finds everything in place changes nothing in Mattermost.
 */
import type { Logger } from '../log.js';
import type { SessionLocks } from '../store/session-locks.js';
import { provision, type ProvisionOptions } from './provision.js';
import type { MattermostClient } from './client.js';

/** Arbitrary, fixed: the advisory lock that makes reconciliation single-file across replicas. */
const RECONCILE_LOCK = 0x67627033;
export const RECONCILE_INTERVAL_MS = 10 * 60_000;
/** The first run waits a little: start-up has enough to do, and a crash-looping bridge must not hammer Mattermost. */
export const RECONCILE_FIRST_RUN_MS = 60_000;

export interface TeamReconciler {
  /** One run now (also what the timer does); resolves when done. */
  runOnce(): Promise<void>;
  stop(): Promise<void>;
}

export function startTeamReconciler(
  locks: SessionLocks,
  admin: MattermostClient,
  options: ProvisionOptions,
  log: Logger,
  timing: { firstRunMs: number; intervalMs: number } = { firstRunMs: RECONCILE_FIRST_RUN_MS, intervalMs: RECONCILE_INTERVAL_MS },
): TeamReconciler {
  let running: Promise<void> | undefined;
  const runOnce = (): Promise<void> =>
    (running ??= (async () => {
      try {
        const lock = await locks.tryLock(RECONCILE_LOCK, 'teams');
        if (!lock) return;
        try {
          const { steps } = await provision(admin, options);
          for (const step of steps) {
            if (step.status === 'changed') log.info({ fix: step.fix }, `provisioning: ${step.message}`);
            else if (step.status !== 'ok') log.warn({ fix: step.fix }, `provisioning: ${step.message}`);
          }
        } finally {
          await lock.release();
        }
      } catch (error) {
        log.warn({ err: error }, 'provisioning check failed; trying again later');
      } finally {
        running = undefined;
      }
    })());
  const first = setTimeout(() => void runOnce(), timing.firstRunMs);
  const timer = setInterval(() => void runOnce(), timing.intervalMs);
  first.unref();
  timer.unref();
  return {
    runOnce,
    async stop() {
      clearTimeout(first);
      clearInterval(timer);
      await running;
    },
  };
}

/**
 * With MATTERMOST_ADMIN_TOKEN configured, the running bridge repeats setup's
 * provisioning now and then, so that teams created since get /gitlab without
 * anyone running setup again. One replica at a time (an advisory lock); a run
 * that finds everything in place changes nothing in Mattermost.
 */
import type pg from 'pg';
import type { Logger } from '../log.js';
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
  pool: pg.Pool,
  admin: MattermostClient,
  options: ProvisionOptions,
  log: Logger,
  timing: { firstRunMs: number; intervalMs: number } = { firstRunMs: RECONCILE_FIRST_RUN_MS, intervalMs: RECONCILE_INTERVAL_MS },
): TeamReconciler {
  let running: Promise<void> | undefined;
  const runOnce = (): Promise<void> =>
    (running ??= (async () => {
      const client = await pool.connect();
      try {
        const locked = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [RECONCILE_LOCK]);
        if (!locked.rows[0]?.locked) return;
        try {
          const { steps } = await provision(admin, options);
          for (const step of steps) {
            if (step.status === 'changed') log.info({ fix: step.fix }, `provisioning: ${step.message}`);
            else if (step.status !== 'ok') log.warn({ fix: step.fix }, `provisioning: ${step.message}`);
          }
        } finally {
          await client.query('SELECT pg_advisory_unlock($1)', [RECONCILE_LOCK]);
        }
      } catch (error) {
        log.warn({ err: error }, 'provisioning check failed; trying again later');
      } finally {
        client.release();
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

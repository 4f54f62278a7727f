/**
 * One replica at a time listens to Mattermost: the one holding an advisory
 * lock on the lock session (store/session-locks.ts). The others try again every
 * few seconds; a holder that dies loses its session and so the lock, and one of
 * them takes over within seconds. A holder that loses its session stops at its
 * next check (within `retryMs`), so two may briefly overlap: everything they do
 * is keyed by post and reaction, and done once whoever does it.
 */
import type { Logger } from '../log.js';
import type { SessionLock, SessionLocks } from '../store/session-locks.js';

/** Arbitrary, fixed: the advisory lock class of the Mattermost listener. */
const STREAM_LOCK = 0x67627035;

export interface Led {
  stop(): Promise<void>;
}

export interface Leadership {
  isLeader(): boolean;
  stop(): Promise<void>;
}

export function runForLeadership(options: { locks: SessionLocks; retryMs: number; log: Logger; lead(): Promise<Led> }): Leadership {
  let lock: SessionLock | null = null;
  let led: Led | null = null;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let turn: Promise<void> = Promise.resolve();

  async function step(): Promise<void> {
    if (stopped) return;
    if (lock && !lock.held()) {
      options.log.warn('lost the database session that made this replica the Mattermost listener; stopping it');
      await stepDown();
    }
    if (!lock) {
      const taken = await options.locks.tryLock(STREAM_LOCK, 'mattermost-stream').catch((error: unknown) => {
        options.log.warn({ err: error }, 'could not ask whether another replica listens to Mattermost');
        return null;
      });
      if (taken) {
        lock = taken;
        try {
          led = await options.lead();
        } catch (error) {
          options.log.error({ err: error }, 'could not start listening to Mattermost');
          await stepDown();
        }
      }
    }
  }

  async function stepDown(): Promise<void> {
    const leading = led;
    led = null;
    await leading?.stop().catch((error: unknown) => options.log.warn({ err: error }, 'the Mattermost listener did not stop cleanly'));
    await lock?.release();
    lock = null;
  }

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      turn = step().finally(schedule);
    }, options.retryMs);
    timer.unref();
  };
  turn = step().finally(schedule);

  return {
    isLeader: () => led !== null && lock !== null && lock.held(),
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await turn.catch(() => undefined);
      await stepDown();
    },
  };
}

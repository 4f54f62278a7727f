/**
 * Storing a webhook across a short database outage (a PostgreSQL restart or failover). GitLab does not
 * send a failed delivery again, and pauses a hook after a few failures in a row, so a 503 for each
 * delivery of a few seconds' restart costs events and hooks. Instead the door keeps trying while it
 * still has time to answer: GitLab gives a webhook 10 seconds by default. Only the loss of the
 * connection is waited out; any other error is answered at once. A retried write that had in fact
 * committed is harmless: its dedupe key makes the retry a duplicate of it.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** Well inside GitLab's default webhook timeout (10 s), leaving time to answer. */
export const RIDE_OUT_MS = 7000;
const FIRST_WAIT_MS = 250;
const LONGEST_WAIT_MS = 1000;

/** Network errors, and PostgreSQL's "shutting down / starting up / connection failure" classes (57P01–57P03, 08xxx). */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', '57P01', '57P02', '57P03']);
/** What node-postgres says, without a code, when the server went away or never answered. */
const CONNECTION_MESSAGES = /Connection terminated|connection error|timeout exceeded when trying to connect|Connection closed/i;

export function isConnectionLoss(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (CONNECTION_CODES.has(code) || code.startsWith('08'))) return true;
  return CONNECTION_MESSAGES.test((error as Error | null)?.message ?? '');
}

/** `store`, tried again while the database is unreachable, for up to `withinMs` in all. */
export function rideOutRestart<A, R>(store: (argument: A) => Promise<R>, options: { withinMs?: number; now?: () => number } = {}): (argument: A) => Promise<R> {
  const withinMs = options.withinMs ?? RIDE_OUT_MS;
  const now = options.now ?? Date.now;
  return async (argument) => {
    const deadline = now() + withinMs;
    for (let wait = FIRST_WAIT_MS; ; wait = Math.min(wait * 2, LONGEST_WAIT_MS)) {
      try {
        return await store(argument);
      } catch (error) {
        if (!isConnectionLoss(error) || now() + wait >= deadline) throw error;
        await sleep(wait);
      }
    }
  };
}

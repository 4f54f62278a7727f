/**
 * One way in to PostgreSQL for the whole bridge: an external server when
 * DATABASE_URL is set, else the embedded one. Both run the same code path after
 * this point (same pool, same migrations).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { Config } from '../config.js';
import { BridgeError } from '../errors.js';
import type { Logger } from '../log.js';
import { runningEmbeddedUrl, startEmbeddedPostgres } from './embedded-postgres.js';
import { DEFAULT_MAX_CONCURRENT } from './delivery-batcher.js';
import { createSessionLocks, type SessionLocks } from './session-locks.js';

export interface Database {
  /** Everything but storing webhooks. Nothing holds one of its connections across a call to GitLab or Mattermost. */
  pool: pg.Pool;
  /**
   * Only for storing webhooks (the delivery batcher), so that the webhook door never waits for a
   * connection behind delivery, polling or the webapp API. As many connections as the batcher's writes.
   */
  inbox: pg.Pool;
  /** Advisory locks for work that spans remote calls, on a session of their own (store/session-locks.ts). */
  locks: SessionLocks;
  kind: 'embedded' | 'external';
  /** host:port/database, for logs and status pages: never the password. */
  label: string;
  /** Cheap liveness probe for /readyz; rejects with the driver's error. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The default size of the main pool (DATABASE_POOL_SIZE). */
export const DEFAULT_POOL_SIZE = 10;
/** The inbox pool: as many connections as the delivery batcher writes batches at once. */
export const INBOX_CONNECTIONS = DEFAULT_MAX_CONCURRENT;
/**
 * A statement of the inbox ends within these, so that a database that hangs gets the door's 503 (usually
 * inside GitLab's 10 seconds, with the batcher's wait for a free write, DEFAULT_MAX_WAIT_MS) instead of
 * holding the connection and every delivery behind it. PostgreSQL cancels a statement that runs too long
 * (a lock wait, a stalled disk), so that it cannot commit later or pile up server sessions; a server
 * that stops answering altogether (packets dropped in a failover) is given up half a second later by the
 * client. Either way the pool drops that connection (pg-pool drops a client whose query failed). A new
 * connection that is not made in time counts as the database being away (store/ride-out-restart.ts tries
 * again while there is time). A write that commits after all is harmless: a resend is then a duplicate.
 */
export const INBOX_TIMEOUTS = { connectMs: 2000, statementMs: 4000, readMs: 4500 } as const;

/** Errors worth waiting out at start (server still booting, network not up yet). */
const TRANSIENT = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', '57P03']);

export async function openDatabase(
  config: Pick<Config, 'databaseUrl' | 'dataDir'> & Partial<Pick<Config, 'databasePoolSize' | 'embeddedOwnerWaitSeconds'>>,
  log: Logger,
  options: {
    connectTimeoutMs?: number;
    /** Use the embedded server a running bridge serves, when there is one. */
    shareRunning?: boolean;
    /** False: refuse at once when another process owns the embedded database, without waiting for it to finish. */
    waitForOwner?: boolean;
  } = {},
): Promise<Database> {
  const running = !config.databaseUrl && options.shareRunning ? await runningEmbeddedUrl(config.dataDir, { waitMs: options.connectTimeoutMs }) : null;
  if (running) {
    const pool = createPool(running, log, config.databasePoolSize);
    const open = trackClients(pool);
    await waitUntilReachable(pool, describeUrl(running), log, options.connectTimeoutMs ?? 20_000);
    // The server is the running bridge's: only our connections are closed.
    return wrap(pool, 'embedded', running, log, () => endPool(pool, open));
  }
  if (config.databaseUrl) {
    const pool = createPool(config.databaseUrl, log, config.databasePoolSize);
    const open = trackClients(pool);
    await waitUntilReachable(pool, describeUrl(config.databaseUrl), log, options.connectTimeoutMs ?? 20_000);
    return wrap(pool, 'external', config.databaseUrl, log, () => endPool(pool, open));
  }
  const ownerWaitMs = options.waitForOwner === false ? 0 : config.embeddedOwnerWaitSeconds === undefined ? undefined : config.embeddedOwnerWaitSeconds * 1000;
  const embedded = await startEmbeddedPostgres(config.dataDir, log, { ownerWaitMs });
  const pool = createPool(embedded.url, log, config.databasePoolSize);
  const open = trackClients(pool);
  return wrap(pool, 'embedded', embedded.url, log, async () => {
    await endPool(pool, open);
    await embedded.stop();
  });
}

export function describeUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
}

function createPool(url: string, log: Logger, max = DEFAULT_POOL_SIZE, name = 'gitlab-bridge', timeouts?: { connectMs: number; statementMs: number; readMs: number }): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    connectionTimeoutMillis: timeouts?.connectMs ?? 5000,
    idleTimeoutMillis: 30_000,
    application_name: name,
    ...(timeouts ? { query_timeout: timeouts.readMs } : {}),
  });
  // Set for the session rather than as a startup parameter, which PgBouncer refuses. Queued first on the new
  // connection, so it runs before anything the pool hands it out for. Should it fail, that connection has
  // only the client's time-out, and the log says so.
  if (timeouts) {
    pool.on('connect', (client) => {
      client.query(`SET statement_timeout = ${Math.round(timeouts.statementMs)}`).catch((error: Error) => log.warn({ err: { message: error.message, code: (error as { code?: string }).code } }, 'could not set the inbox statement time-out'));
    });
  }
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', (error) => log.warn({ err: { message: error.message } }, 'database connection lost'));
  // Nor may a checked-out one (a transaction, the LISTEN connection) when the server goes away under it:
  // pg-pool only listens while a client is idle, and an 'error' event nobody listens to ends the process.
  // The holder sees its query rejected, and the pool drops the client when it is released.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/**
 * pool.end() resolves once clients are told to close, not once they have: wait
 * for the sockets too, so a database stopped right after sees no live session.
 */
async function endPool(pool: pg.Pool, open: Set<pg.Client>): Promise<void> {
  const closing = [...open].map((client) => new Promise<void>((resolve) => client.once('end', () => resolve())));
  await pool.end();
  await Promise.race([Promise.all(closing), sleep(2000)]);
}

function trackClients(pool: pg.Pool): Set<pg.Client> {
  const open = new Set<pg.Client>();
  pool.on('connect', (client) => {
    open.add(client);
    client.once('end', () => open.delete(client));
  });
  return open;
}

/** Adds the inbox pool and the lock session (both connect only when first used) and closes them first. */
function wrap(pool: pg.Pool, kind: Database['kind'], url: string, log: Logger, close: () => Promise<void>): Database {
  const inbox = createPool(url, log, INBOX_CONNECTIONS, 'gitlab-bridge-inbox', INBOX_TIMEOUTS);
  const inboxClients = trackClients(inbox);
  const locks = createSessionLocks(url, log);
  let closing: Promise<void> | undefined;
  return {
    pool,
    inbox,
    locks,
    kind,
    label: describeUrl(url),
    async ping() {
      await pool.query('SELECT 1');
    },
    close: () =>
      (closing ??= (async () => {
        await locks.close();
        await endPool(inbox, inboxClients);
        await close();
      })()),
  };
}

async function waitUntilReachable(pool: pg.Pool, label: string, log: Logger, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt += 1) {
    try {
      await pool.query('SELECT 1');
      return;
    } catch (error) {
      const code = (error as { code?: string }).code ?? '';
      const message = (error as Error).message;
      if (!TRANSIENT.has(code) || Date.now() >= deadline) {
        await pool.end().catch(() => undefined);
        throw new BridgeError('database_unavailable', `cannot use the database at ${label}: ${message}`, {
          hint: 'check DATABASE_URL (host, port, user, password, database name) and that the server accepts connections',
          cause: error,
        });
      }
      log.warn({ attempt, code, database: label }, 'database not reachable yet; retrying');
      await sleep(Math.min(500 * attempt, 3000));
    }
  }
}

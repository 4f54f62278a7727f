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

export interface Database {
  pool: pg.Pool;
  kind: 'embedded' | 'external';
  /** host:port/database, for logs and status pages: never the password. */
  label: string;
  /** Cheap liveness probe for /readyz; rejects with the driver's error. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Errors worth waiting out at start (server still booting, network not up yet). */
const TRANSIENT = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', '57P03']);

export async function openDatabase(
  config: Pick<Config, 'databaseUrl' | 'dataDir'>,
  log: Logger,
  options: { connectTimeoutMs?: number; /** Use the embedded server a running bridge serves, when there is one. */ shareRunning?: boolean } = {},
): Promise<Database> {
  const running = !config.databaseUrl && options.shareRunning ? await runningEmbeddedUrl(config.dataDir) : null;
  if (running) {
    const pool = createPool(running, log);
    const open = trackClients(pool);
    await waitUntilReachable(pool, describeUrl(running), log, options.connectTimeoutMs ?? 20_000);
    // The server is the running bridge's: only our connections are closed.
    return wrap(pool, 'embedded', running, () => endPool(pool, open));
  }
  if (config.databaseUrl) {
    const pool = createPool(config.databaseUrl, log);
    const open = trackClients(pool);
    await waitUntilReachable(pool, describeUrl(config.databaseUrl), log, options.connectTimeoutMs ?? 20_000);
    return wrap(pool, 'external', config.databaseUrl, () => endPool(pool, open));
  }
  const embedded = await startEmbeddedPostgres(config.dataDir, log);
  const pool = createPool(embedded.url, log);
  const open = trackClients(pool);
  return wrap(pool, 'embedded', embedded.url, async () => {
    await endPool(pool, open);
    await embedded.stop();
  });
}

export function describeUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
}

function createPool(url: string, log: Logger): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    application_name: 'gitlab-bridge',
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', (error) => log.warn({ err: { message: error.message } }, 'database connection lost'));
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

function wrap(pool: pg.Pool, kind: Database['kind'], url: string, close: () => Promise<void>): Database {
  let closing: Promise<void> | undefined;
  return {
    pool,
    kind,
    label: describeUrl(url),
    async ping() {
      await pool.query('SELECT 1');
    },
    close: () => (closing ??= close()),
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

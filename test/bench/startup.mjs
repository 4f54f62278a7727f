// npm run bench:startup: cold start (first run: initialises the embedded PostgreSQL), warm start
// (data reused) and idle memory of the bridge with its embedded PostgreSQL. Writes its section of
// docs/benchmarks.md. Start time is measured from spawning the process to the first 200 from
// GET /healthz on the internal listener, polled every 20 ms.
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os, { cpus } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { memoryKb, processTree } from './child-processes.mjs';
import { writeSection } from './benchmarks-file.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const BIN = path.join(root, 'server/bin/gitlab-bridge.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 10);

function startBridge(cwd) {
  const child = spawn(process.execPath, [BIN, 'start'], {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: '0', INTERNAL_PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const ports = new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const line = out.split('\n').find((l) => l.includes('"gitlab-bridge listening"'));
      if (line) resolve(JSON.parse(line).internalPort);
    });
    child.once('exit', (code) => reject(new Error(`bridge exited with ${code}: ${out.slice(-500)}`)));
  });
  return { child, ports };
}

async function timeToHealthy(cwd) {
  const started = process.hrtime.bigint();
  const bridge = startBridge(cwd);
  const port = await bridge.ports;
  for (;;) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    await sleep(20);
  }
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, bridge };
}

async function stop(bridge) {
  const exited = new Promise((resolve) => bridge.child.once('exit', resolve));
  bridge.child.kill('SIGTERM');
  return exited;
}

/** The process and every descendant (the embedded postgres and its workers), from /proc. */
const stats = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)], min: sorted[0], max: sorted.at(-1) };
};
const fmt = ({ median, min, max }, unit = 'ms', digits = 0) =>
  `${median.toFixed(digits)} ${unit} (min ${min.toFixed(digits)}, max ${max.toFixed(digits)})`;

const cold = [];
const warm = [];
const memory = [];
for (let run = 1; run <= RUNS; run += 1) {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'bench-startup-'));
  chmodSync(cwd, 0o755); // the embedded server runs as 'postgres' when this runs as root
  try {
    const first = await timeToHealthy(cwd);
    cold.push(first.ms);
    await stop(first.bridge);
    const second = await timeToHealthy(cwd);
    warm.push(second.ms);
    await sleep(IDLE_SECONDS * 1000);
    const tree = processTree(second.bridge.child.pid);
    const [bridgePid, ...postgresPids] = tree;
    const bridgeRss = memoryKb(bridgePid, 'Rss') / 1024;
    const postgresPss = postgresPids.reduce((sum, pid) => sum + memoryKb(pid, 'Pss'), 0) / 1024;
    memory.push({
      bridgeRss,
      postgresPss,
      total: bridgeRss + postgresPss,
      totalRss: tree.reduce((sum, pid) => sum + memoryKb(pid, 'Rss'), 0) / 1024,
      processes: tree.length,
    });
    await stop(second.bridge);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
  process.stdout.write(`run ${run}: cold ${cold.at(-1).toFixed(0)} ms, warm ${warm.at(-1).toFixed(0)} ms, idle ${memory.at(-1).total.toFixed(1)} MiB\n`);
}

const section = `<!-- bench:startup:start -->
## Start-up time and idle memory

Command: \`npm run bench:startup\` (${RUNS} runs; \`BENCH_RUNS\` and \`BENCH_IDLE_SECONDS\` change that).
Measured on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} × ${cpus()[0]?.model.trim()}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}.

How: the bench spawns \`gitlab-bridge start\` with no configuration in an empty directory and times from
spawning the process to the first \`200\` from \`GET /healthz\` on the internal listener (polled every
20 ms). *Cold* is that first run, which creates and initialises the embedded PostgreSQL in
\`DATA_DIR\`; the bridge is then stopped with SIGTERM and started again on the same data (*warm*).
After ${IDLE_SECONDS} s idle, memory is read from \`/proc/<pid>/smaps_rollup\`: the bridge's Node
process by RSS, plus the embedded PostgreSQL (postmaster and workers) by PSS. PSS divides each shared
page among the processes that map it, so PostgreSQL's shared buffers count once rather than once per
worker; the Node process is taken by RSS because PSS would share its \`node\` binary pages with the
benchmark's own Node process and understate it.

| measure | result |
|---|---|
| cold start, first run with \`initdb\` | ${fmt(stats(cold))} |
| warm start, data reused | ${fmt(stats(warm))} |
| idle memory, bridge + PostgreSQL (${memory[0].processes} processes) | ${fmt(stats(memory.map((m) => m.total)), 'MiB', 1)} |
| of which the bridge's Node process (RSS) | ${fmt(stats(memory.map((m) => m.bridgeRss)), 'MiB', 1)} |
| of which PostgreSQL (PSS) | ${fmt(stats(memory.map((m) => m.postgresPss)), 'MiB', 1)} |
| for comparison: plain sum of RSS over the same processes | ${fmt(stats(memory.map((m) => m.totalRss)), 'MiB', 1)} |
<!-- bench:startup:end -->`;

writeSection(root, 'startup', section);
console.log(`\n${section}`);

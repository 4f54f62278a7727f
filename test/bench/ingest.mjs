// npm run bench:ingest: how fast the bridge acknowledges webhooks. In one run, on this machine:
//   1. a bare express app whose POST /webhook only answers 200, loaded at maximum throughput;
//   2. the real bridge (`gitlab-bridge start`, embedded PostgreSQL), loaded the same way: every
//      delivery is authenticated, parsed, stored durably and logged before its 202;
//   3. the bridge at a fixed 500 requests/s, first evenly spaced (an open loop: the target's measure),
//      then with autocannon's overallRate (which sends each second's share in a burst).
// Then the accepted webhooks/s of both, their ratio, and acknowledgement latency (p50/p99) at
// maximum load and at 500/s, with the CPU each side used. Writes its section of docs/benchmarks.md
// and exits non-zero when a target is missed (p99 < 50 ms at 500/s evenly spaced; bridge ≥ 0.5 ×
// bare) or any response was not 2xx.
// Each child process is started by this script and stopped by its pid; nothing is left behind.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import os, { cpus } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Pool } from 'undici';
import { cpuSeconds as cpuSecondsOrNull, freePort, machineBusySeconds, processTree, waitUntilHealthy } from './child-processes.mjs';
import { measureWebhookToPost } from './webhook-to-post.mjs';
import { writeSection } from './benchmarks-file.mjs';

/** CPU seconds of a process; 0 once it is gone, as the sums below want. */
const cpuSeconds = (pid) => cpuSecondsOrNull(pid) ?? 0;

const root = fileURLToPath(new URL('../../', import.meta.url));
const BIN = path.join(root, 'server/bin/gitlab-bridge.js');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const RATE = Number(process.env.BENCH_RATE ?? 500);
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'info';
const TARGET_P99_MS = 50;
const TARGET_RATIO = 0.5;
const SECRET = 'bench-webhook-secret';
const FIXTURE = 'merge_request.open.json';
const BODY = readFileSync(path.join(root, 'test/fixtures/gitlab/webhooks', FIXTURE), 'utf8');
/** What GitLab sends with every delivery; each request adds its own Idempotency-Key and X-Gitlab-Event-UUID. */
const HEADERS = {
  'Content-Type': 'application/json',
  'User-Agent': 'GitLab/18.6.0',
  'X-Gitlab-Event': 'Merge Request Hook',
  'X-Gitlab-Token': SECRET,
  'X-Gitlab-Instance': 'https://gitlab.example.com',
  'X-Gitlab-Webhook-UUID': '1f0e0c8a-6a3c-4c7e-9d5a-3f4d2b1a0e9c',
};

if (!existsSync(path.join(root, 'server/dist/cli/main.js'))) {
  console.error('server/dist is missing: run `npm run bench:ingest`, which builds it first');
  process.exit(1);
}

const work = mkdtempSync(path.join(os.tmpdir(), 'bench-ingest-'));
chmodSync(work, 0o755); // the embedded server runs as 'postgres' when this runs as root
const children = new Set();
/** Last resort for a child that did not stop: it and its descendants (the embedded PostgreSQL), by pid. */
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
const cleanUp = () => {
  for (const child of children) killTree(child);
  rmSync(work, { recursive: true, force: true });
};
process.once('exit', cleanUp);
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130));

/** Spawns a child whose stdout and stderr go to a file (never a pipe this busy process might not drain in time). */
function startChild(name, args, env, cwd = work) {
  const logFile = path.join(work, `${name}.log`);
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  children.add(child);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  return { child, logFile, exited, log: () => readFileSync(logFile, 'utf8') };
}

async function waitForLine(process_, pattern, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let exitedWith;
  void process_.exited.then((code) => (exitedWith = code));
  for (;;) {
    const line = process_.log().split('\n').find((l) => pattern.test(l));
    if (line) return JSON.parse(line);
    if (exitedWith !== undefined) throw new Error(`child exited with ${exitedWith} before it was ready:\n${process_.log().slice(-2000)}`);
    if (Date.now() > deadline) throw new Error(`child not ready after ${timeoutMs} ms:\n${process_.log().slice(-2000)}`);
    await sleep(50);
  }
}

async function stopChild(process_) {
  process_.child.kill('SIGTERM');
  const code = await Promise.race([process_.exited, sleep(15_000).then(() => 'timeout')]);
  if (code === 'timeout') killTree(process_.child);
  children.delete(process_.child);
  return code;
}

const BARE_APP = `
import express from 'express';
const app = express();
app.post('/webhook', (_request, response) => { response.sendStatus(200); });
const server = app.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ msg: 'bare listening', port: server.address().port })));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

/**
 * One autocannon run against POST /webhook with the fixture body and GitLab's headers; every request
 * gets its own Idempotency-Key and event UUID, so each is a new delivery. Latencies are kept raw
 * (every response, in ms from autocannon's hrtime) rather than from its 1 ms-resolution histogram.
 */
async function load(port, { seconds, rate }) {
  const latencies = [];
  const statuses = {};
  const instance = autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: CONNECTIONS,
    duration: seconds,
    ...(rate ? { overallRate: rate, ignoreCoordinatedOmission: true } : {}),
    requests: [
      {
        method: 'POST',
        path: '/webhook',
        headers: HEADERS,
        body: BODY,
        setupRequest: (request) => {
          const uuid = randomUUID();
          request.headers = { ...request.headers, 'Idempotency-Key': uuid, 'X-Gitlab-Event-UUID': uuid };
          return request;
        },
      },
    ],
  });
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
    latencies.push(responseTime);
  });
  const result = await instance;
  return summarise(latencies, statuses, { seconds: result.duration, errors: result.errors, timeouts: result.timeouts });
}

/**
 * Open loop at a fixed rate with evenly spaced sends: request i is due at start + i/rate, whatever happened to the
 * ones before it, over a pool of up to CONNECTIONS keep-alive connections. Latency runs from the moment a request
 * was due, so a bridge (or a timer) that falls behind shows up in the percentiles instead of slowing the sender.
 */
async function paced(port, { seconds, rate }) {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: CONNECTIONS, pipelining: 1 });
  const latencies = [];
  const statuses = {};
  let errors = 0;
  const total = Math.round(seconds * rate);
  const inFlight = [];
  const started = performance.now();
  const send = async (due) => {
    const uuid = randomUUID();
    try {
      const response = await pool.request({
        path: '/webhook',
        method: 'POST',
        headers: { ...HEADERS, 'Idempotency-Key': uuid, 'X-Gitlab-Event-UUID': uuid },
        body: BODY,
      });
      await response.body.text();
      statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1;
      latencies.push(performance.now() - due);
    } catch {
      errors += 1;
    }
  };
  for (let index = 0; index < total; index += 1) {
    const due = started + (index * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    inFlight.push(send(due));
  }
  await Promise.all(inFlight);
  const elapsed = (performance.now() - started) / 1000;
  await pool.close();
  return summarise(latencies, statuses, { seconds: Math.round(elapsed * 100) / 100, errors, timeouts: 0 });
}

function summarise(latencies, statuses, { seconds, errors, timeouts }) {
  latencies.sort((a, b) => a - b);
  const at = (p) => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)] ?? NaN;
  const twoXX = Object.entries(statuses).reduce((sum, [code, n]) => (code.startsWith('2') ? sum + n : sum), 0);
  const responses = latencies.length;
  return { seconds, responses, twoXX, non2xx: responses - twoXX, errors, timeouts, statuses, perSecond: twoXX / seconds, p50: at(50), p99: at(99), max: latencies.at(-1) ?? NaN };
}

const ms = (value) => `${value.toFixed(1)} ms`;

/** The process and every descendant (for the bridge: its embedded PostgreSQL and workers), from /proc. */

/** Runs one load and adds the CPU it cost, in cores: the target's process tree, this process, everything else. */
async function measured(target, run) {
  const pids = processTree(target.child.pid);
  const targetBefore = pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const selfBefore = process.cpuUsage();
  const machineBefore = machineBusySeconds();
  const started = performance.now();
  const result = await run();
  const seconds = (performance.now() - started) / 1000;
  const targetCpu = (pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0) - targetBefore) / seconds;
  const self = process.cpuUsage(selfBefore);
  const generator = (self.user + self.system) / 1e6 / seconds;
  const machine = (machineBusySeconds() - machineBefore) / seconds;
  return { ...result, cpu: { target: targetCpu, generator, rest: Math.max(0, machine - targetCpu - generator) } };
}

function show(name, run) {
  console.log(
    `${name}: ${run.perSecond.toFixed(0)}/s 2xx over ${run.seconds} s, p50 ${run.p50.toFixed(2)} ms, p99 ${run.p99.toFixed(2)} ms, max ${run.max.toFixed(1)} ms; ` +
      `statuses ${JSON.stringify(run.statuses)}, errors ${run.errors}, timeouts ${run.timeouts}; ` +
      `CPU cores: target ${run.cpu.target.toFixed(2)}, generator ${run.cpu.generator.toFixed(2)}, rest of machine ${run.cpu.rest.toFixed(2)}`,
  );
}

async function gauge(internalPort, name) {
  const text = await (await fetch(`http://127.0.0.1:${internalPort}/metrics`)).text();
  const found = text.match(new RegExp(`^${name} (\\S+)$`, 'm'));
  if (!found) throw new Error(`${name} is missing from /metrics`);
  return Number(found[1]);
}

async function metric(internalPort, outcome) {
  const text = await (await fetch(`http://127.0.0.1:${internalPort}/metrics`)).text();
  return [...text.matchAll(new RegExp(`^gitlab_bridge_webhooks_total\\{[^}]*outcome="${outcome}"[^}]*\\} (\\d+)`, 'gm'))].reduce((sum, m) => sum + Number(m[1]), 0);
}

// 1. The bare express app: the ceiling that Node, express and this machine allow.
console.log(`bench:ingest: ${CONNECTIONS} connections, ${SECONDS} s per run (after ${WARMUP_SECONDS} s warm-up), bridge LOG_LEVEL=${LOG_LEVEL}`);
// `-e` resolves packages from the working directory: the bare app runs from the repository.
const bareApp = startChild('bare', ['--input-type=module', '-e', BARE_APP], { PATH: process.env.PATH, HOME: process.env.HOME }, root);
const barePort = (await waitForLine(bareApp, /"bare listening"/)).port;
await load(barePort, { seconds: WARMUP_SECONDS });
const bareMax = await measured(bareApp, () => load(barePort, { seconds: SECONDS }));
show('bare express, max', bareMax);
await stopChild(bareApp);

// 2. and 3. The bridge, as deployed by default: embedded PostgreSQL in DATA_DIR, JSON logs on stdout. Ports are
// chosen here, and readiness is read from /healthz, so that any LOG_LEVEL works. The fixed-rate runs come first
// (warm-up at the same rate), so that they measure a steady rate rather than the tail of a saturating run.
const [publicPort, internalPort] = [await freePort(), await freePort()];
const bridge = startChild('bridge', [BIN, 'start'], {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  DATA_DIR: path.join(work, 'data'),
  PORT: String(publicPort),
  INTERNAL_PORT: String(internalPort),
  GITLAB_WEBHOOK_SECRET: SECRET,
  LOG_LEVEL,
});
await waitUntilHealthy(bridge, internalPort);
await paced(publicPort, { seconds: WARMUP_SECONDS, rate: RATE });
const bridgePaced = await measured(bridge, () => paced(publicPort, { seconds: SECONDS, rate: RATE }));
show(`bridge, ${RATE}/s evenly spaced`, bridgePaced);
const bridgeBursts = await measured(bridge, () => load(publicPort, { seconds: SECONDS, rate: RATE }));
show(`bridge, ${RATE}/s autocannon overallRate`, bridgeBursts);
const bridgeMax = await measured(bridge, () => load(publicPort, { seconds: SECONDS }));
show('bridge, max', bridgeMax);
// Processing steps back while the door takes a burst: how much was left, and how long it took to work off.
const backlogAtEnd = await gauge(internalPort, 'gitlab_bridge_webhook_backlog');
const drainStarted = performance.now();
while ((await gauge(internalPort, 'gitlab_bridge_webhook_backlog')) > 0) await sleep(100);
const drainSeconds = (performance.now() - drainStarted) / 1000;
console.log(`backlog after the max-load run: ${backlogAtEnd} deliveries, processed within ${drainSeconds.toFixed(1)} s`);

// Every 202 the load generators saw was counted as stored by the bridge.
const acknowledged = [bridgePaced, bridgeBursts, bridgeMax].reduce((sum, run) => sum + (run.statuses[202] ?? 0), 0);
const stored = await metric(internalPort, 'accepted');
const duplicates = await metric(internalPort, 'duplicate');

const bridgeExit = await stopChild(bridge);
const storedLines = bridge.log().split('\n').filter((line) => line.includes('"webhook stored"')).length;

// 4. Webhook to post: a second bridge, posting to the fake Mattermost.
const E2E_RATE = Number(process.env.BENCH_E2E_RATE ?? 100);
const e2e = await measureWebhookToPost({ root, work, bin: BIN, secret: SECRET, startChild, waitUntilHealthy, stopChild, freePort, seconds: SECONDS, rate: E2E_RATE });
console.log('webhook to post', e2e);

const ratio = bridgeMax.perSecond / bareMax.perSecond;
const runs = [bareMax, bridgePaced, bridgeBursts, bridgeMax];
const allTwoXX = runs.every((run) => run.non2xx === 0 && run.errors === 0 && run.timeouts === 0);
const checks = [
  { what: `p99 acknowledgement at ${RATE}/s (evenly spaced) < ${TARGET_P99_MS} ms`, ok: bridgePaced.p99 < TARGET_P99_MS, value: ms(bridgePaced.p99) },
  { what: `bridge accepted/s ≥ ${TARGET_RATIO} × bare express`, ok: ratio >= TARGET_RATIO, value: `${bridgeMax.perSecond.toFixed(0)} / ${bareMax.perSecond.toFixed(0)} = ${ratio.toFixed(2)} ×` },
  { what: 'every response 2xx, no errors or timeouts', ok: allTwoXX, value: allTwoXX ? 'yes' : 'no' },
  { what: 'every webhook posted exactly once (webhook to post)', ok: e2e.posts === e2e.webhooks && e2e.doubled === 0 && e2e.violations === 0, value: `${e2e.posts} of ${e2e.webhooks} posted, ${e2e.doubled} doubled, ${e2e.violations} API violations` },
  { what: 'every 202 counted as stored by the bridge', ok: stored >= acknowledged && duplicates === 0, value: `${acknowledged} acknowledged, ${stored} stored (warm-up included), ${duplicates} duplicates` },
];
for (const check of checks) console.log(`${check.ok ? 'met' : 'MISSED'}: ${check.what}: ${check.value}`);

const cores = (value) => value.toFixed(2);
const row = (name, run) =>
  `| ${name} | ${run.perSecond.toFixed(0)} | ${ms(run.p50)} | ${ms(run.p99)} | ${ms(run.max)} | ${run.responses} | ${run.non2xx} | ${run.errors + run.timeouts} | ${cores(run.cpu.target)} / ${cores(run.cpu.generator)} / ${cores(run.cpu.rest)} |`;
const section = `<!-- bench:ingest:start -->
## Webhook ingest: throughput and acknowledgement latency

Command: \`npm run bench:ingest\` (\`BENCH_SECONDS\`, \`BENCH_WARMUP_SECONDS\`, \`BENCH_CONNECTIONS\`, \`BENCH_RATE\` and \`BENCH_LOG_LEVEL\` change the defaults: ${SECONDS} s, ${WARMUP_SECONDS} s, ${CONNECTIONS} connections, ${RATE}/s, \`info\`; this run: ${SECONDS} s, ${WARMUP_SECONDS} s, ${CONNECTIONS}, ${RATE}/s, \`${LOG_LEVEL}\`).
Measured on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} × ${cpus()[0]?.model.trim()}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}.

How: every request is \`POST /webhook\` with GitLab's \`${FIXTURE}\` fixture (${Buffer.byteLength(BODY)} bytes) and GitLab's
headers (\`X-Gitlab-Event: Merge Request Hook\`, \`X-Gitlab-Token\`, and a fresh \`Idempotency-Key\`/\`X-Gitlab-Event-UUID\`
each time, so each is a new delivery), over up to ${CONNECTIONS} keep-alive connections on loopback, from the bench's own process;
everything runs on this one machine. *Max load* is autocannon with ${CONNECTIONS} connections, each sending its next request as
soon as the previous one is answered. First a bare express app (a child process) whose \`POST /webhook\` only answers
\`200\` without reading the body; then the real bridge, \`gitlab-bridge start\` with its embedded PostgreSQL in a fresh
\`DATA_DIR\`, \`LOG_LEVEL=${LOG_LEVEL}\` and stdout to a file, and its delivery workers running as they always do. Each is
warmed up for ${WARMUP_SECONDS} s first. A \`202\` is only sent once the delivery is committed to PostgreSQL (concurrent
deliveries share one multi-row INSERT: \`server/src/store/delivery-batcher.ts\`). The door is a plain Node handler in front
of express. While it takes a burst, processing the stored deliveries steps back to one batch of 100 every 250 ms, and
catches up afterwards: the max-load run left a backlog of ${backlogAtEnd} deliveries (\`gitlab_bridge_webhook_backlog\`),
all processed ${drainSeconds.toFixed(1)} s after the run. This machine's CPUs are shared: the same run varies by about ±20 %
from one time to the next, the bare handler as much as the bridge.

The fixed rate is measured twice. *Evenly spaced* (the target's measure) is an open loop: request *i* is sent at
*i*/${RATE} s whatever happened to the others, and its latency counts from that moment, so a bridge falling behind shows in
the percentiles. *autocannon overallRate* is autocannon's own rate limit, which lets each connection send its share of
every second back-to-back as the second starts: ${CONNECTIONS} concurrent requests at once, then nothing; it is shown for
comparison and is closer to the max-load latency. Latencies are over every response (not autocannon's 1 ms histogram).
CPU is in cores over the run, from \`/proc\`: the target (for the bridge, with its PostgreSQL), the load generator (this
process), and the rest of the machine, which should be near 0; more means something else ran at the same time.

| run | 2xx/s | p50 | p99 | max | responses | non-2xx | errors + timeouts | CPU: target / generator / rest |
|---|---|---|---|---|---|---|---|---|
${row('bare express, `200` only, max load', bareMax)}
${row(`bridge, stored + \`202\`, ${RATE}/s evenly spaced`, bridgePaced)}
${row(`bridge, stored + \`202\`, ${RATE}/s autocannon overallRate`, bridgeBursts)}
${row('bridge, stored + `202`, max load', bridgeMax)}

| target | result | |
|---|---|---|
${checks.map((check) => `| ${check.what} | ${check.value} | ${check.ok ? 'met' : '**missed**'} |`).join('\n')}

The bridge stopped with exit code ${bridgeExit} after the runs and had written ${storedLines} \`webhook stored\` log lines.

### Webhook to post

A second bridge (fresh embedded PostgreSQL, \`LOG_LEVEL=warn\`) posts to the fake Mattermost
(\`test/fakes/fake-mattermost.ts\`, which validates every request against Mattermost's OpenAPI spec, a few ms each) in
${e2e.channels} channels, each subscribed to one project. ${e2e.webhooks} issue webhooks are sent evenly spaced at ${e2e.rate}/s
(\`BENCH_E2E_RATE\`), rotating over the projects, after a warm-up; latency runs from a webhook's send time to its post's
creation in the fake: storing, processing, rendering, queueing, then posting (checking the channel, \`CreatePost\`).

| webhooks | accepted | posts | doubled | p50 | p99 | max |
|---|---|---|---|---|---|---|
| ${e2e.webhooks} at ${e2e.rate}/s | ${e2e.accepted} | ${e2e.posts} | ${e2e.doubled} | ${e2e.p50} ms | ${e2e.p99} ms | ${e2e.max} ms |
<!-- bench:ingest:end -->`;

writeSection(root, 'ingest', section);
console.log(`\n${section}`);
if (!checks.every((check) => check.ok)) process.exitCode = 1;

// npm run bench:ingest:sustained: webhook to post at a sustained rate into many channels (by default 200 webhooks a
// second for 5 minutes into 200 channels): latency percentiles, nothing lost or doubled, and the CPU it took. The
// same measurement as bench:ingest's webhook-to-post part (webhook-to-post.mjs), longer and wider. BENCH_RUNS
// repeats it (median and spread); BENCH_BEFORE_BIN measures another build too, back to back; BENCH_BRIDGE_BIN measures
// another build instead of this checkout's. Writes its section of docs/benchmarks.md and exits non-zero when the
// target is missed or a webhook was lost or doubled.
import os, { cpus } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchWorkspace, log } from './child-processes.mjs';
import { measureWebhookToPost } from './webhook-to-post.mjs';
import { writeSection } from './benchmarks-file.mjs';
import { describeBuild, showSpread, spread } from './spread.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const THIS_BIN = path.join(root, 'server/bin/gitlab-bridge.js');
const BIN = path.resolve(process.env.BENCH_BRIDGE_BIN ?? THIS_BIN);
const BEFORE_BIN = process.env.BENCH_BEFORE_BIN ? path.resolve(process.env.BENCH_BEFORE_BIN) : null;
const RUNS = Number(process.env.BENCH_RUNS ?? 1);
const RATE = Number(process.env.BENCH_E2E_RATE ?? 200);
const SECONDS = Number(process.env.BENCH_E2E_SECONDS ?? 300);
const CHANNELS = Number(process.env.BENCH_E2E_CHANNELS ?? 200);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
const TARGET_P99_MS = 250;

const { work, children } = benchWorkspace(root, 'ingest-sustained');
const builds = [{ key: 'this', bin: BIN, ...describeBuild(BIN) }];
if (BEFORE_BIN) builds.push({ key: 'before', bin: BEFORE_BIN, ...describeBuild(BEFORE_BIN) });
log(`bench:ingest:sustained: ${RUNS} run(s) of ${RATE}/s for ${SECONDS} s into ${CHANNELS} channels; ${builds.map((build) => `${build.key}: ${build.label}`).join('; ')}`);

const results = Object.fromEntries(builds.map((build) => [build.key, []]));
for (let run = 1; run <= RUNS; run += 1) {
  const order = run % 2 === 1 ? builds : [...builds].reverse();
  for (const build of order) {
    log(`run ${run} of ${RUNS}: ${build.key === 'this' ? 'build' : 'before'} ${build.label}`);
    const result = await measureWebhookToPost({ root, work, name: `${build.key}-${run}`, bin: build.bin, children, seconds: SECONDS, rate: RATE, channels: CHANNELS, warmupSeconds: WARMUP_SECONDS, onProgress: log });
    log(`${JSON.stringify({ ...result, cpu: undefined })}; CPU per webhook ${result.cpu.msPerWebhook.toFixed(2)} ms; bench process ${result.cpu.bench.toFixed(2)} cores, rest ${result.cpu.rest.toFixed(2)}`);
    results[build.key].push(result);
  }
}

const ms = (value) => `${value.toFixed(0)} ms`;
const msCpu = (value) => `${value.toFixed(2)} ms`;
const cores = (value) => value.toFixed(2);
const col = (key, pick, format) => showSpread(results[key].map(pick), format);
const p99 = spread(results.this.map((r) => r.p99)).median;
const exactlyOnce = results.this.every((r) => r.lost === 0 && r.doubled === 0 && r.unexpected === 0 && r.violations === 0 && r.accepted === r.webhooks);
const checks = [
  { what: `webhook to post p99 ≤ ${TARGET_P99_MS} ms`, ok: p99 <= TARGET_P99_MS, value: col('this', (r) => r.p99, ms) },
  {
    what: 'nothing lost or doubled, every webhook accepted, in every run',
    ok: exactlyOnce,
    value: results.this.map((r) => `${r.posted} of ${r.webhooks} posted, ${r.lost} lost, ${r.doubled} doubled, ${r.webhooks - r.accepted} not accepted, ${r.violations} API violations`).join('; '),
  },
];
for (const check of checks) log(`${check.ok ? 'met' : 'MISSED'}: ${check.what}: ${check.value}`);

const headings = builds.map((build) => (build.key === 'this' ? `this build (${build.label})` : `before (${build.label})`));
const row = (name, pick, format) => `| ${name} | ${builds.map((build) => col(build.key, pick, format)).join(' | ')} |`;
const section = `<!-- bench:ingest-sustained:start -->
## Webhook to post, sustained: ${RATE}/s for ${SECONDS / 60} minutes into ${CHANNELS} channels

Command: \`npm run bench:ingest:sustained\` (\`BENCH_E2E_RATE\`, \`BENCH_E2E_SECONDS\`, \`BENCH_E2E_CHANNELS\`, \`BENCH_WARMUP_SECONDS\` and \`BENCH_RUNS\`
change the defaults: 200/s, 300 s, 200 channels, 3 s, 1 run; this run: ${RATE}/s, ${SECONDS} s, ${CHANNELS}, ${WARMUP_SECONDS} s, ${RUNS}; \`BENCH_BEFORE_BIN\` and \`BENCH_BRIDGE_BIN\` as for
\`bench:ingest\`). This run: ${headings.join('; ')}.
Measured on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} × ${cpus()[0]?.model.trim()}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}.${RUNS > 1 ? ` Each cell is the median of ${RUNS} runs, with the lowest and highest in brackets.` : ''}

How: as *webhook to post* in \`bench:ingest\` above, wider and longer: a bridge with its own embedded PostgreSQL posts to the fake
Mattermost (in the bench's process, checking every request against Mattermost's OpenAPI spec) in ${CHANNELS} private channels, each
subscribed to one project; ${Math.round(RATE * SECONDS)} issue webhooks are sent evenly spaced (an open loop) at ${RATE}/s, rotating over the projects (so each
channel gets a post every ${(CHANNELS / RATE).toFixed(1)} s), after ${WARMUP_SECONDS} s of warm-up at the same rate (at least two per channel). Latency runs from a webhook's send time to its post's
creation in the fake. A webhook whose post has not appeared 2 minutes after the last one was sent counts as lost; a webhook
posted twice, as doubled. CPU is from \`/proc\` over the run: the bridge's Node process and its PostgreSQL processes per
webhook, and the bench's own process (the load generator and the fake Mattermost) in cores.

| measure | ${headings.join(' | ')} |
|---|${builds.map(() => '---|').join('')}
${row('webhooks posted (of sent)', (r) => r.posted, (v) => `${v.toFixed(0)} of ${Math.round(RATE * SECONDS)}`)}
${row('webhooks lost', (r) => r.lost, (v) => v.toFixed(0))}
${row('webhooks posted twice or more', (r) => r.doubled, (v) => v.toFixed(0))}
${row('webhook to post p50', (r) => r.p50, ms)}
${row('webhook to post p95', (r) => r.p95, ms)}
${row('**webhook to post p99**', (r) => r.p99, ms)}
${row('webhook to post max', (r) => r.max, ms)}
${row('CPU per webhook posted (bridge + PostgreSQL)', (r) => r.cpu.msPerWebhook, msCpu)}
${row('… of which the bridge', (r) => r.cpu.bridgeMsPerWebhook, msCpu)}
${row('… of which PostgreSQL', (r) => r.cpu.postgresMsPerWebhook, msCpu)}
${row('bridge + PostgreSQL, cores', (r) => r.cpu.bridge + r.cpu.postgres, cores)}
${row('bench process (load and fake Mattermost), cores', (r) => r.cpu.bench, cores)}
${row('rest of the machine, cores (near 0 = quiet)', (r) => r.cpu.rest, cores)}

| target (this build) | result | |
|---|---|---|
${checks.map((check) => `| ${check.what} | ${check.value} | ${check.ok ? 'met' : '**missed**'} |`).join('\n')}
<!-- bench:ingest-sustained:end -->`;

writeSection(root, 'ingest-sustained', section);
console.log(`\n${section}`);
if (checks.some((check) => !check.ok)) process.exitCode = 1;

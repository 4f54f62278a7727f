// npm run bench:poll: the bridge polling GitLab for 10,000 connected users on a 60-second cycle. The fake
// GitLab and the fake Mattermost run in this process; the bridge (`gitlab-bridge start`, embedded
// PostgreSQL) is a child. Users are connected by inserting their accounts directly (tokens sealed as the
// bridge seals them); after a warm-up, a window of a few cycles counts every GitLab request, times how
// long a new review request takes to become the bot's DM, and reads the bridge's and PostgreSQL's CPU
// and memory from /proc. Writes its section of docs/benchmarks.md and exits non-zero when a target is
// missed: ≤ 1.05 GitLab requests per user per cycle, p95 detection within one cycle, the bridge's CPU
// ≤ half a core and its RSS ≤ 250 MiB.
// Each child process is started by this script and stopped by its pid; nothing is left behind.
import { mkdirSync, readFileSync } from 'node:fs';
import os, { cpus } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { benchWorkspace, connectToEmbedded, cpuBetween, cpuNow, log, problemsIn, sampleMemory, startBenchBridge } from './child-processes.mjs';
import { countRequests, judge, pollSpread, renderSection, summariseDetection } from './poll-results.mjs';
import { writeSection } from './benchmarks-file.mjs';
import { startFakes } from './start-fakes.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const BIN = path.join(root, 'server/bin/gitlab-bridge.js');
const USERS = Number(process.env.BENCH_USERS ?? 10_000);
const INTERVAL_SECONDS = Number(process.env.BENCH_INTERVAL_SECONDS ?? 60);
const CYCLES = Number(process.env.BENCH_CYCLES ?? 4);
const REVIEWS = Number(process.env.BENCH_REVIEWS ?? 400);
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'info';
/** Set to a directory to have the bridge write a V8 CPU profile there (node --cpu-prof) when it stops. */
const CPU_PROFILE_DIR = process.env.BENCH_CPU_PROFILE_DIR;
/** The bridge's NODE_OPTIONS: the Docker image's (its V8 heap cap), unless BENCH_NODE_OPTIONS says otherwise ('' for none). */
const NODE_OPTIONS = process.env.BENCH_NODE_OPTIONS ?? /^ENV NODE_OPTIONS=(\S+)$/m.exec(readFileSync(path.join(root, 'Dockerfile'), 'utf8'))?.[1] ?? '';
/** More options for the bridge's node, space-separated (e.g. `--heapsnapshot-signal=SIGUSR2` to look at its heap). */
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
const WARMUP_CYCLES = 2;
/** Warm-up ends once at most this share of the users are overdue by more than OVERDUE_SECONDS. */
const KEEPING_UP_SHARE = 0.01;
const OVERDUE_SECONDS = 5;
const PROJECTS = 20;
/** Ten times what the users need, so that the request budget never holds a poll back: the budget is not what is measured. */
const MAX_PER_MINUTE = Math.max(10_000, Math.ceil((10 * USERS * 60) / INTERVAL_SECONDS));
const MEMORY_SAMPLE_MS = 2000;
const OAUTH = { clientId: 'bench-app', clientSecret: 'bench-app-secret' };

for (const [name, value] of Object.entries({ BENCH_USERS: USERS, BENCH_INTERVAL_SECONDS: INTERVAL_SECONDS, BENCH_CYCLES: CYCLES, BENCH_REVIEWS: REVIEWS })) {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number of at least 1`);
}
if (USERS <= PROJECTS) throw new Error(`BENCH_USERS must be more than ${PROJECTS}: every user gets a review request from a colleague`);
const { work, children } = benchWorkspace(root, 'poll');
// The bridge's own code seals the tokens, so that they open exactly as a real connection's do.
const { saveAccount } = await import(pathToFileURL(path.join(root, 'server/dist/store/gitlab-accounts.js')).href);
const { toEncryptionKey } = await import(pathToFileURL(path.join(root, 'server/dist/crypto/secret-box.js')).href);

const pick = (items) => items[Math.floor(Math.random() * items.length)];

/** GitLab and Mattermost users, projects, and each user's work before the bridge ever looks. */
function populate(gitlab, mattermost) {
  const projects = Array.from({ length: PROJECTS }, (_, index) => gitlab.addProject(`bench/project-${index}`, { visibility: 'internal' }).path_with_namespace);
  const users = [];
  for (let index = 0; index < USERS; index += 1) {
    const gitlabId = index + 1;
    const username = `bench-${gitlabId}`;
    const { token } = gitlab.addUser({ id: gitlabId, username, name: `Bench User ${gitlabId}` });
    const project = projects[index % PROJECTS];
    gitlab.grant(token, project, 30);
    users.push({ index, gitlabId, username, token, project, mattermostId: mattermost.addUser(username).user.id });
  }
  // The colleague of a user: the next one in the same project.
  const colleague = (user) => users[(user.index + PROJECTS) % USERS];
  for (const user of users) {
    const mergeRequest = gitlab.addMergeRequest(user.project, { title: `Bench baseline ${user.gitlabId}`, authorId: user.gitlabId });
    gitlab.requestReview(user.project, mergeRequest.iid, colleague(user).gitlabId, user.gitlabId);
  }
  return { users, colleague };
}

/**
 * Every user's `gitlab_accounts` row in one INSERT. `saveAccount` seals the tokens and names the columns; its
 * statement is captured rather than run (it writes one row at a time), and its rows are sent together.
 */
async function connectAll(db, users, key) {
  let columns;
  const rows = [];
  const capture = {
    query: async (sql, params) => {
      columns ??= /INSERT INTO gitlab_accounts \(([^)]+)\)/.exec(sql)?.[1];
      rows.push(params);
      return { rows: [], rowCount: 1 };
    },
  };
  const expiresAt = new Date(Date.now() + 365 * 24 * 3600_000);
  for (const user of users) {
    await saveAccount(
      capture,
      { mattermostUserId: user.mattermostId, instance: 'default', gitlabUserId: user.gitlabId, gitlabUsername: user.username },
      { accessToken: user.token, refreshToken: `bench-refresh-${user.gitlabId}`, expiresAt, scopes: 'api read_user' },
      key,
    );
  }
  if (!columns || rows.some((row) => row.length !== columns.split(',').length)) throw new Error('saveAccount no longer writes one INSERT INTO gitlab_accounts (…) VALUES (…)');
  const width = rows[0].length;
  // One transaction, in statements of fewer than PostgreSQL's 65,535 parameters.
  const perStatement = Math.floor(65_535 / width);
  await db.query('BEGIN');
  for (let start = 0; start < rows.length; start += perStatement) {
    const chunk = rows.slice(start, start + perStatement);
    const values = chunk.map((_, row) => `(${Array.from({ length: width }, (__, column) => `$${row * width + column + 1}`).join(', ')})`);
    await db.query(`INSERT INTO gitlab_accounts (${columns}) VALUES ${values.join(', ')}`, chunk.flat());
  }
  await db.query('COMMIT');
}

/** The user jobs: how many, polled at least once, failing, and overdue (due more than OVERDUE_SECONDS ago and not started). */
async function userJobs(db) {
  const { rows } = await db.query(
    `SELECT count(*)::int AS jobs, count(*) FILTER (WHERE last_success_at IS NOT NULL)::int AS polled, count(*) FILTER (WHERE last_error IS NOT NULL)::int AS failing,
            count(*) FILTER (WHERE lease_until IS NULL AND next_run_at < now() - make_interval(secs => $1))::int AS overdue
       FROM poll_jobs WHERE kind = 'user'`,
    [OVERDUE_SECONDS],
  );
  return rows[0];
}

/** What the bridge's database has done so far: transactions, rows written, and where its WAL is. */
async function databaseActivity(db) {
  const { rows } = await db.query(
    `SELECT xact_commit + xact_rollback AS transactions, tup_inserted + tup_updated + tup_deleted AS written, pg_current_wal_lsn() AS lsn
       FROM pg_stat_database WHERE datname = current_database()`,
  );
  return rows[0];
}

async function databaseActivityBetween(db, before, after) {
  const { rows } = await db.query('SELECT pg_wal_lsn_diff($1, $2)::bigint AS wal', [after.lsn, before.lsn]);
  return { transactions: Number(after.transactions) - Number(before.transactions), written: Number(after.written) - Number(before.written), walBytes: Number(rows[0].wal) };
}

/** Sum and count of the user poll-lag histogram, over every outcome, and the bridge's V8 heap (bytes) now. */
async function pollLag(internalPort) {
  const text = await (await fetch(`http://127.0.0.1:${internalPort}/metrics`)).text();
  const read = (name) => [...text.matchAll(new RegExp(`^gitlab_bridge_poll_lag_seconds_${name}\\{[^}]*kind="user"[^}]*\\} (\\S+)$`, 'gm'))].reduce((sum, m) => sum + Number(m[1]), 0);
  const gauge = (name) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { sum: read('sum'), count: read('count'), heap: { used: gauge('nodejs_heap_size_used_bytes'), total: gauge('nodejs_heap_size_total_bytes'), external: gauge('nodejs_external_memory_bytes') } };
}

const meanMax = (values) => ({ mean: values.reduce((a, b) => a + b, 0) / values.length, max: Math.max(...values) });

log(`bench:poll: ${USERS} users, ${INTERVAL_SECONDS} s cycle, warm-up ${WARMUP_CYCLES} cycles, window ${CYCLES} cycles, ${REVIEWS} review requests, bridge LOG_LEVEL=${LOG_LEVEL}, NODE_OPTIONS=${NODE_OPTIONS || '(none)'}`);
const { gitlab, mattermost } = await startFakes(root);
let db;
let bridge;
let bridgeExit;
let results;
try {
  const { user: bot, token: botToken } = mattermost.addUser('gitlab', { bot: true });
  const { users, colleague } = populate(gitlab, mattermost);
  const userOfToken = new Map(users.map((user) => [user.token, user.gitlabId]));
  // When each request arrived, to split detection into waiting for the next poll and what the bridge did after it.
  gitlab.requests.push = function stamp(...records) {
    const at = Date.now();
    for (const record of records) record.at = at;
    return Array.prototype.push.apply(this, records);
  };
  log(`fakes ready: ${users.length} GitLab and Mattermost users, ${PROJECTS} projects, ${users.length} baseline review requests`);

  if (CPU_PROFILE_DIR) mkdirSync(CPU_PROFILE_DIR, { recursive: true });
  const launched = await startBenchBridge(children, {
    bin: BIN,
    work,
    gitlab,
    mattermost,
    botToken,
    oauth: OAUTH,
    nodeArgs: [...(CPU_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(CPU_PROFILE_DIR)}`] : []), ...NODE_ARGS],
    env: {
      POLL_INTERVAL_SECONDS: String(INTERVAL_SECONDS),
      POLL_ACTIVE_INTERVAL_SECONDS: String(INTERVAL_SECONDS),
      GITLAB_MAX_REQUESTS_PER_MINUTE: String(MAX_PER_MINUTE),
      LOG_LEVEL,
      ...(NODE_OPTIONS ? { NODE_OPTIONS } : {}),
    },
  });
  bridge = launched.bridge;
  await launched.ready;
  const { internalPort, encryptionKey } = launched;
  const bridgePid = bridge.child.pid;
  db = await connectToEmbedded(pg, launched.dataDir);
  await connectAll(db, users, toEncryptionKey(encryptionKey));
  const connectedAt = Date.now();
  log(`bridge up (pid ${bridgePid}); ${users.length} accounts connected; warming up`);

  // Warm-up: every user polled once (which only records their baseline to-dos), at least WARMUP_CYCLES cycles, and
  // the bridge keeping up: the first polls of everyone connected at once are a backlog, and the cycle after them
  // still carries its traces; the window measures the steady state.
  const warmEnds = connectedAt + WARMUP_CYCLES * INTERVAL_SECONDS * 1000;
  const warmDeadline = warmEnds + 10 * INTERVAL_SECONDS * 1000;
  let allPolledAt;
  for (let last = 0; ; ) {
    const jobs = await userJobs(db);
    if (jobs.polled === USERS) allPolledAt ??= Date.now();
    const keepsUp = jobs.overdue <= USERS * KEEPING_UP_SHARE;
    if (allPolledAt && Date.now() >= Math.max(warmEnds, allPolledAt + INTERVAL_SECONDS * 1000) && keepsUp) break;
    if (Date.now() > warmDeadline) throw new Error(`warm-up: ${jobs.polled} of ${USERS} users polled, ${jobs.overdue} overdue after ${((Date.now() - connectedAt) / 1000).toFixed(0)} s`);
    if (Date.now() - last >= 5000) {
      log(`warm-up: ${jobs.polled} of ${jobs.jobs} user jobs polled, ${jobs.overdue} overdue, ${jobs.failing} failing`);
      last = Date.now();
    }
    await sleep(500);
  }
  const warmupSeconds = (Date.now() - connectedAt) / 1000;
  const firstPollsSeconds = (allPolledAt - connectedAt) / 1000;

  // The window.
  const windowMs = CYCLES * INTERVAL_SECONDS * 1000;
  const firstRequest = gitlab.requests.length;
  const lagBefore = await pollLag(internalPort);
  const databaseBefore = await databaseActivity(db);
  const cpuBefore = cpuNow(bridgePid);
  const memory = [];
  sampleMemory(bridgePid, memory);
  const sampler = setInterval(() => sampleMemory(bridgePid, memory), MEMORY_SAMPLE_MS);
  const started = performance.now();
  log(`window: ${CYCLES} cycles (${windowMs / 1000} s)`);
  const reviews = [];
  for (let n = 0; n < REVIEWS; n += 1) {
    // One random moment in each equal slice of the window.
    const due = started + ((n + Math.random()) / REVIEWS) * windowMs;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const reviewer = pick(users);
    const author = colleague(reviewer);
    const mergeRequest = gitlab.addMergeRequest(reviewer.project, { title: `Bench review ${n}`, authorId: author.gitlabId });
    const at = Date.now();
    gitlab.requestReview(reviewer.project, mergeRequest.iid, reviewer.gitlabId, author.gitlabId);
    reviews.push({ n, reviewer, at });
  }
  const left = started + windowMs - performance.now();
  if (left > 0) await sleep(left);
  const windowSeconds = (performance.now() - started) / 1000;
  const lastRequest = gitlab.requests.length;
  const cpu = cpuBetween(cpuBefore, cpuNow(bridgePid), windowSeconds);
  clearInterval(sampler);
  sampleMemory(bridgePid, memory);
  const lagAfter = await pollLag(internalPort);
  // Counted by PostgreSQL when each transaction ends (flushed within a second): a window of minutes is exact enough.
  const database = await databaseActivityBetween(db, databaseBefore, await databaseActivity(db));
  log(`window over after ${windowSeconds.toFixed(1)} s; waiting for the last DMs`);

  // DMs of requests made late in the window come after it.
  const dmsOf = (review) =>
    mattermost
      .directMessagesTo(review.reviewer.mattermostId)
      .filter((post) => post.user_id === bot.id && new RegExp(`Bench review ${review.n}(?!\\d)`).test(post.message))
      .map((post) => post.create_at);
  const drainDeadline = Date.now() + 3 * INTERVAL_SECONDS * 1000;
  while (reviews.some((review) => dmsOf(review).length === 0) && Date.now() < drainDeadline) await sleep(500);
  await sleep(1000); // a second DM for the same request would come right after the first
  for (const review of reviews) {
    review.dms = dmsOf(review);
    // The first poll of the reviewer that arrived after the request (it saw the new to-do).
    review.pollAt = gitlab.requests.find((request, index) => index >= firstRequest && request.path === '/api/graphql' && request.token === review.reviewer.token && request.at >= review.at)?.at ?? null;
  }

  const requests = countRequests(gitlab.requests.slice(firstRequest, lastRequest), userOfToken);
  const cycles = windowSeconds / INTERVAL_SECONDS;
  const rate = { windowSeconds, cycles, perUserCycle: requests.total / (USERS * cycles), perPoll: requests.total / requests.polls, meanPeriodSeconds: (USERS * windowSeconds) / requests.polls };
  const detection = summariseDetection(reviews, INTERVAL_SECONDS);
  const spread = pollSpread(requests.pollsByUser, users.map((user) => user.gitlabId));
  const baselineDms = mattermost.posts.filter((post) => post.user_id === bot.id && /Bench baseline \d+/.test(post.message)).length;
  const jobs = await userJobs(db);
  const { rows: outbox } = await db.query(`SELECT state, count(*)::int AS n FROM direct_outbox GROUP BY state`);
  await db.end();
  db = undefined;
  const lagCount = lagAfter.count - lagBefore.count;
  results = {
    settings: { users: USERS, intervalSeconds: INTERVAL_SECONDS, cycles: CYCLES, reviews: REVIEWS, logLevel: LOG_LEVEL, maxPerMinute: MAX_PER_MINUTE, projects: PROJECTS, warmupCycles: WARMUP_CYCLES, keepingUpShare: KEEPING_UP_SHARE, overdueSeconds: OVERDUE_SECONDS, nodeOptions: NODE_OPTIONS },
    warmup: { seconds: warmupSeconds, firstPollsSeconds },
    date: new Date().toISOString().slice(0, 10),
    machine: `${cpus().length} × ${cpus()[0]?.model.trim()}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`,
    rate,
    requests,
    detection,
    spread,
    cpu,
    memory: { bridge: meanMax(memory.map((m) => m.bridge)), postgres: meanMax(memory.map((m) => m.postgres)) },
    lag: lagCount > 0 ? (lagAfter.sum - lagBefore.sum) / lagCount : NaN,
    database,
    heap: lagAfter.heap,
    baselineDms,
    pollErrors: jobs.failing,
    outbox,
    violations: mattermost.violations.length,
  };
} finally {
  await db?.end().catch(() => undefined);
  if (bridge) bridgeExit = await children.stop(bridge);
  if (bridge && results) results.logProblems = problemsIn(bridge.log());
  await gitlab.close();
  await mattermost.close();
}

results.bridgeExit = bridgeExit;
results.checks = judge(results);
if (results.violations > 0) results.checks.push({ what: 'no request the Mattermost spec does not allow', ok: false, value: String(results.violations) });
console.log(
  JSON.stringify(
    {
      ...results,
      requests: { ...results.requests, pollsByUser: undefined },
    },
    null,
    2,
  ),
);
for (const check of results.checks) console.log(`${check.ok ? 'met' : 'MISSED'}: ${check.what}: ${check.value}`);

const section = renderSection(results);
writeSection(root, 'poll', section);
console.log(`\n${section}`);
if (!results.checks.every((check) => check.ok)) process.exitCode = 1;

// npm run test:chaos: three bridge replicas on one PostgreSQL take a stream of webhooks and poll
// connected users while things break: one random replica is SIGKILLed and restarted every 20 s
// throughout, GitLab goes down for 60 s, Mattermost refuses connections for 60 s and then answers 503
// with Retry-After, and PostgreSQL crashes and comes back. Afterwards every channel post and DM must
// have arrived exactly once, in order per thread, with each thread's root showing its last state;
// no poll of a user may have run twice at once and every user must be polled again; /readyz and
// /metrics must have told the truth meanwhile; no process may have ended but by the suite's SIGKILLs.
// Prints a table per phase (and writes it to docs/benchmarks.md); exits non-zero when a check fails.
//
// Processes: the replicas are `gitlab-bridge start` children (server/dist); PostgreSQL is a server of
// the suite's own (postgres-server.mjs); the fake GitLab and fake Mattermost run in this process,
// behind fault switches (fault-switch.mjs). Everything listens on loopback; every child is stopped by
// its pid, and the scratch folder removed, however the run ends.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os, { cpus } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { childProcesses, log, machineBusySeconds } from '../bench/child-processes.mjs';
import { writeSection } from '../bench/benchmarks-file.mjs';
import { startFakes } from '../bench/start-fakes.mjs';
import { startFaultSwitch } from './fault-switch.mjs';
import { startPostgresServer } from './postgres-server.mjs';
import { createReplicas } from './replicas.mjs';
import { collectDirectMessages, directExpectations } from './expectations.mjs';
import { judge, logErrors, renderSection, renderTable, renderTruthTable } from './verdict.mjs';
import { watchReplicas } from './watch-replicas.mjs';
import { ACTOR_IN_POST, buildWebhook, loadTemplates, threadShape } from './webhook-threads.mjs';
import { createWebhookSender } from './webhook-sender.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const BIN = path.join(root, 'server/bin/gitlab-bridge.js');
const SEED = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
/** The whole run, hard: whatever hangs, the suite ends (non-zero) by then. */
const HARD_TIMEOUT_MS = Number(process.env.CHAOS_TIMEOUT_SECONDS ?? 480) * 1000;

const REPLICAS = 3;
const PROJECTS = 6;
const USERS = 30;
/** Webhooks a second, spread over the open threads; a thread's next event waits for GitLab to have delivered the last. */
const RATE = 6;
const OPEN_THREADS = 16;
const REVIEW_EVERY_MS = 1500;
const POLL_SECONDS = 10;
const KILL_EVERY_MS = 20_000;
const FIRST_KILL_MS = 10_000;
const PG_DOWN_MS = 10_000;
const SECRET = 'chaos-webhook-secret';
const OAUTH = { clientId: 'chaos-app', clientSecret: 'chaos-app-secret' };
/** From the start of the load, in ms. Kills run through all of them. */
const PHASES = [
  { name: 'replicas killed', from: 0, to: 20_000 },
  { name: 'GitLab down', from: 20_000, to: 80_000, fault: 'gitlab' },
  { name: 'Mattermost refusing connections', from: 80_000, to: 140_000, fault: 'mattermost-refused' },
  { name: 'Mattermost answering 503', from: 140_000, to: 155_000, fault: 'mattermost-503' },
  { name: 'PostgreSQL crashed', from: 155_000, to: 175_000, fault: 'postgres', crashAt: 158_000 },
];
const LOAD_MS = PHASES.at(-1).to;
/** After the load: everything must have arrived by then. */
const DRAIN_DEADLINE_MS = 120_000;
/** A second post of one event would come right after the first. */
const SETTLE_MS = 3000;

/** mulberry32: the kills' victims follow CHAOS_SEED, printed, so a run can be repeated. */
function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = seeded(SEED);

/** A free port below the kernel's ephemeral range, so that nothing else is given it while a server there is down. */
async function fixedPort(taken) {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (taken.has(port)) continue;
    const free = await new Promise((resolve) => {
      const server = net.createServer().once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) {
      taken.add(port);
      return port;
    }
  }
}

async function withDatabase(url, work) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Resolves once `condition()` is true (polled every 250 ms), or rejects with `what` after `timeoutMs`. */
async function waitFor(what, condition, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return Date.now();
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(250);
  }
}

if (!existsSync(path.join(root, 'server/dist/cli/main.js'))) {
  console.error('server/dist is missing: run `npm run test:chaos`, which builds it first');
  process.exit(1);
}
const work = mkdtempSync(path.join(os.tmpdir(), 'chaos-'));
chmodSync(work, 0o755); // the PostgreSQL server runs as 'postgres' when this runs as root
const children = childProcesses(work);
let postgres;
process.once('exit', () => {
  children.killAll();
  // A server left running would outlive the folder; a crash is the quickest stop.
  if (postgres?.pid()) {
    try {
      process.kill(postgres.pid(), 'SIGQUIT');
    } catch {
      // already gone
    }
  }
  if (!process.env.CHAOS_KEEP_WORK) rmSync(work, { recursive: true, force: true });
  else console.log(`logs kept in ${work}`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130));
setTimeout(() => {
  console.error(`test:chaos: hard time-out (${HARD_TIMEOUT_MS / 1000} s) reached; stopping everything`);
  process.exit(1);
}, HARD_TIMEOUT_MS).unref();

const { saveAccount } = await import(pathToFileURL(path.join(root, 'server/dist/store/gitlab-accounts.js')).href);
const { toEncryptionKey } = await import(pathToFileURL(path.join(root, 'server/dist/crypto/secret-box.js')).href);

const runStarted = Date.now();
const machineBefore = machineBusySeconds();
log(`test:chaos: ${REPLICAS} replicas, ${RATE} webhooks/s in ${PROJECTS} channels, ${USERS} polled users (every ${POLL_SECONDS} s), seed ${SEED}`);
const taken = new Set();
postgres = await startPostgresServer({ work, port: await fixedPort(taken) });
await withDatabase(postgres.url, (db) => db.query('CREATE DATABASE chaos'));
const databaseUrl = postgres.url.replace(/\/postgres$/, '/chaos');
log(`${postgres.version} on ${new URL(postgres.url).port}`);

const { gitlab, mattermost } = await startFakes(root);
const gitlabSwitch = await startFaultSwitch({ port: await fixedPort(taken), target: gitlab.url });
const mattermostSwitch = await startFaultSwitch({ port: await fixedPort(taken), target: mattermost.url, retryAfterSeconds: 5 });
// When each GitLab request arrived and was answered: polls of one user must never overlap.
gitlab.requests.push = function stamp(...records) {
  for (const record of records) {
    record.at = Date.now();
    let status;
    Object.defineProperty(record, 'status', {
      enumerable: true,
      get: () => status,
      set(value) {
        status = value;
        record.answeredAt = Date.now();
      },
    });
  }
  return Array.prototype.push.apply(this, records);
};

const { user: bot, token: botToken } = mattermost.addUser('gitlab', { bot: true });
const author = { gitlabId: 500, username: 'chaos-author', token: gitlab.addUser({ id: 500, username: 'chaos-author', name: 'Chaos Author' }).token };
const webBase = 'http://gitlab.example';
const projects = Array.from({ length: PROJECTS }, (_, index) => {
  const made = gitlab.addProject(`chaos/project-${index}`, { visibility: 'private' });
  return { id: made.id, name: `project-${index}`, path: made.path_with_namespace, webBase, nextIid: 1 };
});
const reviewsProject = gitlab.addProject('chaos/reviews', { visibility: 'private' }).path_with_namespace;
gitlab.grant(author.token, reviewsProject, 30);
const users = Array.from({ length: USERS }, (_, index) => {
  const gitlabId = 1001 + index;
  const username = `chaos-user-${gitlabId}`;
  const name = `Chaos User ${gitlabId}`;
  const { token } = gitlab.addUser({ id: gitlabId, username, name });
  for (const project of projects) gitlab.grant(token, project.path, 30);
  gitlab.grant(token, reviewsProject, 30);
  return { index, gitlabId, username, name, token, mattermostId: mattermost.addUser(username).user.id };
});
const channels = projects.map((project, index) => mattermost.addChannel(`chaos-${index}`, { type: 'P', members: [bot.id, users[0].mattermostId] }));

const ports = [];
for (let index = 0; index < REPLICAS; index += 1) ports.push({ public: await fixedPort(taken), internal: await fixedPort(taken) });
const publicUrl = `http://127.0.0.1:${ports[0].public}`;
gitlab.registerApplication({ ...OAUTH, redirectUri: `${publicUrl}/oauth/complete` });
const encryptionKey = randomBytes(32);
const fleet = createReplicas({
  children,
  bin: BIN,
  work,
  ports,
  env: {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATABASE_URL: databaseUrl,
    ENCRYPTION_KEY: encryptionKey.toString('hex'),
    PUBLIC_URL: publicUrl,
    MATTERMOST_URL: mattermostSwitch.url,
    MATTERMOST_BOT_TOKEN: botToken,
    GITLAB_URL: gitlabSwitch.url,
    GITLAB_OAUTH_CLIENT_ID: OAUTH.clientId,
    GITLAB_OAUTH_CLIENT_SECRET: OAUTH.clientSecret,
    GITLAB_WEBHOOK_SECRET: SECRET,
    POLL_INTERVAL_SECONDS: String(POLL_SECONDS),
    POLL_ACTIVE_INTERVAL_SECONDS: String(POLL_SECONDS),
    GITLAB_MAX_REQUESTS_PER_MINUTE: '100000',
    LOG_LEVEL: 'info',
  },
});

let results;
let failure;
const watcher = watchReplicas(fleet.running);
try {
  // Together, as a deployment's replicas start: migrations are taken in turn under their lock.
  await Promise.all(fleet.replicas.map((replica) => fleet.start(replica)));
  log(`replicas up: ${fleet.replicas.map((replica) => `${replica.name} (pid ${replica.running.record.pid})`).join(', ')}`);
  const key = toEncryptionKey(encryptionKey);
  const expiresAt = new Date(Date.now() + 365 * 24 * 3600_000);
  await withDatabase(databaseUrl, async (db) => {
    for (const user of users) {
      await saveAccount(
        db,
        { mattermostUserId: user.mattermostId, instance: 'default', gitlabUserId: user.gitlabId, gitlabUsername: user.username },
        { accessToken: user.token, refreshToken: `chaos-refresh-${user.gitlabId}`, expiresAt, scopes: 'api read_user' },
        key,
      );
    }
    for (const [index, channel] of channels.entries()) {
      await db.query(
        `INSERT INTO subscriptions (channel_id, target_kind, target_path, target_id, filters, private_access, creator_id) VALUES ($1, 'project', $2, $3, '{"events":["issue","merge_request","note"]}', true, $4)`,
        [channel.id, projects[index].path, projects[index].id, users[0].mattermostId],
      );
    }
  });
  // Warm: every user polled once (the first poll only records what is there), and one replica listening to Mattermost.
  const polledUsers = () =>
    withDatabase(databaseUrl, async (db) => (await db.query(`SELECT count(*)::int AS n FROM poll_jobs WHERE kind = 'user' AND last_success_at IS NOT NULL`)).rows[0].n);
  await waitFor('every user polled once', async () => (await polledUsers()) === USERS, 90_000);
  await waitFor('a replica listening to Mattermost', () => watcher.samples.some((sample) => sample.readiness?.mattermostStream?.state === 'connected'), 60_000);
  log(`warm: ${USERS} users polled once, a replica listens to Mattermost; load and faults for ${LOAD_MS / 1000} s`);

  // The load and the faults.
  const t0 = Date.now();
  const phaseAt = (at) => PHASES.findLast((phase) => at - t0 >= phase.from)?.name ?? PHASES[0].name;
  const sender = createWebhookSender({ targets: fleet.webhookTargets, secret: SECRET, phase: () => phaseAt(Date.now()) });
  const templates = loadTemplates(root);
  const threads = [];
  const events = [];
  const reviews = [];
  const kills = [];
  const faults = [];
  const sendErrors = [];

  const openThread = () => {
    const n = threads.length;
    const shape = threadShape(n);
    const project = projects[n % PROJECTS];
    const thread = { n, ...shape, project, channelId: channels[n % PROJECTS].id, iid: project.nextIid++, recipient: users[n % USERS], next: 0, busy: false };
    threads.push(thread);
    return thread;
  };
  const sendNext = (thread) => {
    const step = thread.next++;
    const event = { n: thread.n, step, action: thread.steps[step], sentAt: Date.now(), phase: phaseAt(Date.now()) };
    events.push(event);
    thread.busy = true;
    void sender
      .send(buildWebhook(templates, thread, step), thread.project.path)
      .then(
        (ack) => (event.ackedAt = ack.ackedAt),
        (error) => sendErrors.push(error.message),
      )
      .finally(() => (thread.busy = false));
  };

  const load = (async () => {
    const open = [];
    for (let k = 0; ; k += 1) {
      const due = t0 + (k * 1000) / RATE;
      if (due >= t0 + LOAD_MS) break;
      if (due > Date.now()) await sleep(due - Date.now());
      for (let i = open.length - 1; i >= 0; i -= 1) if (!open[i].busy && open[i].next >= open[i].steps.length) open.splice(i, 1);
      while (open.length < OPEN_THREADS) open.push(openThread());
      // The thread whose turn it is; one still waiting for its last delivery lets this slot pass.
      const ready = open.filter((thread) => !thread.busy);
      if (ready.length > 0) sendNext(ready[Math.floor(random() * ready.length)]);
    }
  })();

  const reviewLoad = (async () => {
    for (let k = 0; ; k += 1) {
      const due = t0 + k * REVIEW_EVERY_MS;
      if (due >= t0 + LOAD_MS) break;
      if (due > Date.now()) await sleep(due - Date.now());
      const reviewer = users[k % USERS];
      const mergeRequest = gitlab.addMergeRequest(reviewsProject, { title: `Chaos review ${k}`, authorId: author.gitlabId });
      gitlab.requestReview(reviewsProject, mergeRequest.iid, reviewer.gitlabId, author.gitlabId);
      reviews.push({ k, user: reviewer.index, at: Date.now(), phase: phaseAt(Date.now()) });
    }
  })();

  const killLoop = (async () => {
    for (let at = FIRST_KILL_MS; at < LOAD_MS; at += KILL_EVERY_MS) {
      const due = t0 + at;
      if (due > Date.now()) await sleep(due - Date.now());
      const candidates = fleet.running();
      if (candidates.length < REPLICAS) {
        kills.push({ at: Date.now(), skipped: 'a replica was still restarting' });
        continue;
      }
      const victim = candidates[Math.floor(random() * candidates.length)];
      const record = await fleet.kill(victim);
      const kill = { at: record.killedAt, replica: victim.index, pid: record.pid, phase: phaseAt(record.killedAt) };
      kills.push(kill);
      log(`SIGKILL ${victim.name} (pid ${record.pid}); restarting it`);
      await fleet
        .start(victim)
        .then((started) => (kill.readyAt = started.readyAt))
        .catch((error) => (kill.error = error.message));
    }
  })();

  const faultLoop = (async () => {
    for (const phase of PHASES.filter((candidate) => candidate.fault)) {
      const startAt = t0 + (phase.crashAt ?? phase.from);
      if (startAt > Date.now()) await sleep(startAt - Date.now());
      const fault = { fault: phase.fault, phase: phase.name, from: Date.now() };
      faults.push(fault);
      if (phase.fault === 'gitlab') await gitlabSwitch.set('refused');
      if (phase.fault === 'mattermost-refused') await mattermostSwitch.set('refused');
      if (phase.fault === 'mattermost-503') await mattermostSwitch.set('unavailable');
      if (phase.fault === 'postgres') {
        await postgres.crash();
        log('PostgreSQL crashed (SIGQUIT: immediate shutdown, every session cut)');
        await sleep(PG_DOWN_MS);
        await postgres.start();
        fault.to = Date.now();
        log(`PostgreSQL back after ${((fault.to - fault.from) / 1000).toFixed(1)} s`);
        continue;
      }
      log(`${phase.name}`);
      const endAt = t0 + phase.to;
      if (endAt > Date.now()) await sleep(endAt - Date.now());
      if (phase.fault === 'gitlab') await gitlabSwitch.set('up');
      // Mattermost stays down between its two phases: the 503s follow the refusals at once.
      if (phase.fault === 'mattermost-503') await mattermostSwitch.set('up');
      fault.to = Date.now();
      if (phase.fault !== 'mattermost-refused') log(`${phase.fault === 'gitlab' ? 'GitLab' : 'Mattermost'} back`);
    }
  })();

  await Promise.all([load, reviewLoad, killLoop, faultLoop]);
  const loadEnded = Date.now();
  log(`load over: ${events.length} webhooks in ${threads.length} threads, ${reviews.length} review requests; waiting for every post and DM`);

  // Everything must arrive.
  const channelIds = new Set(channels.map((channel) => channel.id));
  const botChannelPosts = () => mattermost.posts.filter((post) => post.user_id === bot.id && channelIds.has(post.channel_id) && post.delete_at === 0);
  const allAcked = () => events.every((event) => event.ackedAt !== undefined) || sendErrors.length > 0;
  await waitFor('every webhook acknowledged', allAcked, DRAIN_DEADLINE_MS).catch((error) => log(error.message));
  const drainDeadline = Date.now() + DRAIN_DEADLINE_MS;
  const postsFor = () => {
    const seen = new Set();
    for (const post of botChannelPosts()) {
      const match = ACTOR_IN_POST.exec(post.message);
      if (match) seen.add(`${match[1]}.${match[2]}`);
    }
    return seen;
  };
  const expectedDms = () => [...directExpectations(threads, events, reviews)];
  const dmsArrived = () => {
    const found = collectDirectMessages(mattermost, bot, users);
    return expectedDms().every((expected) => (found.get(expected.key)?.length ?? 0) > 0);
  };
  await waitFor('every channel post and DM', () => postsFor().size === events.length && dmsArrived(), Math.max(1000, drainDeadline - Date.now())).catch((error) => {
    log(error.message);
  });
  const drainedAt = Date.now();
  await sleep(SETTLE_MS);

  // Polling after the faults: every user again, with nothing left behind by a killed replica.
  const faultsOver = Math.max(...faults.map((fault) => fault.to ?? Date.now()), ...kills.map((kill) => kill.readyAt ?? kill.at ?? 0));
  const polledSince = (since) =>
    new Set(
      gitlab.requests
        .filter((request) => request.path === '/api/graphql' && request.status === 200 && request.at >= since)
        .map((request) => request.token),
    );
  const everyonePolledAt = await waitFor('every user polled after the faults', () => users.every((user) => polledSince(faultsOver).has(user.token)), 60_000).catch((error) => {
    log(error.message);
    return null;
  });
  // The replicas settle: every /readyz ready with no warning, the outbox gauges at 0.
  const settledAt = await waitFor(
    'every replica ready, without warnings, queues empty',
    () => {
      const latest = fleet.replicas.map((replica) => watcher.samples.findLast((sample) => sample.replica === replica.index && sample.at > Date.now() - 3000));
      return latest.every((sample) => sample && sample.readyStatus === 200 && sample.readiness?.warnings.length === 0 && sample.channelPending === 0 && sample.directPending === 0);
    },
    60_000,
  ).catch((error) => {
    log(error.message);
    return null;
  });
  await watcher.stop();

  const dbState = await withDatabase(databaseUrl, async (db) => ({
    channel: (await db.query(`SELECT state, count(*)::int AS n FROM channel_outbox GROUP BY state`)).rows,
    direct: (await db.query(`SELECT state, count(*)::int AS n FROM direct_outbox GROUP BY state`)).rows,
    unprocessed: (await db.query(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE processed_at IS NULL`)).rows[0].n,
    setAside: (await db.query(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE last_error IS NOT NULL`)).rows[0].n,
  }));

  results = {
    seed: SEED,
    t0,
    loadEnded,
    drainedAt,
    everyonePolledAt,
    settledAt,
    faultsOver,
    phases: PHASES.map((phase) => ({ ...phase, from: t0 + phase.from, to: t0 + phase.to })),
    threads: threads.map(({ n, kind, steps, channelId, recipient }) => ({ n, kind, steps, channelId, recipient: recipient.index })),
    events,
    reviews,
    kills,
    faults,
    sendErrors,
    senderCounts: Object.fromEntries(sender.counts),
    mostFailuresInARow: sender.mostFailuresInARow(),
    channelPosts: botChannelPosts().map(({ id, channel_id, root_id, message, create_at, props }) => ({ id, channel_id, root_id, message, create_at, outboxId: props.gitlab_bridge_outbox_id })),
    directMessages: collectDirectMessages(mattermost, bot, users),
    expectedDms: expectedDms(),
    pollRequests: gitlab.requests.filter((request) => request.path === '/api/graphql').map(({ token, at, answeredAt, status }) => ({ user: users.findIndex((user) => user.token === token), at, answeredAt, status })),
    samples: watcher.samples,
    switches: { gitlab: gitlabSwitch.counts, mattermost: mattermostSwitch.counts },
    dbState,
    violations: mattermost.violations,
  };
} catch (error) {
  failure = error;
} finally {
  await watcher.stop();
  for (const replica of fleet.replicas) await fleet.stop(replica);
  await gitlabSwitch.close();
  await mattermostSwitch.close();
  await gitlab.close();
  await mattermost.close();
  await postgres.stop();
}

if (failure) {
  console.error(`test:chaos failed before its checks: ${failure.stack ?? failure}`);
  for (const replica of fleet.replicas) console.error(`${replica.name} errors: ${JSON.stringify(logErrors(readLog(replica.name)))}`);
  process.exit(1);
}

results.history = fleet.history;
results.logProblems = Object.fromEntries(fleet.replicas.map((replica) => [replica.name, logErrors(readLog(replica.name))]));
results.wallSeconds = (Date.now() - runStarted) / 1000;
const ownCpu = process.cpuUsage();
results.cpu = {
  machine: (machineBusySeconds() - machineBefore) / results.wallSeconds,
  suite: (ownCpu.user + ownCpu.system) / 1e6 / results.wallSeconds,
  replicas: fleet.history.reduce((sum, record) => sum + record.cpuSeconds, 0) / results.wallSeconds,
};
results.machine = `${cpus().length} × ${cpus()[0]?.model.trim()}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`;
results.postgres = postgres.version;
if (process.env.CHAOS_KEEP_WORK) writeFileSync(path.join(work, 'results.json'), JSON.stringify({ ...results, directMessages: Object.fromEntries(results.directMessages) }));
const verdict = judge(results);
console.log(`\n${renderTable(verdict)}\n\n${renderTruthTable(verdict)}\n`);
for (const [name, problems] of Object.entries(results.logProblems)) if (Object.keys(problems.errors).length) console.log(`${name} logged errors: ${JSON.stringify(problems.errors)}`);
console.log(`CPU over the run: machine ${results.cpu.machine.toFixed(2)} cores busy, replicas ${results.cpu.replicas.toFixed(2)}, this process (fakes, sender) ${results.cpu.suite.toFixed(2)}`);
for (const check of verdict.checks) console.log(`${check.ok ? 'met' : 'FAILED'}: ${check.what}: ${check.value}`);
writeSection(root, 'chaos', renderSection(verdict, results));
console.log(`\ntest:chaos: ${verdict.checks.every((check) => check.ok) ? 'passed' : 'FAILED'} in ${results.wallSeconds.toFixed(0)} s (seed ${SEED}); docs/benchmarks.md updated`);
if (!verdict.checks.every((check) => check.ok)) process.exitCode = 1;

function readLog(name) {
  const file = path.join(work, `${name}.log`);
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

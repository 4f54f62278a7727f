// npm run bench:replies: how long a reply in a bridge thread takes to become a GitLab comment, at a steady rate.
// The fake GitLab and the fake Mattermost run in this process; the bridge (`gitlab-bridge setup`, then
// `gitlab-bridge start`, embedded PostgreSQL) is a child. People connect GitLab as people do (`/gitlab connect`,
// the link, GitLab's consent), a private channel subscribes with `/gitlab subscriptions add`, an MR opened by
// webhook makes the thread, and replies are posted in it through Mattermost's REST API, evenly spaced, round-robin
// over the people. Each reply's latency runs from its due time to the moment the fake GitLab stored its comment.
// The whole run is repeated BENCH_RUNS times; writes its section of docs/benchmarks.md and exits non-zero when a
// reply was lost, commented twice, or echoed back into its thread.
// Each child process is started by this script and stopped by its pid; nothing is left behind.
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os, { cpus } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { benchWorkspace, connectToEmbedded, cpuBetween, cpuNow, freePort, log, problemsIn, sampleMemory, waitUntilHealthy } from './child-processes.mjs';
import { writeSection } from './benchmarks-file.mjs';
import { judge, renderSection, spreadOf, summariseRun } from './replies-results.mjs';
import { startFakes } from './start-fakes.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const BIN = path.join(root, 'server/bin/gitlab-bridge.js');
const RATE = Number(process.env.BENCH_RATE ?? 10);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const USERS = Number(process.env.BENCH_USERS ?? 20);
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'info';
/** off: no project hook, so GitLab sends no Note Hooks back (no DMs to participants): the reply path alone. */
const NOTE_HOOKS = (process.env.BENCH_NOTE_HOOKS ?? 'on') !== 'off';
/** How long after the last reply a missing comment counts as lost. */
const DRAIN_SECONDS = 60;
const MEMORY_SAMPLE_MS = 1000;
const PROJECT = { id: 4242, path: 'bench/replies' };
const MR = { iid: 1, title: 'Bench replies' };
const SECRET = 'bench-replies-secret';
const OAUTH = { clientId: 'bench-replies-app', clientSecret: 'bench-replies-app-secret' };

for (const [name, value] of Object.entries({ BENCH_RATE: RATE, BENCH_SECONDS: SECONDS, BENCH_RUNS: RUNS, BENCH_USERS: USERS })) {
  if (!(value > 0)) throw new Error(`${name} must be a positive number`);
}
if (!(WARMUP_SECONDS >= 0)) throw new Error('BENCH_WARMUP_SECONDS must be 0 or more');
if (!Number.isInteger(RUNS) || !Number.isInteger(USERS) || USERS < 2) throw new Error('BENCH_RUNS and BENCH_USERS must be whole numbers (BENCH_USERS at least 2: replies mention one another)');
const { work, children } = benchWorkspace(root, 'replies');
const MR_OPENED = readFileSync(path.join(root, 'test/fixtures/gitlab/webhooks/merge_request.open.json'), 'utf8');

async function waitUntil(done, what, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** A browser's part: follows redirects by hand; `cookie` goes only to the first URL's origin (Mattermost's session). */
async function browse(url, cookie) {
  const site = new URL(url).origin;
  for (let hop = 0; hop < 10; hop += 1) {
    const response = await fetch(url, { redirect: 'manual', headers: new URL(url).origin === site ? { Cookie: cookie } : {} });
    if (response.status !== 302) return { status: response.status, body: await response.text() };
    url = new URL(response.headers.get('location'), url).toString();
  }
  throw new Error('too many redirects');
}

function countBy(items, keyOf) {
  const counts = {};
  for (const item of items) counts[keyOf(item)] = (counts[keyOf(item)] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([, a], [, b]) => b - a));
}

/** The five slowest measured replies: when in the run they were due (s), and their parts (ms), to see where a tail comes from. */
function slowest(sent, eventAt, notes, startedWall) {
  return sent
    .filter((reply) => reply.measured && notes.has(reply.postId))
    .map((reply) => ({ reply, total: notes.get(reply.postId)[0] - reply.dueAt }))
    .sort((a, b) => b.total - a.total)
    .slice(0, 5)
    .map(({ reply, total }) => ({
      n: reply.n,
      dueSecond: Number(((reply.dueAt - startedWall) / 1000).toFixed(1)),
      total,
      api: reply.createAt - reply.dueAt,
      event: (eventAt.get(reply.postId) ?? NaN) - reply.createAt,
      bridge: notes.get(reply.postId)[0] - (eventAt.get(reply.postId) ?? NaN),
    }));
}

/** Mattermost and GitLab as a team has them before the bridge: people, a team, a project they work on. */
function populate(gitlab, mattermost) {
  mattermost.config.ServiceSettings.AllowedUntrustedInternalConnections = '127.0.0.1';
  const adminToken = mattermost.addUser('root', { roles: 'system_user system_admin' }).token;
  gitlab.addProject(PROJECT.path, { visibility: 'public', id: PROJECT.id });
  const people = Array.from({ length: USERS }, (_, index) => {
    const { user, token: session } = mattermost.addUser(`bench-${index}`);
    return { index, userId: user.id, username: user.username, session, gitlab: { id: 1000 + index, username: `bench-${index}.gl`, name: `Bench Person ${index}` } };
  });
  const team = mattermost.addTeam('bench', { members: people.map((person) => person.userId) });
  return { adminToken, people, team };
}

/** `/gitlab <text>` from a person in a channel, as Mattermost relays it; the ephemeral answer's text. */
async function command(bridge, person, text, channelId) {
  const { mattermost, team, internalUrl } = bridge;
  const registered = [...mattermost.commands.values()].find((candidate) => candidate.team_id === team.id && candidate.trigger === 'gitlab' && candidate.delete_at === 0);
  const response = await fetch(`${internalUrl}/mattermost/command`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Token ${registered.token}` },
    body: new URLSearchParams({ team_id: team.id, channel_id: channelId, user_id: person.userId, user_name: person.username, command: '/gitlab', text, response_url: mattermost.responseUrl() }),
  });
  if (response.status !== 200) throw new Error(`/gitlab ${text}: /mattermost/command answered ${response.status}`);
  return (await response.json()).text;
}

/** Connects a person as they would: `/gitlab connect`, the link in their browser (signed in to Mattermost), GitLab's consent. */
async function connectGitLab(bridge, person, channelId) {
  const { gitlab } = bridge;
  const { token } = gitlab.addUser(person.gitlab);
  gitlab.grant(token, PROJECT.path, person.index === 0 ? 40 : 30);
  gitlab.signIn(person.gitlab.id);
  try {
    const answer = await command(bridge, person, 'connect', channelId);
    const link = /\((http[^)]+\/oauth\/connect\?link=[^)]+)\)/.exec(answer)?.[1];
    if (!link) throw new Error(`connect gave no link: ${answer}`);
    const page = await browse(link, `MMAUTHTOKEN=${person.session}`);
    if (page.status !== 200) throw new Error(`connecting ${person.username} ended with ${page.status}: ${page.body.slice(0, 500)}`);
  } finally {
    gitlab.signOut();
  }
}

/** The MR opened in GitLab, as its Merge Request Hook reaches the bridge. */
async function openMergeRequest(bridge) {
  bridge.gitlab.addMergeRequest(PROJECT.path, { iid: MR.iid, title: MR.title, authorId: 1000 });
  const payload = JSON.parse(MR_OPENED);
  Object.assign(payload.project, { id: PROJECT.id, path_with_namespace: PROJECT.path, web_url: `${bridge.gitlab.url}/${PROJECT.path}`, visibility_level: 20 });
  Object.assign(payload.object_attributes, { iid: MR.iid, id: 20_000 + MR.iid, title: MR.title, target_project_id: PROJECT.id, url: `${bridge.gitlab.url}/${PROJECT.path}/-/merge_requests/${MR.iid}` });
  const response = await fetch(`${bridge.publicUrl}/webhook`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Gitlab-Token': SECRET, 'X-Gitlab-Event': 'Merge Request Hook', 'Idempotency-Key': randomUUID() },
    body: JSON.stringify(payload),
  });
  if (response.status !== 202) throw new Error(`the MR webhook was answered ${response.status}`);
}

/** Nothing left to do in the bridge: webhooks processed, posts and DMs sent, replies settled. */
async function busyRows(db) {
  const { rows } = await db.query(
    `SELECT (SELECT count(*) FROM webhook_deliveries WHERE processed_at IS NULL) + (SELECT count(*) FROM channel_outbox WHERE state = 'pending')
          + (SELECT count(*) FROM direct_outbox WHERE state = 'pending')
          + (SELECT count(*) FROM chat_replies WHERE state = 'pending' OR change IS NOT NULL) AS busy`,
  );
  return Number(rows[0].busy);
}

async function oneRun(run) {
  const { gitlab, mattermost } = await startFakes(root);
  const { adminToken, people, team } = populate(gitlab, mattermost);
  const [publicPort, internalPort] = [await freePort(), await freePort()];
  const publicUrl = `http://127.0.0.1:${publicPort}`;
  const internalUrl = `http://127.0.0.1:${internalPort}`;
  gitlab.registerApplication({ ...OAUTH, redirectUri: `${publicUrl}/oauth/complete` });
  const dataDir = path.join(work, `data-${run}`);
  const base = { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, MATTERMOST_URL: mattermost.url, INTERNAL_URL: internalUrl };
  let bridgeProcess;
  let db;
  let result;
  try {
    // What a team runs first: the bot and the /gitlab command, registered to call INTERNAL_URL.
    const setup = children.start(`setup-${run}`, [BIN, 'setup'], { ...base, MATTERMOST_ADMIN_TOKEN: adminToken });
    const setupExit = await setup.exited;
    const botToken = /^MATTERMOST_BOT_TOKEN=(\S+)$/m.exec(setup.log())?.[1];
    if (setupExit !== 0 || !botToken) throw new Error(`setup ended with ${setupExit} and no bot token:\n${setup.log().slice(-2000)}`);
    bridgeProcess = children.start(`bridge-${run}`, [BIN, 'start'], {
      ...base,
      PORT: String(publicPort),
      INTERNAL_PORT: String(internalPort),
      PUBLIC_URL: publicUrl,
      MATTERMOST_BOT_TOKEN: botToken,
      GITLAB_URL: gitlab.url,
      GITLAB_OAUTH_CLIENT_ID: OAUTH.clientId,
      GITLAB_OAUTH_CLIENT_SECRET: OAUTH.clientSecret,
      GITLAB_WEBHOOK_SECRET: SECRET,
      ENCRYPTION_KEY: randomBytes(32).toString('hex'),
      LOG_LEVEL,
    });
    await waitUntilHealthy(bridgeProcess, internalPort);
    const bridgePid = bridgeProcess.child.pid;
    db = await connectToEmbedded(pg, dataDir);
    const bridge = { gitlab, mattermost, team, internalUrl, publicUrl };

    const bot = [...mattermost.users.values()].find((user) => user.is_bot);
    // Mattermost adds a bot to the team of a channel it is added to.
    team.members.add(bot.id);
    const channel = mattermost.addChannel('bench-replies', { type: 'P', members: [...people.map((person) => person.userId), bot.id], teamId: team.id });
    for (const person of people) await connectGitLab(bridge, person, channel.id);
    const subscribed = await command(bridge, people[0], `subscriptions add ${PROJECT.path} --events mr,notes`, channel.id);
    if (!/replies → GitLab/.test(subscribed)) throw new Error(`the subscription does not send replies to GitLab: ${subscribed}`);
    if (NOTE_HOOKS) {
      const hooked = await command(bridge, people[0], `webhook add ${PROJECT.path}`, channel.id);
      if (gitlab.hooksOf(PROJECT.path).length === 0) throw new Error(`webhook add made no project hook: ${hooked}`);
    }
    await mattermost.waitForSocket({ userId: bot.id, timeoutMs: 30_000 });
    await openMergeRequest(bridge);
    let rootPost;
    await waitUntil(() => {
      rootPost = mattermost.posts.find((post) => post.channel_id === channel.id && post.root_id === '' && post.message.includes(MR.title));
      return rootPost?.message.includes('go to GitLab') === true;
    }, 'the MR thread root with the "go to GitLab" line');
    log(`run ${run}: bridge up (pid ${bridgePid}), ${people.length} people connected, thread root ${rootPost.id}`);

    // When GitLab stored each comment (by the post its footer names), and when the `posted` event went to the bot.
    const notes = new Map();
    const stopNotes = gitlab.onNote((note) => {
      const at = Date.now();
      const postId = /\/pl\/([A-Za-z0-9]+)\)/.exec(note.body)?.[1];
      if (postId) (notes.get(postId) ?? notes.set(postId, []).get(postId)).push(at);
    });
    const eventAt = new Map();
    const onSent = ({ userId, message }) => {
      if (userId !== bot.id || message.event !== 'posted') return;
      const id = JSON.parse(message.data.post).id;
      if (!eventAt.has(id)) eventAt.set(id, Date.now());
    };
    mattermost.socketEvents.on('sent', onSent);

    // One steady stream: the warm-up's replies, then the measured ones, evenly spaced (an open loop).
    const warm = Math.round(WARMUP_SECONDS * RATE);
    const total = warm + Math.round(SECONDS * RATE);
    const sent = [];
    const answers = [];
    const memory = [];
    let sampler;
    let cpuBefore;
    let requestsBefore;
    let windowStarted;
    const started = performance.now();
    const startedWall = Date.now();
    for (let i = 0; i < total; i += 1) {
      const due = started + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      if (i === warm) {
        requestsBefore = { gitlab: gitlab.requests.length, mattermost: mattermost.requests.length };
        cpuBefore = cpuNow(bridgePid);
        windowStarted = performance.now();
        sampleMemory(bridgePid, memory);
        sampler = setInterval(() => sampleMemory(bridgePid, memory), MEMORY_SAMPLE_MS);
      }
      const person = people[i % people.length];
      const mention = i % 4 === 0 ? ` Thanks @${people[(i + 1) % people.length].username}.` : '';
      const reply = { n: i, measured: i >= warm, dueAt: startedWall + (due - started), postId: null, createAt: null };
      sent.push(reply);
      answers.push(
        mattermost.postAs(person.session, { channelId: channel.id, rootId: rootPost.id, message: `Bench reply ${run}.${i}: checked it, looks right to me.${mention}` }).then(
          (answer) => {
            if (answer.status === 201 && answer.post) Object.assign(reply, { postId: answer.post.id, createAt: answer.post.create_at });
          },
          () => undefined,
        ),
      );
    }
    await Promise.all(answers);
    const cpu = cpuBetween(cpuBefore, cpuNow(bridgePid), (performance.now() - windowStarted) / 1000);
    const requests = {
      gitlab: countBy(gitlab.requests.slice(requestsBefore.gitlab), (request) => `${request.method} ${request.path.replace(/\/\d+(?=\/|$)/g, '/:id')}`),
      mattermost: countBy(mattermost.requests.slice(requestsBefore.mattermost), (request) => `${request.userId === bot.id ? 'bot' : 'people'} ${request.operationId ?? `${request.method} ${request.path}`}`),
    };
    clearInterval(sampler);
    sampleMemory(bridgePid, memory);
    log(`run ${run}: ${total} replies sent in ${((performance.now() - started) / 1000).toFixed(1)} s; waiting for the last comments`);

    const lastSent = performance.now();
    const posted = sent.filter((reply) => reply.postId);
    const drainDeadline = Date.now() + DRAIN_SECONDS * 1000;
    while (posted.some((reply) => !notes.has(reply.postId)) && Date.now() < drainDeadline) await sleep(100);
    // The bridge settled (Note Hooks back from GitLab processed), and a second comment for the same reply would have come.
    await waitUntil(async () => (await busyRows(db)) === 0, 'the bridge to settle', 120_000).catch((error) => log(`run ${run}: ${error.message}`));
    const settleSeconds = (performance.now() - lastSent) / 1000;
    await sleep(1000);
    stopNotes();
    mattermost.socketEvents.off('sent', onSent);

    const { rows: states } = await db.query('SELECT state, count(*)::int AS n FROM chat_replies GROUP BY state ORDER BY state');
    const noteHooks = gitlab.hooksSent().filter((delivery) => delivery.event === 'Note Hook');
    const myPeople = new Set(people.map((person) => person.userId));
    result = {
      ...summariseRun(sent, eventAt, notes),
      // A comment of the bridge's own, posted back by the bot under the root it came from.
      settleSeconds,
      // What GitLab's Note Hook for each comment becomes besides: DMs to the MR's participants (those who commented).
      dms: mattermost.posts.filter((post) => post.user_id === bot.id && mattermost.channels.get(post.channel_id)?.type === 'D' && post.message.includes('Bench reply')).length,
      echoes: mattermost.posts.filter((post) => post.root_id === rootPost.id && !myPeople.has(post.user_id) && post.delete_at === 0).length,
      refusalDms: people.reduce((sum, person) => sum + mattermost.directMessagesTo(person.userId).filter((post) => /not posted to GitLab/.test(post.message)).length, 0),
      replyStates: Object.fromEntries(states.map((row) => [row.state, row.n])),
      noteHooks: { sent: noteHooks.length, accepted: noteHooks.filter((delivery) => delivery.status === 202).length },
      cpu,
      memory: {
        bridgeMax: Math.max(...memory.map((sample) => sample.bridge)),
        bridgeEnd: memory.at(-1).bridge,
        postgresMax: Math.max(...memory.map((sample) => sample.postgres)),
      },
      violations: mattermost.violations.length,
      requests,
      slowest: slowest(sent, eventAt, notes, startedWall),
    };
  } finally {
    await db?.end().catch(() => undefined);
    if (bridgeProcess) {
      const exit = await children.stop(bridgeProcess);
      if (result) Object.assign(result, { bridgeExit: exit, logProblems: problemsIn(bridgeProcess.log()) });
    }
    await gitlab.close();
    await mattermost.close();
  }
  return result;
}

log(`bench:replies: ${RATE}/s for ${SECONDS} s after ${WARMUP_SECONDS} s warm-up, ${USERS} people, ${RUNS} runs, bridge LOG_LEVEL=${LOG_LEVEL}, Note Hooks ${NOTE_HOOKS ? 'on' : 'off'}`);
const runs = [];
for (let run = 1; run <= RUNS; run += 1) {
  const result = await oneRun(run);
  runs.push(result);
  console.log(JSON.stringify({ run, ...result }));
}

const checks = judge(runs);
const violations = runs.reduce((sum, run) => sum + run.violations, 0);
checks.push({ what: 'no request the Mattermost spec does not allow', ok: violations === 0, value: String(violations) });
const p50 = spreadOf(runs.map((run) => run.p50));
const p99 = spreadOf(runs.map((run) => run.p99));
console.log(`p50 median ${p50.median} ms (${p50.min}–${p50.max}), p99 median ${p99.median} ms (${p99.min}–${p99.max})`);
for (const check of checks) console.log(`${check.ok ? 'met' : 'MISSED'}: ${check.what}: ${check.value}`);

const section = renderSection({
  settings: { noteHooks: NOTE_HOOKS, rate: RATE, seconds: SECONDS, warmupSeconds: WARMUP_SECONDS, runs: RUNS, users: USERS, logLevel: LOG_LEVEL, project: PROJECT.path, drainSeconds: DRAIN_SECONDS },
  date: new Date().toISOString().slice(0, 10),
  machine: `${cpus().length} × ${cpus()[0]?.model.trim()}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`,
  runs,
  checks,
});
writeSection(root, 'replies', section);
console.log(`\n${section}`);
if (!checks.every((check) => check.ok)) process.exitCode = 1;

// npm run bench:soak: does the bridge stay bounded? For BENCH_MINUTES (default 10) it takes webhooks at a
// steady BENCH_RATE (default 50/s) into several channels, with BENCH_USERS connected users being polled and
// getting DMs, and retention shortened to seconds so that pruning runs many times within the soak. Every
// 30 s it samples the database (pg_database_size and the rows of each table that grows with traffic) and
// the bridge's memory. At the end it checks that every webhook was posted exactly once, and that database
// size and memory levelled off. Writes its section of docs/benchmarks.md and exits non-zero when a check
// fails. The fakes and the bridge listen on loopback only; every child is stopped by its pid at the end.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os, { cpus } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { benchWorkspace, connectToEmbedded, log, memoryKb, processTree, startBenchBridge } from './child-processes.mjs';
import { writeSection } from './benchmarks-file.mjs';
import { startFakes } from './start-fakes.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const BIN = path.join(root, 'server/bin/gitlab-bridge.js');
const MINUTES = Number(process.env.BENCH_MINUTES ?? 10);
const RATE = Number(process.env.BENCH_RATE ?? 50);
const USERS = Number(process.env.BENCH_USERS ?? 50);
const SAMPLE_SECONDS = Number(process.env.BENCH_SAMPLE_SECONDS ?? 30);
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'info';
const PROJECTS = 5;
const POLL_INTERVAL_SECONDS = 30;
/** Shortened so that every kind of row is pruned many times within the soak. */
const RETENTION = { WEBHOOK_DEDUPE_WINDOW: '60s', DELIVERY_RETENTION: '120s', IDLE_THREAD_RETENTION: '300s', PRUNE_INTERVAL: '30s' };
/** An issue is commented on this long after it was opened, and closed this long after. */
const NOTE_AFTER_SECONDS = 20;
const CLOSE_AFTER_SECONDS = 60;
const SECRET = 'bench-soak-secret';
const OAUTH = { clientId: 'bench-soak-app', clientSecret: 'bench-soak-app-secret' };
/** Rows that grow with traffic and must not grow forever (live_events: see LIVE_EVENTS_KEPT). */
const TABLES = [
  'webhook_deliveries',
  'channel_outbox',
  'direct_outbox',
  'tracked_objects',
  'channel_threads',
  'direct_threads',
  'thread_participants',
  'gitlab_access_cache',
  'live_events',
  'work_snapshots',
];
/** Live-update hints are kept 10 minutes, not shortened here: they level off only after that. */
const LIVE_EVENTS_KEPT = 'live_events';
/** Levelled off: the last sample is at most this much above the highest sample of the first half. */
const LEVEL_TOLERANCE = 0.15;

for (const [name, value] of Object.entries({ BENCH_MINUTES: MINUTES, BENCH_RATE: RATE, BENCH_USERS: USERS, BENCH_SAMPLE_SECONDS: SAMPLE_SECONDS })) {
  if (!(value > 0)) throw new Error(`${name} must be a positive number`);
}
if (USERS < 2) throw new Error('BENCH_USERS must be at least 2: issues are assigned to one user and commented on by another');
const { work, children } = benchWorkspace(root, 'soak');
const { saveAccount } = await import(pathToFileURL(path.join(root, 'server/dist/store/gitlab-accounts.js')).href);
const { toEncryptionKey } = await import(pathToFileURL(path.join(root, 'server/dist/crypto/secret-box.js')).href);

const fixture = (name) => JSON.parse(readFileSync(path.join(root, 'test/fixtures/gitlab/webhooks', name), 'utf8'));
const FIXTURES = { open: fixture('issue.open.json'), close: fixture('issue.close.json'), note: fixture('note.issue.json') };

/** What the bridge needs of a GitLab project in a payload: an internal project the fake GitLab knows. */
function projectFields(project) {
  return {
    id: project.id,
    name: project.path,
    web_url: `http://gitlab.example/${project.pathWithNamespace}`,
    path_with_namespace: project.pathWithNamespace,
    namespace: 'soak',
    visibility_level: 10,
    default_branch: 'main',
  };
}
const person = (user) => ({ id: user.gitlabId, name: `Soak User ${user.gitlabId}`, username: user.username, avatar_url: null, email: `${user.username}@example.com` });
const stamp = (seconds) => new Date(Date.UTC(2030, 0, 1) + seconds * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');

/**
 * The three webhooks of an issue, as GitLab sends them: opened (assigned to one user: a DM), commented on
 * by another (a participant), closed. `issue` = { n, iid, project, assignee, commenter }.
 */
function payload(kind, issue) {
  const title = `Soak issue ${issue.n}.`;
  const url = `http://gitlab.example/${issue.project.pathWithNamespace}/-/issues/${issue.iid}`;
  if (kind === 'note') {
    const body = structuredClone(FIXTURES.note);
    body.user = person(issue.commenter);
    body.project_id = issue.project.id;
    body.project = projectFields(issue.project);
    Object.assign(body.object_attributes, { id: 5_000_000 + issue.n, note: `Soak note ${issue.n}`, author_id: issue.commenter.gitlabId, project_id: issue.project.id, noteable_id: 1_000_000 + issue.n, url: `${url}#note_${5_000_000 + issue.n}`, created_at: stamp(issue.n + 1), updated_at: stamp(issue.n + 1) });
    body.issue = { ...body.issue, id: 1_000_000 + issue.n, iid: issue.iid, title, project_id: issue.project.id, state: 'opened', author_id: issue.commenter.gitlabId, assignee_ids: [issue.assignee.gitlabId], assignee_id: issue.assignee.gitlabId, labels: [] };
    return { event: 'Note Hook', body };
  }
  const body = structuredClone(kind === 'open' ? FIXTURES.open : FIXTURES.close);
  body.user = person(issue.commenter);
  body.project = projectFields(issue.project);
  body.assignees = [person(issue.assignee)];
  body.assignee = person(issue.assignee);
  body.labels = [];
  body.changes = kind === 'open' ? {} : { state_id: { previous: 1, current: 2 }, updated_at: { previous: stamp(issue.n), current: stamp(issue.n + 2) } };
  Object.assign(body.object_attributes, {
    id: 1_000_000 + issue.n,
    iid: issue.iid,
    title,
    description: `Soak issue ${issue.n}, opened by the bench.`,
    project_id: issue.project.id,
    author_id: issue.commenter.gitlabId,
    assignee_ids: [issue.assignee.gitlabId],
    assignee_id: issue.assignee.gitlabId,
    state: kind === 'open' ? 'opened' : 'closed',
    action: kind === 'open' ? 'open' : 'close',
    created_at: stamp(issue.n),
    updated_at: stamp(kind === 'open' ? issue.n : issue.n + 2),
    url,
    labels: [],
    confidential: false,
  });
  return { event: 'Issue Hook', body };
}

/** The channel post a webhook makes: "<who> opened|commented on|closed issue [#iid Soak issue n.]". */
const POSTED = /(opened|commented on|closed) issue \[#\d+ Soak issue (\d+)\.\]/;
const KIND_OF_VERB = { opened: 'open', 'commented on': 'note', closed: 'close' };

async function sample(db, bridgePid, internalPort, startedAt) {
  const { rows } = await db.query(
    `SELECT pg_database_size(current_database())::bigint AS size, ${TABLES.map((table) => `(SELECT count(*) FROM ${table})::int AS ${table}`).join(', ')},
            (SELECT count(*) FROM channel_outbox WHERE state = 'pending')::int AS pending`,
  );
  const [, ...postgres] = processTree(bridgePid);
  const metrics = await (await fetch(`http://127.0.0.1:${internalPort}/metrics`)).text();
  const sum = (name) => [...metrics.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))].reduce((total, match) => total + Number(match[1]), 0);
  const { size, pending, ...counts } = rows[0];
  return {
    seconds: Math.round((Date.now() - startedAt) / 1000),
    databaseMb: Number(size) / 2 ** 20,
    bridgeRssMb: memoryKb(bridgePid, 'Rss') / 1024,
    postgresPssMb: postgres.reduce((total, pid) => total + memoryKb(pid, 'Pss'), 0) / 1024,
    heapMb: sum('nodejs_heap_size_used_bytes') / 2 ** 20,
    backlog: sum('gitlab_bridge_webhook_backlog'),
    pruned: sum('gitlab_bridge_pruned_rows_total'),
    pendingPosts: pending,
    counts,
  };
}

/** The last sample against the highest of the first half: has it stopped growing? */
function levelled(samples, value) {
  const firstHalf = samples.filter((s) => s.seconds <= samples.at(-1).seconds / 2);
  const reference = Math.max(...firstHalf.map(value));
  const last = value(samples.at(-1));
  return { reference, last, ok: firstHalf.length >= 2 && last <= reference * (1 + LEVEL_TOLERANCE) };
}

log(`bench:soak: ${MINUTES} min at ${RATE} webhooks/s into ${PROJECTS} channels, ${USERS} polled users, retention ${JSON.stringify(RETENTION)}`);
const { gitlab, mattermost } = await startFakes(root);
let db;
let bridge;
let bridgeExit;
let results;
try {
  const { user: bot, token: botToken } = mattermost.addUser('gitlab', { bot: true });
  const projects = Array.from({ length: PROJECTS }, (_, index) => {
    const project = gitlab.addProject(`soak/project-${index}`, { visibility: 'internal' });
    return { id: project.id, path: `project-${index}`, pathWithNamespace: project.path_with_namespace };
  });
  const users = Array.from({ length: USERS }, (_, index) => {
    const gitlabId = 1001 + index;
    const username = `soak-${gitlabId}`;
    const { token } = gitlab.addUser({ id: gitlabId, username, name: `Soak User ${gitlabId}` });
    for (const project of projects) gitlab.grant(token, project.pathWithNamespace, 30);
    return { gitlabId, username, token, mattermostId: mattermost.addUser(username).user.id };
  });
  const channels = projects.map((project, index) => mattermost.addChannel(`soak-${index}`, { type: 'P', members: [bot.id] }));
  const channelIds = new Set(channels.map((channel) => channel.id));

  const launched = await startBenchBridge(children, {
    bin: BIN,
    work,
    gitlab,
    mattermost,
    botToken,
    oauth: OAUTH,
    env: {
      GITLAB_WEBHOOK_SECRET: SECRET,
      POLL_INTERVAL_SECONDS: String(POLL_INTERVAL_SECONDS),
      POLL_ACTIVE_INTERVAL_SECONDS: String(POLL_INTERVAL_SECONDS),
      GITLAB_MAX_REQUESTS_PER_MINUTE: '100000',
      LOG_LEVEL,
      ...RETENTION,
    },
  });
  bridge = launched.bridge;
  await launched.ready;
  const { publicUrl, internalPort, encryptionKey } = launched;
  const bridgePid = bridge.child.pid;
  db = await connectToEmbedded(pg, launched.dataDir);
  const key = toEncryptionKey(encryptionKey);
  const expiresAt = new Date(Date.now() + 365 * 24 * 3600_000);
  for (const user of users) {
    await saveAccount(
      db,
      { mattermostUserId: user.mattermostId, instance: 'default', gitlabUserId: user.gitlabId, gitlabUsername: user.username },
      { accessToken: user.token, refreshToken: `soak-refresh-${user.gitlabId}`, expiresAt, scopes: 'api read_user' },
      key,
    );
  }
  for (const [index, channel] of channels.entries()) {
    await db.query(
      `INSERT INTO subscriptions (channel_id, target_kind, target_path, target_id, filters, private_access, creator_id) VALUES ($1, 'project', $2, $3, '{"events":["issue","note"]}', true, $4)`,
      [channel.id, projects[index].pathWithNamespace, projects[index].id, users[0].mattermostId],
    );
  }
  log(`bridge up (pid ${bridgePid}); ${USERS} accounts connected, ${PROJECTS} channels subscribed`);

  // Webhook k of the schedule: every third opens issue k/3; the others comment on and close issues opened
  // NOTE_AFTER_SECONDS and CLOSE_AFTER_SECONDS before, so that open and closed issues are both about.
  const issuesPerSecond = RATE / 3;
  const noteLag = Math.round(NOTE_AFTER_SECONDS * issuesPerSecond);
  const closeLag = Math.round(CLOSE_AFTER_SECONDS * issuesPerSecond);
  const issues = [];
  const issueFor = (n) => {
    let issue = issues[n];
    if (!issue) {
      const project = projects[n % PROJECTS];
      issue = issues[n] = { n, iid: Math.floor(n / PROJECTS) + 1, project, assignee: users[n % USERS], commenter: users[(n + 1) % USERS] };
      // The fake GitLab has it too: DMs ask GitLab, as the assignee, whether they may see it.
      gitlab.addIssue(project.pathWithNamespace, { iid: issue.iid, title: `Soak issue ${n}.`, authorId: issue.commenter.gitlabId, assigneeIds: [issue.assignee.gitlabId] });
    }
    return issue;
  };
  const sent = [];
  const statuses = {};
  let failures = 0;
  const send = async (kind, issue) => {
    const { event, body } = payload(kind, issue);
    sent.push({ kind, n: issue.n });
    try {
      const response = await fetch(`${publicUrl}/webhook`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Gitlab-Event': event, 'X-Gitlab-Token': SECRET, 'Idempotency-Key': randomUUID() },
        body: JSON.stringify(body),
      });
      await response.arrayBuffer();
      statuses[response.status] = (statuses[response.status] ?? 0) + 1;
    } catch {
      failures += 1;
    }
  };

  const samples = [];
  const startedAt = Date.now();
  const started = performance.now();
  const total = Math.round(MINUTES * 60 * RATE);
  const inFlight = new Set();
  let nextSample = 0;
  for (let k = 0; k < total; k += 1) {
    const due = started + (k * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    if (performance.now() - started >= nextSample * 1000) {
      samples.push(await sample(db, bridgePid, internalPort, startedAt));
      const last = samples.at(-1);
      log(`${last.seconds} s: database ${last.databaseMb.toFixed(1)} MB, bridge RSS ${last.bridgeRssMb.toFixed(0)} MB, backlog ${last.backlog}, posts pending ${last.pendingPosts}, pruned ${last.pruned}, rows ${JSON.stringify(last.counts)}`);
      nextSample += SAMPLE_SECONDS;
    }
    const opened = Math.floor(k / 3);
    const step = k % 3;
    const target = step === 0 ? opened : opened - (step === 1 ? noteLag : closeLag);
    if (target < 0) continue;
    const request = send(step === 0 ? 'open' : step === 1 ? 'note' : 'close', issueFor(target));
    inFlight.add(request);
    void request.finally(() => inFlight.delete(request));
  }
  await Promise.all(inFlight);
  const sendSeconds = (performance.now() - started) / 1000;
  log(`sent ${sent.length} webhooks in ${sendSeconds.toFixed(0)} s; waiting for their posts`);

  // Every webhook makes one post in its project's channel.
  const channelPosts = () => mattermost.posts.filter((post) => channelIds.has(post.channel_id) && post.user_id === bot.id);
  const deadline = Date.now() + 5 * 60_000;
  while (channelPosts().length < sent.length && Date.now() < deadline) await sleep(1000);
  await sleep(3000); // a second post of one webhook would come right after the first
  samples.push(await sample(db, bridgePid, internalPort, startedAt));

  const postsOf = new Map();
  for (const post of channelPosts()) {
    const match = POSTED.exec(post.message);
    if (!match) continue;
    const id = `${KIND_OF_VERB[match[1]]}:${match[2]}`;
    postsOf.set(id, (postsOf.get(id) ?? 0) + 1);
  }
  const expected = sent.map((webhook) => `${webhook.kind}:${webhook.n}`);
  const missing = expected.filter((id) => !postsOf.has(id)).length;
  const doubled = expected.filter((id) => (postsOf.get(id) ?? 0) > 1).length;
  const unexpected = [...postsOf.keys()].filter((id) => !expected.includes(id)).length;
  const dms = mattermost.posts.filter((post) => !channelIds.has(post.channel_id) && post.user_id === bot.id).length;
  const metrics = await (await fetch(`http://127.0.0.1:${internalPort}/metrics`)).text();
  const prunedByTable = Object.fromEntries([...metrics.matchAll(/^gitlab_bridge_pruned_rows_total\{table="([^"]+)"\} (\S+)$/gm)].map((match) => [match[1], Number(match[2])]));
  await db.end();
  db = undefined;
  results = {
    date: new Date().toISOString().slice(0, 10),
    machine: `${cpus().length} × ${cpus()[0]?.model.trim()}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`,
    sent: sent.length,
    sendSeconds,
    statuses,
    failures,
    missing,
    doubled,
    unexpected,
    dms,
    samples,
    prunedByTable,
    violations: mattermost.violations.length,
  };
} finally {
  await db?.end().catch(() => undefined);
  if (bridge) bridgeExit = await children.stop(bridge);
  await gitlab.close();
  await mattermost.close();
}

const { samples } = results;
const accepted = Object.entries(results.statuses).reduce((sum, [code, n]) => (code.startsWith('2') ? sum + n : sum), 0);
const size = levelled(samples, (s) => s.databaseMb);
const rss = levelled(samples, (s) => s.bridgeRssMb);
const rows = levelled(samples, (s) => Object.entries(s.counts).reduce((sum, [table, n]) => (table === LIVE_EVENTS_KEPT ? sum : sum + n), 0));
const mb = (value) => `${value.toFixed(1)} MB`;
const checks = [
  { what: 'every webhook acknowledged with a 2xx', ok: accepted === results.sent && results.failures === 0, value: `${accepted} of ${results.sent} (${JSON.stringify(results.statuses)}, ${results.failures} failed requests)` },
  {
    what: 'every webhook posted exactly once',
    ok: results.missing === 0 && results.doubled === 0 && results.unexpected === 0 && results.violations === 0,
    value: `${results.sent - results.missing} of ${results.sent} posted, ${results.doubled} twice or more, ${results.unexpected} unexpected, ${results.violations} API violations`,
  },
  { what: `database size levelled off (last ≤ ${1 + LEVEL_TOLERANCE} × first half's highest)`, ok: size.ok, value: `${mb(size.last)} vs ${mb(size.reference)}` },
  { what: `bridge RSS levelled off (last ≤ ${1 + LEVEL_TOLERANCE} × first half's highest)`, ok: rss.ok, value: `${mb(rss.last)} vs ${mb(rss.reference)}` },
  { what: `rows kept (but live_events) levelled off (last ≤ ${1 + LEVEL_TOLERANCE} × first half's highest)`, ok: rows.ok, value: `${rows.last} vs ${rows.reference}` },
  { what: 'the bridge stopped cleanly', ok: bridgeExit === 0, value: String(bridgeExit) },
];
for (const check of checks) console.log(`${check.ok ? 'met' : 'MISSED'}: ${check.what}: ${check.value}`);

const short = {
  webhook_deliveries: 'deliveries',
  channel_outbox: 'posts',
  direct_outbox: 'DMs',
  tracked_objects: 'issues',
  channel_threads: 'thread roots',
  thread_participants: 'participants',
  gitlab_access_cache: 'access cache',
  live_events: 'live events',
};
const shown = Object.keys(short);
const section = `<!-- bench:soak:start -->
## Soak: bounded database and memory

Command: \`npm run bench:soak\` (\`BENCH_MINUTES\`, \`BENCH_RATE\`, \`BENCH_USERS\`, \`BENCH_SAMPLE_SECONDS\`, \`BENCH_LOG_LEVEL\`; this run: ${MINUTES} min, ${RATE} webhooks/s, ${USERS} users, a sample every ${SAMPLE_SECONDS} s, \`${LOG_LEVEL}\`).
Measured on ${results.date}: ${results.machine}.

How: the bridge (\`gitlab-bridge start\`, embedded PostgreSQL in a fresh \`DATA_DIR\`) takes issue webhooks evenly spaced at
${RATE}/s for ${MINUTES} minutes, about ${(RATE / 3).toFixed(1)} issues a second over ${PROJECTS} projects, each followed by its own private channel:
an issue is opened (assigned to one of ${USERS} connected users, who gets a DM after the bridge asks the fake GitLab whether they
may see it), commented on ${NOTE_AFTER_SECONDS} s later by another user, and closed ${CLOSE_AFTER_SECONDS} s after it was opened. Each
webhook is one post in its channel; the open issue's post is the thread root, edited with its status. Meanwhile the ${USERS} users
are polled every ${POLL_INTERVAL_SECONDS} s. Retention is shortened so that pruning runs many times: ${Object.entries(RETENTION)
  .map(([name, value]) => `\`${name}=${value}\``)
  .join(', ')}. The fake GitLab and fake Mattermost run in the bench's process, on loopback. Every ${SAMPLE_SECONDS} s: the
database's size (\`pg_database_size\`: files on disk, which PostgreSQL reuses after vacuum rather than returns), the rows of
each table that grows with traffic, the bridge's RSS and its PostgreSQL processes' PSS.

| time | database | bridge RSS | PostgreSQL PSS | ${shown.map((table) => short[table]).join(' | ')} | posts pending | pruned so far |
|---|---|---|---|${shown.map(() => '---|').join('')}---|---|
${samples
  .map((s) => `| ${Math.floor(s.seconds / 60)}:${String(s.seconds % 60).padStart(2, '0')} | ${mb(s.databaseMb)} | ${mb(s.bridgeRssMb)} | ${mb(s.postgresPssMb)} | ${shown.map((table) => s.counts[table]).join(' | ')} | ${s.pendingPosts} | ${s.pruned} |`)
  .join('\n')}

The last row is after the webhooks stopped and every post was made. *Posts pending* are channel posts queued and not
made yet: the fake Mattermost, which checks every request against Mattermost's OpenAPI spec in the bench's own process,
is the slowest part here: posting can fall behind for a while, then catches up. Pending posts are never
pruned, and neither is an issue (its status, thread roots) while a post or DM about it is pending. Live-update hints (\`live_events\`) are kept
10 minutes whatever the retention settings (a reconnecting stream resumes from them), so they grow for the first 10
minutes and are left out of the row check. Rows pruned by table over the run:
${Object.entries(results.prunedByTable)
  .map(([table, n]) => `\`${table}\` ${n}`)
  .join(', ')}. ${results.dms} DMs were sent.

| check | result | |
|---|---|---|
${checks.map((check) => `| ${check.what} | ${check.value} | ${check.ok ? 'met' : '**missed**'} |`).join('\n')}
<!-- bench:soak:end -->`;

writeSection(root, 'soak', section);
console.log(`\n${section}`);
if (!checks.every((check) => check.ok)) process.exitCode = 1;

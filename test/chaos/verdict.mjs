// The chaos suite's judgement, from what the run recorded (chaos.mjs `results`): per phase, what was
// sent, what arrived once, twice or never, and how long after its fault the last of it arrived; the
// checks that make the run fail; the table CI's log keeps and docs/benchmarks.md shows. Pure.
import { ACTOR_IN_POST, statusAfter } from './webhook-threads.mjs';

/** A readiness check result is cached 30 s (assemble/readiness-checks.ts), and a check may take 5 s. */
const NAMED_WITHIN_MS = 36_000;
const CLEARED_WITHIN_MS = 45_000;
/** watch-replicas.mjs gives each probe this long. */
const PROBE_TIMEOUT_MS = 4000;

const seconds = (ms) => (ms === null || ms === undefined || Number.isNaN(ms) ? '—' : `${(ms / 1000).toFixed(1)} s`);

/**
 * The bridge's error and fatal log lines, counted by message, and whatever a process wrote that is not
 * a log line (an uncaught exception's stack goes to stderr, which shares the file).
 */
export function logErrors(text) {
  const errors = {};
  let fatal = 0;
  let other = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let entry;
    try {
      entry = JSON.parse(line);
    } catch {
      // A line cut short by a SIGKILL still starts as a log line; a stack trace does not.
      if (!line.startsWith('{')) other += 1;
      continue;
    }
    if (entry.level === 'fatal' || entry.level >= 60) fatal += 1;
    if (entry.level === 'error' || entry.level === 'fatal' || entry.level >= 50) errors[entry.msg] = (errors[entry.msg] ?? 0) + 1;
  }
  return { errors, fatal, other };
}

/** The outages (Mattermost's refusals and 503s are one), each { from, to }. */
function outages(results) {
  const byKind = new Map(results.faults.map((fault) => [fault.fault, fault]));
  const list = [];
  if (byKind.get('gitlab')?.to) list.push(byKind.get('gitlab'));
  const refused = byKind.get('mattermost-refused');
  const unavailable = byKind.get('mattermost-503');
  if (refused && unavailable?.to) list.push({ from: refused.from, to: unavailable.to });
  if (byKind.get('postgres')?.to) list.push(byKind.get('postgres'));
  return list;
}

/**
 * How long after the outages in its way were over something arrived: from the end of the last outage
 * that was on between its sending and its arrival, or from its sending when none was (kills only).
 */
function recoveryOf(item, outageList) {
  const inTheWay = outageList.filter((outage) => outage.from < item.deliveredAt && outage.to > item.sentAt);
  const from = Math.max(item.sentAt, ...inTheWay.map((outage) => outage.to));
  return Math.max(0, item.deliveredAt - from);
}

/** Each expected channel post and DM, with how many arrived and when the first did. */
function deliveries(results) {
  const postsByEvent = new Map();
  let unexpectedPosts = 0;
  for (const post of results.channelPosts) {
    const match = ACTOR_IN_POST.exec(post.message);
    if (!match) {
      unexpectedPosts += 1;
      continue;
    }
    const key = `${match[1]}.${match[2]}`;
    if (!postsByEvent.has(key)) postsByEvent.set(key, []);
    postsByEvent.get(key).push(post);
  }
  const sentEvents = new Set(results.events.map((event) => `${event.n}.${event.step}`));
  unexpectedPosts += [...postsByEvent.keys()].filter((key) => !sentEvents.has(key)).reduce((sum, key) => sum + postsByEvent.get(key).length, 0);
  const items = [];
  for (const event of results.events) {
    const posts = (postsByEvent.get(`${event.n}.${event.step}`) ?? []).filter((post) => post.channel_id === results.threads[event.n].channelId);
    items.push({ kind: 'post', phase: event.phase, sentAt: event.sentAt, count: posts.length, deliveredAt: posts.length ? Math.min(...posts.map((post) => post.create_at)) : null });
  }
  const expectedKeys = new Set(results.expectedDms.map((dm) => dm.key));
  for (const dm of results.expectedDms) {
    const found = (results.directMessages.get(dm.key) ?? []).filter((message) => message.user === dm.user);
    items.push({ kind: 'dm', phase: dm.phase, sentAt: dm.sentAt, count: found.length, deliveredAt: found.length ? Math.min(...found.map((message) => message.create_at)) : null });
  }
  const unexpectedDms = [...results.directMessages.entries()].filter(([key]) => !expectedKeys.has(key));
  return { items, postsByEvent, unexpectedPosts, unexpectedDms };
}

/** Per thread: its posts in the order they were made, one thread (root first), the root's last status. */
function threadOrder(results, postsByEvent) {
  let outOfOrder = 0;
  let broken = 0;
  let staleRoots = 0;
  const examples = [];
  for (const thread of results.threads) {
    const sent = results.events.filter((event) => event.n === thread.n).length;
    if (sent === 0) continue;
    const posts = [];
    for (let step = 0; step < sent; step += 1) for (const post of postsByEvent.get(`${thread.n}.${step}`) ?? []) posts.push({ step, post });
    // The fake keeps posts in the order they were made (channelPosts is in that order).
    const order = new Map(results.channelPosts.map((post, index) => [post.id, index]));
    posts.sort((a, b) => order.get(a.post.id) - order.get(b.post.id));
    const steps = posts.map((entry) => entry.step);
    if (steps.some((step, index) => index > 0 && step < steps[index - 1])) {
      outOfOrder += 1;
      if (examples.length < 3) examples.push(`thread ${thread.n}: steps posted in the order ${steps.join(', ')}`);
    }
    const root = posts[0]?.post;
    if (!root) continue;
    if (root.root_id !== '' || posts.slice(1).some((entry) => entry.post.root_id !== root.id)) {
      broken += 1;
      if (examples.length < 3) examples.push(`thread ${thread.n}: not one thread under its first post`);
    }
    const status = statusAfter(thread.n, thread.kind, thread.steps, sent);
    if (status && !root.message.split('\n\n').includes(status)) {
      staleRoots += 1;
      if (examples.length < 3) examples.push(`thread ${thread.n}: root says "${root.message.split('\n\n').at(-1)}", not "${status}"`);
    }
  }
  return { outOfOrder, broken, staleRoots, examples };
}

/** Two polls of one user at once (a request of one started before the other's was answered), and the longest gap between polls. */
function pollConcurrency(results) {
  const byUser = new Map();
  for (const request of results.pollRequests) {
    if (!byUser.has(request.user)) byUser.set(request.user, []);
    byUser.get(request.user).push(request);
  }
  let overlaps = 0;
  let longestGap = 0;
  for (const requests of byUser.values()) {
    requests.sort((a, b) => a.at - b.at);
    let busyUntil = 0;
    let lastOk = null;
    for (const request of requests) {
      if (request.at < busyUntil) overlaps += 1;
      busyUntil = Math.max(busyUntil, request.answeredAt ?? request.at);
      if (request.status === 200 && request.at >= results.t0) {
        if (lastOk !== null) longestGap = Math.max(longestGap, request.at - lastOk);
        lastOk = request.at;
      }
    }
  }
  return { overlaps, longestGap };
}

/**
 * The samples of processes that were up: ready before the probe, and not SIGKILLed while it waited for
 * the answer (a probe of a replica the suite is killing or still starting says nothing about the bridge).
 */
function samplesOfLiveProcesses(results) {
  const byPid = new Map(results.history.map((record) => [record.pid, record]));
  return results.samples.filter((sample) => {
    const record = byPid.get(sample.pid);
    return record && record.readyAt !== null && record.readyAt <= sample.at && (record.killedAt === null || record.killedAt > sample.at + PROBE_TIMEOUT_MS);
  });
}

/** What /readyz and /metrics said during each fault, against what was true. */
function readinessTruth(results) {
  const samples = samplesOfLiveProcesses(results);
  const within = (from, to) => samples.filter((sample) => sample.at >= from && sample.at <= to);
  const rows = [];
  const fault = (name) => results.faults.find((candidate) => candidate.fault === name);

  const judgeFault = ({ what, from, to, says, ready }) => {
    const firstSaid = samples.find((sample) => sample.at >= from && says(sample));
    // Within the window every sample must say it (after the cache's time for remote checks).
    const window = within(from + (ready ? NAMED_WITHIN_MS : 1500), to - 500);
    const wrong = window.filter((sample) => !says(sample) || (ready ? sample.readyStatus !== 200 : sample.readyStatus === 200));
    const lastSaid = samples.findLast((sample) => sample.at > to && sample.at <= to + 120_000 && says(sample));
    const metricsDown = within(from, to).filter((sample) => sample.metricsStatus !== 200).length;
    rows.push({
      what,
      saidAfter: firstSaid ? firstSaid.at - from : null,
      samples: window.length,
      wrong: wrong.length,
      wrongExample: wrong[0] ? `${new Date(wrong[0].at).toISOString().slice(11, 19)} replica-${wrong[0].replica}: ${wrong[0].readyStatus} ${JSON.stringify(wrong[0].readiness?.errors ?? [])} ${JSON.stringify(wrong[0].readiness?.warnings ?? [])}` : null,
      clearedAfter: lastSaid ? lastSaid.at - to : 0,
      metricsDown,
      ready,
    });
  };

  const postgres = fault('postgres');
  if (postgres?.to) {
    judgeFault({
      what: 'PostgreSQL down: /readyz 503 naming the database',
      from: postgres.from,
      to: postgres.to,
      says: (sample) => sample.readyStatus === 503 && (sample.readiness?.errors ?? []).some((error) => /database/i.test(error)),
      ready: false,
    });
  }
  const gitlab = fault('gitlab');
  if (gitlab?.to) {
    judgeFault({
      what: 'GitLab down: /readyz 200, GitLab unreachable',
      from: gitlab.from,
      to: gitlab.to,
      says: (sample) => sample.readiness?.gitlabInstances?.[0]?.state === 'unreachable',
      ready: true,
    });
  }
  const refused = fault('mattermost-refused');
  const unavailable = fault('mattermost-503');
  if (refused && unavailable?.to) {
    judgeFault({
      what: 'Mattermost down (refused, then 503): /readyz 200, warning names Mattermost',
      from: refused.from,
      to: unavailable.to,
      says: (sample) => (sample.readiness?.warnings ?? []).some((warning) => /mattermost/i.test(warning)),
      ready: true,
    });
  }
  const mattermostDown = refused && unavailable?.to ? within(refused.from, unavailable.to) : [];
  const outboxPeak = Math.max(0, ...mattermostDown.map((sample) => sample.channelPending ?? 0));
  const metricsMissed = samples.filter((sample) => sample.metricsStatus !== 200).length;
  return { rows, outboxPeak, metricsMissed, metricsSamples: samples.length };
}

export function judge(results) {
  const { items, postsByEvent, unexpectedPosts, unexpectedDms } = deliveries(results);
  const threads = threadOrder(results, postsByEvent);
  const polls = pollConcurrency(results);
  const truth = readinessTruth(results);

  const outageList = outages(results);
  const phases = results.phases.map((phase) => {
    const mine = items.filter((item) => item.phase === phase.name);
    const recoveries = mine.filter((item) => item.deliveredAt !== null).map((item) => recoveryOf(item, outageList));
    const counts = results.senderCounts[phase.name] ?? {};
    return {
      name: phase.name,
      seconds: (phase.to - phase.from) / 1000,
      webhooks: results.events.filter((event) => event.phase === phase.name).length,
      reviews: results.reviews.filter((review) => review.phase === phase.name).length,
      expected: mine.length,
      once: mine.filter((item) => item.count === 1).length,
      doubled: mine.filter((item) => item.count > 1).length,
      lost: mine.filter((item) => item.count === 0).length,
      gitlabFailed: counts.failed ?? 0,
      redirected: counts.redirected ?? 0,
      kills: results.kills.filter((kill) => kill.phase === phase.name).length,
      recovery: recoveries.length ? Math.max(...recoveries) : null,
    };
  });
  const sum = (field) => phases.reduce((total, phase) => total + phase[field], 0);
  const total = {
    name: 'total',
    seconds: sum('seconds'),
    webhooks: sum('webhooks'),
    reviews: sum('reviews'),
    expected: sum('expected'),
    once: sum('once'),
    doubled: sum('doubled'),
    lost: sum('lost'),
    gitlabFailed: sum('gitlabFailed'),
    redirected: sum('redirected'),
    kills: sum('kills'),
    recovery: Math.max(...phases.map((phase) => phase.recovery ?? 0)),
  };

  const posts = items.filter((item) => item.kind === 'post');
  const dms = items.filter((item) => item.kind === 'dm');
  const killed = results.history.filter((record) => record.killedAt !== null);
  const crashed = results.history.filter((record) => !(record.killedAt !== null && record.exit === 'SIGKILL') && record.exit !== 0);
  const fatal = Object.values(results.logProblems).reduce((count, problems) => count + problems.fatal + problems.other, 0);
  const restarts = results.kills.filter((kill) => kill.readyAt).map((kill) => kill.readyAt - kill.at);
  const queues = results.dbState;
  const leftOver = [...queues.channel, ...queues.direct].filter((row) => row.state !== 'sent').map((row) => `${row.n} ${row.state}`);

  const checks = [
    { what: 'every webhook acknowledged (resent as GitLab lets an operator resend)', ok: results.sendErrors.length === 0, value: results.sendErrors.length ? results.sendErrors.slice(0, 3).join('; ') : `${results.events.length} of ${results.events.length}` },
    {
      what: 'every channel post exactly once',
      ok: posts.every((item) => item.count === 1) && unexpectedPosts === 0,
      value: `${posts.filter((item) => item.count === 1).length} of ${posts.length} once, ${posts.filter((item) => item.count > 1).length} doubled, ${posts.filter((item) => item.count === 0).length} lost, ${unexpectedPosts} unexpected`,
    },
    {
      what: 'every DM exactly once (webhooks and polled review requests)',
      ok: dms.every((item) => item.count === 1) && unexpectedDms.length === 0,
      value: `${dms.filter((item) => item.count === 1).length} of ${dms.length} once, ${dms.filter((item) => item.count > 1).length} doubled, ${dms.filter((item) => item.count === 0).length} lost, ${unexpectedDms.reduce((n, [, found]) => n + found.length, 0)} unexpected${unexpectedDms.length ? ` (${unexpectedDms.slice(0, 2).map(([key, found]) => `${key || 'unrecognised'}: ${found[0]?.message ?? found.length}`).join('; ')})` : ''}`,
    },
    { what: 'in order, one thread per issue or merge request', ok: threads.outOfOrder === 0 && threads.broken === 0, value: `${threads.outOfOrder} out of order, ${threads.broken} split${threads.examples.length ? ` (${threads.examples.join('; ')})` : ''}` },
    { what: "each thread's root shows its last event", ok: threads.staleRoots === 0, value: `${threads.staleRoots} of ${results.threads.length} roots stale` },
    { what: 'no user polled twice at once', ok: polls.overlaps === 0, value: `${polls.overlaps} overlapping polls of one user in ${results.pollRequests.length}` },
    {
      what: 'every user polled again after the faults',
      ok: results.everyonePolledAt !== null,
      value: results.everyonePolledAt ? `all within ${seconds(results.everyonePolledAt - results.faultsOver)} of the last fault (longest gap between two polls of a user: ${seconds(polls.longestGap)})` : 'not all',
    },
    ...truth.rows.map((row) => ({
      what: `/readyz truthful: ${row.what}`,
      ok: row.saidAfter !== null && row.wrong === 0 && row.clearedAfter <= CLEARED_WITHIN_MS,
      value: `said so after ${seconds(row.saidAfter)}, ${row.wrong} of ${row.samples} samples wrong${row.wrongExample ? ` (${row.wrongExample})` : ''}, cleared ${seconds(row.clearedAfter)} after`,
    })),
    {
      what: '/metrics answered throughout; the channel outbox gauge showed the queue and emptied',
      ok: truth.metricsMissed === 0 && truth.outboxPeak > 0 && results.settledAt !== null,
      value: `${truth.metricsMissed} of ${truth.metricsSamples} scrapes failed; channel posts pending peaked at ${truth.outboxPeak} during the Mattermost outage; ${results.settledAt ? 'back to 0 and every replica ready without warnings' : 'did not settle'}`,
    },
    {
      what: 'no process crashed (only the suite’s SIGKILLs)',
      ok: crashed.length === 0 && fatal === 0,
      value: `${killed.length} SIGKILLed, ${crashed.length} other exits${crashed.length ? ` (${crashed.map((record) => `replica-${record.replica} pid ${record.pid}: ${record.exit}`).join(', ')})` : ''}, ${fatal} fatal or non-log lines (stack traces); restarts took up to ${seconds(restarts.length ? Math.max(...restarts) : null)}`,
    },
    { what: 'queues empty at the end', ok: leftOver.length === 0 && queues.unprocessed === 0 && queues.setAside === 0, value: `${leftOver.join(', ') || 'none left'}; ${queues.unprocessed} deliveries unprocessed, ${queues.setAside} set aside` },
    { what: 'no request the Mattermost API does not allow', ok: results.violations.length === 0, value: results.violations.length ? results.violations.slice(0, 2).join('; ') : 'none' },
  ];
  return { phases, total, truth, polls, threads, checks, restarts };
}

export function renderTable(verdict) {
  const header = '| phase | length | webhooks sent | review requests | posts + DMs due | arrived once | doubled | lost | deliveries GitLab saw fail | sent to another replica | SIGKILLs | max recovery |';
  const rule = '|---|---|---|---|---|---|---|---|---|---|---|---|';
  const row = (phase, bold = false) => {
    const cells = [phase.name, `${phase.seconds} s`, phase.webhooks, phase.reviews, phase.expected, phase.once, phase.doubled, phase.lost, phase.gitlabFailed, phase.redirected, phase.kills, seconds(phase.recovery)];
    return `| ${cells.map((cell) => (bold ? `**${cell}**` : cell)).join(' | ')} |`;
  };
  return [header, rule, ...verdict.phases.map((phase) => row(phase)), row(verdict.total, true)].join('\n');
}

export function renderTruthTable(verdict) {
  return [
    '| fault | said so after | samples that lied | cleared after the fault | /metrics scrapes failed |',
    '|---|---|---|---|---|',
    ...verdict.truth.rows.map((row) => `| ${row.what} | ${seconds(row.saidAfter)} | ${row.wrong} of ${row.samples} | ${seconds(row.clearedAfter)} | ${row.metricsDown} |`),
  ].join('\n');
}

export function renderSection(verdict, results) {
  return `<!-- bench:chaos:start -->
## Chaos: three replicas under faults

Command: \`npm run test:chaos\` (run by CI; \`CHAOS_SEED\` repeats the choice of replicas to kill; \`CHAOS_POSTGRES_BIN\` a PostgreSQL bin directory).
Run on ${new Date(results.t0).toISOString().slice(0, 10)}: ${results.machine}; ${results.postgres}; seed ${results.seed}; ${results.wallSeconds.toFixed(0)} s in all,
the machine ${results.cpu.machine.toFixed(2)} cores busy on average (the replicas ${results.cpu.replicas.toFixed(2)}, the suite's own process with both fakes ${results.cpu.suite.toFixed(2)}, the rest PostgreSQL and whatever else ran).
What it does and what an operator learns from it: [operations](operations.md#what-the-chaos-suite-shows).

${renderTable(verdict)}

*Posts + DMs due*: a channel post per webhook, a DM per event that concerns a connected user and per polled review request,
counted in the phase the event happened in. *Max recovery*: the longest any of them took to arrive after the outages in its way
were over (GitLab's, Mattermost's, PostgreSQL's; the SIGKILLs go on throughout and are not waited out), or after it was sent
when none was. *Deliveries GitLab saw fail*: answered 503 or cut by a dying replica; GitLab does
not retry those, so the suite resent them as an operator would from the hook's *Recent events* (same Idempotency-Key), at most
${results.mostFailuresInARow} in a row for one project's hook. *Sent to another replica*: connections a dead replica refused, which a load balancer
sends on.

${renderTruthTable(verdict)}

| check | result | |
|---|---|---|
${verdict.checks.map((check) => `| ${check.what} | ${check.value.replaceAll('|', '\\|')} | ${check.ok ? 'met' : '**failed**'} |`).join('\n')}
<!-- bench:chaos:end -->`;
}

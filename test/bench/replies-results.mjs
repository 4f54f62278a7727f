// The numbers of `npm run bench:replies` from what was recorded, the checks they are held to, and the
// docs/benchmarks.md section that shows them (pure: no I/O, no clock).

/** Nearest-rank percentile of ascending values; NaN when there are none. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const ascending = (values) => [...values].sort((a, b) => a - b);
const median = (values) => percentile(ascending(values), 50);

/**
 * One run's replies: `sent` has, for each reply, when it was due (ms, wall clock), whether it is measured (not warm-up),
 * and once Mattermost answered, its post id and create_at; `eventAt` is when the `posted` event went to the bot, by post id;
 * `notes` the times GitLab stored a comment naming that post in its footer, by post id.
 */
export function summariseRun(sent, eventAt, notes) {
  const posted = sent.filter((reply) => reply.postId);
  const commented = posted.filter((reply) => (notes.get(reply.postId) ?? []).length > 0);
  const measured = commented.filter((reply) => reply.measured);
  const latency = ascending(measured.map((reply) => notes.get(reply.postId)[0] - reply.dueAt));
  // Where the time goes: Mattermost's API (and the sender's own lateness), the event to the bot, the bridge and GitLab.
  const parts = measured.filter((reply) => eventAt.has(reply.postId));
  const part = (from, to) => ascending(parts.map((reply) => to(reply) - from(reply)));
  const api = part((reply) => reply.dueAt, (reply) => reply.createAt);
  const event = part((reply) => reply.createAt, (reply) => eventAt.get(reply.postId));
  const bridge = part((reply) => eventAt.get(reply.postId), (reply) => notes.get(reply.postId)[0]);
  const known = new Set(posted.map((reply) => reply.postId));
  return {
    sent: sent.length,
    measured: sent.filter((reply) => reply.measured).length,
    refused: sent.length - posted.length,
    commented: commented.length,
    lost: posted.length - commented.length,
    doubled: posted.filter((reply) => (notes.get(reply.postId) ?? []).length > 1).length,
    strayNotes: [...notes.keys()].filter((postId) => !known.has(postId)).length,
    p50: percentile(latency, 50),
    p95: percentile(latency, 95),
    p99: percentile(latency, 99),
    max: latency.at(-1) ?? NaN,
    parts: {
      api: { p50: percentile(api, 50), p99: percentile(api, 99) },
      event: { p50: percentile(event, 50), p99: percentile(event, 99) },
      bridge: { p50: percentile(bridge, 50), p99: percentile(bridge, 99) },
    },
  };
}

/** Median and spread (min–max) over the runs of one number. */
export function spreadOf(values) {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

/** What makes the bench fail: a reply lost, commented twice, refused by Mattermost, or echoed back into its thread. */
export function judge(runs) {
  const total = (key) => runs.reduce((sum, run) => sum + run[key], 0);
  return [
    { what: 'every reply commented on GitLab (none lost)', ok: total('lost') === 0 && total('refused') === 0, value: `${total('commented')} of ${total('sent')} (${total('lost')} lost, ${total('refused')} refused by Mattermost)` },
    { what: 'no reply commented twice', ok: total('doubled') === 0 && total('strayNotes') === 0, value: `${total('doubled')} doubled, ${total('strayNotes')} comments for posts never sent` },
    { what: 'no comment echoed back into its thread', ok: total('echoes') === 0, value: String(total('echoes')) },
  ];
}

const ms = (value) => (Number.isFinite(value) ? `${value.toFixed(0)} ms` : '–');
const mib = (kb) => `${(kb / 1024).toFixed(0)} MiB`;
const cores = (value) => value.toFixed(2);

export function renderSection({ settings, date, machine, runs, checks }) {
  const p50 = spreadOf(runs.map((run) => run.p50));
  const p99 = spreadOf(runs.map((run) => run.p99));
  const row = (run, index) =>
    `| ${index + 1} | ${run.sent} (${run.measured} measured) | ${run.commented} | ${run.doubled} | ${run.lost + run.refused} | ${ms(run.p50)} | ${ms(run.p95)} | ${ms(run.p99)} | ${ms(run.max)} | ` +
    `${ms(run.parts.api.p50)} / ${ms(run.parts.event.p50)} / ${ms(run.parts.bridge.p50)} | ${cores(run.cpu.bridge)} + ${cores(run.cpu.postgres)} | ${cores(run.cpu.bench)} / ${cores(run.cpu.rest)} | ` +
    `${mib(run.memory.bridgeMax)} (${mib(run.memory.bridgeEnd)} at the end) | ${mib(run.memory.postgresMax)} |`;
  const perReply = (counts, replies) =>
    Object.entries(counts)
      .slice(0, 4)
      .map(([kind, n]) => `${(n / replies).toFixed(2)} \`${kind}\``)
      .join(', ') || 'none';
  const problems = (counts) => Object.entries(counts ?? {}).map(([message, n]) => `${n} × "${message}"`).join(', ') || 'none';
  const details = (run, index) =>
    `- run ${index + 1}: GitLab's Note Hooks back to the bridge ${run.noteHooks.sent} (${run.noteHooks.accepted} answered \`202\`), ${run.echoes} posted back; ` +
    `DMs about the comments (\`commented on merge request\`, to the MR's other participants) ${run.dms} (${(run.dms / run.sent).toFixed(1)} per reply); ` +
    `everything (comments, hooks, posts, DMs) done ${run.settleSeconds.toFixed(1)} s after the last reply was sent; ` +
    `requests in the measured ${run.measured} replies' time, per reply: GitLab ${perReply(run.requests.gitlab, run.measured)}; Mattermost ${perReply(run.requests.mattermost, run.measured)}; ` +
    `\`chat_replies\` by state ${JSON.stringify(run.replyStates)}; DMs saying a reply was not posted: ${run.refusalDms}; bridge warnings and errors: ${problems(run.logProblems)}; bridge exit code ${run.bridgeExit}.`;
  return `<!-- bench:replies:start -->
## Replies to GitLab comments: latency at a steady rate

Command: \`npm run bench:replies\` (\`BENCH_RATE\`, \`BENCH_SECONDS\`, \`BENCH_WARMUP_SECONDS\`, \`BENCH_RUNS\`, \`BENCH_USERS\`,
\`BENCH_LOG_LEVEL\` and \`BENCH_NOTE_HOOKS\` change the defaults: 10/s, 30 s, 3 s, 3 runs, 20 users, \`info\`, \`on\`; this run: ${settings.rate}/s,
${settings.seconds} s, ${settings.warmupSeconds} s, ${settings.runs} runs, ${settings.users} users, \`${settings.logLevel}\`, \`${settings.noteHooks ? 'on' : 'off'}\`).
Measured on ${date}: ${machine}.

How: each run starts afresh. The fake GitLab and the fake Mattermost (\`test/fakes\`; the fake Mattermost checks every request
against Mattermost's OpenAPI spec and sends its WebSocket events) run in the bench's process; the bridge is a child,
\`gitlab-bridge start\` with its embedded PostgreSQL in a fresh \`DATA_DIR\`, \`LOG_LEVEL=${settings.logLevel}\`, after \`gitlab-bridge setup\`
made its bot and \`/gitlab\` command. ${settings.users} people connect GitLab as people do (\`/gitlab connect\`, the link opened with their
Mattermost session cookie, GitLab's consent); in a private channel with them and the bot, one of them runs
\`/gitlab subscriptions add ${settings.project} --events mr,notes\` (replies go to GitLab by default there)${
    settings.noteHooks
      ? ` and \`/gitlab webhook add\`, so that GitLab sends each comment's Note Hook back as it would: the bridge keeps it out of the thread it
came from, and would DM it to the MR's other participants (everyone who commented: here all ${settings.users} people), but not to
members of the channel the reply was written in, who saw it (all of them here: the bridge asks Mattermost once a minute at most
per person and channel); \`BENCH_NOTE_HOOKS=off\` leaves the hook out and measures the reply path alone)`
      : ' (no project hook: `BENCH_NOTE_HOOKS=off`, so GitLab sends no Note Hooks back and the bridge sends no DMs about the comments: the reply path alone)'
  }; an MR opened by webhook gives the thread root with the "go to GitLab" line.
Then replies are posted in that thread through Mattermost's REST API (\`POST /api/v4/posts\` with their session tokens), round-robin
over the people, evenly spaced at ${settings.rate}/s: ${settings.warmupSeconds} s of warm-up, then ${settings.seconds} s measured, as one
steady stream (an open loop: reply *i* is sent at *i*/${settings.rate} s whatever happened to the others). Every fourth reply mentions
another connected person (turned into their GitLab @username). A reply's latency runs from the moment it was due to the moment the
fake GitLab stored its comment (\`onNote\`), so it includes Mattermost's API, its \`posted\` event to the bot's WebSocket, the bridge
recording the reply, and the comment made with the replier's OAuth token (\`POST …/merge_requests/:iid/notes\`). The
parts (medians) split it at the post's \`create_at\` and at the moment the event went to the bot. A reply is *lost* when
no comment names it ${settings.drainSeconds} s after the last was sent, *doubled* when two do (the footer names the post). CPU is in
cores over the measured ${settings.seconds} s, from \`/proc\`: the bridge's Node process + its PostgreSQL processes; the bench
(fakes and sender) / the rest of the machine. Memory: the bridge's RSS and its PostgreSQL's PSS, sampled every second.

| run | replies | commented | doubled | lost | p50 | p95 | p99 | max | parts: Mattermost API / event / bridge + GitLab | CPU: bridge + PostgreSQL | CPU: bench / rest | bridge RSS (max) | PostgreSQL PSS (max) |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|
${runs.map(row).join('\n')}

Over the ${runs.length} runs: p50 ${ms(p50.median)} (median; ${ms(p50.min)}–${ms(p50.max)}), p99 ${ms(p99.median)} (median; ${ms(p99.min)}–${ms(p99.max)}).
Warm-up replies are not in the latencies but are checked like the others. What else each run left:
${runs.map(details).join('\n')}

| check | result | |
|---|---|---|
${checks.map((check) => `| ${check.what} | ${check.value} | ${check.ok ? 'met' : '**missed**'} |`).join('\n')}
<!-- bench:replies:end -->`;
}

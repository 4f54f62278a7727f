/**
 * `/gitlab subscriptions explain` and the webapp's explain routes, end to end:
 * webhooks reach a bridge (fake GitLab and Mattermost on loopback, a real
 * PostgreSQL), and the explanation says what became of each, one test per
 * reason an event may not reach a channel. And the doors: only members of the
 * channel, only system admins across channels, and never the title of an event
 * the channel may not see.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ExplainOutcome, ExplainReport } from '../../../server/src/explain/explain-report.js';
import { createSubscription, type NewSubscription } from '../../../server/src/store/subscriptions.js';
import type { FakeChannel } from '../../fakes/fake-mattermost.js';
import { startCommandBridge, type CommandBridge } from '../../helpers/command-bridge.js';
import { sendFixture, webhookFixture } from '../../helpers/fixtures.js';
import { waitFor, waitUntilSettled } from '../../helpers/wait-for.js';
import { webappClient } from '../../helpers/webapp-client.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Project = { id: number; path: string; visibility: 'public' | 'internal' | 'private' };

/** The advisory locks of processing (per instance) and of a channel's posting (delivery/process-deliveries.ts, deliver-channel-posts.ts). */
const PROCESS_LOCK = 0x67627031;
const CHANNEL_LOCK = 0x67627032;
const LEVELS = { public: 20, internal: 10, private: 0 } as const;

let bridge: CommandBridge;
let alice: string; // member of the test channels, connected to GitLab, Maintainer of every test project
let bob: string; // member of the test channels, not connected
let eve: string; // in the team, in none of the test channels
let aliceToken: string;
let boss: { id: string; token: string }; // a system admin, in no channel
let nextId = 7000;

beforeAll(async () => {
  bridge = await startCommandBridge({ users: ['alice', 'bob', 'eve'], oauth: true });
  ({ alice, bob, eve } = bridge.users as { alice: string; bob: string; eve: string });
  aliceToken = (await bridge.connectGitLab(alice, { id: 6, username: 'alice', name: 'Alice' })).token;
  const admin = bridge.mattermost.addUser('boss', { roles: 'system_user system_admin' });
  boss = { id: admin.user.id, token: admin.token };
}, 120_000);

afterAll(async () => {
  await bridge?.close();
});

const botId = () => [...bridge.mattermost.users.values()].find((user) => user.username === 'gitlab')!.id;

function project(path: string, visibility: Project['visibility'] = 'public'): Project {
  const id = nextId++;
  bridge.gitlab.addProject(path, { visibility, id });
  bridge.gitlab.grant(aliceToken, path, 40);
  return { id, path, visibility };
}

function channel(name: string, type: 'O' | 'P' = 'P'): FakeChannel {
  return bridge.mattermost.addChannel(name, { type, members: [botId(), alice, bob], teamId: bridge.team.id });
}

/** Members-only events may reach it (privateAccess) unless said: the channels here are private. */
async function subscribe(channelId: string, target: Project, more: Partial<NewSubscription> = {}): Promise<string> {
  const created = await createSubscription(bridge.pool, { channelId, targetKind: 'project', targetPath: target.path, targetId: target.id, privateAccess: true, creatorId: alice, ...more });
  return created.id;
}

/** A fixture moved into `target`, as GitLab would send it for that project. */
const into = (target: Project) => (payload: Json) => {
  payload.project.id = target.id;
  payload.project.path_with_namespace = target.path;
  payload.project.web_url = `${bridge.gitlab.url}/${target.path}`;
  payload.project.visibility_level = LEVELS[target.visibility];
  if (payload.object_attributes?.target_project_id !== undefined) payload.object_attributes.target_project_id = target.id;
  if (payload.project_id !== undefined) payload.project_id = target.id;
};

async function send(name: string, target: Project, ...edits: ((payload: Json) => void)[]): Promise<void> {
  expect(await sendFixture(bridge.publicUrl, 'hook-secret', name, into(target), ...edits)).toBe(202);
}

const settled = () => waitUntilSettled(bridge.pool, 60_000);
/** The answer with Markdown's escapes taken out, as Mattermost shows it. */
const plain = (text: string) => text.replace(/\\([\\`*_{}[\]()#+\-.!<>~|&])/g, '$1');
const explain = async (userId: string, channelId: string, words: string) => plain(await bridge.command(userId, `subscriptions explain ${words}`, channelId));
const command = async (userId: string, text: string, channelId: string) => plain(await bridge.command(userId, text, channelId));
const asAlice = () => webappClient(bridge, 'alice');
const asUser = (name: 'alice' | 'bob' | 'eve') => webappClient(bridge, name);
const asBoss = () => webappClient({ publicUrl: bridge.publicUrl, sessions: { boss: boss.token }, users: { boss: boss.id } }, 'boss');

async function report(channelId: string, subscriptionId: string): Promise<ExplainReport> {
  const answer = await asAlice()<ExplainReport>('GET', `/channels/${channelId}/subscriptions/${subscriptionId}/explain`);
  expect(answer.status).toBe(200);
  return answer.body;
}

/** The one event of a subscription's report, and its one outcome. */
async function onlyOutcome(channelId: string, subscriptionId: string): Promise<{ report: ExplainReport; event: ExplainReport['events'][number]; outcome: ExplainOutcome }> {
  const body = await report(channelId, subscriptionId);
  expect(body.events).toHaveLength(1);
  expect(body.events[0]!.outcomes).toHaveLength(1);
  return { report: body, event: body.events[0]!, outcome: body.events[0]!.outcomes[0]! };
}

describe('why an event was dropped: one rule each', () => {
  it('kind not selected', async () => {
    const target = project('why/kinds');
    const room = channel('kinds');
    const id = await subscribe(room.id, target, { filters: { events: ['issue'] } });
    await send('merge_request.open.json', target);
    await settled();
    const { event, outcome } = await onlyOutcome(room.id, id);
    expect(event).toMatchObject({ kind: 'merge_request', action: 'opened', source: 'webhook', summary: '!1 MS-Viewport', url: expect.stringMatching(/^http.*merge_requests\/1$/) });
    expect(outcome).toEqual({
      subscriptionId: id,
      channelId: room.id,
      channelName: 'kinds',
      outcome: 'dropped',
      rule: 'kind_not_selected',
      reason: 'event merge_request:opened not selected (events: issue)',
      postUrl: null,
    });
    const text = await explain(alice, room.id, id);
    expect(text).toContain(`#### What reached this channel through subscription ${id} (project \`why/kinds\`)`);
    expect(text).toMatch(/merge_request opened · \[!1 MS-Viewport\]\(http[^)]*\) → \*\*dropped\*\* \(event not selected\): event merge_request:opened not selected \(events: issue\)$/m);
  });

  it('pipeline status', async () => {
    const target = project('why/pipelines');
    const room = channel('pipelines');
    const id = await subscribe(room.id, target);
    await send('pipeline.success.json', target);
    await settled();
    const { event, outcome } = await onlyOutcome(room.id, id);
    expect(event).toMatchObject({ kind: 'pipeline', action: 'success' });
    expect(outcome).toMatchObject({ outcome: 'dropped', rule: 'pipeline_status', reason: 'pipeline status success not selected (pipelines: failed,fixed)' });
    expect(await explain(alice, room.id, 'why/pipelines')).toContain('**dropped** (pipeline status filter): pipeline status success not selected');
  });

  it('branch filter', async () => {
    const target = project('why/branches');
    const room = channel('branches');
    const id = await subscribe(room.id, target, { filters: { events: ['push'], branches: ['release/*'] } });
    await send('push.json', target);
    await settled();
    const { outcome } = await onlyOutcome(room.id, id);
    expect(outcome).toMatchObject({ outcome: 'dropped', rule: 'branch_filter', reason: 'branch master not selected (branches: release/*)' });
    expect(await explain(alice, room.id, id)).toContain('**dropped** (branch filter)');
  });

  it('label filter', async () => {
    const target = project('why/labels');
    const room = channel('labels');
    const id = await subscribe(room.id, target, { filters: { labels: ['bug', 'urgent'] } });
    await send('issue.open.json', target, (payload) => (payload.labels = [{ id: 1, title: 'ui' }]));
    await settled();
    const { outcome } = await onlyOutcome(room.id, id);
    expect(outcome).toMatchObject({ outcome: 'dropped', rule: 'label_filter', reason: 'label filter bug,urgent did not match labels: ui' });
    expect(await explain(alice, room.id, id)).toContain('**dropped** (label filter): label filter bug,urgent did not match labels: ui');
  });

  it('draft', async () => {
    const target = project('why/drafts');
    const room = channel('drafts');
    const id = await subscribe(room.id, target, { filters: { drafts: 'exclude' } });
    await send('merge_request.open.json', target, (payload) => {
      payload.object_attributes.draft = true;
      payload.object_attributes.work_in_progress = true;
    });
    await settled();
    const { outcome } = await onlyOutcome(room.id, id);
    expect(outcome).toMatchObject({ outcome: 'dropped', rule: 'draft', reason: 'draft merge request (drafts: exclude)' });
    expect(await explain(alice, room.id, id)).toContain('**dropped** (draft)');
  });

  it('excluded author', async () => {
    const target = project('why/authors');
    const room = channel('authors');
    const id = await subscribe(room.id, target, { filters: { excludeAuthors: ['root'] } });
    await send('issue.open.json', target);
    await settled();
    const { outcome } = await onlyOutcome(room.id, id);
    expect(outcome).toMatchObject({ outcome: 'dropped', rule: 'excluded_author', reason: 'root is an excluded author' });
    expect(await explain(alice, room.id, id)).toContain('**dropped** (excluded author): root is an excluded author');
  });

  it('excluded path, under a group subscription', async () => {
    const legacy = project('why-group/legacy');
    const room = channel('excluded');
    const id = await subscribe(room.id, legacy, { targetKind: 'group', targetPath: 'why-group', targetId: null, filters: { exclude: ['why-group/legacy'] } });
    await send('issue.open.json', legacy);
    await settled();
    const { report: body, event, outcome } = await onlyOutcome(room.id, id);
    expect(body.target).toMatchObject({ kind: 'group', path: 'why-group', instance: 'default' });
    // Under a group, the summary names the project.
    expect(event.summary).toBe('why-group/legacy: #23 New API: create/update/delete file');
    expect(outcome).toMatchObject({ outcome: 'dropped', rule: 'excluded_path', reason: 'why-group/legacy is excluded (--exclude why-group/legacy)' });
    expect(await explain(alice, room.id, 'why-group')).toContain('**dropped** (excluded path)');
  });

  it("a private project under a group: its exclusion is not told apart from not being visible, nor is its action shown", async () => {
    const hidden = project('why-probe/secret-app', 'private');
    const room = channel('probe', 'O');
    // Anyone may subscribe to a public group; --exclude globs must not let them spell out private projects' names.
    const id = await subscribe(room.id, hidden, { targetKind: 'group', targetPath: 'why-probe', targetId: null, privateAccess: false, filters: { exclude: ['why-probe/s*'] } });
    await send('issue.open.json', hidden, (payload) => (payload.object_attributes.title = 'Secret roadmap'));
    await settled();
    const { event, outcome } = await onlyOutcome(room.id, id);
    expect(event).toMatchObject({ kind: 'issue', action: '', summary: null, url: null });
    expect(outcome).toMatchObject({ outcome: 'dropped', rule: 'not_visible', reason: 'not open to everyone, and the subscriber was not shown to have access' });
    const text = await explain(bob, room.id, id);
    expect(text).not.toContain('excluded');
    expect(text).not.toContain('secret-app');
    expect(text).not.toContain('opened');
  });

  it('excluded private project where the channel could see it: excluded, without its title', async () => {
    const kept = project('why-kept/payroll', 'private');
    const room = channel('kept-out');
    const id = await subscribe(room.id, kept, { targetKind: 'group', targetPath: 'why-kept', targetId: null, filters: { exclude: ['why-kept/payroll'] } });
    await send('issue.open.json', kept, (payload) => (payload.object_attributes.title = 'Salaries 2027'));
    await settled();
    const { event, outcome } = await onlyOutcome(room.id, id);
    expect(event).toMatchObject({ summary: null, url: null });
    expect(outcome).toMatchObject({ outcome: 'dropped', rule: 'excluded_path', reason: "its project is among this subscription's excluded paths" });
    expect(await explain(bob, room.id, id)).not.toContain('Salaries');
  });

  it('confidential, not opted in', async () => {
    const target = project('why/secret-optin');
    const room = channel('secret-optin');
    const id = await subscribe(room.id, target);
    await send('issue.open.json', target, (payload) => {
      payload.object_attributes.confidential = true;
      payload.object_attributes.title = 'Acquisition of Initech';
    });
    await settled();
    const { event, outcome } = await onlyOutcome(room.id, id);
    expect(event).toMatchObject({ kind: 'issue', action: '', summary: null, url: null });
    expect(outcome).toMatchObject({ outcome: 'dropped', rule: 'confidential_not_opted_in', reason: 'confidential or internal, and this subscription is not opted in (--confidential)' });
    const text = await explain(alice, room.id, id);
    expect(text).toContain('issue · _hidden from this channel_ → **dropped** (confidential, not opted in)');
    expect(text).not.toContain('Initech');
  });

  it('confidential, and nobody connected vouches for the opt-in', async () => {
    const target = project('why/secret-vouch');
    const room = channel('secret-vouch');
    // bob opted in and has no GitLab account (any more): nobody vouches.
    const id = await subscribe(room.id, target, { confidential: true, confidentialBy: bob });
    await send('issue.open.json', target, (payload) => (payload.object_attributes.confidential = true));
    await settled();
    const { event, outcome } = await onlyOutcome(room.id, id);
    expect(event.summary).toBeNull();
    expect(outcome).toMatchObject({ outcome: 'dropped', rule: 'confidential_not_vouched' });
    expect(await explain(alice, room.id, id)).toContain('**dropped** (confidential, nobody vouches)');
  });

  it('not visible to the subscriber', async () => {
    const target = project('why/hidden', 'private');
    const room = channel('not-visible', 'O');
    const id = await subscribe(room.id, target, { privateAccess: false });
    await send('issue.open.json', target, (payload) => (payload.object_attributes.title = 'Layoffs in Q3'));
    await settled();
    const { event, outcome } = await onlyOutcome(room.id, id);
    expect(event).toMatchObject({ summary: null, url: null });
    expect(outcome).toMatchObject({ outcome: 'dropped', rule: 'not_visible', reason: 'not open to everyone, and the subscriber was not shown to have access' });
    const text = await explain(bob, room.id, id);
    expect(text).toContain('**dropped** (not visible to the subscriber)');
    expect(text).not.toContain('Layoffs');
  });

  it('private channel required: the channel is public', async () => {
    const target = project('why/public-room', 'private');
    const room = channel('public-room', 'O');
    // Access shown, but not forced into a public channel by a system admin.
    const id = await subscribe(room.id, target, { privateAccess: true, forced: false });
    await send('issue.open.json', target);
    await settled();
    const { event, outcome } = await onlyOutcome(room.id, id);
    expect(event.summary).toBeNull();
    expect(outcome).toMatchObject({ outcome: 'dropped', rule: 'private_channel_required', reason: expect.stringContaining('this channel is public now') });
    expect(bridge.mattermost.posts.filter((post) => post.channel_id === room.id)).toEqual([]);
    expect(await explain(alice, room.id, id)).toContain('**dropped** (needs a channel that is not public)');
  });

  it('another, more specific subscription of the same channel', async () => {
    const app = project('why-nest/app');
    const room = channel('nested');
    const groupId = await subscribe(room.id, app, { targetKind: 'group', targetPath: 'why-nest', targetId: null });
    const projectId = await subscribe(room.id, app);
    await send('issue.open.json', app);
    await settled();
    expect((await onlyOutcome(room.id, groupId)).outcome).toMatchObject({
      outcome: 'dropped',
      rule: 'same_channel_other_subscription',
      reason: `this channel got it through its more specific subscription ${projectId}`,
    });
    expect((await onlyOutcome(room.id, projectId)).outcome).toMatchObject({ outcome: 'posted' });
    expect(await explain(alice, room.id, groupId)).toContain('**dropped** (another subscription of this channel)');
  });

  it('echo: the comment came from a reply in this channel', async () => {
    const target = project('why/echo');
    const room = channel('echo');
    const id = await subscribe(room.id, target, { filters: { events: ['note'] } });
    await bridge.pool.query(
      `INSERT INTO chat_replies (post_id, channel_id, root_post_id, thread_key, mattermost_user_id, message, posted_at, state, gitlab_user_id, note_id)
       VALUES ('echoreply000000000000000001', $1, 'echoroot0000000000000000001', 'echo-thread', $2, 'Looks good', now(), 'sent', 6, 98001)`,
      [room.id, alice],
    );
    await send('note.merge_request.json', target, (payload) => (payload.object_attributes.id = 98001));
    await settled();
    const { outcome } = await onlyOutcome(room.id, id);
    expect(outcome).toMatchObject({ outcome: 'dropped', rule: 'echo', reason: 'made from this channel (a reply or reaction here), which already shows it' });
    expect(await explain(alice, room.id, id)).toContain('**dropped** (came from this channel)');
  });

  it('not processed yet', async () => {
    const target = project('why/waiting');
    const room = channel('waiting');
    const id = await subscribe(room.id, target);
    // Processing waits while the processing lock is held elsewhere.
    const holder = await bridge.pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [PROCESS_LOCK, 'default']);
      await send('issue.open.json', target);
      const { event, outcome } = await onlyOutcome(room.id, id);
      expect(event).toMatchObject({ kind: 'issue', action: 'opened', summary: '#23 New API: create/update/delete file' });
      expect(outcome).toMatchObject({ outcome: 'pending', rule: 'not_processed_yet', reason: 'not processed yet' });
      expect(await explain(alice, room.id, id)).toContain('**pending**: not processed yet');
    } finally {
      await holder.query('COMMIT');
      holder.release();
    }
    await settled();
    expect((await onlyOutcome(room.id, id)).outcome).toMatchObject({ outcome: 'posted' });
  });

  it('ignored: nothing to post for it', async () => {
    const target = project('why/ignored');
    const room = channel('ignored');
    const id = await subscribe(room.id, target, { filters: { events: ['note'] } });
    await send('note.merge_request.json', target, (payload) => (payload.object_attributes.system = true));
    await settled();
    const { event, outcome } = await onlyOutcome(room.id, id);
    expect(event).toMatchObject({ kind: 'note', summary: null, url: null });
    expect(outcome).toMatchObject({ outcome: 'dropped', rule: 'ignored', reason: 'a system note is not a comment' });
    expect(await explain(alice, room.id, id)).toContain('**dropped** (nothing to post): a system note is not a comment');
  });

  it('processing error: set aside after failing again and again', async () => {
    const target = project('why/broken');
    const room = channel('broken');
    const id = await subscribe(room.id, target);
    // Storing this channel's posts fails, as a full disk or a broken row would.
    await bridge.pool.query(`CREATE FUNCTION explain_test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.channel_id = '${room.id}' THEN RAISE EXCEPTION 'no space left on device (test)'; END IF; RETURN NEW; END $$`);
    await bridge.pool.query('CREATE TRIGGER explain_test_refuse BEFORE INSERT ON channel_outbox FOR EACH ROW EXECUTE FUNCTION explain_test_refuse()');
    try {
      await send('issue.open.json', target);
      await settled();
    } finally {
      await bridge.pool.query('DROP TRIGGER explain_test_refuse ON channel_outbox');
      await bridge.pool.query('DROP FUNCTION explain_test_refuse()');
    }
    const { event, outcome } = await onlyOutcome(room.id, id);
    expect(event.summary).toBe('#23 New API: create/update/delete file');
    expect(outcome).toMatchObject({ outcome: 'failed', rule: 'processing_error', reason: expect.stringMatching(/^processing failed 5 times and was given up: .*no space left on device \(test\)/) });
    expect(await explain(alice, room.id, id)).toContain('**failed** (processing failed)');
  });
});

describe('what became of an event that was to be posted', () => {
  it('posted, with a link to the post', async () => {
    const target = project('fate/posted');
    const room = channel('posted');
    const id = await subscribe(room.id, target);
    await send('issue.open.json', target);
    await settled();
    const [post] = bridge.mattermost.posts.filter((candidate) => candidate.channel_id === room.id);
    const { outcome } = await onlyOutcome(room.id, id);
    // The team's name when the bot may read the team, else Mattermost's `_redirect`, which finds the post's team.
    const permalink = new RegExp(`^${bridge.mattermost.url}/(alpha|_redirect)/pl/${post!.id}$`);
    expect(outcome).toMatchObject({ outcome: 'posted', rule: null, reason: 'posted', postUrl: expect.stringMatching(permalink) });
    expect(await explain(bob, room.id, id)).toContain(`→ **posted**: [view the post](${outcome.postUrl})`);
  });

  it('says which events polling brought', async () => {
    const target = project('fate/polled-in');
    const room = channel('polled-in');
    const id = await subscribe(room.id, target);
    // As polling/poll-projects.ts stores the hook it makes from GitLab's events API.
    const { event, body } = webhookFixture('issue.open.json');
    const payload = JSON.parse(body) as Json;
    into(target)(payload);
    const key = `poll:${target.id}:event:1`;
    await bridge.pool.query('INSERT INTO webhook_deliveries (dedupe_key, event, idempotency_key, payload) VALUES ($1, $2, $1, $3)', [key, event, JSON.stringify(payload)]);
    await settled();
    const explained = await onlyOutcome(room.id, id);
    expect(explained.event.source).toBe('poll');
    expect(explained.outcome.outcome).toBe('posted');
    expect(await explain(alice, room.id, id)).toMatch(/^- just now \(polled\) · issue opened · /m);
  });

  it('queued, waiting its turn', async () => {
    const target = project('fate/queued');
    const room = channel('queued');
    const id = await subscribe(room.id, target);
    // Another replica is posting in this channel: the post waits.
    const holder = await bridge.pool.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1, hashtext($2))', [CHANNEL_LOCK, room.id]);
      await send('issue.open.json', target);
      await waitFor(async () => (await bridge.pool.query("SELECT 1 FROM channel_outbox WHERE channel_id = $1 AND state = 'pending'", [room.id])).rowCount === 1, 'the post queued');
      expect((await onlyOutcome(room.id, id)).outcome).toMatchObject({ outcome: 'queued', rule: null, reason: 'queued, waiting to be posted', postUrl: null });
      expect(await explain(alice, room.id, id)).toContain('**queued**');
    } finally {
      await holder.query('SELECT pg_advisory_unlock($1, hashtext($2))', [CHANNEL_LOCK, room.id]);
      holder.release();
    }
    await settled();
  });

  it("failing, with Mattermost's error", async () => {
    const target = project('fate/failing');
    const room = channel('failing');
    const id = await subscribe(room.id, target);
    bridge.mattermost.inject('CreatePost', { status: 503, headers: { 'Retry-After': '5' }, body: { id: 'app.maintenance', message: 'Mattermost is down for maintenance', status_code: 503 } }, 1);
    await send('issue.open.json', target);
    await waitFor(async () => (await bridge.pool.query('SELECT 1 FROM channel_outbox WHERE channel_id = $1 AND last_error IS NOT NULL', [room.id])).rowCount === 1, 'a failed attempt');
    expect((await onlyOutcome(room.id, id)).outcome).toMatchObject({
      outcome: 'failing',
      reason: 'not posted yet, retrying after 1 attempt: Mattermost answered 503: Mattermost is down for maintenance',
    });
    expect(await explain(alice, room.id, id)).toContain('**failing**: not posted yet, retrying after 1 attempt: Mattermost answered 503: Mattermost is down for maintenance');
    await settled();
    expect((await onlyOutcome(room.id, id)).outcome).toMatchObject({ outcome: 'posted' });
  });

  it('failed: Mattermost refused it for good', async () => {
    const target = project('fate/failed');
    const room = channel('failed');
    const id = await subscribe(room.id, target);
    bridge.mattermost.inject('CreatePost', { status: 413, body: { id: 'api.post.too_large', message: 'The post is too large', status_code: 413 } }, 1);
    await send('issue.open.json', target);
    await settled();
    expect((await onlyOutcome(room.id, id)).outcome).toMatchObject({ outcome: 'failed', rule: null, reason: 'given up: Mattermost answered 413: The post is too large' });
  });
});

describe('when nothing arrived: the webhook', () => {
  it('missing: says so, with the command that adds one', async () => {
    const target = project('quiet/missing');
    const room = channel('missing');
    const id = await subscribe(room.id, target);
    const body = await report(room.id, id);
    expect(body).toMatchObject({ events: [], nothingArrived: true, hook: { state: 'missing', fix: '/gitlab webhook add quiet/missing (as a Maintainer)' } });
    const text = await explain(alice, room.id, id);
    expect(text).toContain('Nothing about it has reached the bridge for this subscription since it was added');
    expect(text).toContain('**Webhook: missing.** No GitLab webhook of quiet/missing points at this bridge.\nFix: `/gitlab webhook add quiet/missing` (as a Maintainer)');
  });

  it('disabled by GitLab: re-enable it in GitLab', async () => {
    const target = project('quiet/disabled');
    const room = channel('disabled');
    const id = await subscribe(room.id, target);
    expect(await bridge.command(alice, 'webhook add quiet/disabled', room.id)).toContain('Added');
    const [hook] = bridge.gitlab.hooksOf('quiet/disabled');
    bridge.gitlab.disableHook(hook!.id);
    const body = await report(room.id, id);
    expect(body.hook).toEqual({
      state: 'disabled',
      text: `GitLab hook ${hook!.id} to this bridge is disabled: GitLab turned it off after its deliveries kept failing, and sends nothing through it.`,
      fix: 'Fix what made it fail (GitLab shows its recent events under Settings → Webhooks → Edit), then re-enable it in GitLab (Settings → Webhooks).',
    });
    expect(await explain(alice, room.id, id)).toContain('**Webhook: disabled.**');
  });

  it('failing: GitLab holds deliveries back for a while', async () => {
    const target = project('quiet/failing');
    const room = channel('hook-failing');
    const id = await subscribe(room.id, target);
    await bridge.command(alice, 'webhook add quiet/failing', room.id);
    const [hook] = bridge.gitlab.hooksOf('quiet/failing');
    const until = new Date(Date.now() + 10 * 60_000);
    bridge.gitlab.disableHook(hook!.id, { until });
    const body = await report(room.id, id);
    expect(body.hook).toMatchObject({ state: 'failing', text: expect.stringContaining(`GitLab holds them back until ${until.toISOString()}`), fix: expect.stringContaining('re-enable it now in GitLab') });
    expect(await explain(alice, room.id, id)).toContain('**Webhook: failing.**');
  });

  it("shows a system admin the hooks of a project that only its group's subscription covers", async () => {
    const app = project('quiet-group/app');
    const room = channel('quiet-group');
    await subscribe(room.id, app, { targetKind: 'group', targetPath: 'quiet-group', targetId: null });
    // The admin's own GitLab account reads the project's hooks.
    bridge.sessions.boss = boss.token;
    const { token } = await bridge.connectGitLab(boss.id, { id: 77, username: 'boss', name: 'Boss' });
    bridge.gitlab.grant(token, 'quiet-group/app', 40);
    const answer = await asBoss()<ExplainReport>('GET', '/explain/project?path=quiet-group/app');
    expect(answer.body).toMatchObject({ target: { kind: 'project', path: 'quiet-group/app' }, events: [], nothingArrived: true, hook: { state: 'missing', fix: '/gitlab webhook add quiet-group/app (as a Maintainer)' } });
    expect(await command(boss.id, 'subscriptions explain --project quiet-group/app', room.id)).toContain('**Webhook: missing.**');
  });

  it('polled: says so, and what polling cannot see', async () => {
    const target = project('quiet/polled');
    const room = channel('polled');
    const id = await subscribe(room.id, target, { poll: true });
    const body = await report(room.id, id);
    expect(body.hook).toMatchObject({ state: 'polling', text: expect.stringContaining('Polled as its subscription asks (--poll)'), fix: '/gitlab webhook add quiet/polled (as a Maintainer)' });
    expect(body.hook!.text).toContain('Polling cannot see merge request updates');
    expect(await explain(alice, room.id, id)).toContain('**Polled.**');
  });
});

describe('who may ask, and what they see', () => {
  it('shows a system admin every channel, named, and refuses anyone else', async () => {
    const target = project('across/channels');
    const hidden = channel('shared-private');
    const open = channel('shared-public', 'O');
    const inHidden = await subscribe(hidden.id, target);
    const inOpen = await subscribe(open.id, target, { privateAccess: false, filters: { events: ['merge_request'] } });
    await send('issue.open.json', target);
    await settled();

    const answer = await asBoss()<ExplainReport>('GET', '/explain/project?path=across/channels');
    expect(answer.status).toBe(200);
    expect(answer.body.target).toMatchObject({ kind: 'project', path: 'across/channels', instance: 'default' });
    expect(answer.body.events).toHaveLength(1);
    const outcomes = answer.body.events[0]!.outcomes;
    expect(outcomes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ subscriptionId: inHidden, channelName: 'shared-private', outcome: 'posted' }),
        expect.objectContaining({ subscriptionId: inOpen, channelName: 'shared-public', outcome: 'dropped', rule: 'kind_not_selected' }),
      ]),
    );
    const text = await command(boss.id, `subscriptions explain --project ${bridge.gitlab.url}/across/channels`, open.id);
    expect(text).toContain('#### What reached channels about project `across/channels`');
    expect(text).toContain(`shared-private (subscription ${inHidden}): **posted**`);
    expect(text).toContain(`shared-public (subscription ${inOpen}): **dropped** (event not selected)`);

    // Anyone else: refused, whatever channels they are in.
    expect(await command(alice, 'subscriptions explain --project across/channels', hidden.id)).toMatch(/^`subscriptions explain --project` is for system admins/);
    const refused = await asAlice()('GET', '/explain/project?path=across/channels');
    expect(refused).toMatchObject({ status: 403, body: { code: 'forbidden' } });
    expect((await asBoss()('GET', '/explain/project')).status).toBe(400);
  });

  it('answers only members of the channel, about its own subscriptions', async () => {
    const target = project('doors/members');
    const room = channel('members-only');
    const other = channel('other-room');
    const id = await subscribe(room.id, target);
    const elsewhere = await subscribe(other.id, target);
    await send('issue.open.json', target);
    await settled();

    expect(await explain(eve, room.id, id)).toMatch(/^Only members of this channel can see what reached it/);
    expect(await asUser('eve')('GET', `/channels/${room.id}/subscriptions/${id}/explain`)).toMatchObject({ status: 403, body: { code: 'not_channel_member' } });
    // A member asking for another channel's subscription from here learns nothing of it.
    expect(await explain(alice, room.id, elsewhere)).toBe(`This channel has no subscription \`${elsewhere}\`. \`/gitlab subscriptions list\` shows them.`);
    expect(await asAlice()('GET', `/channels/${room.id}/subscriptions/${elsewhere}/explain`)).toMatchObject({ status: 404, body: { code: 'not_found' } });
    expect(await explain(bob, room.id, 'doors/members')).toContain('**posted**');
  });

  it('never shows the title, labels, link or author of a confidential event, to members or admins', async () => {
    const target = project('doors/confidential', 'private');
    const room = channel('confidential-room');
    const open = channel('confidential-open', 'O');
    const id = await subscribe(room.id, target, { filters: { events: ['issue', 'note'] } });
    // Access shown and a label filter, in a public channel: the labels it compared are the event's.
    const openId = await subscribe(open.id, target, { privateAccess: true, forced: false, filters: { labels: ['bug'] } });
    await send('issue.open.json', target, (payload) => {
      payload.object_attributes.confidential = true;
      payload.object_attributes.title = 'Acquisition of Initech';
      payload.labels = [{ id: 9, title: 'zebra-secret' }];
    });
    await send('note.merge_request.json', target, (payload) => {
      payload.object_attributes.internal = true;
      payload.object_attributes.note = 'Salary bands attached';
    });
    await send('issue.open.json', target, (payload) => {
      payload.object_attributes.iid = 24;
      payload.object_attributes.title = 'Quietly retire the mobile app';
      payload.labels = [{ id: 10, title: 'giraffe-internal' }];
    });
    await settled();

    const secrets = /Initech|zebra-secret|Salary|issues\/23|note_|Quietly retire|giraffe-internal|root/;
    const member = await report(room.id, id);
    expect(member.events).toHaveLength(3);
    expect(member.events.filter((event) => event.summary === null).map((event) => `${event.kind} ${event.action}`).sort()).toEqual(['issue ', 'note ']);
    expect(JSON.stringify(member.events.filter((event) => event.summary === null))).not.toMatch(secrets);
    expect(await explain(alice, room.id, id)).not.toMatch(/Initech|zebra-secret|Salary/);

    // In the public channel even the members-only issue is hidden, and so are the labels it was compared by.
    const publicView = await report(open.id, openId);
    expect(publicView.events.every((event) => event.summary === null && event.url === null)).toBe(true);
    expect(JSON.stringify(publicView)).not.toMatch(secrets);
    // Which filter dropped a hidden event would tell what it is: only why the channel may not have it shows.
    expect(publicView.events.map((event) => event.outcomes[0]!.rule)).not.toContain('label_filter');
    expect(publicView.events.map((event) => event.outcomes[0]!.rule)).toEqual(expect.arrayContaining(['private_channel_required']));
    expect(await explain(bob, open.id, openId)).not.toMatch(secrets);

    const admin = await asBoss()<ExplainReport>('GET', '/explain/project?path=doors/confidential');
    expect(JSON.stringify(admin.body)).not.toMatch(/Initech|zebra-secret|Salary/);
    expect(await command(boss.id, 'subscriptions explain --project doors/confidential', room.id)).not.toMatch(/Initech|zebra-secret|Salary/);
  });

  it('neutralises mentions in what it shows', async () => {
    const target = project('doors/mentions');
    const room = channel('mentions');
    const id = await subscribe(room.id, target);
    await send('issue.open.json', target, (payload) => (payload.object_attributes.title = 'Ping @channel and @alice now'));
    await settled();
    const text = await explain(alice, room.id, id);
    expect(text).toContain('Ping @\u200Bchannel and @\u200Balice now');
    expect(text).not.toMatch(/@(channel|alice)\b/);
  });
});

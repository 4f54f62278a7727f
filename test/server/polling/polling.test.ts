/**
 * Polling end to end: a running bridge polls the fake GitLab for connected
 * users (one GraphQL request per cycle) and for a project subscription without
 * a webhook, and obeys GitLab's 429: one user's pauses that user, several
 * users' at once pause everyone. Cycles are one second here.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readWorkSnapshot } from '../../../server/src/store/work-snapshots.js';
import { startCommandBridge, type CommandBridge } from '../../helpers/command-bridge.js';
import { webhookFixture } from '../../helpers/fixtures.js';
import { waitFor } from '../../helpers/wait-for.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const PROJECT = 'team/app';
let bridge: CommandBridge;
let alice: string;
let bob: string;
let carol: string;
let projectId: number;

beforeAll(async () => {
  bridge = await startCommandBridge({
    users: ['alice', 'bob', 'carol'],
    oauth: true,
    env: () => ({ POLL_INTERVAL_SECONDS: '1', POLL_ACTIVE_INTERVAL_SECONDS: '1', GITLAB_MAX_REQUESTS_PER_MINUTE: '1000' }),
  });
  ({ alice, bob, carol } = bridge.users as { alice: string; bob: string; carol: string });
  projectId = bridge.gitlab.addProject(PROJECT, { visibility: 'public' }).id;
  // Timezones as people set them in Mattermost: one automatic, one manual.
  bridge.mattermost.users.get(alice)!.timezone = { useAutomaticTimezone: 'true', automaticTimezone: 'Europe/Berlin', manualTimezone: '' };
  bridge.mattermost.users.get(bob)!.timezone = { useAutomaticTimezone: 'false', automaticTimezone: 'Europe/Paris', manualTimezone: 'America/Los_Angeles' };
  await bridge.connectGitLab(alice, { id: 6, username: 'user1', name: 'User One' });
  await bridge.connectGitLab(bob, { id: 51, username: 'author', name: 'The Author' });
  await bridge.connectGitLab(carol, { id: 52, username: 'carol', name: 'Carol' });
  await polledOnce(alice);
  await polledOnce(bob);
  await polledOnce(carol);
}, 120_000);

afterAll(async () => {
  await bridge?.close();
});

interface UserJob {
  last_success_at: Date | null;
  state: { lastTodoId?: number; reminder?: { dueAt: string } };
}

async function userJob(userId: string): Promise<UserJob | undefined> {
  const { rows } = await bridge.pool.query<UserJob>(`SELECT last_success_at, state FROM poll_jobs WHERE kind = 'user' AND subject = $1`, [userId]);
  return rows[0];
}

/** Waits for a successful poll of the user that started after now. */
async function polledOnce(userId: string): Promise<void> {
  const since = Date.now();
  await waitFor(async () => ((await userJob(userId))?.last_success_at?.getTime() ?? 0) > since, `a poll of ${userId}`, 20_000);
}

const dms = (userId: string, pattern: RegExp) => bridge.mattermost.directMessagesTo(userId).filter((post) => pattern.test(post.message));

describe('polling connected users', () => {
  it('a review request made in GitLab reaches the reviewer without any webhook, and the sidebar data counts it', async () => {
    const mr = bridge.gitlab.addMergeRequest(PROJECT, { title: 'Polled review @all', authorId: 51 });
    bridge.gitlab.requestReview(PROJECT, mr.iid, 6, 51);
    await waitFor(() => dms(alice, /Polled review/).length > 0, 'the review request DM', 20_000);
    const [message] = dms(alice, /Polled review/);
    expect(message!.message).toMatch(/requested your review/);
    expect(message!.message).not.toMatch(/@all/);
    const { rows } = await bridge.pool.query<{ snapshot: { reviews: { total: number } } }>('SELECT snapshot FROM work_snapshots WHERE mattermost_user_id = $1', [alice]);
    expect(rows[0]!.snapshot.reviews.total).toBe(1);
  });

  it('a review request reported by a webhook and then found as a to-do is one DM', async () => {
    const mr = bridge.gitlab.addMergeRequest(PROJECT, { title: 'Hooked and polled', authorId: 51 });
    const fixture = webhookFixture('merge_request.update.reviewers.json');
    const payload = JSON.parse(fixture.body) as Json;
    payload.project.id = projectId;
    payload.project.path_with_namespace = PROJECT;
    payload.object_attributes.iid = mr.iid;
    payload.object_attributes.title = 'Hooked and polled';
    payload.assignees = [];
    payload.user = { id: 51, name: 'The Author', username: 'author' };
    const response = await fetch(`${bridge.publicUrl}/webhook`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Gitlab-Token': 'hook-secret', 'X-Gitlab-Event': fixture.event, 'X-Gitlab-Event-UUID': randomUUID() },
      body: JSON.stringify(payload),
    });
    expect(response.status).toBe(202);
    await waitFor(() => dms(alice, /Hooked and polled/).length > 0, 'the webhook DM', 20_000);
    expect(bridge.gitlab.requestReview(PROJECT, mr.iid, 6, 51).reviewerIds).toContain(6);
    // A poll has seen the to-do once it is in the user's snapshot; the DMs it queued are sent by the next poll's end.
    await waitFor(async () => {
      const { rows } = await bridge.pool.query<{ snapshot: { todos: { items: { targetTitle: string }[] } } }>('SELECT snapshot FROM work_snapshots WHERE mattermost_user_id = $1', [alice]);
      return rows[0]!.snapshot.todos.items.some((todo) => todo.targetTitle === 'Hooked and polled');
    }, 'a poll that saw the to-do', 20_000);
    await polledOnce(alice);
    await waitFor(async () => (await bridge.pool.query(`SELECT 1 FROM direct_outbox WHERE state = 'pending'`)).rows.length === 0, 'direct messages sent');
    expect(dms(alice, /Hooked and polled/)).toHaveLength(1);
  });
});

describe('polls of several users at once', () => {
  const titlesIn = async (userId: string) => {
    const { rows } = await bridge.pool.query<{ titles: string[] }>(
      "SELECT ARRAY(SELECT item->>'title' FROM jsonb_array_elements(snapshot->'reviews'->'items') item) AS titles FROM work_snapshots WHERE mattermost_user_id = $1",
      [userId],
    );
    return rows[0]!.titles;
  };

  it('give each user their own work and direct messages', async () => {
    const forAlice = bridge.gitlab.addMergeRequest(PROJECT, { title: 'Batched for alice', authorId: 51 });
    const forCarol = bridge.gitlab.addMergeRequest(PROJECT, { title: 'Batched for carol', authorId: 51 });
    bridge.gitlab.requestReview(PROJECT, forAlice.iid, 6, 51);
    bridge.gitlab.requestReview(PROJECT, forCarol.iid, 52, 51);
    await waitFor(() => dms(alice, /Batched for/).length > 0 && dms(carol, /Batched for/).length > 0, 'both DMs', 20_000);
    expect(dms(alice, /Batched for/).map((post) => post.message)).toEqual([expect.stringContaining('Batched for alice')]);
    expect(dms(carol, /Batched for/).map((post) => post.message)).toEqual([expect.stringContaining('Batched for carol')]);
    expect(await titlesIn(alice)).toContain('Batched for alice');
    expect(await titlesIn(alice)).not.toContain('Batched for carol');
    expect(await titlesIn(carol)).toEqual(['Batched for carol']);
  });

  it('write nothing for a user whose work has not changed, who is still shown as freshly polled', async () => {
    const row = async () =>
      (await bridge.pool.query<{ xmin: string; polled_at: Date }>('SELECT xmin::text, polled_at FROM work_snapshots WHERE mattermost_user_id = $1', [bob])).rows[0]!;
    const before = await row();
    await polledOnce(bob);
    const since = Date.now();
    await polledOnce(bob);
    expect(await row()).toEqual(before);
    // What the reminder and the webapp say of how fresh the lists are.
    expect((await readWorkSnapshot(bridge.pool, bob))!.polledAt.getTime()).toBeGreaterThan(since);
  });
});

describe('the daily reminder', () => {
  it('falls due at 09:00 in each user\'s Mattermost timezone', async () => {
    const berlin = new Date((await userJob(alice))!.state.reminder!.dueAt);
    const losAngeles = new Date((await userJob(bob))!.state.reminder!.dueAt);
    const localTime = (date: Date, timeZone: string) => new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit' }).format(date);
    expect(localTime(berlin, 'Europe/Berlin')).toBe('09:00');
    expect(localTime(losAngeles, 'America/Los_Angeles')).toBe('09:00');
    expect(berlin.getTime()).toBeGreaterThan(Date.now());
  });

  it('is sent by the poll after it falls due, listing the reviews; nothing for someone with nothing waiting', async () => {
    const dueNow = new Date(Date.now() - 1000).toISOString();
    await bridge.pool.query(`UPDATE poll_jobs SET state = jsonb_set(state, '{reminder,dueAt}', to_jsonb($1::text)) WHERE kind = 'user'`, [dueNow]);
    await polledOnce(alice);
    await polledOnce(bob);
    await waitFor(async () => {
      const { rows } = await bridge.pool.query(`SELECT 1 FROM direct_outbox WHERE kind = 'reminder' AND state = 'pending'`);
      return rows.length === 0;
    }, 'reminders sent');
    const reminders = dms(alice, /Your GitLab day/);
    expect(reminders).toHaveLength(1);
    expect(reminders[0]!.message).toMatch(/Polled review/);
    // Bob has no review requests, assignments or to-dos: no reminder at all.
    expect(dms(bob, /Your GitLab day/)).toHaveLength(0);
    const next = new Date((await userJob(alice))!.state.reminder!.dueAt);
    expect(next.getTime()).toBeGreaterThan(Date.now());
  });
});

describe('a subscription without a webhook', () => {
  it('is polled, posts what a webhook would have, and says so in the list', async () => {
    const channel = bridge.mattermost.addChannel('town', { members: [alice], teamId: bridge.team.id });
    expect(await bridge.command(alice, `subscriptions add ${PROJECT} --poll --events issues`, channel.id)).toMatch(/Subscribed/);
    await waitFor(async () => {
      const { rows } = await bridge.pool.query<{ last_success_at: Date | null }>(`SELECT last_success_at FROM poll_jobs WHERE kind = 'project' AND subject = $1`, [String(projectId)]);
      return rows[0]?.last_success_at != null;
    }, 'the first poll of the project', 20_000);
    bridge.gitlab.addIssue(PROJECT, { title: 'Found by polling', authorId: 51 });
    await waitFor(() => bridge.mattermost.posts.some((post) => post.channel_id === channel.id && /Found by polling/.test(post.message)), 'the issue post', 20_000);
    const post = bridge.mattermost.posts.find((candidate) => candidate.channel_id === channel.id && /Found by polling/.test(candidate.message))!;
    expect(post.message).toMatch(/opened issue/);
    expect(await bridge.command(alice, 'subscriptions list', channel.id)).toMatch(/Polled \(added with `--poll`\): last polled/);
  });
});

describe('GitLab rate limits', () => {
  /** Every request made with one GitLab user's tokens: their polls, and project polls and checks made as them. */
  const requestsOf = (gitlabUserId: number) => {
    const tokens = new Set(bridge.gitlab.tokensOf(gitlabUserId));
    return bridge.gitlab.requests.filter((request) => request.token !== undefined && tokens.has(request.token));
  };
  const pauseForEveryone = async () => (await bridge.pool.query<{ until: Date; reason: string }>('SELECT until, reason FROM gitlab_rate_pause WHERE until > now()')).rows[0];
  const settle = () => new Promise((resolve) => setTimeout(resolve, 500));

  it("a 429 on one user's token pauses that user's polls only: the others go on within the pause, and /metrics shows it", async () => {
    bridge.gitlab.failNextRequests(1, { status: 429, retryAfterSeconds: 6, userId: 6 });
    await waitFor(() => requestsOf(6).some((request) => request.status === 429), "a refusal of alice's request", 20_000);
    // GitLab said 6 s; a second of it is left for the bridge to record the pause and for the test's own pace.
    const withinPause = Date.now() + 5000;
    // A request of hers let through just before the pause was recorded may still land.
    await settle();
    const aliceAt = requestsOf(6).length;
    const bobAt = requestsOf(51).length;
    const carolAt = requestsOf(52).length;
    await waitFor(() => requestsOf(51).length > bobAt && requestsOf(52).length > carolAt, 'bob and carol polled meanwhile', 20_000);
    expect(Date.now()).toBeLessThan(withinPause);
    expect(requestsOf(6).length).toBe(aliceAt);
    expect(await pauseForEveryone()).toBeUndefined();
    // Recorded in the database, so every replica pauses her, under a hash of her token.
    const { rows } = await bridge.pool.query<{ caller: string }>('SELECT caller FROM gitlab_caller_rate_pause WHERE until > now()');
    expect(rows).toHaveLength(1);
    expect(bridge.gitlab.tokensOf(6).some((token) => rows[0]!.caller.includes(token))).toBe(false);
    await waitFor(() => requestsOf(6).length > aliceAt, 'alice polled again after her pause', 20_000);
    const { internalPort } = await bridge.bridge.ready();
    const metrics = await (await fetch(`http://127.0.0.1:${internalPort}/metrics`)).text();
    expect(metrics).toMatch(/gitlab_bridge_gitlab_requests_total\{outcome="rate_limited"\} [1-9]/);
  });

  it("429s on several users' tokens at once (GitLab refusing everybody) pause every poll until then", async () => {
    // Enough refusals for every user, as a limit on the bridge's IP would give them.
    bridge.gitlab.failNextRequests(20, { status: 429, retryAfterSeconds: 5 });
    await waitFor(async () => (await pauseForEveryone()) !== undefined, 'the pause for everyone recorded', 20_000);
    bridge.gitlab.failNextRequests(0, { status: 429 });
    expect((await pauseForEveryone())!.reason).toMatch(/3 GitLab users refused within a minute/);
    // The three refused tokens may include one refused a moment ago by the test before (within the minute that counts).
    const refused = new Set(bridge.gitlab.requests.filter((request) => request.status === 429).map((request) => request.token));
    const refusedUsers = [6, 51, 52].filter((id) => bridge.gitlab.tokensOf(id).some((token) => refused.has(token)));
    expect(refusedUsers).toHaveLength(3);
    // Another user's request may have been let through just before the pause was recorded: let it land first.
    await settle();
    const refusedAt = bridge.gitlab.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(bridge.gitlab.requests.length).toBe(refusedAt);
    await waitFor(() => bridge.gitlab.requests.slice(refusedAt).some((request) => request.path === '/api/graphql' && request.status === 200), 'polling again after the pause', 20_000);
  });
});

describe('GitLab Community Edition', () => {
  it('polling goes on without the approval fields CE lacks', async () => {
    bridge.gitlab.setEdition('ce');
    const graphql = () => bridge.gitlab.requests.filter((request) => request.path === '/api/graphql');
    const before = graphql().length;
    await polledOnce(alice);
    await polledOnce(alice);
    expect((await userJob(alice))!.state).toBeDefined();
    const { rows } = await bridge.pool.query<{ last_error: string | null }>(`SELECT last_error FROM poll_jobs WHERE kind = 'user' AND subject = $1`, [alice]);
    expect(rows[0]!.last_error).toBeNull();
    // One refused query taught the bridge; every later one is answered.
    const refused = graphql().slice(before).filter((request) => request.status !== 200);
    expect(refused.length).toBeLessThanOrEqual(1);
    expect(graphql().slice(before).some((request) => request.status === 200)).toBe(true);
  });
});

/**
 * Polling two GitLab instances at once, end to end: a running bridge with the default GitLab and a
 * second one (`corp`), each a fake of its own. Alice is connected to both, with the same GitLab user
 * id on each (ids and project ids are numbered per instance, so they meet); Bob only to corp. Each
 * instance is polled with its own tokens into its own request budget; the daily reminder and the
 * webapp's lists combine the instances, each item saying which it is on; a pause GitLab asks for on
 * one instance does not stop the other. Cycles are one second here.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startCommandBridge, type CommandBridge } from '../../helpers/command-bridge.js';
import { waitFor } from '../../helpers/wait-for.js';
import { webappClient } from '../../helpers/webapp-client.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const MAIN_PROJECT = 'team/app';
const CORP_PROJECT = 'corp/app';
let bridge: CommandBridge;
let alice: string;
let bob: string;
/** The default instance's label: its host. */
let mainLabel: string;

beforeAll(async () => {
  bridge = await startCommandBridge({
    users: ['alice', 'bob'],
    oauth: true,
    corp: true,
    env: () => ({ POLL_INTERVAL_SECONDS: '1', POLL_ACTIVE_INTERVAL_SECONDS: '1', GITLAB_MAX_REQUESTS_PER_MINUTE: '1000' }),
  });
  ({ alice, bob } = bridge.users as { alice: string; bob: string });
  const corp = bridge.corp!;
  mainLabel = new URL(bridge.gitlab.url).host;
  bridge.gitlab.addUser({ id: 51, username: 'author', name: 'Main Author' });
  corp.addUser({ id: 52, username: 'corp.author', name: 'Corp Author' });
  // Both are project 1 on their own GitLab.
  expect(bridge.gitlab.addProject(MAIN_PROJECT, { visibility: 'public' }).id).toBe(corp.addProject(CORP_PROJECT, { visibility: 'public' }).id);
  await bridge.connectGitLab(alice, { id: 6, username: 'user1', name: 'User One' });
  await bridge.connectGitLab(alice, { id: 6, username: 'alice.corp', name: 'Alice at Corp' }, 'corp');
  await bridge.connectGitLab(bob, { id: 7, username: 'bob.corp', name: 'Bob at Corp' }, 'corp');
  await Promise.all([polledOnce(alice, 'default'), polledOnce(alice, 'corp'), polledOnce(bob, 'corp')]);
}, 120_000);

afterAll(async () => {
  await bridge?.close();
});

interface UserJob {
  last_success_at: Date | null;
  state: { reminder?: { dueAt: string; for: string } };
}

async function userJob(userId: string, instance: string): Promise<UserJob | undefined> {
  const { rows } = await bridge.pool.query<UserJob>(`SELECT last_success_at, state FROM poll_jobs WHERE kind = 'user' AND subject = $1 AND instance = $2`, [userId, instance]);
  return rows[0];
}

/** Waits for a successful poll of the user on that instance that started after now. */
async function polledOnce(userId: string, instance: string): Promise<void> {
  const since = Date.now();
  await waitFor(async () => ((await userJob(userId, instance))?.last_success_at?.getTime() ?? 0) > since, `a poll of ${userId} on ${instance}`, 20_000);
}

const dms = (userId: string, pattern: RegExp) => bridge.mattermost.directMessagesTo(userId).filter((post) => pattern.test(post.message));
const directMessagesSent = () => waitFor(async () => (await bridge.pool.query(`SELECT 1 FROM direct_outbox WHERE state = 'pending'`)).rows.length === 0, 'direct messages sent', 20_000);

describe('a person connected to two GitLabs', () => {
  it('gets the review requests of both polled, each with its own token, each counted in its own request budget', async () => {
    const main = bridge.gitlab.addMergeRequest(MAIN_PROJECT, { title: 'Main review', authorId: 51 });
    const corpMr = bridge.corp!.addMergeRequest(CORP_PROJECT, { title: 'Corp review', authorId: 52 });
    // The same project id, iid and reviewer id on both: only the instance tells the two requests apart.
    expect([main.iid]).toEqual([corpMr.iid]);
    bridge.gitlab.requestReview(MAIN_PROJECT, main.iid, 6, 51);
    bridge.corp!.requestReview(CORP_PROJECT, corpMr.iid, 6, 52);
    bridge.corp!.requestReview(CORP_PROJECT, corpMr.iid, 7, 52);
    await waitFor(() => dms(alice, /Main review/).length > 0 && dms(alice, /Corp review/).length > 0, 'both review DMs', 20_000);
    await waitFor(() => dms(bob, /Corp review/).length > 0, "bob's review DM", 20_000);
    expect(dms(alice, /requested your review/).map((post) => post.message)).toHaveLength(2);

    const { rows: snapshots } = await bridge.pool.query<{ instance: string; reviews: number }>(
      "SELECT instance, (snapshot->'reviews'->>'total')::int AS reviews FROM work_snapshots WHERE mattermost_user_id = $1 ORDER BY instance",
      [alice],
    );
    expect(snapshots).toEqual([
      { instance: 'corp', reviews: 1 },
      { instance: 'default', reviews: 1 },
    ]);

    // No token of one GitLab was ever shown to the other.
    const ownTokens = (fake: typeof bridge.gitlab, ids: number[]) => new Set(ids.flatMap((id) => fake.tokensOf(id)));
    const corpTokens = ownTokens(bridge.corp!, [6, 7]);
    const mainTokens = ownTokens(bridge.gitlab, [6]);
    expect(bridge.corp!.requests.filter((request) => request.token !== undefined && mainTokens.has(request.token))).toEqual([]);
    expect(bridge.gitlab.requests.filter((request) => request.token !== undefined && corpTokens.has(request.token))).toEqual([]);

    // Each instance's budget holds its own requests, no more than its GitLab received.
    const { rows: budget } = await bridge.pool.query<{ instance: string; used: number }>('SELECT instance, sum(used)::int AS used FROM gitlab_request_budget GROUP BY instance ORDER BY instance');
    await new Promise((resolve) => setTimeout(resolve, 300)); // requests taken from the budget a moment ago reach the fakes
    const used = Object.fromEntries(budget.map((row) => [row.instance, row.used]));
    expect(Object.keys(used)).toEqual(['corp', 'default']);
    expect(used.corp).toBeGreaterThan(0);
    expect(used.default).toBeGreaterThan(0);
    expect(used.corp).toBeLessThanOrEqual(bridge.corp!.requests.length);
    expect(used.default).toBeLessThanOrEqual(bridge.gitlab.requests.length);
  });

  it('gets one daily reminder listing both, each item with its GitLab; someone on one GitLab gets theirs too', async () => {
    const due = (offsetMs: number) => new Date(Date.now() - 1000 - offsetMs).toISOString();
    const mainState = (await userJob(alice, 'default'))!.state.reminder!;
    // Only the default instance's job keeps alice's reminder: the corp one leaves it to that one.
    expect((await userJob(alice, 'corp'))!.state.reminder).toBeUndefined();
    expect((await userJob(bob, 'corp'))!.state.reminder).toBeDefined();
    // Due everywhere, at different moments: a second sender would not be hidden behind the same key.
    await bridge.pool.query(`UPDATE poll_jobs SET state = jsonb_set(state, '{reminder}', $1::jsonb) WHERE kind = 'user' AND subject = $2 AND instance = 'default'`, [JSON.stringify({ ...mainState, dueAt: due(0) }), alice]);
    await bridge.pool.query(`UPDATE poll_jobs SET state = jsonb_set(state, '{reminder}', $1::jsonb) WHERE kind = 'user' AND subject = $2 AND instance = 'corp'`, [JSON.stringify({ ...mainState, dueAt: due(500) }), alice]);
    await bridge.pool.query(`UPDATE poll_jobs SET state = jsonb_set(state, '{reminder,dueAt}', to_jsonb($1::text)) WHERE kind = 'user' AND subject = $2 AND instance = 'corp'`, [due(0), bob]);
    await Promise.all([polledOnce(alice, 'default'), polledOnce(alice, 'corp'), polledOnce(bob, 'corp')]);
    await polledOnce(alice, 'corp');
    await directMessagesSent();

    const reminders = dms(alice, /Your GitLab day/);
    expect(reminders).toHaveLength(1);
    const text = reminders[0]!.message;
    expect(text).toContain('**Reviews requested from you (2)**');
    expect(text).toMatch(new RegExp(`Main review\\]\\([^)]+\\) · on ${mainLabel.replace(/\./g, '\\.')} ·`));
    expect(text).toMatch(/Corp review\]\([^)]+\) · on corp ·/);
    // Links go to each item's own GitLab.
    expect(text).toContain(`${bridge.corp!.url}/corp/app/-/merge_requests/`);
    expect(text).toContain(`${bridge.gitlab.url}/team/app/-/merge_requests/`);
    expect((await userJob(alice, 'corp'))!.state.reminder).toBeUndefined();

    const bobs = dms(bob, /Your GitLab day/);
    expect(bobs).toHaveLength(1);
    expect(bobs[0]!.message).toMatch(/Corp review\]\([^)]+\) · on corp ·/);
    expect(bobs[0]!.message).not.toContain('Main review');
  });
});

describe('the webapp lists', () => {
  it('combine both GitLabs, each item carrying its instance and label', async () => {
    const client = webappClient(bridge, 'alice');
    const sidebar = await client<Json>('GET', '/sidebar');
    expect(sidebar.status).toBe(200);
    // A review request is a to-do too, on each GitLab.
    expect(sidebar.body.counts).toMatchObject({ reviews: 2, todos: 2 });
    const reviews = await client<Json>('GET', '/lists/reviews');
    expect(reviews.body.total).toBe(2);
    expect(reviews.body.items.map((item: Json) => [item.title, item.instance, item.instanceLabel]).sort()).toEqual([
      ['Corp review', 'corp', 'corp'],
      ['Main review', 'default', mainLabel],
    ]);
    const corpItem = reviews.body.items.find((item: Json) => item.instance === 'corp');
    expect(corpItem).toMatchObject({ projectPath: CORP_PROJECT, url: expect.stringContaining(bridge.corp!.url) });
  });

  it("mark a to-do done on the GitLab it is on, with the person's token there, and nowhere else", async () => {
    const client = webappClient(bridge, 'alice');
    const todos = (await client<Json>('GET', '/lists/todos')).body.items as Json[];
    const corpTodo = todos.find((todo) => todo.instance === 'corp')!;
    const mainTodo = todos.find((todo) => todo.instance === 'default')!;
    // Each GitLab numbers its to-dos from 1: the ids meet.
    expect(corpTodo.id).toBe(mainTodo.id);
    const markedOn = (fake: typeof bridge.gitlab) => fake.requests.filter((request) => request.path.endsWith('/mark_as_done'));

    expect((await client<Json>('POST', `/todos/${corpTodo.id}/done?instance=nowhere`)).body).toMatchObject({ code: 'bad_request' });
    // Bob may name alice's to-do on corp: GitLab knows it is not his.
    expect((await webappClient(bridge, 'bob')<Json>('POST', `/todos/${corpTodo.id}/done?instance=corp`)).body).toMatchObject({ code: 'not_found' });

    const done = await client<Json>('POST', `/todos/${corpTodo.id}/done?instance=corp`);
    expect(done.status).toBe(200);
    expect(done.body.counts).toMatchObject({ reviews: 2, todos: 1 });
    const marked = markedOn(bridge.corp!).filter((request) => request.status === 201);
    expect(marked).toHaveLength(1);
    expect(bridge.corp!.tokensOf(6)).toContain(marked[0]!.token);
    expect(markedOn(bridge.gitlab)).toEqual([]);
    const left = (await client<Json>('GET', '/lists/todos')).body.items as Json[];
    expect(left.map((todo) => [todo.instance, todo.id])).toEqual([['default', mainTodo.id]]);
  });

  it('show someone connected to one GitLab only what is there', async () => {
    const client = webappClient(bridge, 'bob');
    expect((await client<Json>('GET', '/sidebar')).body.counts).toMatchObject({ reviews: 1 });
    const reviews = await client<Json>('GET', '/lists/reviews');
    expect(reviews.body.items.map((item: Json) => [item.title, item.instance])).toEqual([['Corp review', 'corp']]);
  });
});

describe('/gitlab todo', () => {
  it('lists both GitLabs in one answer, each item with its GitLab', async () => {
    const answer = await bridge.command(alice, 'todo');
    expect(answer).toContain('**Reviews requested from you (2)**');
    expect(answer).toMatch(/Corp review\]\([^)]+\) · on corp/);
    expect(answer).toMatch(new RegExp(`Main review\\]\\([^)]+\\) · on ${mainLabel.replace(/\./g, '\\.')}`));
  });
});

describe('/gitlab mute', () => {
  it("mutes a user of the GitLab named (by --instance or a profile link), and unmutes wherever they were muted", async () => {
    expect(await bridge.command(alice, 'mute add corp.author --instance corp')).toMatch(/^Muted corp\.author on \*\*corp\*\*: nothing they do there/);
    // On the default GitLab nobody is called corp.author.
    expect(await bridge.command(alice, 'mute add corp.author')).toBe(`GitLab on **${mainLabel}** has no user \`corp.author\`.`);
    expect(await bridge.command(alice, `mute add ${bridge.gitlab.url}/author`)).toMatch(new RegExp(`^Muted author on \\*\\*${mainLabel.replace(/\./g, '\\.')}\\*\\*`));
    expect(await bridge.command(bob, 'mute add corp.author --instance nowhere')).toMatch(/has no GitLab instance `nowhere`/);
    const { rows } = await bridge.pool.query<{ instance: string; gitlab_user_id: string }>('SELECT instance, gitlab_user_id FROM gitlab_mutes WHERE mattermost_user_id = $1 ORDER BY instance', [alice]);
    expect(rows).toEqual([
      { instance: 'corp', gitlab_user_id: '52' },
      { instance: 'default', gitlab_user_id: '51' },
    ]);
    expect(await bridge.command(alice, 'mute list')).toMatch(/- author on \*\*[^*]+\*\*, since .*\n- corp\.author on \*\*corp\*\*, since/);
    expect(await bridge.command(alice, 'mute delete corp.author')).toBe('Unmuted corp.author on **corp**.');
    expect(await bridge.command(alice, 'mute delete author --instance corp')).toBe('You had not muted author on **corp**.');
    expect(await bridge.command(alice, 'mute delete author')).toBe(`Unmuted author on **${mainLabel}**.`);
  });
});

describe('GitLab asking to wait', () => {
  it('on one instance pauses that instance only: the other is polled meanwhile', async () => {
    const graphql = (fake: typeof bridge.gitlab) => fake.requests.filter((request) => request.path === '/api/graphql');
    // A 503 with Retry-After pauses everyone on that GitLab (it is the whole instance that is unwell).
    bridge.corp!.failNextRequests(50, { status: 503, retryAfterSeconds: 15 });
    await waitFor(async () => (await bridge.pool.query("SELECT 1 FROM gitlab_rate_pause WHERE instance = 'corp' AND until > now()")).rows.length > 0, 'the pause of corp', 20_000);
    bridge.corp!.failNextRequests(0, { status: 503 });
    // Well inside the pause, so a slow machine does not make the other instance's polls look late.
    const withinPause = Date.now() + 12_000;
    expect((await bridge.pool.query("SELECT 1 FROM gitlab_rate_pause WHERE instance = 'default' AND until > now()")).rows).toEqual([]);
    // A request let through just before the pause was recorded may still land.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const corpAt = graphql(bridge.corp!).length;
    const mainAt = graphql(bridge.gitlab).length;
    await waitFor(() => graphql(bridge.gitlab).slice(mainAt).filter((request) => request.status === 200).length >= 2, 'the default GitLab polled meanwhile', 20_000);
    expect(Date.now()).toBeLessThan(withinPause);
    expect(graphql(bridge.corp!).length).toBe(corpAt);
    await waitFor(() => graphql(bridge.corp!).slice(corpAt).some((request) => request.status === 200), 'corp polled again after its pause', 30_000);
  }, 90_000);
});

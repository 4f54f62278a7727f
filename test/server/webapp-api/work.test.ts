/**
 * The sidebar, the lists and marking a to-do done, through a running bridge
 * and the fake GitLab holding merge requests, issues and to-dos of the user.
 * Polling is slow here (an hour): what the answers show comes from the first
 * poll after connecting, or from the poll the API makes on the spot.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startCommandBridge, type CommandBridge } from '../../helpers/command-bridge.js';
import { waitFor } from '../../helpers/wait-for.js';
import { webappClient } from '../../helpers/webapp-client.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const APP = 'team/app';
const DEEP = 'team/sub/deep';
const ME = { id: 6, username: 'user1', name: 'User One' };
const AUTHOR = { id: 51, username: 'author', name: 'The Author' };

let bridge: CommandBridge;
let alice: ReturnType<typeof webappClient>;
let mentionTodoId: number;
let someoneElsesTodoId: number;

const graphqlRequests = () => bridge.gitlab.requests.filter((request) => request.path === '/api/graphql');

beforeAll(async () => {
  bridge = await startCommandBridge({ users: ['alice', 'bob'], oauth: true, env: () => ({ POLL_INTERVAL_SECONDS: '3600' }) });
  alice = webappClient(bridge, 'alice');
  const { gitlab } = bridge;
  gitlab.addUser(AUTHOR);
  gitlab.addUser(ME);
  gitlab.addProject(APP, { visibility: 'public' });
  gitlab.addProject(DEEP, { visibility: 'public' });
  const review = gitlab.addMergeRequest(APP, { title: 'Review me', authorId: AUTHOR.id, labels: ['bug'], approvalsRequired: 2, approvedBy: [AUTHOR.id] });
  gitlab.requestReview(APP, review.iid, ME.id, AUTHOR.id);
  const mine = gitlab.addMergeRequest(APP, { title: 'Draft: my change', draft: true, authorId: ME.id });
  gitlab.assignMergeRequest(APP, mine.iid, ME.id, AUTHOR.id);
  const issue = gitlab.addIssue(DEEP, { title: 'Deep issue', authorId: AUTHOR.id, assigneeIds: [ME.id] });
  mentionTodoId = gitlab.addTodo(ME.id, { projectPath: DEEP, targetType: 'Issue', targetIid: issue.iid, actionName: 'mentioned', authorId: AUTHOR.id, body: 'hey @user1 look' }).id;
  someoneElsesTodoId = gitlab.addTodo(AUTHOR.id, { projectPath: APP, targetType: 'MergeRequest', targetIid: mine.iid, actionName: 'review_requested', authorId: ME.id }).id;
  await bridge.connectGitLab(bridge.users.alice!, ME);
}, 120_000);

afterAll(async () => {
  await bridge?.close();
});

describe('without a GitLab account', () => {
  it('answers 403 not_connected for the sidebar, the lists and to-dos', async () => {
    const bob = webappClient(bridge, 'bob');
    for (const [method, path] of [['GET', '/sidebar'], ['GET', '/lists/reviews'], ['POST', `/todos/${mentionTodoId}/done`]] as const) {
      const answer = await bob(method, path);
      expect([path, answer.status, (answer.body as Json).code]).toEqual([path, 403, 'not_connected']);
    }
    expect(bridge.gitlab.requests.some((request) => request.path.includes('mark_as_done'))).toBe(false);
  });
});

describe('GET /sidebar', () => {
  it('counts reviews, assigned and own merge requests, assigned issues and to-dos', async () => {
    const sidebar = await alice<Json>('GET', '/sidebar');
    expect(sidebar.status).toBe(200);
    // requestReview and assignMergeRequest make a to-do each, as GitLab does; plus the mention.
    expect(sidebar.body.counts).toEqual({ reviews: 1, assigned_mrs: 1, my_mrs: 1, assigned_issues: 1, todos: 3 });
    expect(Date.parse(sidebar.body.updatedAt)).not.toBeNaN();
  });

  it('polls on the spot when the user has no snapshot yet', async () => {
    await waitFor(async () => (await bridge.pool.query("SELECT 1 FROM poll_jobs WHERE kind = 'user' AND last_success_at IS NOT NULL")).rows.length > 0, 'the first poll', 20_000);
    await bridge.pool.query('DELETE FROM work_snapshots');
    const before = graphqlRequests().length;
    // The webapp's first look asks for the sidebar and a list at once: one poll answers both.
    const [sidebar, list] = await Promise.all([alice<Json>('GET', '/sidebar'), alice<Json>('GET', '/lists/reviews')]);
    expect(sidebar.status).toBe(200);
    expect(sidebar.body.counts.reviews).toBe(1);
    expect(list.body.total).toBe(1);
    expect(graphqlRequests().length).toBe(before + 1);
    // Saved: the next look reads it.
    expect((await alice<Json>('GET', '/sidebar')).body.counts).toEqual(sidebar.body.counts);
    expect(graphqlRequests().length).toBe(before + 1);
  });
});

describe('GET /lists/{list}', () => {
  it('lists merge requests with what the panel shows, project paths included', async () => {
    const list = await alice<Json>('GET', '/lists/reviews');
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ list: 'reviews', total: 1 });
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0]).toMatchObject({
      type: 'merge_request',
      reference: expect.stringMatching(/^team\/app!\d+$/),
      projectPath: APP,
      title: 'Review me',
      url: expect.stringContaining(`/${APP}/-/merge_requests/`),
      author: { username: 'author', name: 'The Author' },
      labels: [{ title: 'bug', color: expect.stringMatching(/^#/), textColor: expect.stringMatching(/^#/) }],
      approvals: { required: 2, given: 1 },
      draft: false,
    });
    const mine = await alice<Json>('GET', '/lists/my_mrs');
    expect(mine.body.items[0]).toMatchObject({ title: 'Draft: my change', draft: true, projectPath: APP });
  });

  it('gives issues in subgroups their whole project path', async () => {
    const list = await alice<Json>('GET', '/lists/assigned_issues');
    expect(list.body.items).toEqual([expect.objectContaining({ type: 'issue', projectPath: DEEP, title: 'Deep issue', reference: expect.stringMatching(/^team\/sub\/deep#\d+$/) })]);
  });

  it('lists to-dos with their id, action and target', async () => {
    const list = await alice<Json>('GET', '/lists/todos');
    expect(list.body.total).toBe(3);
    const mention = list.body.items.find((todo: Json) => todo.id === mentionTodoId);
    expect(mention).toMatchObject({ action: 'mentioned', targetType: 'issue', targetTitle: 'Deep issue', projectPath: DEEP, author: { username: 'author' } });
  });

  it('answers 404 not_found for a list that does not exist', async () => {
    const answer = await alice('GET', '/lists/everything');
    expect(answer.status).toBe(404);
    expect(answer.body).toMatchObject({ code: 'not_found' });
  });
});

describe('POST /todos/{id}/done', () => {
  it('marks the to-do done in GitLab as the user, and the counts and list drop it', async () => {
    const answer = await alice<Json>('POST', `/todos/${mentionTodoId}/done`);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ ok: true, counts: { reviews: 1, assigned_mrs: 1, my_mrs: 1, assigned_issues: 1, todos: 2 } });
    const call = bridge.gitlab.requests.find((request) => request.path === `/api/v4/todos/${mentionTodoId}/mark_as_done`);
    expect(call).toMatchObject({ method: 'POST', status: 201 });
    // As the user: their own OAuth token, which the fake knows as theirs.
    expect(bridge.gitlab.tokensOf(ME.id)).toContain(call!.token);
    expect((await alice<Json>('GET', '/sidebar')).body.counts.todos).toBe(2);
    const todos = await alice<Json>('GET', '/lists/todos');
    expect(todos.body.items.map((todo: Json) => todo.id)).not.toContain(mentionTodoId);
    // Announced to the user's open webapps.
    const { rows } = await bridge.pool.query<{ data: Json }>("SELECT data FROM live_events WHERE kind = 'work' AND user_id = $1 ORDER BY id DESC LIMIT 1", [bridge.users.alice]);
    expect(rows[0]?.data).toEqual({ counts: answer.body.counts });
  });

  it('answers 404 not_found for a to-do that is not the user\'s or does not exist, and changes nothing', async () => {
    for (const id of [someoneElsesTodoId, 987654]) {
      const answer = await alice('POST', `/todos/${id}/done`);
      expect([id, answer.status, (answer.body as Json).code]).toEqual([id, 404, 'not_found']);
    }
    expect((await alice<Json>('GET', '/sidebar')).body.counts.todos).toBe(2);
  });

  it('answers 400 bad_request for an id that is no number', async () => {
    for (const id of ['abc', '0', '-1', '1e3', '99999999999999999999']) {
      const answer = await alice('POST', `/todos/${id}/done`);
      expect([id, answer.status, (answer.body as Json).code]).toEqual([id, 400, 'bad_request']);
    }
  });
});

/**
 * `/gitlab todo`, `issue …` and `pipeline …`: GitLab work from the message
 * box, done with the user's own token so that GitLab's permissions decide.
 * Real bridge process and PostgreSQL; Mattermost and GitLab are fakes.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { startCommandBridge, type CommandBridge } from '../../helpers/command-bridge.js';
import { waitFor } from '../../helpers/wait-for.js';

let running: CommandBridge;
let alice: string;
let aliceToken: string;
const ALICE = { id: 601, username: 'alice.gl', name: 'Alice' };
const DANA = { id: 602, username: 'dana.gl', name: 'Dana' };

beforeEach(async () => {
  running = await startCommandBridge({ users: ['alice', 'bob'], oauth: true });
  alice = running.users.alice!;
  running.gitlab.addUser(DANA);
  running.gitlab.addProject('platform/web', { visibility: 'public' });
  running.gitlab.addProject('secret/vault', { visibility: 'private' });
  ({ token: aliceToken } = await running.connectGitLab(alice, ALICE));
});
afterEach(() => running.close());


/** A loopback server that counts what reaches it. */
async function recordingServer(): Promise<{ url: string; requests: number; close(): Promise<void> }> {
  const recorded = { requests: 0 };
  const server = http.createServer((_req, res) => {
    recorded.requests += 1;
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get requests() {
      return recorded.requests;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const audited = async (action: string) => (await running.pool.query('SELECT actor, target, details FROM audit_log WHERE action = $1 ORDER BY id', [action])).rows;

describe('/gitlab todo', () => {
  it('lists review requests, assigned merge requests and issues, and pending to-dos, and only those', async () => {
    const { gitlab } = running;
    gitlab.addMergeRequest('platform/web', { title: 'Faster builds', authorId: DANA.id, reviewerIds: [ALICE.id] });
    gitlab.addMergeRequest('platform/web', { title: 'Merged one', authorId: DANA.id, reviewerIds: [ALICE.id], state: 'merged' });
    gitlab.addMergeRequest('platform/web', { title: 'Draft: My own work', authorId: ALICE.id, assigneeIds: [ALICE.id] });
    gitlab.addIssue('platform/web', { title: 'Login broken @channel', authorId: DANA.id, assigneeIds: [ALICE.id] });
    gitlab.addIssue('platform/web', { title: 'Not mine', authorId: DANA.id, assigneeIds: [DANA.id] });
    gitlab.addTodo(ALICE.id, { projectPath: 'platform/web', targetType: 'Issue', targetIid: 1, actionName: 'mentioned', authorId: DANA.id });
    gitlab.addTodo(ALICE.id, { projectPath: 'platform/web', targetType: 'Issue', targetIid: 2, actionName: 'assigned', authorId: DANA.id, state: 'done' });

    const answer = await running.command(alice, 'todo');
    expect(answer).toMatch(/^#### Your GitLab to-do list: 4 items\n/);
    expect(answer).toContain('**Reviews requested from you (1)**\n- [platform/web!1 Faster builds]');
    expect(answer).toContain('**Merge requests assigned to you (1)**\n- [platform/web!3 Draft: My own work](');
    expect(answer).not.toContain(' · draft');
    expect(answer).toContain('**Issues assigned to you (1)**\n- [platform/web#1 Login broken @\u200Bchannel]');
    expect(answer).toContain('**To-dos (1)**\n- mentioned: [platform/web#1 Login broken @\u200Bchannel]');
    expect(answer).not.toContain('Merged one');
    expect(answer).not.toContain('Not mine');
  });

  it('says what to do when the account is not connected, and when nothing waits', async () => {
    expect(await running.command(running.users.bob!, 'todo')).toBe('Your to-dos come from your GitLab account: `/gitlab connect` first.');
    expect(await running.command(alice, 'todo')).toMatch(/^Nothing waits for you in GitLab/);
    expect(await running.command(alice, 'todo now')).toBe('`todo` takes nothing more. Usage: `/gitlab todo`');
  });
});

describe('a slow answer', () => {
  it('comes at once as "Working on it…", then through the response_url, and never to another origin', async () => {
    // Every command now waits for a token refresh that GitLab takes 3.5 s to answer.
    const slowGitLab = async () => {
      running.gitlab.expireAccessTokens();
      await running.pool.query("UPDATE gitlab_accounts SET expires_at = now() - interval '1 minute'");
      running.gitlab.setTokenDelay(3500);
    };
    await slowGitLab();
    expect(await running.command(alice, 'todo')).toBe('Working on it…');
    await waitFor(() => running.mattermost.commandResponses.length === 1);
    expect(running.mattermost.commandResponses[0]!.body).toEqual({ response_type: 'ephemeral', text: expect.stringMatching(/^Nothing waits for you in GitLab/) });

    const elsewhere = await recordingServer();
    await slowGitLab();
    expect(await running.command(alice, 'todo', 'c1', { responseUrl: `${elsewhere.url}/hooks/commands/x` })).toBe('Working on it…');
    await running.bridge.waitForLog((line) => line.msg === 'could not send a slow command’s answer');
    expect(elsewhere.requests).toBe(0);
    await elsewhere.close();
  });
});

describe('/gitlab issue', () => {
  it('creates an issue as the user with labels and a description, audits it, then shows, comments on and closes it', async () => {
    const created = await running.command(alice, 'issue create platform/web Crash on save --description "Steps: open, save" --labels "bug, ui"');
    expect(created).toMatch(/^Created \[platform\/web#1 Crash on save\]\(http:\/\/127\.0\.0\.1:\d+\/platform\/web\/-\/issues\/1\) with labels `bug`, `ui`\.$/);
    const [issue] = running.gitlab.issuesOf('platform/web');
    expect(issue).toMatchObject({ title: 'Crash on save', description: 'Steps: open, save', labels: ['bug', 'ui'], authorId: ALICE.id });
    expect(await audited('issue.created')).toEqual([{ actor: alice, target: 'project:platform/web', details: expect.objectContaining({ issue: 'platform/web#1' }) }]);

    const shown = await running.command(alice, 'issue show platform/web#1');
    expect(shown).toContain('open · by Alice · unassigned · `bug` `ui`');
    expect(shown).toContain('> Steps: open, save');

    const commented = await running.command(alice, `issue comment ${running.gitlab.url}/platform/web/-/issues/1 Seen it on "Firefox" too`);
    expect(commented).toMatch(/^Commented on \[platform\/web#1 Crash on save\]\(.*\) \(\[your comment\]\(.*#note_\d+\)\)\.$/);
    expect(running.gitlab.issuesOf('platform/web')[0]!.notes.map((note) => note.body)).toEqual(['Seen it on Firefox too']);

    expect(await running.command(alice, 'issue close platform/web#1')).toMatch(/^Closed \[platform\/web#1 Crash on save\]/);
    expect(running.gitlab.issuesOf('platform/web')[0]!.state).toBe('closed');
    expect(await running.command(alice, 'issue close platform/web#1')).toContain('is closed already');
    expect(await audited('issue.closed')).toHaveLength(1);
  });

  it('searches what the user can see, and keeps confidential issues from those who may not', async () => {
    running.gitlab.addIssue('platform/web', { title: 'Cache misses on deploy', authorId: DANA.id });
    running.gitlab.addIssue('platform/web', { title: 'Cache is cold', authorId: DANA.id, state: 'closed' });
    running.gitlab.addIssue('platform/web', { title: 'Cache leak (security)', authorId: DANA.id, confidential: true });
    running.gitlab.addIssue('secret/vault', { title: 'Cache of secrets', authorId: DANA.id });

    const open = await running.command(alice, 'issue search cache');
    expect(open).toMatch(/^#### 1 issue: open issues matching `cache`\n- \[platform\/web#1 Cache misses on deploy\]/);
    const all = await running.command(alice, 'issue search cache --state all --project platform/web');
    expect(all).toContain('2 issues: issues matching `cache` in `platform/web`');
    expect(all).toContain('Cache is cold](');
    expect(all).toContain(' · closed');
    expect(all).not.toContain('security');
    expect(await running.command(alice, 'issue show platform/web#3')).toBe('That project or issue does not exist on GitLab, or your GitLab account cannot see it.');

    running.gitlab.grant(aliceToken, 'platform/web', 20);
    expect(await running.command(alice, 'issue search leak')).toContain('Cache leak \\(security\\)](');
    expect(await running.command(alice, 'issue search leak')).toContain(' · confidential');
  });

  it('answers the likely mistakes in one line', async () => {
    expect(await running.command(alice, 'issue create platform/web')).toMatch(/^Name the project and give a title\. Usage: `\/gitlab issue create/);
    expect(await running.command(alice, 'issue show platform/web')).toContain('does not name an issue');
    expect(await running.command(alice, 'issue show platform/web#1 --labels x')).toMatch(/^`--labels` does not go with `issue show`/);
    expect(await running.command(alice, 'issue comment platform/web#1')).toMatch(/^Name the issue and say something\. Usage: `\/gitlab issue comment/);
    expect(await running.command(alice, 'issue search x')).toContain('at least two characters');
    expect(await running.command(alice, 'issue search cache --state new')).toContain('`--state` is opened, closed or all');
    expect(await running.command(alice, 'issue create secret/vault Leak')).toBe('That project or issue does not exist on GitLab, or your GitLab account cannot see it.');
    expect(await running.command(alice, 'issue frobnicate')).toMatch(/^Usage: `\/gitlab issue create <project> <title>/);
    running.gitlab.addIssue('platform/web', { title: 'Dana’s', authorId: DANA.id });
    expect(await running.command(alice, 'issue close platform/web#1')).toContain('closing needs the Reporter role');
    expect(running.gitlab.issuesOf('platform/web')[0]!.state).toBe('opened');
  });
});

describe('/gitlab pipeline', () => {
  it('runs a pipeline with variables for a Developer, auditing the variable names but not their values', async () => {
    running.gitlab.grant(aliceToken, 'platform/web', 30);
    running.gitlab.addBranch('platform/web', 'release/1.2');
    const started = await running.command(alice, 'pipeline run platform/web release/1.2 DEPLOY=staging "NOTE=two words"');
    expect(started).toMatch(/^Started \[pipeline #(\d+)\]\(http:\/\/127\.0\.0\.1:\d+\/platform\/web\/-\/pipelines\/\1\) on `release\/1\.2` of `platform\/web` with `DEPLOY`, `NOTE`: \w+\.$/);
    const [pipeline] = running.gitlab.pipelinesOf('platform/web');
    expect(pipeline).toMatchObject({ ref: 'release/1.2', variables: [{ key: 'DEPLOY', value: 'staging' }, { key: 'NOTE', value: 'two words' }] });
    const [entry] = await audited('pipeline.created');
    expect(entry.details).toEqual({ pipeline: pipeline!.id, ref: 'release/1.2', variables: ['DEPLOY', 'NOTE'] });
    expect(JSON.stringify(entry)).not.toContain('staging');
  });

  it('retries a failed pipeline by id or URL', async () => {
    running.gitlab.grant(aliceToken, 'platform/web', 30);
    const failed = running.gitlab.addPipeline('platform/web', { ref: 'main', status: 'failed', userId: DANA.id });
    expect(await running.command(alice, `pipeline retry platform/web ${failed.id}`)).toMatch(new RegExp(`^Retried \\[pipeline #${failed.id}\\]\\(.*\\) on \`main\` of \`platform/web\`: running\\.$`));
    const again = running.gitlab.addPipeline('platform/web', { ref: 'main', status: 'canceled', userId: DANA.id });
    expect(await running.command(alice, `pipeline retry ${running.gitlab.url}/platform/web/-/pipelines/${again.id}`)).toMatch(/^Retried/);
    expect(await audited('pipeline.retried')).toHaveLength(2);
  });

  it('explains what GitLab refuses and what was mistyped', async () => {
    expect(await running.command(alice, 'pipeline run platform/web main')).toContain('pipelines need the Developer role');
    running.gitlab.grant(aliceToken, 'platform/web', 30);
    expect(await running.command(alice, 'pipeline run platform/web nope')).toBe('`nope` is not a branch or tag of `platform/web`.');
    expect(await running.command(alice, 'pipeline run platform/web main DEPLOY')).toContain('`DEPLOY` is not a variable: give each as KEY=value');
    expect(await running.command(alice, 'pipeline run platform/web')).toContain('Name the project and the branch or tag');
    expect(await running.command(alice, 'pipeline retry platform/web abc')).toBe('`abc` is not a pipeline id (a number).');
    expect(await running.command(alice, 'pipeline retry platform/web 999')).toContain('does not exist on GitLab, or your GitLab account cannot see it');
    expect(await running.command(alice, 'pipeline start platform/web main')).toMatch(/^Usage: `\/gitlab pipeline run/);
    expect(running.gitlab.pipelinesOf('platform/web')).toHaveLength(0);
  });
});

/**
 * Link previews (GET /api/v1/preview): what a tooltip shows of a GitLab URL,
 * read from GitLab as the user. Real bridge process, both fakes on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startCommandBridge, type CommandBridge } from '../../helpers/command-bridge.js';
import { webappClient } from '../../helpers/webapp-client.js';

let running: CommandBridge;
let alice: ReturnType<typeof webappClient>;
let carol: ReturnType<typeof webappClient>;
let gitlabUrl: string;
let sha: string;
const PROJECT = 'platform/deep/down/api';
const ALICE = 101;
const BOB = 102;

beforeAll(async () => {
  running = await startCommandBridge({ users: ['alice', 'carol'], oauth: true });
  const { gitlab } = running;
  gitlabUrl = gitlab.url;
  gitlab.addProject(PROJECT, { visibility: 'public' });
  gitlab.addProject('secret/vault', { visibility: 'private' });
  await running.connectGitLab(running.users.alice!, { id: ALICE, username: 'alice.gl', name: 'Alice' });
  gitlab.addUser({ id: BOB, username: 'bob', name: 'Bob <script>' });
  gitlab.addIssue(PROJECT, { title: 'Crash on *save* @all', authorId: BOB, assigneeIds: [ALICE], labels: ['bug'] });
  gitlab.addIssue('secret/vault', { title: 'Hidden', authorId: BOB });
  gitlab.addMergeRequest(PROJECT, { title: 'Fix the crash', authorId: BOB, reviewerIds: [ALICE], approvalsRequired: 2, approvedBy: [ALICE], conflicts: true, sourceBranch: 'fix-crash' });
  gitlab.addPipeline(PROJECT, { ref: 'fix-crash', status: 'failed', userId: BOB });
  sha = gitlab.push(PROJECT, { ref: 'main', userId: BOB, commits: [{ message: 'Make saving safe\n\nMore words', authorName: 'Bob' }] }).after;
  alice = webappClient(running, 'alice');
  carol = webappClient(running, 'carol');
}, 60_000);
afterAll(() => running.close());

const preview = (url: string, as = alice) => as('GET', `/preview?url=${encodeURIComponent(url)}`);

describe('link previews', () => {
  it('shows an issue at any group depth, its title as plain data', async () => {
    expect(await preview(`${gitlabUrl}/${PROJECT}/-/issues/1#note_4`)).toMatchObject({
      status: 200,
      body: {
        kind: 'issue',
        reference: `${PROJECT}#1`,
        title: 'Crash on *save* @all',
        state: 'opened',
        confidential: false,
        author: { username: 'bob', name: 'Bob <script>' },
        assignees: [{ username: 'alice.gl', name: 'Alice' }],
        labels: [{ title: 'bug', color: null, textColor: null }],
        url: `${gitlabUrl}/${PROJECT}/-/issues/1`,
      },
    });
  });

  it('shows a merge request with its approvals, pipeline, conflicts and reviewers', async () => {
    expect(await preview(`${gitlabUrl}/${PROJECT}/-/merge_requests/1/diffs`)).toMatchObject({
      status: 200,
      body: {
        kind: 'merge_request',
        reference: `${PROJECT}!1`,
        title: 'Fix the crash',
        draft: false,
        reviewers: [{ username: 'alice.gl' }],
        sourceBranch: 'fix-crash',
        targetBranch: 'main',
        pipelineStatus: 'failed',
        approvals: { required: 2, given: 1 },
        conflicts: true,
      },
    });
  });

  it('shows a pipeline and a commit', async () => {
    const [pipeline] = running.gitlab.pipelinesOf(PROJECT);
    expect(await preview(`${gitlabUrl}/${PROJECT}/-/pipelines/${pipeline!.id}`)).toMatchObject({ status: 200, body: { kind: 'pipeline', status: 'failed', ref: 'fix-crash' } });
    expect(await preview(`${gitlabUrl}/${PROJECT}/-/commit/${sha}`)).toMatchObject({ status: 200, body: { kind: 'commit', title: 'Make saving safe', author: { name: 'Bob' }, sha } });
  });

  it('is not found for what the user may not see, other hosts and other pages', async () => {
    for (const url of [
      `${gitlabUrl}/secret/vault/-/issues/1`,
      `${gitlabUrl}/${PROJECT}/-/issues/99`,
      `https://gitlab.example.org/${PROJECT}/-/issues/1`,
      `${gitlabUrl}/${PROJECT}/-/wikis/home`,
      `${gitlabUrl}/${PROJECT}`,
    ]) {
      expect([url, await preview(url)]).toMatchObject([url, { status: 404, body: { code: 'not_found' } }]);
    }
    expect(await alice('GET', '/preview')).toMatchObject({ status: 400, body: { code: 'bad_request' } });
  });

  it('asks GitLab once per user within half a minute', async () => {
    const url = `${gitlabUrl}/${PROJECT}/-/issues/1`;
    await preview(url);
    const asked = () => running.gitlab.requests.filter((request) => request.path.includes('/issues/1')).length;
    const before = asked();
    expect(await preview(url)).toMatchObject({ status: 200, body: { kind: 'issue' } });
    expect(asked()).toBe(before);
  });

  it('needs a connected GitLab account', async () => {
    expect(await preview(`${gitlabUrl}/${PROJECT}/-/issues/1`, carol)).toMatchObject({ status: 403, body: { code: 'not_connected' } });
    expect(await alice('GET', `/preview?url=${encodeURIComponent(`${gitlabUrl}/${PROJECT}/-/issues/1`)}`, { session: null })).toMatchObject({ status: 401, body: { code: 'not_logged_in' } });
  });
});

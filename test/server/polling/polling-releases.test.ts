/**
 * Polled subscriptions see tags, releases and deployments end to end: a running bridge polls the fake
 * GitLab (over loopback) for projects subscribed with `--poll`, posts what a webhook would have, once,
 * nothing from before the subscription, says what polling cannot see, and keeps what a project keeps to
 * its members out of a channel whose subscriber is not one. Cycles are one second here.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FakeChannel } from '../../fakes/fake-mattermost.js';
import { startCommandBridge, type CommandBridge } from '../../helpers/command-bridge.js';
import { waitFor } from '../../helpers/wait-for.js';

const APP = 'inner/app';
const SITE = 'outer/site';
const ALICE = { id: 6, username: 'user1', name: 'User One' };
const BOB = { id: 51, username: 'author', name: 'The Author' };

let bridge: CommandBridge;
let alice: string;
let bob: string;
let appId: number;
let siteId: number;

beforeAll(async () => {
  bridge = await startCommandBridge({
    users: ['alice', 'bob'],
    oauth: true,
    env: () => ({ POLL_INTERVAL_SECONDS: '1', POLL_ACTIVE_INTERVAL_SECONDS: '1', GITLAB_MAX_REQUESTS_PER_MINUTE: '1000' }),
  });
  ({ alice, bob } = bridge.users as { alice: string; bob: string });
  const { gitlab } = bridge;
  appId = gitlab.addProject(APP, { visibility: 'private' }).id;
  // Public, but its releases and environments are for members only.
  siteId = gitlab.addProject(SITE, { visibility: 'public', features: { releases: 'private', environments: 'private' } }).id;
  const aliceToken = (await bridge.connectGitLab(alice, ALICE)).token;
  await bridge.connectGitLab(bob, BOB);
  gitlab.grant(aliceToken, APP, 30);
  gitlab.grant(aliceToken, SITE, 20);
  for (const project of [APP, SITE]) gitlab.push(project, { ref: 'main', userId: ALICE.id, commits: [{ message: 'Prepare the release' }] });
}, 120_000);

afterAll(async () => {
  await bridge?.close();
});

interface ProjectJob {
  last_success_at: Date | null;
  state: { releases?: unknown; deployments?: unknown };
}

async function projectJob(projectId: number): Promise<ProjectJob | undefined> {
  const { rows } = await bridge.pool.query<ProjectJob>(`SELECT last_success_at, state FROM poll_jobs WHERE kind = 'project' AND subject = $1`, [String(projectId)]);
  return rows[0];
}

/** Waits for the first poll of the project, which notes where its releases and deployments stand. */
async function baselined(projectId: number): Promise<void> {
  await waitFor(async () => {
    const job = await projectJob(projectId);
    return job?.state.releases !== undefined && job.state.deployments !== undefined;
  }, `the first poll of project ${projectId}`, 20_000);
}

/** Waits for `count` more successful polls of the project. */
async function polled(projectId: number, count = 2): Promise<void> {
  for (let done = 0; done < count; done++) {
    const since = Date.now();
    await waitFor(async () => ((await projectJob(projectId))?.last_success_at?.getTime() ?? 0) > since, `a poll of project ${projectId}`, 20_000);
  }
  await waitFor(async () => (await bridge.pool.query(`SELECT 1 FROM channel_outbox WHERE state = 'pending'`)).rows.length === 0, 'channel posts sent', 20_000);
}

const postsIn = (channel: FakeChannel, pattern: RegExp) => bridge.mattermost.posts.filter((post) => post.channel_id === channel.id && pattern.test(post.message));

describe('a project subscribed with --poll', () => {
  let channel: FakeChannel;

  beforeAll(async () => {
    const { gitlab, mattermost } = bridge;
    const botId = [...mattermost.users.values()].find((user) => user.is_bot)!.id;
    channel = mattermost.addChannel('releases', { type: 'P', members: [alice, botId], teamId: bridge.team.id });
    // History: none of it may reach the channel.
    gitlab.pushTag(APP, 'v0.9', { userId: ALICE.id, message: 'Old tag' });
    gitlab.addRelease(APP, { tag: 'v0.9', userId: ALICE.id, name: 'Old release' });
    gitlab.addDeployment(APP, { environment: 'staging', status: 'success', userId: ALICE.id, ref: 'main' });
  });

  it('says, when added, what polling cannot see and what would bring it', async () => {
    const answer = await bridge.command(alice, `subscriptions add ${APP} --poll --events tags,releases,deployments`, channel.id);
    expect(answer).toMatch(/^Subscribed this channel/);
    expect(answer).toContain('Polling cannot see release deletions: only a webhook brings those (`/gitlab webhook add inner/app`, as a Maintainer).');
    await baselined(appId);
  });

  it('posts a new tag, a release (created, then updated) and a deployment as it runs and succeeds, each once, and nothing from before', async () => {
    const { gitlab } = bridge;
    gitlab.pushTag(APP, 'v1.0', { userId: ALICE.id, message: 'First stable release' });
    gitlab.addRelease(APP, { tag: 'v1.0', userId: ALICE.id, name: 'Version 1.0', description: 'Shiny new things' });
    const deployment = gitlab.addDeployment(APP, { environment: 'production', status: 'running', userId: ALICE.id, ref: 'main' });
    await waitFor(() => postsIn(channel, /Deployment to `production` from `main` started/).length > 0, 'the running deployment', 20_000);
    gitlab.setDeploymentStatus(deployment.id, 'success');
    await waitFor(() => postsIn(channel, /Deployment to `production` from `main` succeeded/).length > 0, 'the successful deployment', 20_000);
    await waitFor(() => postsIn(channel, /Release \[Version 1\.0\]\([^)]+\) created/).length > 0, 'the release', 20_000);
    gitlab.updateRelease(APP, 'v1.0', { description: 'Shiny new things, and notes' });
    await waitFor(() => postsIn(channel, /Release \[Version 1\.0\]\([^)]+\) updated/).length > 0, 'the release update', 20_000);
    await polled(appId);

    const tags = postsIn(channel, /created tag \[`v1\.0`\]/);
    expect(tags).toHaveLength(1);
    expect(tags[0]!.message).toContain('First stable release');
    expect(postsIn(channel, /Release \[Version 1\.0\]\([^)]+\) created/)).toHaveLength(1);
    expect(postsIn(channel, /Release \[Version 1\.0\]\([^)]+\) updated/)).toHaveLength(1);
    expect(postsIn(channel, /Deployment to `production` from `main` started/)).toHaveLength(1);
    expect(postsIn(channel, /Deployment to `production` from `main` succeeded/)).toHaveLength(1);
    expect(postsIn(channel, /v0\.9|Old release|staging/)).toHaveLength(0);
  });

  it('costs one request a cycle for releases and one for deployments', async () => {
    const { gitlab } = bridge;
    const at = gitlab.requests.length;
    await polled(appId, 3);
    const made = gitlab.requests.slice(at).filter((request) => request.path.startsWith(`/api/v4/projects/${appId}/`));
    const count = (suffix: string) => made.filter((request) => request.path === `/api/v4/projects/${appId}/${suffix}`).length;
    // Three polls finished in the window; a fourth may have begun.
    expect(count('releases')).toBeGreaterThanOrEqual(3);
    expect(count('releases')).toBeLessThanOrEqual(4);
    expect(count('deployments')).toBe(count('releases'));
    expect(count('events')).toBe(count('releases'));
  });

  it('lists the subscription as polled, with what polling cannot see; a default one names MR and issue updates', async () => {
    expect(await bridge.command(alice, 'subscriptions list', channel.id)).toMatch(/Polled \(added with `--poll`\): last polled [^\n]* · Polling cannot see release deletions/);
    const answer = await bridge.command(alice, `subscriptions edit ${APP} --events=`, channel.id);
    expect(answer).toMatch(/^Changed subscription/);
    expect(answer).toContain('Polling cannot see merge request updates (new commits, reviewers, labels, draft to ready) and unapprovals; issue updates (labels, assignees, edits); release deletions');
    expect(await bridge.command(alice, `subscriptions edit ${APP} --no-poll`, channel.id)).not.toContain('Polling cannot see');
  });
});

describe('a public project that keeps releases and environments to its members', () => {
  let insiders: FakeChannel;
  let town: FakeChannel;

  beforeAll(async () => {
    const { mattermost } = bridge;
    const botId = [...mattermost.users.values()].find((user) => user.is_bot)!.id;
    insiders = mattermost.addChannel('insiders', { type: 'P', members: [alice, botId], teamId: bridge.team.id });
    town = mattermost.addChannel('town', { members: [bob], teamId: bridge.team.id });
    // Alice (a Reporter) subscribes first: the project is polled with her token, which sees the releases.
    expect(await bridge.command(alice, `subscriptions add ${SITE} --poll --events tags,releases,deployments`, insiders.id)).toMatch(/^Subscribed/);
    expect(await bridge.command(bob, `subscriptions add ${SITE} --poll --events tags,releases,deployments`, town.id)).toMatch(/^Subscribed/);
    await baselined(siteId);
  });

  it('posts the tag in both channels, the release and the deployment only where the subscriber is a member', async () => {
    const { gitlab } = bridge;
    gitlab.addRelease(SITE, { tag: 'v2.0', userId: ALICE.id, name: 'Members-only release', description: 'Internal notes' });
    gitlab.addDeployment(SITE, { environment: 'production', status: 'success', userId: ALICE.id, ref: 'main' });
    await waitFor(() => postsIn(insiders, /Members-only release/).length > 0 && postsIn(insiders, /Deployment to `production`/).length > 0, 'the members’ posts', 20_000);
    await waitFor(() => postsIn(town, /created tag \[`v2\.0`\]/).length > 0, 'the tag in the public channel', 20_000);
    await polled(siteId);
    expect(postsIn(insiders, /created tag \[`v2\.0`\]/)).toHaveLength(1);
    expect(postsIn(town, /Members-only release|Internal notes|Deployment to/)).toHaveLength(0);
  });
});

describe('a subscriber GitLab does not show deployments to', () => {
  const OPEN = 'outer/open';
  let openId: number;
  let town: FakeChannel;

  beforeAll(async () => {
    openId = bridge.gitlab.addProject(OPEN, { visibility: 'public' }).id;
    town = bridge.mattermost.addChannel('open-town', { members: [bob], teamId: bridge.team.id });
    expect(await bridge.command(bob, `subscriptions add ${OPEN} --poll --events tags,deployments`, town.id)).toMatch(/^Subscribed/);
  });

  it('is polled for the rest, says so in the list, and is not asked again each cycle', async () => {
    await waitFor(async () => ((await projectJob(openId))?.state as { refused?: { deployments?: string } } | undefined)?.refused?.deployments !== undefined, 'the refusal noted', 20_000);
    const at = bridge.gitlab.requests.length;
    bridge.gitlab.pushTag(OPEN, 'v3.0', { userId: ALICE.id });
    await waitFor(() => postsIn(town, /created tag \[`v3\.0`\]/).length > 0, 'the tag', 20_000);
    await polled(openId);
    const asked = bridge.gitlab.requests.slice(at).filter((request) => request.path === `/api/v4/projects/${openId}/deployments`);
    expect(asked).toHaveLength(0);
    const { rows } = await bridge.pool.query<{ last_error: string | null }>(`SELECT last_error FROM poll_jobs WHERE kind = 'project' AND subject = $1`, [String(openId)]);
    expect(rows[0]!.last_error).toBeNull();
    expect(await bridge.command(bob, 'subscriptions list', town.id)).toContain('**GitLab does not show its deployments to the subscriber it is polled as**');
  });
});

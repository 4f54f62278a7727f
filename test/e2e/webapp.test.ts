/**
 * The built plugin bundle (webapp/dist/main.js) in Debian's Chromium, on a page
 * that provides what Mattermost's webapp provides, on the same origin as the
 * running bridge (proxied under /plugins/gitlab-bridge/), with the fake
 * Mattermost checking the session and the fake GitLab holding the data. One
 * bridge and one page for the whole story, as a user lives it: connect, look,
 * act. Screenshots (light and dark) go to test/e2e/screenshots/.
 */
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import type { Store } from 'redux';
import type { FakeChannel, FakeEphemeralPost } from '../fakes/fake-mattermost.js';
import { startCommandBridge, type CommandBridge } from '../helpers/command-bridge.js';
import { webhookFixture } from '../helpers/fixtures.js';
import { waitFor } from '../helpers/wait-for.js';
import { launchChromium } from './chromium.js';
import { buildHost } from './host/build-host.js';
import type { HostSetup, HostThemeName } from './host/host-setup.js';
import { startMattermostOrigin, type MattermostOrigin } from './mattermost-origin.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const SCREENSHOTS = path.join(root, 'test/e2e/screenshots');
/** The page's host: not 127.0.0.1, so the browser keeps Mattermost's cookies away from the fake GitLab's port. */
const SITE_HOST = 'mattermost.test';
const PROJECT = 'acme/platform/web';
const CSRF = 'csrf-of-alices-session';
const ALICE = { id: 101, username: 'alice.gl', name: 'Alice Liddell' };
const BOB = { id: 102, username: 'bob.gl', name: 'Bob Builder' };

describe('the webapp plugin in a browser, against the running bridge', () => {
  let origin: MattermostOrigin;
  let siteUrl: string;
  let bridge: CommandBridge;
  let channel: FakeChannel;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let problems: string[] = [];
  const pending: Promise<void>[] = [];
  let aliceToken: string;
  let mrUrl: string;
  let issuePostId: string;
  let projectId: number;

  beforeAll(async () => {
    const hostScript = readFileSync(await buildHost(mkdtempSync(path.join(os.tmpdir(), 'e2e-host-'))));
    origin = await startMattermostOrigin({ hostScript, bundle: readFileSync(path.join(root, 'webapp/dist/main.js')), assetsDir: path.join(root, 'assets') });
    siteUrl = origin.url.replace('127.0.0.1', SITE_HOST);
    bridge = await startCommandBridge({
      users: ['alice', 'bob'],
      oauth: true,
      publicUrl: `${siteUrl}/plugins/gitlab-bridge`,
      // The bridge listens to the fake Mattermost's WebSocket for replies and reactions; it reconnects quickly here.
      env: () => ({ MATTERMOST_SITE_URL: siteUrl, MATTERMOST_WEBSOCKET_RETRY_MS: '200' }),
    });
    origin.route({ bridge: bridge.listenerUrl, mattermost: bridge.mattermost.url });
    const { mattermost, gitlab, users } = bridge;
    mattermost.config.ServiceSettings.SiteURL = siteUrl;
    mattermost.addTeam('beta', { displayName: 'Beta', members: [users.alice!] });
    // A private channel, as a private project's subscription needs; its admin added the bot so that it can post there.
    const bot = [...mattermost.users.values()].find((user) => user.is_bot)!;
    // Mattermost adds a bot to the team of a channel it is added to.
    bridge.team.members.add(bot.id);
    channel = mattermost.addChannel('web-team', { type: 'P', members: [users.alice!, users.bob!, bot.id], teamId: bridge.team.id });

    // GitLab: a project in a subgroup where Alice works with Bob.
    aliceToken = gitlab.addUser(ALICE).token;
    const bobToken = gitlab.addUser(BOB).token;
    projectId = gitlab.addProject(PROJECT, { visibility: 'private' }).id;
    gitlab.grant(aliceToken, PROJECT, 40);
    gitlab.grant(bobToken, PROJECT, 30);
    const review = gitlab.addMergeRequest(PROJECT, { title: 'Add dark mode to the settings page', authorId: BOB.id, labels: ['frontend'] });
    gitlab.requestReview(PROJECT, review.iid, ALICE.id, BOB.id);
    gitlab.addMergeRequest(PROJECT, { title: 'Refactor the sidebar store', authorId: ALICE.id });
    const assigned = gitlab.addMergeRequest(PROJECT, { title: 'Upgrade the build to Node 20', authorId: BOB.id });
    gitlab.assignMergeRequest(PROJECT, assigned.iid, ALICE.id, BOB.id);
    const bug = gitlab.addIssue(PROJECT, { title: 'Search ignores accents', authorId: BOB.id });
    gitlab.assignIssue(PROJECT, bug.iid, ALICE.id, BOB.id);
    gitlab.addMergeRequest(PROJECT, { title: 'Bump dependencies', authorId: BOB.id });
    mrUrl = `${gitlab.url}/${PROJECT}/-/merge_requests/${review.iid}`;

    // Mattermost: Alice's posts in the channel, made through the API with her session.
    const post = async (message: string) => {
      const response = await fetch(`${mattermost.url}/api/v4/posts`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${bridge.sessions.alice}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ channel_id: channel.id, message }),
      });
      if (response.status !== 201) throw new Error(`posting answered ${response.status}`);
      return ((await response.json()) as { id: string }).id;
    };
    await post(`Could someone review ${mrUrl} today?`);
    issuePostId = await post('The login page crashes on Safari 17\nSteps: open /login, press Enter twice.');
    origin.setPage(hostSetup('denim'));

    browser = await launchChromium({ hosts: [SITE_HOST] });
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, baseURL: siteUrl });
    await context.addCookies([
      { name: 'MMAUTHTOKEN', value: bridge.sessions.alice!, url: siteUrl, httpOnly: true, sameSite: 'Lax' },
      { name: 'MMCSRF', value: CSRF, url: siteUrl, sameSite: 'Lax' },
      { name: 'MMUSERID', value: users.alice!, url: siteUrl, sameSite: 'Lax' },
    ]);
    page = await watchedPage();
    await page.goto('/');
    await page.waitForFunction(() => (window as unknown as { __host: { registered: unknown[] } }).__host.registered.length > 0);
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await bridge?.close();
    await origin?.close();
  });

  afterEach(async () => {
    await Promise.all(pending.splice(0));
    const seen = problems;
    problems = [];
    expect(seen).toEqual([]);
  });

  /** A page whose uncaught errors and console errors fail the test that caused them. */
  async function watchedPage(): Promise<Page> {
    const opened = await context.newPage();
    opened.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    opened.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
    });
    // The console names no URL for a failed request: this says which one it was.
    opened.on('response', (response) => {
      if (response.status() < 400) return;
      const line = `HTTP ${response.status()}: ${response.request().method()} ${response.url()}`;
      const json = response.headers()['content-type']?.startsWith('application/json');
      pending.push(json ? response.text().then((body) => void problems.push(`${line} ${body}`), () => void problems.push(line)) : Promise.resolve(void problems.push(line)));
    });
    return opened;
  }

  function hostSetup(theme: HostThemeName): HostSetup {
    const { mattermost, users } = bridge;
    const names: Record<string, [string, string]> = { alice: ['Alice', 'Liddell'], bob: ['Bob', 'Builder'] };
    const teams = [...mattermost.teams.values()].filter((team) => team.members.has(users.alice!));
    const bot = [...mattermost.users.values()].find((user) => user.is_bot)!;
    return {
      siteUrl,
      currentUserId: users.alice!,
      users: [
        ...Object.entries(users).map(([username, id]) => ({ id, username, first_name: names[username]![0], last_name: names[username]![1] })),
        { id: bot.id, username: bot.username, first_name: '', last_name: '', is_bot: true },
      ],
      teams: teams.map((team) => ({ id: team.id, name: team.name, display_name: team.name === 'beta' ? 'Beta' : 'Alpha' })),
      currentTeamId: bridge.team.id,
      channels: [{ id: channel.id, team_id: bridge.team.id, name: channel.name, display_name: 'Web team', type: 'P' }],
      currentChannelId: channel.id,
      posts: mattermost.posts
        .filter((post) => post.channel_id === channel.id && post.root_id === '')
        .map((post) => ({ id: post.id, channel_id: post.channel_id, user_id: post.user_id, message: post.message, create_at: post.create_at, root_id: '' })),
      theme,
    };
  }

  /** The same view in Mattermost's light (Denim) and dark (Onyx) themes. */
  async function screenshots(name: string): Promise<void> {
    mkdirSync(SCREENSHOTS, { recursive: true });
    for (const theme of ['denim', 'onyx'] as const) {
      await page.evaluate((next) => (window as unknown as { __host: { setTheme(name: string): void } }).__host.setTheme(next), theme);
      await expect(page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--center-channel-bg'))).resolves.toBe(theme === 'denim' ? '#ffffff' : '#191b1f');
      await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${theme === 'denim' ? 'light' : 'dark'}.png`) });
    }
    await page.evaluate(() => (window as unknown as { __host: { setTheme(name: string): void } }).__host.setTheme('denim'));
  }

  const sidebar = () => page.getByTestId('gitlab-sidebar');
  const rhs = () => page.getByTestId('gitlab-rhs');
  const counter = (name: string, count: number) => sidebar().getByRole('button', { name: `${name}: ${count}`, exact: true });
  const postNamed = (text: string): Locator => page.getByRole('listitem').filter({ has: page.locator('.post-message', { hasText: text }) });
  const gitlabTodos = async () => {
    const response = await fetch(`${bridge.gitlab.url}/api/v4/todos`, { headers: { 'PRIVATE-TOKEN': aliceToken } });
    return (await response.json()) as { id: number; state: string; target: { title: string } }[];
  };

  /** Alice's GitLab account: connected by the first scenario; when a later one runs alone, she connects as she does there. */
  async function connectAliceIfNeeded(): Promise<void> {
    const { gitlab, users } = bridge;
    const connected = await bridge.pool.query('SELECT 1 FROM gitlab_accounts WHERE mattermost_user_id = $1 AND disconnected_at IS NULL', [users.alice!]);
    if (connected.rowCount !== 0) return;
    gitlab.signIn(ALICE.id);
    const [popup] = await Promise.all([page.waitForEvent('popup'), sidebar().getByRole('button', { name: 'Connect GitLab' }).click()]);
    await popup.waitForEvent('close', { timeout: 10_000 });
    gitlab.signOut();
    await counter('Reviews', 1).waitFor();
  }

  /** A merge request webhook about `mr` (by Bob, in the private project), through the proxy as GitLab sends it. */
  async function sendMergeRequestHook(fixture: string, mr: { id: number; iid: number; title: string }, edit: (payload: Record<string, unknown>) => void = () => undefined) {
    const { body, event } = webhookFixture(fixture);
    const payload = JSON.parse(body) as Record<string, Record<string, unknown>>;
    const webUrl = `${bridge.gitlab.url}/${PROJECT}`;
    Object.assign(payload.project!, { id: projectId, name: 'web', path_with_namespace: PROJECT, web_url: webUrl, namespace: 'platform', visibility_level: 0 });
    Object.assign(payload.object_attributes!, { id: mr.id, iid: mr.iid, title: mr.title, url: `${webUrl}/-/merge_requests/${mr.iid}`, source_project_id: projectId, target_project_id: projectId, author_id: BOB.id });
    payload.user = { id: BOB.id, name: BOB.name, username: BOB.username, avatar_url: null } as never;
    payload.assignees = [] as never;
    payload.reviewers = [] as never;
    edit(payload);
    const response = await fetch(`${origin.url}/plugins/gitlab-bridge/webhook`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Gitlab-Event': event, 'X-Gitlab-Token': 'hook-secret' },
      body: JSON.stringify(payload),
    });
    expect(response.ok).toBe(true);
  }

  /**
   * What Mattermost's WebSocket would tell Alice's page (the fake has none): a post made or edited, as
   * Mattermost sends it to her (read with her session: no action's integration in it), or an ephemeral post.
   */
  async function tellPage(event: 'posted' | 'post_edited', postId: string): Promise<void> {
    const response = await fetch(`${origin.url}/api/v4/posts/${postId}`, { headers: { Authorization: `Bearer ${bridge.sessions.alice}` } });
    expect(response.status).toBe(200);
    await page.evaluate((message) => (window as unknown as { __host: { websocket(m: unknown): void } }).__host.websocket(message), { event, data: { post: await response.text() } });
  }

  /** `reaction_added` or `reaction_removed`, as Mattermost sends it to everyone in the channel: the reaction as it stores it. */
  async function tellPageReaction(event: 'reaction_added' | 'reaction_removed', postId: string, userId: string, emojiName: string): Promise<void> {
    const stored = bridge.mattermost.reactions.find((reaction) => reaction.post_id === postId && reaction.user_id === userId && reaction.emoji_name === emojiName);
    expect(stored).toBeDefined();
    await page.evaluate((message) => (window as unknown as { __host: { websocket(m: unknown): void } }).__host.websocket(message), { event, data: { reaction: JSON.stringify(stored) } });
  }

  async function tellPageEphemeral(shown: FakeEphemeralPost, id: string): Promise<void> {
    // SendEphemeralPost: a post of the presser's own, never stored, typed system_ephemeral.
    const post = { id, user_id: shown.userId, channel_id: shown.channelId, root_id: shown.rootId, message: shown.message, props: shown.props, type: 'system_ephemeral', create_at: Date.now(), update_at: Date.now(), delete_at: 0, edit_at: 0, metadata: {} };
    await page.evaluate((message) => (window as unknown as { __host: { websocket(m: unknown): void } }).__host.websocket(message), { event: 'ephemeral_message', data: { post: JSON.stringify(post) } });
  }

  it('connects a GitLab account from the "Connect GitLab" button, in a popup', async () => {
    const connect = sidebar().getByRole('button', { name: 'Connect GitLab' });
    await connect.waitFor();
    // GitLab's browser session is Alice's: its consent screen lets her straight through.
    bridge.gitlab.signIn(ALICE.id);
    const [popup] = await Promise.all([page.waitForEvent('popup'), connect.click()]);
    await popup.waitForURL(/\/plugins\/gitlab-bridge\/oauth\/complete\?/);
    await expect(popup.locator('h1').textContent()).resolves.toBe('Connected');
    await popup.waitForEvent('close', { timeout: 10_000 });
    bridge.gitlab.signOut();

    await counter('Reviews', 1).waitFor();
    await expect(sidebar().getByRole('button', { name: 'Connect GitLab' }).count()).resolves.toBe(0);
  });

  it("shows the counters and the lists with GitLab's data", async () => {
    await counter('Assigned merge requests', 1).waitFor();
    await counter('My merge requests', 1).waitFor();
    await counter('Assigned issues', 1).waitFor();
    await counter('To-dos', 3).waitFor(); // the review request and the two assignments

    await counter('Reviews', 1).click();
    await expect(rhs().getByRole('tab', { name: 'Reviews' }).getAttribute('aria-selected')).resolves.toBe('true');
    await rhs().getByRole('list').getByRole('listitem').getByRole('link', { name: 'Add dark mode to the settings page' }).waitFor();
    for (const [tab, title] of [
      ['Assigned MRs', 'Upgrade the build to Node 20'],
      ['My MRs', 'Refactor the sidebar store'],
      ['Issues', 'Search ignores accents'],
    ] as const) {
      await rhs().getByRole('tab', { name: tab }).click();
      await rhs().getByRole('listitem').getByRole('link', { name: title }).waitFor();
    }
    await rhs().getByRole('tab', { name: 'Reviews' }).click();
    await rhs().getByRole('link', { name: 'Add dark mode to the settings page' }).waitFor();
    await screenshots('sidebar-and-lists');
  });

  it('marks a to-do done: the counter drops and the to-do is done in GitLab', async () => {
    await rhs().getByRole('tab', { name: 'To-dos' }).click();
    const pending = await gitlabTodos();
    expect(pending.map((todo) => todo.target.title)).toContain('Search ignores accents');
    await rhs().getByRole('button', { name: 'Mark done: Search ignores accents' }).click();

    await counter('To-dos', 2).waitFor();
    await rhs().getByRole('button', { name: 'Mark done: Search ignores accents' }).waitFor({ state: 'detached' });
    const left = await gitlabTodos();
    expect(left.map((todo) => todo.target.title).sort()).toEqual(['Add dark mode to the settings page', 'Upgrade the build to Node 20']);
  });

  it('adds a subscription for a project in the Subscriptions tab, then deletes it', async () => {
    await rhs().getByRole('tab', { name: 'Subscriptions' }).click();
    await rhs().getByRole('button', { name: 'Add subscription' }).click();
    const target = rhs().getByRole('combobox', { name: 'Project or group' });
    await target.fill('web');
    await page.getByRole('option', { name: new RegExp(PROJECT) }).first().click();
    await rhs().getByRole('group', { name: 'Events' }).waitFor();
    // A private channel: thread replies go to GitLab unless unticked.
    await expect(rhs().getByRole('checkbox', { name: 'Send thread replies to GitLab as comments' }).isChecked()).resolves.toBe(true);
    await rhs().getByRole('button', { name: 'Subscribe' }).click();

    const item = rhs().getByRole('listitem').filter({ hasText: PROJECT });
    await item.waitFor();
    await item.getByRole('button', { name: `Delete subscription ${PROJECT}` }).waitFor();
    await item.getByText('replies → GitLab').waitFor();
    const listed = await bridge.command(bridge.users.alice!, 'subscriptions list', channel.id);
    expect(listed).toContain(PROJECT);
    expect(listed).toContain('replies → GitLab');
    await screenshots('subscriptions');

    await item.getByRole('button', { name: `Delete subscription ${PROJECT}` }).click();
    await rhs().getByRole('button', { name: 'Delete', exact: true }).click();
    await item.waitFor({ state: 'detached' });
    await expect(bridge.command(bridge.users.alice!, 'subscriptions list', channel.id)).resolves.not.toContain(PROJECT);
  });

  it('shows a tooltip when hovering a merge request link in a post', async () => {
    await page.getByRole('button', { name: 'Close sidebar' }).click();
    await page.getByRole('link', { name: mrUrl }).hover();
    const tooltip = page.getByTestId('gitlab-link-tooltip');
    await tooltip.getByText('Add dark mode to the settings page').waitFor();
    const text = await tooltip.textContent();
    expect(text).toMatch(/open/i);
    expect(text).toContain(BOB.username);
    expect(text).toContain('frontend');
    await screenshots('link-tooltip');
    await page.mouse.move(5, 5);
    await tooltip.waitFor({ state: 'detached' });
  });

  it('shows the GitLab username in the user popover', async () => {
    await postNamed('The login page crashes').getByRole('button', { name: 'alice', exact: true }).click();
    const attribute = page.getByTestId('user-popover').getByTestId('gitlab-user-attribute');
    await expect(attribute.getByRole('link').textContent()).resolves.toContain(ALICE.username);
    await page.keyboard.press('Escape');
  });

  it('creates a GitLab issue from a post through its "…" menu', async () => {
    const post = postNamed('The login page crashes');
    await post.hover();
    await post.getByRole('button', { name: 'More' }).click();
    await page.getByRole('menuitem', { name: 'Create GitLab issue' }).click();

    const dialog = page.getByRole('dialog', { name: 'Create GitLab issue' });
    await dialog.waitFor();
    await expect(dialog.getByRole('textbox', { name: 'Title' }).inputValue()).resolves.toBe('The login page crashes on Safari 17');
    await expect(dialog.getByRole('textbox', { name: 'Description' }).inputValue()).resolves.toContain('press Enter twice');
    await dialog.getByRole('combobox', { name: 'Project' }).fill('web');
    await page.getByRole('option', { name: new RegExp(PROJECT) }).first().click();
    await screenshots('create-issue');
    const reference = `${PROJECT}#${Math.max(0, ...bridge.gitlab.issuesOf(PROJECT).map((issue) => issue.iid)) + 1}`;
    await dialog.getByRole('button', { name: 'Create issue' }).click();

    const issues = () => bridge.gitlab.issuesOf(PROJECT).filter((issue) => issue.title === 'The login page crashes on Safari 17');
    await dialog.getByText('Created').waitFor();
    await dialog.getByRole('link', { name: reference }).waitFor();
    expect(issues()).toHaveLength(1);
    expect(issues()[0]!.authorId).toBe(ALICE.id);
    await waitFor(() => bridge.mattermost.posts.some((reply) => reply.root_id === issuePostId && reply.message.includes(reference)), 'the bot replies in the thread');
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'detached' });
  });

  it('updates the Reviews counter live when a review-request webhook arrives', async () => {
    await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
    await counter('Reviews', 1).waitFor();
    const bump = bridge.gitlab.mergeRequestsOf(PROJECT).find((mr) => mr.title === 'Bump dependencies')!;
    bridge.gitlab.requestReview(PROJECT, bump.iid, ALICE.id, BOB.id);

    const reviewer = { id: ALICE.id, name: ALICE.name, username: ALICE.username, avatar_url: null };
    await sendMergeRequestHook('merge_request.update.reviewers.json', bump, (payload) => {
      payload.reviewers = [reviewer];
      payload.changes = { reviewers: { previous: [], current: [reviewer] } };
    });

    await counter('Reviews', 2).waitFor();
    await expect(page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).resolves.toBe(true);
  });

  it('shows buttons on a merge request post, and approves from them as Alice', async () => {
    const { mattermost, gitlab, users } = bridge;
    await expect(bridge.command(users.alice!, `subscriptions add ${PROJECT}`, channel.id)).resolves.toContain(PROJECT);
    const mr = gitlab.addMergeRequest(PROJECT, { title: 'Cache avatars in the browser', authorId: BOB.id });
    await sendMergeRequestHook('merge_request.open.json', mr);
    const posted = () => mattermost.posts.find((post) => post.channel_id === channel.id && post.message.includes(mr.title));
    await waitFor(() => posted() !== undefined && mattermost.buttonsOf(posted()!.id).length > 0, 'the bot posts the merge request with buttons');
    const postId = posted()!.id;
    await tellPage('posted', postId);

    const post = postNamed(mr.title);
    const buttons = post.locator('.attachment-actions button');
    await post.getByRole('button', { name: 'Approve', exact: true }).waitFor();
    expect(await buttons.allTextContents()).toEqual(['Approve', 'Merge', 'Assign me', 'Review', 'Comment']);
    // The page has the buttons as Mattermost gives them to clients: without where they call and with what.
    const shownProps = await page.evaluate((id) => JSON.stringify((window as unknown as { __host: { store: Store } }).__host.store.getState().entities.posts.posts[id].props), postId);
    expect(shownProps).toContain('"id":"approve"');
    expect(shownProps).not.toMatch(/integration|claims/);
    await page.mouse.move(5, 5);
    await screenshots('buttons');

    const before = mattermost.ephemeralPosts.length;
    await post.getByRole('button', { name: 'Approve', exact: true }).click();
    await waitFor(() => mattermost.ephemeralPosts.length > before, 'the press is answered');
    // The page pressed it as Mattermost's client does: through Mattermost, with Alice's session.
    expect(mattermost.requests.filter((request) => request.operationId === 'DoPostAction')).toEqual([
      { operationId: 'DoPostAction', method: 'POST', path: `/api/v4/posts/${postId}/actions/approve`, body: { selected_option: '' }, userId: users.alice },
    ]);
    const answer = mattermost.ephemeralPosts[before]!;
    expect(answer).toMatchObject({ userId: users.alice, channelId: channel.id, rootId: postId });
    await tellPageEphemeral(answer, 'e'.repeat(26));
    await tellPage('post_edited', postId);

    const ephemeral = page.getByRole('listitem').filter({ hasText: '(Only visible to you)' });
    await ephemeral.locator('.post-message', { hasText: new RegExp(`^You approved .*!${mr.iid}\\b`) }).waitFor();
    await post.getByRole('button', { name: 'Revoke approval' }).waitFor();
    // A channel post keeps Approve only while approvals are missing; this project needs none beyond Alice's.
    expect(await buttons.allTextContents()).toEqual(['Revoke approval', 'Merge', 'Assign me', 'Review', 'Comment']);
    expect(gitlab.mergeRequestsOf(PROJECT).find((each) => each.iid === mr.iid)!.approvedBy).toEqual([ALICE.id]);
    await page.mouse.move(5, 5);
    await screenshots('buttons-after-approve');
  });

  it("says that it can't reach the bridge, and how to fix it, when the proxy answers 502", async () => {
    origin.breakBridgeApi(true);
    const cut = await watchedPage();
    try {
      await cut.goto('/');
      await cut.getByRole('navigation', { name: 'App Bar' }).getByRole('button', { name: 'GitLab' }).click();
      const alert = cut.getByRole('alert').filter({ hasText: "can't reach the GitLab bridge" }).first();
      await alert.waitFor();
      await expect(alert.textContent()).resolves.toContain('/plugins/gitlab-bridge/');
    } finally {
      origin.breakBridgeApi(false);
      await cut.close();
    }
    // The failed requests (and the browser's console lines about them) are the expected part of this story.
    problems = problems.filter((problem) => !/status of 502 \(Bad Gateway\)$|^HTTP 502: /.test(problem));
  });

  it('shows the code of a GitLab code link under its post, and nothing of a file Alice may not read', async () => {
    const { gitlab } = bridge;
    await connectAliceIfNeeded();
    const code = [
      "import { useStore } from '../store';",
      '',
      '/** The theme follows the system unless the user picked one. */',
      "export function currentTheme(): 'light' | 'dark' {",
      '  const picked = useStore((state) => state.settings.theme);',
      "  if (picked !== 'system') return picked;",
      "  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';",
      '}',
      '',
    ].join('\n');
    const sha = gitlab.addFile(PROJECT, 'src/settings/theme.ts', code);
    gitlab.addProject('acme/finance/ledger', { visibility: 'private' });
    gitlab.addFile('acme/finance/ledger', 'src/rates.ts', 'export const SECRET_RATE = 0.42;\n');
    const readable = `${gitlab.url}/${PROJECT}/-/blob/main/src/settings/theme.ts#L3-8`;
    const hidden = `${gitlab.url}/acme/finance/ledger/-/blob/main/src/rates.ts#L1`;

    /**
     * Alice posts `message`, and her page hears of it as Mattermost sends it with link previews on: its first link as
     * `metadata.embeds[0]`, of type `link` when the page gives no Open Graph data (app/post_metadata.go getEmbedForPost).
     */
    const postWithEmbed = async (message: string, url: string) => {
      const created = await fetch(`${bridge.mattermost.url}/api/v4/posts`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${bridge.sessions.alice}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ channel_id: channel.id, message }),
      });
      expect(created.status).toBe(201);
      const post = (await created.json()) as { metadata?: Record<string, unknown> };
      post.metadata = { ...post.metadata, embeds: [{ type: 'link', url }] };
      await page.evaluate((event) => (window as unknown as { __host: { websocket(m: unknown): void } }).__host.websocket(event), { event: 'posted', data: { post: JSON.stringify(post) } });
    };

    await postWithEmbed(`The theme switch lives here: ${readable}`, readable);
    const preview = postNamed('The theme switch lives here').getByTestId('gitlab-code-preview');
    await preview.waitFor();
    const text = await preview.textContent();
    expect(text).toContain("export function currentTheme(): 'light' | 'dark' {");
    expect(text).toContain('Lines 3–8');
    expect(text).not.toContain("import { useStore }");
    await expect(preview.getByTestId('gitlab-code-language').textContent()).resolves.toBe('TypeScript');
    await expect(preview.getByRole('link', { name: 'src/settings/theme.ts' }).getAttribute('href')).resolves.toBe(`${gitlab.url}/${PROJECT}/-/blob/${sha}/src/settings/theme.ts#L3-8`);
    // A file of a project Alice is no member of: the bridge answers 404, and the post shows no code.
    const refused = page.waitForResponse((response) => response.url().includes('/api/v1/code-preview') && response.url().includes('ledger'));
    const logged = page.waitForEvent('console', (message) => message.type() === 'error' && message.text().includes('404'));
    await postWithEmbed(`Rates are in ${hidden}`, hidden);
    expect((await refused).status()).toBe(404);
    await logged;
    const hiddenPost = postNamed('Rates are in');
    await hiddenPost.waitFor();
    await expect(hiddenPost.getByTestId('gitlab-code-preview').count()).resolves.toBe(0);
    await expect(page.locator('body').textContent()).resolves.not.toContain('SECRET_RATE');
    await hiddenPost.scrollIntoViewIfNeeded();
    await page.mouse.move(5, 5);
    await screenshots('code-preview');
    // The refusal (and the browser's console line about it) is the expected part of this story.
    await Promise.all(pending.splice(0));
    problems = problems.filter((problem) => !/status of 404 \(Not Found\)$|^HTTP 404: GET .*\/api\/v1\/code-preview/.test(problem));
  });

  it("sends a reply in a merge request's thread to GitLab as a comment by the person who wrote it, and a reaction on its root as their award", async () => {
    const { mattermost, gitlab, users } = bridge;
    await connectAliceIfNeeded();
    // The subscription of the buttons scenario; when this one runs alone, Alice subscribes here as there.
    if (!(await bridge.command(users.alice!, 'subscriptions list', channel.id)).includes(PROJECT)) {
      await expect(bridge.command(users.alice!, `subscriptions add ${PROJECT}`, channel.id)).resolves.toContain('replies → GitLab');
    }
    // The bridge hears replies and reactions on Mattermost's WebSocket, as its bot.
    const bot = [...mattermost.users.values()].find((user) => user.is_bot)!;
    await mattermost.waitForSocket({ userId: bot.id });

    const mr = gitlab.addMergeRequest(PROJECT, { title: 'Retry failed uploads in the background', authorId: BOB.id });
    await sendMergeRequestHook('merge_request.open.json', mr);
    const rootOf = () => mattermost.posts.find((post) => post.channel_id === channel.id && post.root_id === '' && post.message.includes(mr.title));
    await waitFor(() => rootOf() !== undefined, 'the bot posts the merge request');
    const rootId = rootOf()!.id;
    expect(rootOf()!.message).toContain('_Replies here, and reactions on this post, go to GitLab as comments and award emoji by people who connected GitLab._');
    // A reply counts from when the root says so: wait for the bridge to have recorded its thread.
    await waitFor(async () => {
      const thread = await bridge.pool.query('SELECT 1 FROM channel_threads WHERE root_post_id = $1 AND replies_since IS NOT NULL', [rootId]);
      return thread.rowCount === 1;
    }, 'the thread sends its replies to GitLab');
    await tellPage('posted', rootId);

    // Alice reacts on the root and replies in the thread, through Mattermost as her client does.
    expect((await mattermost.reactAs(bridge.sessions.alice!, rootId, 'white_check_mark')).status).toBe(200);
    await waitFor(() => gitlab.awardsOf(PROJECT, 'merge_request', mr.iid).some((award) => award.name === 'white_check_mark' && award.userId === ALICE.id), "Alice's award emoji on GitLab");
    await tellPageReaction('reaction_added', rootId, users.alice!, 'white_check_mark');
    const replied = await mattermost.postAs(bridge.sessions.alice!, { channelId: channel.id, rootId, message: 'Looks good to me. @bob, could you add a test for the retry limit?' });
    expect(replied.status).toBe(201);
    const replyId = replied.post!.id;
    const commentOf = () => gitlab.notesOf(PROJECT, 'merge_request', mr.iid).find((note) => note.body.includes(`/pl/${replyId})`));
    await waitFor(() => commentOf() !== undefined, 'the reply as a comment on GitLab');
    const comment = commentOf()!;
    expect(comment).toMatchObject({ authorId: ALICE.id, author: ALICE.username, internal: false });
    // Bob has not connected GitLab: his name is shown, not turned into a GitLab mention.
    expect(comment.body).toContain('Looks good to me. `@bob`, could you add a test for the retry limit?');
    expect(comment.body).toContain(`[Sent from Mattermost](${siteUrl}/${bridge.team.name}/pl/${replyId})`);
    await tellPage('posted', replyId);

    // The channel: the root with its line, Alice's reaction and a reply count, and the reply under it.
    const center = page.getByRole('main', { name: 'Center channel' });
    const root = center.getByRole('listitem').filter({ has: page.locator('.post-message', { hasText: mr.title }) });
    await root.locator('.post-message em', { hasText: 'Replies here, and reactions on this post, go to GitLab as comments' }).waitFor();
    await root.getByRole('button', { name: 'You reacted with :white_check_mark:' }).waitFor();
    const reply = center.getByRole('listitem').filter({ has: page.locator('.post-message', { hasText: 'could you add a test for the retry limit' }) });
    await expect(reply.getByRole('button', { name: 'alice', exact: true }).count()).resolves.toBe(1);
    // The thread in the right-hand sidebar, opened from the reply count.
    await root.getByRole('button', { name: '1 reply' }).click();
    const thread = page.getByRole('complementary', { name: 'Right-hand sidebar' });
    await thread.getByRole('heading', { name: 'Thread' }).waitFor();
    const threadRoot = thread.getByRole('list', { name: 'Root post' }).getByRole('listitem');
    await threadRoot.locator('.post-message em', { hasText: 'go to GitLab as comments' }).waitFor();
    await threadRoot.getByRole('button', { name: 'You reacted with :white_check_mark:' }).waitFor();
    await thread.getByRole('separator').getByText('1 reply').waitFor();
    const threadReplies = thread.getByRole('list', { name: 'Replies' }).getByRole('listitem');
    await expect(threadReplies.count()).resolves.toBe(1);
    await expect(threadReplies.locator('.post-message').textContent()).resolves.toBe('Looks good to me. @bob, could you add a test for the retry limit?');
    await reply.scrollIntoViewIfNeeded();
    await page.mouse.move(5, 5);
    await screenshots('conversation-thread');
    await thread.getByRole('button', { name: 'Close sidebar' }).click();
    await thread.waitFor({ state: 'detached' });
  });

  // Last of the story: it leaves Mattermost refusing the bot's posts.
  it("explains what happened to a subscription's last events: posted, dropped by its label filter, failing with Mattermost's error", async () => {
    const { mattermost, gitlab, users } = bridge;
    await connectAliceIfNeeded();
    // The channel follows only merge requests labelled "frontend".
    const subscribed = (await bridge.command(users.alice!, 'subscriptions list', channel.id)).includes(PROJECT);
    await expect(bridge.command(users.alice!, `subscriptions ${subscribed ? 'edit' : 'add'} ${PROJECT} --labels frontend`, channel.id)).resolves.toContain(PROJECT);
    const labelled = (names: string[]) => (payload: Record<string, unknown>) => {
      const labels = names.map((title, index) => ({ id: 900 + index, title, color: '#428bca', project_id: projectId, type: 'ProjectLabel' }));
      payload.labels = labels;
      (payload.object_attributes as Record<string, unknown>).labels = labels;
    };
    const unprocessed = async () => (await bridge.pool.query('SELECT 1 FROM webhook_deliveries WHERE processed_at IS NULL')).rowCount === 0;

    const shown = gitlab.addMergeRequest(PROJECT, { title: 'Follow the system theme on the login page', authorId: BOB.id, labels: ['frontend'] });
    await sendMergeRequestHook('merge_request.open.json', shown, labelled(['frontend']));
    await waitFor(() => mattermost.posts.some((post) => post.channel_id === channel.id && post.message.includes(shown.title)), 'the labelled merge request is posted');

    const filtered = gitlab.addMergeRequest(PROJECT, { title: 'Rename the CI cache key', authorId: BOB.id, labels: ['ci'] });
    await sendMergeRequestHook('merge_request.open.json', filtered, labelled(['ci']));
    await waitFor(unprocessed, 'the unlabelled merge request is processed');

    // Mattermost refuses the bot's posts from now on: the next one keeps failing, and its error is what the tab shows.
    const bot = [...mattermost.users.values()].find((user) => user.is_bot)!;
    mattermost.inject('CreatePost', { status: 500, body: { id: 'app.post.save.app_error', message: 'Unable to save the post.', detailed_error: '', status_code: 500 } }, 1000, bot.id);
    const stuck = gitlab.addMergeRequest(PROJECT, { title: 'Lazy-load avatars in the member list', authorId: BOB.id, labels: ['frontend'] });
    await sendMergeRequestHook('merge_request.open.json', stuck, labelled(['frontend']));
    await waitFor(
      () => mattermost.requests.some((request) => request.operationId === 'CreatePost' && JSON.stringify(request.body).includes(stuck.title)),
      'the bridge tries to post the third merge request',
    );

    if (!(await rhs().isVisible())) await page.getByRole('navigation', { name: 'App Bar' }).getByRole('button', { name: 'GitLab' }).click();
    await rhs().getByRole('tab', { name: 'Subscriptions' }).click();
    await rhs().getByRole('button', { name: `Explain deliveries of ${PROJECT}` }).click();
    const panel = rhs().getByRole('region', { name: 'What happened to the last 20 events' });
    const eventOf = (title: string) => panel.getByRole('list', { name: 'Last events' }).getByRole('listitem').filter({ has: page.getByRole('link', { name: title }) });
    // The failing post's first attempt may not be recorded yet when the panel first asks.
    await waitFor(async () => {
      await panel.getByRole('button', { name: 'Refresh', exact: true }).click();
      await panel.getByRole('button', { name: 'Refresh', exact: true }).waitFor();
      return (await eventOf(stuck.title).getByText('Failing', { exact: true }).count()) === 1;
    }, 'the third merge request shows as failing');

    await eventOf(shown.title).getByText('Posted', { exact: true }).waitFor();
    const postId = mattermost.posts.find((post) => post.message.includes(shown.title))!.id;
    await expect(eventOf(shown.title).getByRole('link', { name: 'View post' }).getAttribute('href')).resolves.toContain(postId);
    await eventOf(filtered.title).getByText('Not posted', { exact: true }).waitFor();
    await eventOf(filtered.title).getByText('label filter', { exact: true }).waitFor();
    await expect(eventOf(stuck.title).textContent()).resolves.toContain('Unable to save the post.');
    await page.mouse.move(5, 5);
    await screenshots('subscriptions-explain');
    await panel.getByRole('button', { name: '← Subscriptions' }).click();
  });
});

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createMattermostClient, type MattermostClient } from '../../server/src/mattermost/client.js';
import { loadApi, operationMatcher, startFakeMattermost, type FakeChannel, type FakeMattermost, type FakeUser } from './fake-mattermost.js';

// Before any fake is listening: this takes seconds of the event loop, which would let a kept-alive
// connection to a listening fake close under the next request.
describe("the fake Mattermost's operation matcher", () => {
  it("finds every request's operation as openapi-backend itself does, from the list it builds once", async () => {
    const backend = await loadApi();
    const match = operationMatcher(backend);
    // openapi-backend's matchOperation, only without building the list again for each request (which takes a minute here).
    const operations = backend.router.getOperations();
    const reference = Object.create(backend.router, { getOperations: { value: () => operations } }) as typeof backend.router;
    const paths = operations.flatMap(({ path }) => [path.replace(/\{[^}]*\}/g, 'q5c9nf3pxbgk8dmw1j7ueyrzoa'), `${path.replace(/\{[^}]*\}/g, 'me')}/`]);
    // Paths that two templates match (`/users/{user_id}/teams` and `/users/me/teams`…): where the order of templates decides.
    const segments = (path: string) => path.split('/');
    const isParameter = (segment: string) => /^\{.*\}$/.test(segment);
    const pattern = (path: string) => new RegExp(`^${path.replace(/\{.*?\}/g, '[^/]+')}$`);
    const ambiguous = new Set<string>();
    for (const one of operations) {
      for (const other of operations) {
        if (one.path === other.path || segments(one.path).length !== segments(other.path).length) continue;
        const theirs = segments(other.path);
        const path = segments(one.path).map((segment, index) => (isParameter(segment) ? (isParameter(theirs[index]!) ? 'x1' : theirs[index]!) : segment)).join('/');
        if (pattern(one.path).test(path) && pattern(other.path).test(path)) ambiguous.add(path);
      }
    }
    expect(ambiguous.size).toBeGreaterThan(100);
    for (const path of [...paths, ...ambiguous, '/api/v4/no/such/thing', '/elsewhere']) {
      for (const method of ['GET', 'POST', 'PUT', 'DELETE']) {
        const request = { method, path, headers: {} };
        expect([method, path, match(request)?.operationId]).toEqual([method, path, reference.matchOperation(request)?.operationId]);
      }
    }
  });
});

describe('the fake Mattermost', () => {
  let fake: FakeMattermost;
  beforeAll(async () => {
    fake = await startFakeMattermost();
  });
  afterAll(() => fake.close());

  it('answers an allowed request and records nothing wrong', async () => {
    const { user, token } = fake.addUser('gitlab', { bot: true });
    const response = await fetch(`${fake.url}/api/v4/users/me`, { headers: { Authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ id: user.id, username: 'gitlab', is_bot: true });
    expect(fake.violations).toEqual([]);
  });

  it('answers 401 without a valid token, as Mattermost does', async () => {
    const response = await fetch(`${fake.url}/api/v4/users/me`, { headers: { Authorization: 'Bearer nope' } });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ status_code: 401 });
  });

  it('records a request the spec does not allow', async () => {
    const before = fake.violations.length;
    const response = await fetch(`${fake.url}/api/v4/posts`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ message: 'no channel' }),
    });
    expect(response.status).toBe(400);
    expect(fake.violations.slice(before)).toEqual([expect.stringMatching(/^CreatePost .*channel_id/)]);
  });

  it('takes a slash command response through its response_url five times, then refuses it', async () => {
    const url = fake.responseUrl();
    const post = () => fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ response_type: 'ephemeral', text: 'done' }) });
    for (let use = 0; use < 5; use += 1) expect((await post()).status).toBe(200);
    const before = fake.violations.length;
    expect((await post()).status).toBe(400);
    expect(fake.violations.slice(before)).toEqual([expect.stringContaining('used-up command response hook')]);
    fake.violations.splice(before);
    expect(fake.commandResponses.filter((response) => url.endsWith(response.hookId))).toHaveLength(5);
  });

  it('records a path that is not in the API', async () => {
    const before = fake.violations.length;
    expect((await fetch(`${fake.url}/api/v4/no/such/thing`)).status).toBe(404);
    expect(fake.violations.slice(before)).toEqual([expect.stringMatching(/no such operation/)]);
  });
});

describe('the fake Mattermost, provisioning through @mattermost/client', () => {
  let fake: FakeMattermost;
  let admin: { user: FakeUser; token: string };
  let client: MattermostClient;
  beforeAll(async () => {
    fake = await startFakeMattermost();
    admin = fake.addUser('admin', { roles: 'system_user system_admin' });
    client = createMattermostClient(fake.url, admin.token);
  });
  afterAll(() => fake.close());
  afterEach(() => expect(fake.violations).toEqual([]));

  const SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" r="8"/></svg>';
  const uploadIcon = (botId: string, bytes: string, type: string) => {
    const form = new FormData();
    form.append('image', new Blob([bytes], { type }), 'icon');
    return fetch(`${fake.url}/api/v4/bots/${botId}/icon`, { method: 'POST', headers: { Authorization: `Bearer ${admin.token}` }, body: form });
  };

  it('creates, finds, patches and re-enables a bot, and sets its icon', async () => {
    expect(await client.getMe()).toMatchObject({ id: admin.user.id, roles: 'system_user system_admin' });
    const bot = await client.createBot({ username: 'gitlab-bot', display_name: 'GitLab', description: 'GitLab bridge' });
    expect(bot).toMatchObject({ username: 'gitlab-bot', display_name: 'GitLab', owner_id: admin.user.id, delete_at: 0 });
    expect(await client.getUserByUsername('gitlab-bot')).toMatchObject({ id: bot.user_id, is_bot: true });

    // Like Mattermost: a username is taken whether by a bot or a user.
    for (const username of ['gitlab-bot', 'admin']) {
      await expect(client.createBot({ username })).rejects.toMatchObject({ status: 400, serverErrorId: 'app.user.save.username_exists.app_error' });
    }

    expect(await client.patchBot(bot.user_id, { display_name: 'GitLab Bridge', description: 'Posts from GitLab' })).toMatchObject({
      username: 'gitlab-bot',
      display_name: 'GitLab Bridge',
      description: 'Posts from GitLab',
    });

    fake.users.get(bot.user_id)!.bot!.delete_at = 1;
    await expect(client.getBot(bot.user_id)).rejects.toMatchObject({ status: 404 });
    expect(await client.enableBot(bot.user_id)).toMatchObject({ delete_at: 0 });
    expect(await client.getBot(bot.user_id)).toMatchObject({ user_id: bot.user_id, display_name: 'GitLab Bridge' });

    const response = await uploadIcon(bot.user_id, SVG, 'image/svg+xml');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'OK' });
    const icon = fake.users.get(bot.user_id)!.bot!.icon!;
    expect(icon.contentType).toBe('image/svg+xml');
    expect(icon.bytes.toString('utf8')).toBe(SVG);
    expect((await uploadIcon(bot.user_id, '\x89PNG\r\n', 'image/png')).status).toBe(400);

    // The multipart body is validated and recorded as the spec describes it: fields by name.
    expect(fake.requests.find((request) => request.operationId === 'SetBotIconImage')?.body).toEqual({ image: `(${SVG.length} bytes of image/svg+xml)` });
    const form = new FormData();
    form.append('picture', new Blob([SVG], { type: 'image/svg+xml' }), 'icon.svg');
    const unnamed = await fetch(`${fake.url}/api/v4/bots/${bot.user_id}/icon`, { method: 'POST', headers: { Authorization: `Bearer ${admin.token}` }, body: form });
    expect(unnamed.status).toBe(400);
    expect(await unnamed.json()).toMatchObject({ id: 'api.bot.set_bot_icon_image.no_file.app_error' });
  });

  it('refuses bots to users who are not system admins', async () => {
    const someone = createMattermostClient(fake.url, fake.addUser('someone').token);
    await expect(someone.createBot({ username: 'not-mine' })).rejects.toMatchObject({ status: 403, serverErrorId: 'api.context.permissions.app_error' });
  });

  it('creates a personal access token that then authenticates, and lists tokens without their values', async () => {
    const bot = await client.createBot({ username: 'token-bot' });
    const created = await client.createUserAccessToken(bot.user_id, 'gitlab-bridge');
    expect(created).toMatchObject({ user_id: bot.user_id, description: 'gitlab-bridge', is_active: true, token: expect.any(String) });

    const asBot = createMattermostClient(fake.url, created.token!);
    expect(await asBot.getMe()).toMatchObject({ id: bot.user_id, is_bot: true });
    expect(await client.getUserAccessTokensForUser(bot.user_id)).toEqual([{ id: created.id, user_id: bot.user_id, description: 'gitlab-bridge', is_active: true }]);

    // A token for someone else takes a system admin.
    await expect(asBot.createUserAccessToken(admin.user.id, 'mine now')).rejects.toMatchObject({ status: 403 });
    // Like Mattermost, personal access tokens stop working while they are switched off.
    fake.config.ServiceSettings.EnableUserAccessTokens = false;
    try {
      await expect(asBot.getMe()).rejects.toMatchObject({ status: 401 });
    } finally {
      fake.config.ServiceSettings.EnableUserAccessTokens = true;
    }
    expect(await asBot.getMe()).toMatchObject({ id: bot.user_id });
  });

  it('finds teams, and lists, creates and updates slash commands, refusing a trigger in use', async () => {
    const team = fake.addTeam('main', { displayName: 'Main', members: [admin.user.id] });
    expect(await client.getTeams(0, 200)).toEqual([expect.objectContaining({ id: team.id, name: 'main', display_name: 'Main' })]);
    expect(await client.getTeamByName('main')).toMatchObject({ id: team.id });

    const someone = fake.addUser('commander');
    const theirs = fake.addCommand({ team_id: team.id, trigger: 'gitlab', creator_id: someone.user.id });
    // Only custom_only lists commands whole; getCommandsList strips them (and adds built-ins).
    expect(await client.getCustomTeamCommands(team.id)).toEqual([expect.objectContaining({ id: theirs.id, trigger: 'gitlab', token: theirs.token, creator_id: someone.user.id })]);
    const listed = await client.getCommandsList(team.id);
    expect(listed).toContainEqual(expect.objectContaining({ id: theirs.id, trigger: 'gitlab', token: '', url: '' }));
    expect(listed).toContainEqual(expect.objectContaining({ trigger: 'away' }));

    const command = {
      id: '',
      token: '',
      create_at: 0,
      update_at: 0,
      delete_at: 0,
      creator_id: '',
      team_id: team.id,
      trigger: 'gitlab',
      method: 'P' as const,
      username: '',
      icon_url: '',
      auto_complete: true,
      auto_complete_desc: 'GitLab in Mattermost',
      auto_complete_hint: '[command]',
      display_name: 'GitLab',
      description: '',
      url: 'https://bridge.example.com/mattermost/command',
    };
    await expect(client.addCommand(command)).rejects.toMatchObject({ status: 400, serverErrorId: 'api.command.duplicate_trigger.app_error' });

    const created = await client.addCommand({ ...command, trigger: 'gl' });
    expect(created).toMatchObject({ trigger: 'gl', creator_id: admin.user.id, team_id: team.id, token: expect.stringMatching(/^\w{26}$/) });
    const edited = await client.editCommand({ ...created, url: 'https://bridge.example.com/slash' });
    expect(edited).toMatchObject({ id: created.id, url: 'https://bridge.example.com/slash', token: created.token, auto_complete: true });
    await expect(client.editCommand({ ...edited, trigger: 'gitlab' })).rejects.toMatchObject({ status: 400, serverErrorId: 'api.command.duplicate_trigger.app_error' });

    const { token } = await client.regenCommandToken(created.id);
    expect(token).not.toBe(created.token);
    expect(fake.commands.get(created.id)).toMatchObject({ token, url: 'https://bridge.example.com/slash' });

    // Once the other command is deleted, its trigger is free.
    theirs.delete_at = Date.now();
    expect(await client.editCommand({ ...edited, trigger: 'gitlab' })).toMatchObject({ trigger: 'gitlab' });

    const stranger = createMattermostClient(fake.url, someone.token);
    await expect(stranger.getCustomTeamCommands(team.id)).rejects.toMatchObject({ status: 403 });
    await expect(stranger.getTeamByName('main')).rejects.toMatchObject({ status: 403 });
  });

  it('tells channel admins and team admins from other members', async () => {
    const lead = fake.addUser('lead');
    const dev = fake.addUser('dev');
    const team = fake.addTeam('roles', { members: [dev.user.id], admins: [lead.user.id] });
    const channel = fake.addChannel('roles', { type: 'P', members: [dev.user.id], admins: [lead.user.id], teamId: team.id });
    const asDev = createMattermostClient(fake.url, dev.token);

    expect(await asDev.getChannel(channel.id)).toMatchObject({ team_id: team.id });
    expect(await asDev.getChannelMember(channel.id, lead.user.id)).toMatchObject({ user_id: lead.user.id, roles: 'channel_user channel_admin', scheme_admin: true });
    expect(await asDev.getChannelMember(channel.id, dev.user.id)).toMatchObject({ roles: 'channel_user', scheme_admin: false });
    // Without a teamId, the old default.
    expect(await client.getChannel(fake.addChannel('anywhere').id)).toMatchObject({ team_id: 'team0000000000000000000000' });

    expect(await asDev.getTeamMember(team.id, lead.user.id)).toEqual({
      team_id: team.id,
      user_id: lead.user.id,
      roles: 'team_user team_admin',
      delete_at: 0,
      scheme_guest: false,
      scheme_user: true,
      scheme_admin: true,
      explicit_roles: '',
    });
    expect(await asDev.getTeamMember(team.id, dev.user.id)).toMatchObject({ roles: 'team_user', scheme_admin: false });
    await expect(asDev.getTeamMember(team.id, admin.user.id)).rejects.toMatchObject({ status: 404, serverErrorId: 'app.team.get_member.missing.app_error' });
    // Like Mattermost, someone outside the team may not even ask (view_team); a system admin may.
    const outsider = createMattermostClient(fake.url, fake.addUser('outsider').token);
    await expect(outsider.getTeamMember(team.id, dev.user.id)).rejects.toMatchObject({ status: 403 });
    expect(await client.getTeamMember(team.id, dev.user.id)).toMatchObject({ user_id: dev.user.id });
  });

  it('finds users by ids, leaving out ids that match no one', async () => {
    const one = fake.addUser('one');
    const bot = fake.addUser('two-bot', { bot: true });
    const found = await client.getProfilesByIds([one.user.id, bot.user.id, 'nobody00000000000000000000', one.user.id]);
    expect(found).toEqual([expect.objectContaining({ id: one.user.id, username: 'one' }), expect.objectContaining({ id: bot.user.id, is_bot: true })]);
    await expect(client.getProfilesByIds([])).rejects.toMatchObject({ status: 400, serverErrorId: 'api.context.invalid_body_param.app_error' });
    expect(fake.requests.filter((request) => request.operationId === 'GetUsersByIds')).toHaveLength(2);
  });

  it('opens one direct message channel per pair of users, whose posts directMessagesTo finds', async () => {
    const bot = fake.addUser('notifier', { bot: true });
    const dana = fake.addUser('dana');
    const asBot = createMattermostClient(fake.url, bot.token);
    const asDana = createMattermostClient(fake.url, dana.token);

    const channel = await asBot.createDirectChannel([dana.user.id, bot.user.id]);
    expect(channel).toMatchObject({ type: 'D', name: [bot.user.id, dana.user.id].sort().join('__'), team_id: '', display_name: '' });
    expect(fake.requests.filter((request) => request.operationId === 'CreateDirectChannel')).toHaveLength(1);
    // Asked again, by either user in either order: the same channel.
    expect(await asDana.createDirectChannel([dana.user.id, bot.user.id])).toMatchObject({ id: channel.id });
    expect(await asBot.createDirectChannel([bot.user.id, dana.user.id])).toMatchObject({ id: channel.id });
    expect(fake.channels.get(channel.id)!.members).toEqual(new Set([bot.user.id, dana.user.id]));

    const hello = await asBot.createPost({ channel_id: channel.id, message: 'hello' } as Parameters<typeof asBot.createPost>[0]);
    expect(hello).toMatchObject({ channel_id: channel.id, user_id: bot.user.id, message: 'hello' });
    await asDana.createPost({ channel_id: channel.id, message: 'hi back' } as Parameters<typeof asDana.createPost>[0]);
    // Posts elsewhere, and one's own, are not direct messages to one.
    const open = fake.addChannel('town', { members: [bot.user.id, dana.user.id] });
    await asBot.createPost({ channel_id: open.id, message: 'to everyone' } as Parameters<typeof asBot.createPost>[0]);
    expect(fake.directMessagesTo(dana.user.id).map((post) => post.message)).toEqual(['hello']);
    expect(fake.directMessagesTo(bot.user.id).map((post) => post.message)).toEqual(['hi back']);

    // Outsiders may neither open someone else's channel (only a system admin may) nor see it.
    const outsider = createMattermostClient(fake.url, fake.addUser('eve').token);
    await expect(outsider.createDirectChannel([dana.user.id, bot.user.id])).rejects.toMatchObject({ status: 403 });
    await expect(outsider.getChannel(channel.id)).rejects.toMatchObject({ status: 404 });
    await expect(outsider.createPost({ channel_id: channel.id, message: 'psst' } as Parameters<typeof outsider.createPost>[0])).rejects.toMatchObject({ status: 403 });
    expect(await client.createDirectChannel([dana.user.id, bot.user.id])).toMatchObject({ id: channel.id });
    await expect(asBot.addToChannel(admin.user.id, channel.id)).rejects.toMatchObject({ status: 400, serverErrorId: 'api.channel.add_user_to_channel.type.app_error' });
    await expect(asBot.createDirectChannel([bot.user.id, 'nobody00000000000000000000'])).rejects.toMatchObject({
      status: 400,
      serverErrorId: 'api.channel.create_direct_channel.invalid_user.app_error',
    });
  });

  it('gives the config to system admins only', async () => {
    fake.config.ServiceSettings.AllowedUntrustedInternalConnections = 'bridge.internal';
    const config = await client.getConfig();
    expect(config.ServiceSettings).toMatchObject({
      SiteURL: 'http://mattermost.example.com',
      EnableCommands: true,
      EnableBotAccountCreation: true,
      EnableUserAccessTokens: true,
      AllowedUntrustedInternalConnections: 'bridge.internal',
    });
    const someone = createMattermostClient(fake.url, fake.addUser('nosy').token);
    await expect(someone.getConfig()).rejects.toMatchObject({ status: 403, serverErrorId: 'api.context.permissions.app_error' });
  });
});

type ApiPost = { id: string; props: Record<string, unknown> };

describe('the fake Mattermost, buttons and dialogs', () => {
  let fake: FakeMattermost;
  let integration: http.Server;
  let integrationUrl: string;
  // What the integration received, and what it answers next.
  let received: { headers: http.IncomingHttpHeaders; body: Record<string, unknown> }[];
  let answer: { status: number; body: string };
  let bot: { user: FakeUser; token: string };
  let dana: { user: FakeUser; token: string };
  let channel: FakeChannel;

  beforeAll(async () => {
    fake = await startFakeMattermost();
    integration = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> });
        res.writeHead(answer.status, { 'Content-Type': 'application/json' }).end(answer.body);
      });
    });
    await new Promise<void>((resolve) => integration.listen(0, '127.0.0.1', resolve));
    integrationUrl = `http://127.0.0.1:${(integration.address() as AddressInfo).port}/mattermost/action`;
    // Mattermost will not call a loopback address unless told it may.
    fake.config.ServiceSettings.AllowedUntrustedInternalConnections = '127.0.0.1';
    bot = fake.addUser('gitlab-bot', { bot: true });
    dana = fake.addUser('dana');
    const team = fake.addTeam('engineering', { members: [bot.user.id, dana.user.id] });
    channel = fake.addChannel('reviews', { members: [bot.user.id, dana.user.id], teamId: team.id });
  });
  beforeEach(() => {
    received = [];
    answer = { status: 200, body: '{}' };
  });
  afterEach(() => expect(fake.violations).toEqual([]));
  afterAll(async () => {
    await fake.close();
    await new Promise((resolve) => integration.close(resolve));
  });

  const button = (name: string, context: Record<string, unknown>, id?: string) => ({ ...(id ? { id } : {}), type: 'button', name, style: 'primary', integration: { url: integrationUrl, context } });
  const api = async (method: string, path: string, token: string, body?: unknown) => {
    const response = await fetch(`${fake.url}/api/v4${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const postButtons = async (message = 'Merge request !1') => {
    const attachments = [{ text: 'Ready', actions: [button('Approve', { act: 'approve', sig: 'secret' }, 'approve'), button('Merge', { act: 'merge' })] }];
    const created = await api('POST', '/posts', bot.token, { channel_id: channel.id, message, props: { attachments } });
    expect(created.status).toBe(201);
    return created.body as ApiPost;
  };
  const actionsIn = (post: unknown) => ((post as ApiPost).props.attachments as { actions: Record<string, unknown>[] }[]).flatMap((attachment) => attachment.actions);

  it('gives actions without an id one, keeps their integration, and leaves it out of every answer', async () => {
    const created = await postButtons();
    expect(actionsIn(created)).toEqual([
      { id: 'approve', type: 'button', name: 'Approve', style: 'primary' },
      { id: expect.stringMatching(/^[a-z0-9]{26}$/), type: 'button', name: 'Merge', style: 'primary' },
    ]);
    expect(created.props.from_bot).toBe('true');
    const stored = fake.posts.find((post) => post.id === created.id)!;
    expect(actionsIn(stored)[0]).toMatchObject({ integration: { url: integrationUrl, context: { act: 'approve', sig: 'secret' } } });
    expect(fake.buttonsOf(created.id)).toEqual(['Approve', 'Merge']);

    const read = await api('GET', `/posts/${created.id}`, dana.token);
    expect(actionsIn(read.body).map((action) => action.integration)).toEqual([undefined, undefined]);
    const listed = await api('GET', `/channels/${channel.id}/posts`, dana.token);
    expect(JSON.stringify(listed.body)).not.toContain('secret');

    // PatchPost applies props, replacing them whole.
    const patched = await api('PUT', `/posts/${created.id}/patch`, bot.token, { props: { attachments: [{ actions: [button('Close', { act: 'close' }, 'close')] }] } });
    expect(patched.status).toBe(200);
    expect(actionsIn(patched.body)).toEqual([{ id: 'close', type: 'button', name: 'Close', style: 'primary' }]);
    expect(fake.buttonsOf(created.id)).toEqual(['Close']);
    expect(stored.props.from_bot).toBeUndefined();
  });

  it('records actions Mattermost would log as invalid or could never reach', async () => {
    const before = fake.violations.length;
    const broken = [{ id: 'not-alnum', name: 'Nope', integration: { url: 'ftp://bridge/action' } }];
    expect((await api('POST', '/posts', bot.token, { channel_id: channel.id, message: 'x', props: { attachments: [{ actions: broken }] } })).status).toBe(201);
    expect(fake.violations.splice(before)).toEqual([
      expect.stringContaining("invalid action type: must be 'button' or 'select'"),
      expect.stringContaining('action must have a valid integration URL'),
      expect.stringContaining('"not-alnum" can never be pressed'),
    ]);
  });

  it("posts Mattermost's request to the integration when a button is pressed, and answers a trigger id", async () => {
    const post = await postButtons();
    const press = await fake.pressButton(post.id, 'Approve', dana.token);
    expect(press).toEqual({ status: 200, body: { status: 'OK', trigger_id: expect.stringMatching(/^[a-z0-9]{26}$/) }, ephemeral: [] });

    expect(received).toHaveLength(1);
    const [{ headers, body }] = received as [(typeof received)[number]];
    expect(Object.keys(body)).toEqual(['user_id', 'user_name', 'channel_id', 'channel_name', 'team_id', 'team_domain', 'post_id', 'trigger_id', 'type', 'data_source', 'context']);
    expect(body).toMatchObject({
      user_id: dana.user.id,
      user_name: 'dana',
      channel_id: channel.id,
      channel_name: 'reviews',
      team_id: channel.team_id,
      team_domain: 'engineering',
      post_id: post.id,
      type: 'button',
      data_source: '',
      context: { act: 'approve', sig: 'secret' },
    });
    // The integration gets the signed trigger id; the client only its first part.
    expect(Buffer.from(String(body.trigger_id), 'base64').toString('utf8')).toMatch(new RegExp(`^${(press.body as { trigger_id: string }).trigger_id}:${dana.user.id}:\\d+:`));
    expect(headers).toMatchObject({ 'content-type': 'application/json', accept: 'application/json', 'user-agent': 'Mattermost-Bot/1.1' });
    expect(headers.authorization).toBeUndefined();
  });

  it("applies the integration's update as Mattermost does, and records its ephemeral text for the presser", async () => {
    const post = await postButtons();
    const replaced = [{ text: 'Approved', actions: [button('Merge', { act: 'merge' }, 'merge')] }];
    answer = { status: 200, body: JSON.stringify({ update: { props: { attachments: replaced } }, ephemeral_text: 'Approved, see <https://gitlab.example.com/mr/1|!1>' }) };
    const press = await fake.pressButton(post.id, 'approve', dana.token);
    expect(press.status).toBe(200);
    expect(press.ephemeral).toEqual([{ userId: dana.user.id, channelId: channel.id, message: 'Approved, see [!1](https://gitlab.example.com/mr/1)', rootId: post.id, props: {} }]);
    expect(fake.ephemeralPosts).toContainEqual(press.ephemeral[0]);

    const stored = fake.posts.find((candidate) => candidate.id === post.id)!;
    // An update without a message empties it; its props replace the post's, from_bot included.
    expect(stored).toMatchObject({ message: '', edits: 1 });
    expect(stored.props).toEqual({ attachments: replaced });
    expect(fake.buttonsOf(post.id)).toEqual(['Merge']);

    // Without props, the post keeps its own.
    answer = { status: 200, body: JSON.stringify({ update: { message: 'Merged' } }) };
    expect((await fake.pressButton(post.id, 'Merge', dana.token)).status).toBe(200);
    expect(stored).toMatchObject({ message: 'Merged', props: { attachments: replaced } });
  });

  it('refuses presses by users who cannot read the channel, of unknown actions, and when the integration fails', async () => {
    const post = await postButtons();
    const eve = fake.addUser('eve');
    expect(await fake.pressButton(post.id, 'Approve', eve.token)).toMatchObject({ status: 403, body: { id: 'api.context.permissions.app_error' } });
    expect(await api('POST', `/posts/${post.id}/actions/nosuch`, dana.token)).toMatchObject({ status: 404, body: { id: 'api.post.do_action.action_id.app_error' } });
    expect(received).toEqual([]);

    answer = { status: 500, body: '{}' };
    expect(await fake.pressButton(post.id, 'Approve', dana.token)).toMatchObject({ status: 400, body: { id: 'api.post.do_action.action_integration.app_error' } });
    // Without permission to call an internal address, Mattermost never reaches the integration.
    fake.config.ServiceSettings.AllowedUntrustedInternalConnections = '';
    try {
      expect(await fake.pressButton(post.id, 'Approve', dana.token)).toMatchObject({ status: 400, body: { detailed_error: expect.stringContaining('address forbidden') } });
    } finally {
      fake.config.ServiceSettings.AllowedUntrustedInternalConnections = '127.0.0.1';
    }
    expect(received).toHaveLength(1);
  });

  const dialog = { callback_id: 'approve', title: 'Approve !1', elements: [{ display_name: 'Comment', name: 'comment', type: 'textarea', optional: true }], state: 'signed-state' };
  const openDialog = (triggerId: string, body: Record<string, unknown> = dialog) =>
    fetch(`${fake.url}/api/v4/actions/dialogs/open`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ trigger_id: triggerId, url: integrationUrl, dialog: body }) });

  it('opens a dialog for the user of a valid trigger id only', async () => {
    const triggerId = fake.triggerIdFor(dana.user.id, channel.id);
    const decoded = Buffer.from(triggerId, 'base64').toString('utf8').split(':');
    const forged = Buffer.from([decoded[0], bot.user.id, decoded[2], decoded[3]].join(':')).toString('base64');
    for (const [bad, id] of [
      ['not base64!', 'interactive_message.decode_trigger_id.base64_decode_failed'],
      [Buffer.from('a:b').toString('base64'), 'interactive_message.decode_trigger_id.missing_data'],
      [forged, 'interactive_message.decode_trigger_id.verify_signature_failed'],
    ]) {
      const response = await openDialog(bad!);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ id });
    }
    expect(fake.openDialogs).toEqual([]);

    expect((await openDialog(triggerId)).status).toBe(200);
    expect(fake.openDialogs).toEqual([{ userId: dana.user.id, url: integrationUrl, dialog, triggerId, channelId: channel.id }]);

    // A trigger id lives OutgoingIntegrationRequestsTimeout seconds.
    fake.clock.offsetMs = 31_000;
    try {
      const response = await openDialog(triggerId);
      expect(await response.json()).toMatchObject({ status_code: 400, id: 'interactive_message.decode_trigger_id.expired' });
    } finally {
      fake.clock.offsetMs = 0;
    }
  });

  it('opens a dialog whose title is too long, as Mattermost does, but records it', async () => {
    const before = fake.violations.length;
    const response = await openDialog(fake.triggerIdFor(dana.user.id), { ...dialog, title: 'Approve merge request !12' });
    expect(response.status).toBe(200);
    expect(fake.violations.splice(before)).toEqual([expect.stringMatching(/^OpenInteractiveDialog: .*invalid dialog title "Approve merge request !12"/)]);
  });

  it("submits a dialog to its URL as the session's user, whatever the body says, and answers the integration's errors", async () => {
    await openDialog(fake.triggerIdFor(dana.user.id, channel.id));
    const opened = fake.openDialogs.at(-1)!;
    answer = { status: 200, body: JSON.stringify({ errors: { comment: 'Too short' }, unknown: true }) };
    const submitted = await fake.submitDialog(dana.token, opened, { comment: 'ok' });
    expect(submitted).toEqual({ status: 200, body: { errors: { comment: 'Too short' } } });
    expect(received.at(-1)!.body).toEqual({
      type: 'dialog_submission',
      callback_id: 'approve',
      state: 'signed-state',
      user_id: dana.user.id,
      channel_id: channel.id,
      team_id: channel.team_id,
      submission: { comment: 'ok' },
      cancelled: false,
    });

    answer = { status: 200, body: '' };
    const claimed = await api('POST', '/actions/dialogs/submit', dana.token, { url: integrationUrl, channel_id: channel.id, team_id: channel.team_id, submission: {}, user_id: bot.user.id });
    expect(claimed).toEqual({ status: 200, body: {} });
    expect(received.at(-1)!.body.user_id).toBe(dana.user.id);
  });
});

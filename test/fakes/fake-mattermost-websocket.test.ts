import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import mattermostClient from '@mattermost/client';
import { CloseEvent as UndiciCloseEvent, WebSocket as UndiciWebSocket } from 'undici';
import { startFakeMattermost, type FakeChannel, type FakeMattermost, type FakeUser } from './fake-mattermost.js';
import { ws, type WsSocket } from './fake-mattermost-websocket.js';

type Json = Record<string, unknown>;

/** A raw client socket that keeps every message and lets a test wait for one. */
interface Listener {
  socket: WsSocket;
  messages: Json[];
  /** The first message (already received or still to come) that matches. */
  find(matches: (message: Json) => boolean, timeoutMs?: number): Promise<Json>;
  send(message: Json): void;
  /** The close code, once closed. */
  closed: Promise<number>;
}

function listen(url: string, headers: Record<string, string> = {}): Promise<Listener> {
  return new Promise((resolve, reject) => {
    const socket = new ws.WebSocket(url, { headers });
    const messages: Json[] = [];
    const waiters: (() => void)[] = [];
    let closedWith: (code: number) => void = () => undefined;
    const closed = new Promise<number>((done) => (closedWith = done));
    socket.on('message', (data) => {
      messages.push(JSON.parse(data.toString('utf8')) as Json);
      for (const wake of waiters.splice(0)) wake();
    });
    socket.on('close', (code) => closedWith(code));
    socket.on('error', reject);
    socket.on('unexpected-response', (_request, response) => reject(new Error(`upgrade answered ${response.statusCode}`)));
    socket.on('open', () =>
      resolve({
        socket,
        messages,
        closed,
        send: (message) => socket.send(JSON.stringify(message)),
        find: (matches, timeoutMs = 5_000) =>
          new Promise((found, fail) => {
            const timer = setTimeout(() => fail(new Error(`no matching message; got ${JSON.stringify(messages)}`)), timeoutMs);
            const check = () => {
              const message = messages.find(matches);
              if (!message) return void waiters.push(check);
              clearTimeout(timer);
              found(message);
            };
            check();
          }),
      }),
    );
  });
}

const event = (name: string) => (message: Json) => message.event === name;
const reply = (seq: number) => (message: Json) => message.seq_reply === seq;
const events = (listener: Listener) => listener.messages.filter((message) => 'event' in message);
const parsed = (message: Json, key: string) => JSON.parse((message.data as Json)[key] as string) as Json;

describe('the fake Mattermost WebSocket', () => {
  let fake: FakeMattermost;
  let socketUrl: string;
  let alice: { user: FakeUser; token: string };
  let bob: { user: FakeUser; token: string };
  let mallory: { user: FakeUser; token: string };
  let admin: { user: FakeUser; token: string };
  let bot: { user: FakeUser; token: string };
  let channel: FakeChannel;
  let elsewhere: FakeChannel;
  const opened: WsSocket[] = [];
  const open = async (headers: Record<string, string> = {}, query = '') => {
    const listener = await listen(`${socketUrl}${query}`, headers);
    opened.push(listener.socket);
    return listener;
  };
  /** Resolves once the fake has seen every socket of this user close (so nothing is left to fail after a test). */
  const socketsGone = (userId: string) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (fake.socketCount(userId) > 0) return;
        fake.socketEvents.off('closed', check);
        resolve();
      };
      fake.socketEvents.on('closed', check);
      check();
    });
  /** A socket authenticated by the challenge, as @mattermost/client does it. */
  const connect = async (token: string) => {
    const listener = await open();
    listener.send({ seq: 1, action: 'authentication_challenge', data: { token } });
    await listener.find(reply(1));
    return listener;
  };

  beforeAll(async () => {
    fake = await startFakeMattermost();
    socketUrl = `${fake.url.replace('http://', 'ws://')}/api/v4/websocket`;
    alice = fake.addUser('alice');
    bob = fake.addUser('bob');
    mallory = fake.addUser('mallory');
    admin = fake.addUser('admin', { roles: 'system_user system_admin' });
    bot = fake.addUser('gitlab', { bot: true });
    const team = fake.addTeam('dev', { members: [alice.user.id, bob.user.id, mallory.user.id, admin.user.id, bot.user.id] });
    channel = fake.addChannel('reviews', { type: 'P', teamId: team.id, members: [alice.user.id, bob.user.id, admin.user.id, bot.user.id] });
    elsewhere = fake.addChannel('random', { type: 'P', teamId: team.id, members: [mallory.user.id] });
  });
  afterEach(() => {
    for (const socket of opened.splice(0)) socket.terminate();
    fake.refuseSockets(false);
    expect(fake.violations).toEqual([]);
  });
  afterAll(() => fake.close());

  it('authenticates by challenge: hello comes first at seq 0 with a connection id, then OK, then events one seq apart', async () => {
    const listener = await open();
    listener.send({ seq: 1, action: 'authentication_challenge', data: { token: alice.token } });
    expect(await listener.find(reply(1))).toEqual({ status: 'OK', seq_reply: 1 });
    const [hello] = listener.messages;
    expect(hello).toEqual({
      event: 'hello',
      data: { connection_id: expect.stringMatching(/^[a-z0-9]{26}$/), server_hostname: expect.any(String), server_version: expect.stringMatching(/^\d+\.\d+\.\d+\./) },
      broadcast: { omit_users: null, user_id: alice.user.id, channel_id: '', team_id: '', connection_id: '', omit_connection_id: '' },
      seq: 0,
    });

    await fake.postAs(bob.token, { channelId: channel.id, message: 'one' });
    await fake.postAs(bob.token, { channelId: channel.id, message: 'two' });
    await listener.find((message) => message.event === 'posted' && parsed(message, 'post').message === 'two');
    expect(events(listener).map((message) => message.seq)).toEqual([0, 1, 2]);
  });

  it('closes the socket of a bad token without answering it, and sends it nothing', async () => {
    const listener = await open();
    listener.send({ seq: 1, action: 'authentication_challenge', data: { token: 'not-a-token' } });
    expect(await listener.closed).toBe(1006);
    await fake.postAs(bob.token, { channelId: channel.id, message: 'unheard' });
    expect(listener.messages).toEqual([]);
  });

  it('authenticates by the upgrade’s Authorization header: hello at once, and a later challenge is ignored', async () => {
    const listener = await open({ Authorization: `Bearer ${bot.token}` });
    expect(await listener.find(event('hello'))).toMatchObject({ seq: 0, broadcast: { user_id: bot.user.id } });
    listener.send({ seq: 1, action: 'authentication_challenge', data: { token: bot.token } });
    listener.send({ seq: 2, action: 'ping' });
    await listener.find(reply(2));
    expect(listener.messages.filter(reply(1))).toEqual([]);
  });

  it('answers ping with pong once authenticated, and nothing before', async () => {
    const listener = await open();
    listener.send({ seq: 1, action: 'ping' });
    listener.send({ seq: 2, action: 'authentication_challenge', data: { token: alice.token } });
    await listener.find(reply(2));
    listener.send({ seq: 3, action: 'ping' });
    expect(await listener.find(reply(3))).toEqual({
      status: 'OK',
      seq_reply: 3,
      data: { node_id: '', server_time: expect.any(Number), text: 'pong', version: expect.stringMatching(/^\d+\.\d+\.\d+$/) },
    });
    expect(listener.messages.filter(reply(1))).toEqual([]);
    listener.send({ seq: 4, action: 'no_such_action' });
    expect(await listener.find(reply(4))).toMatchObject({ status: 'FAIL', error: { id: 'api.web_socket_router.bad_action.app_error', status_code: 500 } });
  });

  it('tells the channel’s members about posts, edits, deletions and reactions, in Mattermost’s shapes; a non-member hears none', async () => {
    const [member, author, outsider, sysadmin] = await Promise.all([connect(bob.token), connect(alice.token), connect(mallory.token), connect(admin.token)]);
    const root = (await fake.postAs(alice.token, { channelId: channel.id, message: 'Ready for review?' })).post!;
    const answer = await fake.postAs(bob.token, { channelId: channel.id, message: 'Looks good', rootId: root.id });
    expect(answer.status).toBe(201);
    const posted = await member.find((message) => message.event === 'posted' && parsed(message, 'post').id === answer.post!.id);
    expect(posted).toEqual({
      event: 'posted',
      data: {
        channel_display_name: 'reviews',
        channel_name: 'reviews',
        channel_type: 'P',
        post: expect.any(String),
        sender_name: '@bob',
        set_online: true,
        team_id: channel.team_id,
      },
      broadcast: { omit_users: null, user_id: '', channel_id: channel.id, team_id: '', connection_id: '', omit_connection_id: '' },
      seq: expect.any(Number),
    });
    // Go encodes the data map with its keys sorted.
    expect(Object.keys(posted.data as Json)).toEqual(Object.keys(posted.data as Json).sort());
    expect(parsed(posted, 'post')).toMatchObject({ id: answer.post!.id, root_id: root.id, user_id: bob.user.id, message: 'Looks good', edit_at: 0, delete_at: 0 });

    expect((await fake.editAs(bob.token, answer.post!.id, 'Looks good to me')).status).toBe(200);
    const edited = await author.find(event('post_edited'));
    expect(edited).toMatchObject({ data: { post: expect.any(String) }, broadcast: { channel_id: channel.id } });
    expect(parsed(edited, 'post')).toMatchObject({ id: answer.post!.id, message: 'Looks good to me', edit_at: expect.any(Number) });
    expect(parsed(edited, 'post').edit_at).toBeGreaterThan(0);

    expect((await fake.reactAs(alice.token, answer.post!.id, '+1')).status).toBe(200);
    const added = await member.find(event('reaction_added'));
    expect(added).toMatchObject({ broadcast: { channel_id: channel.id } });
    expect(parsed(added, 'reaction')).toEqual({
      user_id: alice.user.id,
      post_id: answer.post!.id,
      emoji_name: '+1',
      create_at: expect.any(Number),
      update_at: expect.any(Number),
      delete_at: 0,
      remote_id: '',
      channel_id: channel.id,
    });
    expect((await fake.unreactAs(alice.token, answer.post!.id, '+1')).status).toBe(200);
    const removed = await member.find(event('reaction_removed'));
    // The reaction as the request named it: Mattermost leaves create_at and channel_id empty; the channel is in broadcast.
    expect(parsed(removed, 'reaction')).toMatchObject({ user_id: alice.user.id, post_id: answer.post!.id, emoji_name: '+1', create_at: 0, channel_id: '' });
    expect(removed).toMatchObject({ broadcast: { channel_id: channel.id } });

    expect((await fake.deleteAs(bob.token, answer.post!.id)).status).toBe(200);
    const deleted = await member.find(event('post_deleted'));
    expect(deleted).toMatchObject({ data: { post: expect.any(String) }, broadcast: { channel_id: channel.id, contains_sanitized_data: true } });
    expect(deleted.data).not.toHaveProperty('delete_by');
    // The post as read before the delete.
    expect(parsed(deleted, 'post')).toMatchObject({ id: answer.post!.id, delete_at: 0 });
    expect(await sysadmin.find(event('post_deleted'))).toMatchObject({ data: { delete_by: bob.user.id }, broadcast: { contains_sensitive_data: true } });
    expect(sysadmin.messages.filter(event('post_deleted'))).toHaveLength(1);

    // A fence: the outsider does hear its own channel, after everything above.
    await fake.postAs(mallory.token, { channelId: elsewhere.id, message: 'meanwhile' });
    await outsider.find(event('posted'));
    expect(events(outsider).map((message) => message.event)).toEqual(['hello', 'posted']);
    expect(parsed(events(outsider)[1]!, 'post').channel_id).toBe(elsewhere.id);
  });

  it('tells the two users of a direct message channel, as @sender', async () => {
    const [sender, receiver, outsider] = await Promise.all([connect(bot.token), connect(alice.token), connect(bob.token)]);
    const dm = await fetch(`${fake.url}/api/v4/channels/direct`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${bot.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify([bot.user.id, alice.user.id]),
    }).then((response) => response.json() as Promise<Json>);
    await fake.postAs(bot.token, { channelId: dm.id as string, message: 'Hi Alice' });
    expect(await receiver.find(event('posted'))).toMatchObject({ data: { channel_type: 'D', channel_display_name: '@gitlab', sender_name: '@gitlab', team_id: '' } });
    // The bot hears its own post, as a member of the channel.
    expect(parsed(await sender.find(event('posted')), 'post')).toMatchObject({ message: 'Hi Alice', props: { from_bot: 'true' } });
    await fake.postAs(bob.token, { channelId: channel.id, message: 'fence' });
    await outsider.find(event('posted'));
    expect(events(outsider).map((message) => (message.event === 'posted' ? parsed(message, 'post').message : message.event))).toEqual(['hello', 'fence']);
  });

  it('refuses what Mattermost refuses: others’ posts, reactions in someone’s name, replies across channels or to deleted roots', async () => {
    const root = (await fake.postAs(alice.token, { channelId: channel.id, message: 'root' })).post!;
    expect((await fake.editAs(bob.token, root.id, 'hijacked')).status).toBe(403);
    expect((await fake.deleteAs(bob.token, root.id)).status).toBe(403);
    expect((await fake.reactAs(mallory.token, root.id, 'tada')).status).toBe(403);
    expect((await fake.unreactAs(mallory.token, root.id, 'tada')).status).toBe(403);
    const inBobsName = await fetch(`${fake.url}/api/v4/reactions`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${alice.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ user_id: bob.user.id, post_id: root.id, emoji_name: 'tada' }),
    });
    expect(inBobsName.status).toBe(403);
    expect(await fake.postAs(mallory.token, { channelId: elsewhere.id, message: 'sneaky', rootId: root.id })).toMatchObject({
      status: 400,
      body: { id: 'api.post.create_post.channel_root_id.app_error' },
    });
    expect((await fake.postAs(mallory.token, { channelId: channel.id, message: 'not a member' })).status).toBe(403);
    expect((await fake.deleteAs(alice.token, root.id)).status).toBe(200);
    expect(await fake.postAs(bob.token, { channelId: channel.id, message: 'too late', rootId: root.id })).toMatchObject({
      status: 400,
      body: { id: 'api.post.create_post.root_id.app_error' },
    });
    expect((await fake.deleteAs(alice.token, root.id)).status).toBe(404);
  });

  it('keeps the files a post names, if its author uploaded them to that channel, in file_ids and metadata.files', async () => {
    const listener = await connect(bob.token);
    const own = fake.uploadFile(alice.user.id, channel.id, 'trace.log');
    const bobs = fake.uploadFile(bob.user.id, channel.id, 'secret.txt');
    const made = await fake.postAs(alice.token, { channelId: channel.id, message: 'see attached', fileIds: [own, bobs] });
    expect(made.post!.file_ids).toEqual([own]);
    const posted = await listener.find((message) => message.event === 'posted' && parsed(message, 'post').id === made.post!.id);
    expect(posted.data).toMatchObject({ otherFile: 'true' });
    expect(parsed(posted, 'post')).toMatchObject({ file_ids: [own], metadata: { files: [{ id: own, name: 'trace.log', extension: 'log', post_id: made.post!.id }] } });
  });

  it('closes every socket on dropSockets, keeping each connection for a reconnect that names it', async () => {
    const headers = { Authorization: `Bearer ${bob.token}` };
    const first = await open(headers);
    const hello = await first.find(event('hello'));
    const connectionId = (hello.data as Json).connection_id as string;
    await fake.postAs(alice.token, { channelId: channel.id, message: 'before the drop' });
    await first.find(event('posted'));
    expect(fake.socketCount(bob.user.id)).toBeGreaterThanOrEqual(1);

    fake.dropSockets();
    expect(await first.closed).toBe(1006);
    expect(fake.socketCount(bob.user.id)).toBe(0);
    await fake.postAs(alice.token, { channelId: channel.id, message: 'during the drop' });

    // Mattermost's dead queue: back from seq 1, the posted event already sent comes again, then the one missed.
    const back = await open(headers, `?connection_id=${connectionId}&sequence_number=1`);
    await back.find((message) => message.event === 'posted' && parsed(message, 'post').message === 'during the drop');
    expect(events(back).map((message) => [message.seq, parsed(message, 'post').message])).toEqual([
      [1, 'before the drop'],
      [2, 'during the drop'],
    ]);
    await fake.waitForSocket({ userId: bob.user.id });

    // After a restart nothing is remembered: a new connection id and hello at 0.
    fake.dropSockets({ restart: true });
    await back.closed;
    const restarted = await open(headers, `?connection_id=${connectionId}&sequence_number=3`);
    const again = await restarted.find(event('hello'));
    expect(again).toMatchObject({ seq: 0 });
    expect((again.data as Json).connection_id).not.toBe(connectionId);
  });

  it('starts over with a new connection id when the events a client asks for are gone', async () => {
    const headers = { Authorization: `Bearer ${alice.token}` };
    const first = await open(headers);
    const connectionId = ((await first.find(event('hello'))).data as Json).connection_id;
    fake.dropSockets();
    await first.closed;
    // Only hello (seq 0) was sent: seq 5 is not in the dead queue, and 0 is not 5 - 1.
    const back = await open(headers, `?connection_id=${String(connectionId)}&sequence_number=5`);
    const hello = await back.find(event('hello'));
    expect(hello).toMatchObject({ seq: 0 });
    expect((hello.data as Json).connection_id).not.toBe(connectionId);
  });

  it('gives a challenge-only reconnect a new connection id: without a session on the upgrade there is nothing to resume', async () => {
    const first = await connect(alice.token);
    const connectionId = ((await first.find(event('hello'))).data as Json).connection_id;
    fake.dropSockets();
    await first.closed;
    const back = await open({}, `?connection_id=${String(connectionId)}&sequence_number=1`);
    back.send({ seq: 1, action: 'authentication_challenge', data: { token: alice.token } });
    const hello = await back.find(event('hello'));
    expect(hello).toMatchObject({ seq: 0 });
    expect((hello.data as Json).connection_id).not.toBe(connectionId);
  });

  it('answers the upgrade 503 while refusing sockets, and accepts it again after', async () => {
    fake.refuseSockets(true);
    await expect(listen(socketUrl)).rejects.toThrow('upgrade answered 503');
    fake.refuseSockets(false);
    await expect(connect(alice.token)).resolves.toBeDefined();
  });

  it('returns every post changed since a time, deleted and replaced versions included, with the roots of replies', async () => {
    // Each made a little later than the one before, by the fake's clock.
    const make = async (token: string, message: string, rootId?: string) => {
      fake.clock.offsetMs += 10;
      return (await fake.postAs(token, { channelId: channel.id, message, ...(rootId ? { rootId } : {}) })).post!;
    };
    const root = await make(alice.token, 'since root');
    const untouched = await make(alice.token, 'untouched');
    const edited = await make(bob.token, 'first words', root.id);
    const deleted = await make(bob.token, 'regretted', root.id);
    const reacted = await make(bob.token, 'react to me');
    const since = Date.now() + fake.clock.offsetMs;
    fake.clock.offsetMs += 1_000;
    await fake.editAs(bob.token, edited.id, 'second words');
    await fake.deleteAs(bob.token, deleted.id);
    await fake.reactAs(alice.token, reacted.id, 'eyes');

    const response = await fetch(`${fake.url}/api/v4/channels/${channel.id}/posts?since=${since}`, { headers: { Authorization: `Bearer ${bot.token}` } });
    expect(response.status).toBe(200);
    const list = (await response.json()) as { order: string[]; posts: Record<string, Json> };
    const history = Object.values(list.posts).find((post) => post.original_id === edited.id)!;
    // Newest first by creation (the replaced version of the edited reply keeps its creation time); the root is
    // there because editing a reply moves its root.
    expect(new Set(list.order)).toEqual(new Set([reacted.id, deleted.id, edited.id, history.id, root.id]));
    expect([list.order[0], list.order.at(-1)]).toEqual([reacted.id, root.id]);
    expect(list.order).not.toContain(untouched.id);
    expect(list.posts[edited.id]).toMatchObject({ message: 'second words', edit_at: expect.any(Number) });
    expect(list.posts[deleted.id]).toMatchObject({ message: '', delete_at: expect.any(Number), metadata: {} });
    expect((list.posts[deleted.id]!.delete_at as number) > since).toBe(true);
    expect(history).toMatchObject({ message: '', delete_at: expect.any(Number) });
    expect(list.posts[reacted.id]).toMatchObject({ has_reactions: true, metadata: { reactions: [{ user_id: alice.user.id, emoji_name: 'eyes' }] } });

    // Without since: a page of live posts only.
    const page = (await (await fetch(`${fake.url}/api/v4/channels/${channel.id}/posts`, { headers: { Authorization: `Bearer ${bot.token}` } })).json()) as { order: string[] };
    expect(page.order).toContain(edited.id);
    expect(page.order).not.toContain(deleted.id);
    expect(page.order).not.toContain(history.id);
  });

  it('works with @mattermost/client’s WebSocketClient over `ws`: it authenticates, is answered its pings and hears a post', async () => {
    // The client reads the global WebSocket (for WebSocket.OPEN) that Node 20 lacks.
    const globals = globalThis as { WebSocket?: unknown };
    const saved = globals.WebSocket;
    globals.WebSocket ??= ws.WebSocket;
    const client = new mattermostClient.WebSocketClient({ newWebSocketFn: (url: string) => new ws.WebSocket(url) as unknown as WebSocket });
    try {
      const heard: Json[] = [];
      let wake: () => void = () => undefined;
      client.addMessageListener((message) => {
        heard.push(message as unknown as Json);
        wake();
      });
      const pong = new Promise<void>((resolve) => client.addFirstConnectListener(() => client.ping(() => resolve())));
      client.initialize(socketUrl, alice.token);
      await fake.waitForSocket({ userId: alice.user.id });
      await pong;
      await fake.postAs(bob.token, { channelId: channel.id, message: 'Heard through the client' });
      await new Promise<void>((resolve) => {
        wake = () => heard.some((message) => message.event === 'posted') && resolve();
        wake();
      });
      expect(heard.map((message) => message.event)).toEqual(['hello', 'posted']);
      expect(parsed(heard[1]!, 'post').message).toBe('Heard through the client');
    } finally {
      client.close();
      await socketsGone(alice.user.id);
      globals.WebSocket = saved;
    }
  });

  it('makes @mattermost/client (over undici, as the bridge uses it) reconnect after a drop and say it missed messages', async () => {
    const globals = globalThis as { WebSocket?: unknown; CloseEvent?: unknown };
    const saved = { WebSocket: globals.WebSocket, CloseEvent: globals.CloseEvent };
    globals.WebSocket ??= UndiciWebSocket;
    globals.CloseEvent ??= UndiciCloseEvent;
    const client = new mattermostClient.WebSocketClient({ minWebSocketRetryTime: 50, reconnectJitterRange: 10 });
    try {
      const hellos: string[] = [];
      let helloWaiter: () => void = () => undefined;
      client.addMessageListener((message) => {
        const received = message as unknown as Json;
        if (received.event !== 'hello') return;
        hellos.push((received.data as Json).connection_id as string);
        helloWaiter();
      });
      const missed = new Promise<void>((resolve) => client.addMissedMessageListener(resolve));
      const hellosCount = (count: number) =>
        new Promise<void>((resolve) => {
          helloWaiter = () => hellos.length >= count && resolve();
          helloWaiter();
        });
      client.initialize(socketUrl, bob.token);
      await hellosCount(1);
      fake.dropSockets();
      await hellosCount(2);
      await missed;
      expect(hellos[1]).not.toBe(hellos[0]);
    } finally {
      client.close();
      await socketsGone(bob.user.id);
      Object.assign(globals, saved);
    }
  });
});

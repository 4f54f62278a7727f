/**
 * GET /events through a running bridge: a plain SSE stream; each user gets
 * their own `work` and `connection` events and `subscriptions` events of
 * channels they belong to; Last-Event-ID resumes or asks for a resync; the
 * listening connection comes back after the database drops it; a webhook
 * reaches the sidebar counts within a poll; and stopping the bridge ends
 * streams cleanly. Polling is slow here (an hour): only a webhook brings a
 * poll forward.
 */
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { publishLiveEvent } from '../../../server/src/store/live-events.js';
import { startCommandBridge, type CommandBridge } from '../../helpers/command-bridge.js';
import { webhookFixture } from '../../helpers/fixtures.js';
import { waitFor } from '../../helpers/wait-for.js';
import { openEventStream, webappClient, type EventStream, type StreamEvent } from '../../helpers/webapp-client.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const APP = 'team/app';
const USER1 = { id: 6, username: 'user1', name: 'User1' };
const AUTHOR = { id: 51, username: 'author', name: 'The Author' };

let bridge: CommandBridge;
let alice: string;
let bob: string;
let carol: string;
let projectId: number;
const streams: EventStream[] = [];

async function stream(username: string, options: { lastEventId?: string } = {}): Promise<EventStream> {
  const opened = await openEventStream(bridge, username, options);
  streams.push(opened);
  // Listening once the opening block (retry, and the resume point) has arrived.
  await waitFor(() => opened.retryMs() !== undefined, 'the stream to open');
  return opened;
}

const ofKind = (kind: string) => (event: StreamEvent) => event.event === kind;
/** A `work` event only this user's streams get, to know everything published before it has been dealt with. */
async function sentinel(userId: string, marker: string): Promise<void> {
  await publishLiveEvent(bridge.pool, { kind: 'work', userId, data: { counts: { marker } } });
}
const isSentinel = (marker: string) => (event: StreamEvent) => event.event === 'work' && (event.data as Json).counts?.marker === marker;

async function polledOnce(userId: string): Promise<void> {
  await waitFor(
    async () => (await bridge.pool.query("SELECT 1 FROM poll_jobs WHERE kind = 'user' AND subject = $1 AND last_success_at IS NOT NULL", [userId])).rows.length > 0,
    'a first poll',
    20_000,
  );
}

beforeAll(async () => {
  bridge = await startCommandBridge({ users: ['alice', 'bob', 'carol', 'erin', 'frank'], oauth: true, env: () => ({ POLL_INTERVAL_SECONDS: '3600' }) });
  ({ alice, bob, carol } = bridge.users as { alice: string; bob: string; carol: string });
  bridge.gitlab.addUser(AUTHOR);
  projectId = bridge.gitlab.addProject(APP, { visibility: 'public' }).id;
  await bridge.connectGitLab(alice, USER1);
}, 120_000);

afterAll(async () => {
  for (const opened of streams) opened.close();
  await bridge?.close();
});

describe('the stream', () => {
  it('is server-sent events, neither compressed nor cached, with a retry time and a resume point', async () => {
    const opened = await stream('carol');
    expect(opened.status).toBe(200);
    expect(opened.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(opened.headers.get('cache-control')).toMatch(/no-store/);
    expect(opened.headers.get('cache-control')).toMatch(/no-transform/);
    expect(opened.headers.get('x-accel-buffering')).toBe('no');
    expect(opened.headers.get('content-encoding')).toBeNull();
    let cors = false;
    opened.headers.forEach((_value, name) => (cors ||= name.startsWith('access-control-')));
    expect(cors).toBe(false);
    expect(opened.retryMs()).toBe(3000);
    await waitFor(() => /^\d+$/.test(opened.lastEventId()), 'a resume point');
    opened.close();
  });

  it('needs a Mattermost session like every endpoint', async () => {
    const answer = await webappClient(bridge, 'carol')('GET', '/events', { session: null });
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ code: 'not_logged_in' });
  });
});

describe('who gets what', () => {
  it('tells a user, and only them, that they connected and disconnected GitLab, and brings their first counts', async () => {
    const bobs = await stream('bob');
    const carols = await stream('carol');
    await bridge.connectGitLab(bob, { id: 52, username: 'bobby', name: 'Bob B' });
    expect((await bobs.next(ofKind('connection'))).data).toEqual({ connected: true });
    // The first poll after connecting: the sidebar fills.
    const work = await bobs.next(ofKind('work'));
    expect((work.data as Json).counts).toEqual({ reviews: 0, assigned_mrs: 0, my_mrs: 0, assigned_issues: 0, todos: 0 });
    expect(work.id).toMatch(/^\d+$/);
    expect(await bridge.command(bob, 'disconnect')).toMatch(/disconnect/i);
    expect((await bobs.next((event) => event.event === 'connection' && (event.data as Json).connected === false)).data).toEqual({ connected: false });
    await sentinel(carol, 'carol-1');
    await carols.next(isSentinel('carol-1'));
    expect(carols.events.filter((event) => !isSentinel('carol-1')(event))).toEqual([]);
  });

  it('sends subscription changes only for channels the user belongs to, asking Mattermost with their own session once a minute', async () => {
    const { mattermost, team } = bridge;
    const town = mattermost.addChannel('town', { members: [alice], teamId: team.id });
    const secret = mattermost.addChannel('secret', { type: 'P', members: [alice], teamId: team.id });
    const lobby = mattermost.addChannel('lobby', { members: [alice, carol], teamId: team.id });
    const alices = await stream('alice');
    const carols = await stream('carol');
    for (const channel of [town, secret, lobby]) await publishLiveEvent(bridge.pool, { kind: 'subscriptions', channelId: channel.id });
    await sentinel(carol, 'carol-2');
    await carols.next(isSentinel('carol-2'));
    expect(carols.events.filter(ofKind('subscriptions')).map((event) => event.data)).toEqual([{ channelId: lobby.id }]);
    await alices.next((event) => event.event === 'subscriptions' && (event.data as Json).channelId === lobby.id);
    expect(alices.events.filter(ofKind('subscriptions')).map((event) => (event.data as Json).channelId)).toEqual([town.id, secret.id, lobby.id]);

    const asked = (userId: string, channelId: string) =>
      mattermost.requests.filter((request) => request.operationId === 'GetChannelMember' && request.userId === userId && request.path.includes(channelId)).length;
    // Carol has two streams open (this one and the previous test's): they share one question.
    expect(asked(carol, secret.id)).toBe(1);
    await publishLiveEvent(bridge.pool, { kind: 'subscriptions', channelId: town.id });
    await alices.next((event) => event.event === 'subscriptions' && alices.events.filter(ofKind('subscriptions')).length === 4);
    expect(asked(alice, town.id)).toBe(1);
  });
});

describe('resuming', () => {
  it('replays what the user missed after Last-Event-ID, and nothing of others', async () => {
    const first = await stream('alice');
    await sentinel(alice, 'before');
    const seen = await first.next(isSentinel('before'));
    first.close();
    await sentinel(alice, 'missed');
    await sentinel(bob, 'not-hers');
    const again = await stream('alice', { lastEventId: seen.id! });
    const missed = await again.next(isSentinel('missed'));
    expect(BigInt(missed.id!)).toBeGreaterThan(BigInt(seen.id!));
    await sentinel(alice, 'after');
    await again.next(isSentinel('after'));
    expect(again.events.map((event) => (event.data as Json).counts?.marker)).toEqual(['missed', 'after']);
  });

  it('asks for a resync when Last-Event-ID is older than what is kept, unknown to this database, or garbage', async () => {
    const first = await stream('alice');
    await sentinel(alice, 'old');
    const old = await first.next(isSentinel('old'));
    first.close();
    await sentinel(alice, 'gone-1');
    await sentinel(alice, 'gone-2');
    // What the bridge's pruning does after ten minutes; the newest row stays.
    await bridge.pool.query('DELETE FROM live_events WHERE id < (SELECT max(id) FROM live_events)');
    for (const lastEventId of [old.id!, '99999999999', 'not-an-id']) {
      const resumed = await stream('alice', { lastEventId });
      const resync = await resumed.next(ofKind('resync'));
      expect([lastEventId, resync.id]).toEqual([lastEventId, expect.stringMatching(/^\d+$/)]);
      expect(resumed.events.filter((event) => event.event !== 'resync')).toEqual([]);
      resumed.close();
    }
  });

  it('keeps delivering after the database drops the listening connection', async () => {
    const alices = await stream('alice');
    const { rows } = await bridge.pool.query<{ ended: boolean }>(
      "SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE application_name = 'gitlab-bridge-live' AND datname = current_database()",
    );
    expect(rows.map((row) => row.ended)).toEqual([true]);
    // Published while nobody listens: read from the table once listening again.
    await sentinel(alice, 'during');
    await alices.next(isSentinel('during'));
    await bridge.bridge.waitForLog((line) => line.msg === 'live update connection lost; listening again shortly');
    await waitFor(
      async () => (await bridge.pool.query("SELECT 1 FROM pg_stat_activity WHERE application_name = 'gitlab-bridge-live' AND datname = current_database()")).rows.length === 1,
      'listening again',
    );
    await sentinel(alice, 'after-reconnect');
    await alices.next(isSentinel('after-reconnect'));
  });
});

describe('a counter changes live after a webhook', () => {
  it('a review request webhook brings the reviewer\'s poll forward, and their stream gets the new count', async () => {
    await polledOnce(alice);
    const alices = await stream('alice');
    const mr = bridge.gitlab.addMergeRequest(APP, { title: 'Live review', authorId: AUTHOR.id });
    bridge.gitlab.requestReview(APP, mr.iid, USER1.id, AUTHOR.id);
    const fixture = webhookFixture('merge_request.update.reviewers.json');
    const payload = JSON.parse(fixture.body) as Json;
    payload.project.id = projectId;
    payload.project.path_with_namespace = APP;
    payload.object_attributes.iid = mr.iid;
    payload.object_attributes.title = 'Live review';
    payload.assignees = [];
    payload.user = { id: AUTHOR.id, name: AUTHOR.name, username: AUTHOR.username };
    const response = await fetch(`${bridge.publicUrl}/webhook`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Gitlab-Token': 'hook-secret', 'X-Gitlab-Event': fixture.event, 'X-Gitlab-Event-UUID': randomUUID() },
      body: JSON.stringify(payload),
    });
    expect(response.status).toBe(202);
    const work = await alices.next((event) => event.event === 'work' && (event.data as Json).counts?.reviews === 1, 20_000);
    expect((work.data as Json).counts).toMatchObject({ reviews: 1, todos: 1 });
    expect((await webappClient(bridge, 'alice')<Json>('GET', '/sidebar')).body.counts.reviews).toBe(1);
  });
});

describe('limits', () => {
  /** GET /events as a browser would; a stream that opens is kept for afterAll to close. */
  async function tryStream(username: string): Promise<{ status: number; body: unknown; retryAfter: string | null }> {
    const controller = new AbortController();
    const response = await fetch(`${bridge.publicUrl}/api/v1/events`, {
      headers: { accept: 'text/event-stream', cookie: `MMAUTHTOKEN=${bridge.sessions[username]}` },
      signal: controller.signal,
    });
    if (response.status === 200) {
      streams.push({ close: () => controller.abort() } as EventStream);
      return { status: 200, body: null, retryAfter: null };
    }
    return { status: response.status, body: await response.json(), retryAfter: response.headers.get('retry-after') };
  }

  it("refuses a user's ninth stream with 429 too_many_streams, leaves other users alone, and takes one again once a stream closes", async () => {
    const erins: EventStream[] = [];
    for (let i = 0; i < 8; i += 1) erins.push(await stream('erin'));
    const refused = await tryStream('erin');
    expect(refused).toEqual({ status: 429, body: { code: 'too_many_streams', error: expect.stringMatching(/already have 8 live-update streams open/) }, retryAfter: '30' });
    expect((await tryStream('bob')).status).toBe(200);
    erins[0]!.close();
    await waitFor(async () => (await tryStream('erin')).status === 200, 'a stream again once one closed');
  });

  it('a client that stops reading is not sent a backlog: it gets a resync when it reads again', async () => {
    const { port } = new URL(bridge.publicUrl);
    const socket = net.connect(Number(port), '127.0.0.1');
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.write(`GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: text/event-stream\r\nCookie: MMAUTHTOKEN=${bridge.sessions.frank}\r\n\r\n`);
    try {
      await waitFor(() => /retry: \d+/.test(received), 'the stream to open');
      socket.pause();
      // 20 MB of updates for frank: more than the sockets' buffers hold.
      const pad = 'x'.repeat(200_000);
      for (let i = 0; i < 100; i += 1) await publishLiveEvent(bridge.pool, { kind: 'work', userId: bridge.users.frank!, data: { counts: { pad, i } } });
      await waitFor(() => bridge.bridge.logs.some((line) => line.msg?.startsWith('a live update stream fell behind its client')), 'the stream to fall behind', 20_000);
      socket.resume();
      await waitFor(() => received.includes('event: resync'), 'the resync', 20_000);
      const delivered = received.split('event: work').length - 1;
      expect(delivered).toBeLessThan(100);
    } finally {
      socket.destroy();
    }
  });
});

describe('stopping the bridge', () => {
  it('ends open streams cleanly instead of waiting for them', async () => {
    const alices = await stream('alice');
    expect(await bridge.bridge.stop()).toBe(0);
    expect(await alices.ended).toBe('clean');
    expect(bridge.bridge.logs.some((line) => line.msg === 'gitlab-bridge stopped')).toBe(true);
  });
});

/**
 * A Mattermost server on loopback for tests. Every request is validated against
 * Mattermost's OpenAPI spec (test/fixtures/mattermost); anything the spec does
 * not allow is answered 400/404 and recorded in `violations`, which tests expect
 * to stay empty. Operations are answered by handlers keyed by operationId.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import yaml from 'js-yaml';
import { OpenAPIBackend, type Request as ApiRequest } from 'openapi-backend';

const SPEC = new URL('../fixtures/mattermost/mattermost-openapi-v4.yaml', import.meta.url);

let api: Promise<OpenAPIBackend> | undefined;
function loadApi(): Promise<OpenAPIBackend> {
  api ??= (async () => {
    const definition = yaml.load(readFileSync(SPEC, 'utf8')) as ConstructorParameters<typeof OpenAPIBackend>[0]['definition'];
    const backend = new OpenAPIBackend({ definition, quick: true, strict: false, ajvOpts: { strict: false } });
    await backend.init();
    return backend;
  })();
  return api;
}

export interface FakeUser {
  id: string;
  username: string;
  is_bot: boolean;
  roles: string;
}

export interface RecordedRequest {
  operationId: string | undefined;
  method: string;
  path: string;
  body: unknown;
  userId: string | undefined;
}

export interface FakeChannel {
  id: string;
  name: string;
  type: 'O' | 'P';
  delete_at: number;
  members: Set<string>;
}

export interface FakePost {
  id: string;
  channel_id: string;
  root_id: string;
  user_id: string;
  message: string;
  props: Record<string, unknown>;
  create_at: number;
  update_at: number;
  /** How many times the message was edited after creation. */
  edits: number;
}

/**
 * A fault for the next matching calls: an HTTP answer instead of the real one,
 * `drop` (do the work, then cut the connection before answering: the caller
 * cannot know it succeeded), `stall` (do the work, never answer) or `hang`
 * (do nothing, never answer).
 */
export type Fault = { status: number; headers?: Record<string, string>; body?: unknown } | 'drop' | 'stall' | 'hang';

interface Context {
  params: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
  user: FakeUser | undefined;
}
type Reply = { status: number; body: unknown };
type Handler = (context: Context) => Reply;

export interface FakeMattermost {
  url: string;
  requests: RecordedRequest[];
  violations: string[];
  channels: Map<string, FakeChannel>;
  posts: FakePost[];
  /** A user with a personal access token; bots are users with is_bot. */
  addUser(username: string, options?: { bot?: boolean }): { user: FakeUser; token: string };
  addChannel(name: string, options?: { type?: 'O' | 'P'; members?: string[] }): FakeChannel;
  /** Makes the next `times` calls of `operationId` fail as `fault` says. */
  inject(operationId: string, fault: Fault, times?: number): void;
  /** Resolves once `count` posts exist (or rejects after `timeoutMs`). */
  waitForPosts(count: number, timeoutMs?: number): Promise<FakePost[]>;
  close(): Promise<void>;
}

export async function startFakeMattermost(): Promise<FakeMattermost> {
  const backend = await loadApi();
  const users = new Map<string, FakeUser>();
  const tokens = new Map<string, string>();
  const requests: RecordedRequest[] = [];
  const violations: string[] = [];
  const channels = new Map<string, FakeChannel>();
  const posts: FakePost[] = [];
  const faults: { operationId: string; fault: Fault; left: number }[] = [];
  const postWaiters: (() => void)[] = [];

  const unauthorised = () => appError(401, 'api.context.session_expired.app_error', 'Invalid or expired session, please login again.');
  const channelFor = (id: string | undefined, user: FakeUser): FakeChannel | undefined => {
    const channel = channels.get(id ?? '');
    if (!channel) return undefined;
    // Like Mattermost: a private channel does not exist for non-members.
    return channel.type === 'O' || channel.members.has(user.id) ? channel : undefined;
  };
  const channelJson = (channel: FakeChannel) => ({
    id: channel.id,
    create_at: 1,
    update_at: 1,
    delete_at: channel.delete_at,
    team_id: 'team0000000000000000000000',
    type: channel.type,
    display_name: channel.name,
    name: channel.name,
    header: '',
    purpose: '',
    creator_id: '',
  });
  const memberJson = (channel: FakeChannel, userId: string) => ({
    channel_id: channel.id,
    user_id: userId,
    roles: 'channel_user',
    last_viewed_at: 0,
    msg_count: 0,
    mention_count: 0,
    notify_props: {},
    last_update_at: 0,
  });

  const handlers: Record<string, Handler> = {
    GetUser: ({ params, user }) => {
      if (!user) return appError(401, 'api.context.session_expired.app_error', 'Invalid or expired session, please login again.');
      const target = params.user_id === 'me' ? user : users.get(params.user_id ?? '');
      return target ? { status: 200, body: target } : appError(404, 'app.user.missing_account.const', 'Unable to find the user.');
    },
    GetChannel: ({ params, user }) => {
      if (!user) return unauthorised();
      const channel = channelFor(params.channel_id, user);
      return channel ? { status: 200, body: channelJson(channel) } : appError(404, 'app.channel.get.existing.app_error', 'Unable to find the existing channel.');
    },
    GetChannelMember: ({ params, user }) => {
      if (!user) return unauthorised();
      const channel = channelFor(params.channel_id, user);
      if (!channel || !channel.members.has(params.user_id ?? '')) return appError(404, 'app.channel.get_member.missing.app_error', 'No channel member found for that user ID and channel ID.');
      return { status: 200, body: memberJson(channel, params.user_id!) };
    },
    AddChannelMember: ({ params, body, user }) => {
      if (!user) return unauthorised();
      const channel = channelFor(params.channel_id, user);
      const userId = (body as { user_id?: string }).user_id ?? '';
      if (!channel) return appError(404, 'app.channel.get.existing.app_error', 'Unable to find the existing channel.');
      if (channel.type !== 'O' && !channel.members.has(user.id)) return appError(403, 'api.context.permissions.app_error', 'You do not have the appropriate permissions.');
      if (channel.delete_at > 0) return appError(400, 'api.channel.add_user.to.channel.failed.deleted.app_error', 'Failed to add user to channel because the channel has been archived.');
      channel.members.add(userId);
      return { status: 201, body: memberJson(channel, userId) };
    },
    CreatePost: ({ body, user }) => {
      if (!user) return unauthorised();
      const input = body as { channel_id: string; message: string; root_id?: string; props?: Record<string, unknown> };
      const channel = channelFor(input.channel_id, user);
      if (!channel || !channel.members.has(user.id) || channel.delete_at > 0) {
        return appError(403, 'api.context.permissions.app_error', 'You do not have the appropriate permissions.');
      }
      if (input.root_id) {
        const root = posts.find((post) => post.id === input.root_id);
        if (!root || root.channel_id !== channel.id || root.root_id !== '') return appError(400, 'api.post.create_post.root_id.app_error', 'Invalid RootId parameter.');
      }
      const now = Date.now();
      const post: FakePost = {
        id: mattermostId(),
        channel_id: channel.id,
        root_id: input.root_id ?? '',
        user_id: user.id,
        message: input.message,
        props: input.props ?? {},
        create_at: now,
        update_at: now,
        edits: 0,
      };
      posts.push(post);
      for (const wake of postWaiters.splice(0)) wake();
      return { status: 201, body: postJson(post) };
    },
    PatchPost: ({ params, body, user }) => {
      if (!user) return unauthorised();
      const post = posts.find((candidate) => candidate.id === params.post_id);
      if (!post) return appError(404, 'app.post.get.app_error', 'Unable to get the post.');
      if (post.user_id !== user.id) return appError(403, 'api.context.permissions.app_error', 'You do not have the appropriate permissions.');
      const patch = body as { message?: string };
      if (patch.message !== undefined) post.message = patch.message;
      post.update_at = Date.now();
      post.edits++;
      return { status: 200, body: postJson(post) };
    },
    GetPostsForChannel: ({ params, query, user }) => {
      if (!user) return unauthorised();
      const channel = channelFor(params.channel_id, user);
      if (!channel) return appError(403, 'api.context.permissions.app_error', 'You do not have the appropriate permissions.');
      const since = Number(query.since ?? 0);
      const found = posts.filter((post) => post.channel_id === channel.id && post.update_at > since).sort((a, b) => b.create_at - a.create_at);
      return {
        status: 200,
        body: { order: found.map((post) => post.id), posts: Object.fromEntries(found.map((post) => [post.id, postJson(post)])), next_post_id: '', prev_post_id: '' },
      };
    },
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown = raw === '' ? undefined : raw;
      if (raw !== '' && /json/.test(req.headers['content-type'] ?? '')) {
        try {
          body = JSON.parse(raw);
        } catch {
          violations.push(`${req.method} ${url.pathname}: body is not valid JSON`);
        }
      }
      const request: ApiRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers as Record<string, string>,
        body,
      };
      const operation = backend.matchOperation(request);
      const user = userFor(req.headers);
      requests.push({ operationId: operation?.operationId, method: request.method, path: url.pathname, body, userId: user?.id });
      const send = ({ status, body: payload }: Reply) => {
        res.writeHead(status, { 'Content-Type': 'application/json', 'X-Request-Id': randomBytes(13).toString('hex') });
        res.end(JSON.stringify(payload));
      };

      if (!operation) {
        violations.push(`${request.method} ${url.pathname}: no such operation in the Mattermost API`);
        return send(appError(404, 'api.context.404.app_error', 'Sorry, we could not find the page.'));
      }
      const validation = backend.validateRequest(request, operation);
      if (!validation.valid) {
        const why = (validation.errors ?? []).map((e) => `${e.instancePath} ${e.message}`).join('; ');
        violations.push(`${operation.operationId} (${request.method} ${url.pathname}): ${why}`);
        return send(appError(400, 'api.context.invalid_param.app_error', why));
      }
      const handler = handlers[operation.operationId ?? ''];
      if (!handler) {
        violations.push(`${operation.operationId}: the fake does not implement it yet`);
        return send(appError(501, 'fake.not_implemented', `${operation.operationId} is not implemented by the fake`));
      }
      const params = backend.router.parseRequest(request, operation).params as Record<string, string>;
      const fault = takeFault(operation.operationId ?? '');
      if (fault === 'hang') return;
      if (fault && typeof fault === 'object') {
        res.writeHead(fault.status, { 'Content-Type': 'application/json', ...fault.headers });
        return void res.end(JSON.stringify(fault.body ?? appError(fault.status, 'fake.fault', 'injected fault').body));
      }
      const reply = handler({ params, query: Object.fromEntries(url.searchParams), body, user });
      if (fault === 'drop') return void req.socket.destroy();
      if (fault === 'stall') return;
      send(reply);
    });
  });

  function userFor(headers: http.IncomingHttpHeaders): FakeUser | undefined {
    const bearer = /^bearer\s+(\S+)$/i.exec(headers.authorization ?? '')?.[1];
    const cookie = /(?:^|;\s*)MMAUTHTOKEN=([^;]+)/.exec(headers.cookie ?? '')?.[1];
    const userId = tokens.get(bearer ?? cookie ?? '');
    return userId ? users.get(userId) : undefined;
  }

  function takeFault(operationId: string): Fault | undefined {
    const entry = faults.find((candidate) => candidate.operationId === operationId && candidate.left > 0);
    if (!entry) return undefined;
    entry.left--;
    return entry.fault;
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    violations,
    channels,
    posts,
    addChannel(name, options = {}) {
      const channel: FakeChannel = { id: mattermostId(), name, type: options.type ?? 'O', delete_at: 0, members: new Set(options.members ?? []) };
      channels.set(channel.id, channel);
      return channel;
    },
    inject(operationId, fault, times = 1) {
      faults.push({ operationId, fault, left: times });
    },
    async waitForPosts(count, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (posts.length < count) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`expected ${count} posts, the fake Mattermost has ${posts.length}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(left, 250));
          postWaiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return posts;
    },
    addUser(username, options = {}) {
      const user: FakeUser = { id: mattermostId(), username, is_bot: options.bot ?? false, roles: 'system_user' };
      const token = mattermostId();
      users.set(user.id, user);
      tokens.set(token, user.id);
      return { user, token };
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function postJson(post: FakePost) {
  return {
    id: post.id,
    create_at: post.create_at,
    update_at: post.update_at,
    delete_at: 0,
    edit_at: post.edits > 0 ? post.update_at : 0,
    user_id: post.user_id,
    channel_id: post.channel_id,
    root_id: post.root_id,
    original_id: '',
    message: post.message,
    type: '',
    props: post.props,
    hashtag: '',
    file_ids: [],
    pending_post_id: '',
    metadata: {},
  };
}

function appError(status: number, id: string, message: string): Reply {
  return { status, body: { id, message, detailed_error: '', request_id: mattermostId(), status_code: status } };
}

/** Mattermost ids: 26 characters of lower-case base32. */
function mattermostId(): string {
  const alphabet = 'abcdefghijkmnopqrstuwxyz13456789';
  return Array.from(randomBytes(26), (byte) => alphabet[byte % 32]).join('');
}

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
  /** Space-separated, as in Mattermost: 'system_user', 'system_user system_admin'. */
  roles: string;
  /** What Mattermost keeps about a bot beside its user (set on every is_bot user). */
  bot?: FakeBot;
  /** As Mattermost keeps it: strings, 'true'/'false' for the flag; unset answers Mattermost's default (automatic, empty). */
  timezone?: { useAutomaticTimezone: string; automaticTimezone: string; manualTimezone: string };
}

export interface FakeBot {
  display_name: string;
  description: string;
  owner_id: string;
  /** Non-zero while the bot is disabled; like Mattermost, its tokens do not work then. */
  delete_at: number;
  /** The last icon uploaded (SetBotIconImage), as sent. */
  icon?: { contentType: string; bytes: Buffer };
}

export interface FakeTeam {
  id: string;
  name: string;
  display_name: string;
  members: Set<string>;
  /** Members with the team_admin role. */
  admins: Set<string>;
}

/** A custom slash command, with Mattermost's fields. */
export interface FakeCommand {
  id: string;
  token: string;
  create_at: number;
  update_at: number;
  /** Non-zero once deleted: Mattermost then ignores the command (its trigger is free again). */
  delete_at: number;
  creator_id: string;
  team_id: string;
  trigger: string;
  method: 'P' | 'G';
  username: string;
  icon_url: string;
  auto_complete: boolean;
  auto_complete_desc: string;
  auto_complete_hint: string;
  display_name: string;
  description: string;
  url: string;
}

/** A personal access token made through the API (CreateUserAccessToken). */
export interface FakeAccessToken {
  id: string;
  token: string;
  user_id: string;
  description: string;
  is_active: boolean;
}

/** The part of Mattermost's config (GetConfig) the fake knows; tests may change it at any time. */
export interface FakeConfig {
  ServiceSettings: {
    SiteURL: string;
    EnableCommands: boolean;
    EnableBotAccountCreation: boolean;
    EnableUserAccessTokens: boolean;
    EnablePostUsernameOverride: boolean;
    EnablePostIconOverride: boolean;
    /** Space-separated hosts and CIDRs Mattermost may call although they are internal (e.g. slash command URLs). */
    AllowedUntrustedInternalConnections: string;
  };
  RateLimitSettings: {
    Enable: boolean;
    PerSec: number;
    MaxBurst: number;
    MemoryStoreSize: number;
    VaryByRemoteAddr: boolean;
    VaryByUser: boolean;
    VaryByHeader: string;
  };
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
  /** For a direct message channel ('D'), Mattermost's `<id>__<id>` of its two users, sorted. */
  name: string;
  type: 'O' | 'P' | 'D';
  delete_at: number;
  /** '' for a direct message channel: it belongs to no team. */
  team_id: string;
  members: Set<string>;
  /** Members with the channel_admin role. */
  admins: Set<string>;
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

interface MultipartPart {
  name: string;
  /** Set on file parts only (Mattermost finds uploads among these). */
  filename: string | undefined;
  contentType: string;
  bytes: Buffer;
}

interface Context {
  params: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
  /** The parts of a multipart/form-data body. */
  parts: MultipartPart[] | undefined;
  user: FakeUser | undefined;
}
type BotUser = FakeUser & { bot: FakeBot };
type Reply = { status: number; body: unknown };
type Handler = (context: Context) => Reply;

export interface FakeMattermost {
  url: string;
  requests: RecordedRequest[];
  violations: string[];
  /** By id, bots included. */
  users: Map<string, FakeUser>;
  channels: Map<string, FakeChannel>;
  posts: FakePost[];
  teams: Map<string, FakeTeam>;
  /** By id; deleted ones (delete_at > 0) stay here but are invisible to the API. */
  commands: Map<string, FakeCommand>;
  /** Made through the API; one whose is_active a test clears stops working. */
  accessTokens: FakeAccessToken[];
  /** What GetConfig answers and the fake obeys (EnableCommands, EnableBotAccountCreation, EnableUserAccessTokens). */
  config: FakeConfig;
  /**
   * How far the fake's clock is from this machine's, in ms (negative: behind). Posts are stamped with it
   * and `since` compares against it: Mattermost uses its own server's clock for both (model.GetMillis()).
   */
  clock: { offsetMs: number };
  /**
   * A user with a token; bots are users with is_bot (and `bot`). Unlike tokens made through the API,
   * this token works even while EnableUserAccessTokens is off (think of it as a login session).
   */
  addUser(username: string, options?: { bot?: boolean; roles?: string }): { user: FakeUser; token: string };
  /** Another session of an existing user, as a login in a second browser makes: a token of its own. */
  addSession(userId: string): string;
  /** Admins are made members too; without a teamId, the channel is in 'team0000000000000000000000'. */
  addChannel(name: string, options?: { type?: 'O' | 'P'; members?: string[]; admins?: string[]; teamId?: string }): FakeChannel;
  /** An invite-only team: visible to its members and system admins. Admins are made members too. */
  addTeam(name: string, options?: { displayName?: string; members?: string[]; admins?: string[] }): FakeTeam;
  /** A slash command as if someone had created it; unspecified fields get working defaults. */
  addCommand(command: Pick<FakeCommand, 'team_id' | 'trigger' | 'creator_id'> & Partial<FakeCommand>): FakeCommand;
  /** Makes the next `times` calls of `operationId` fail as `fault` says. */
  inject(operationId: string, fault: Fault, times?: number): void;
  /**
   * A slash command's `response_url`, as Mattermost hands one to each invocation: POST /hooks/commands/:id,
   * outside the REST API (and its spec), answered by the web server; each works five times.
   */
  responseUrl(): string;
  /** What came through response_url(), in order: the JSON bodies. */
  commandResponses: { hookId: string; body: unknown }[];
  /** Resolves once `count` posts exist (or rejects after `timeoutMs`). */
  waitForPosts(count: number, timeoutMs?: number): Promise<FakePost[]>;
  /** The posts someone else made in the direct message channels of this user, oldest first. */
  directMessagesTo(userId: string): FakePost[];
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
  const clock = { offsetMs: 0 };
  // Command response hooks by id, with the uses left (Mattermost's MaxCommandResponseHookUses is 5).
  const responseHooks = new Map<string, number>();
  const commandResponses: { hookId: string; body: unknown }[] = [];
  const postWaiters: (() => void)[] = [];
  const teams = new Map<string, FakeTeam>();
  const commands = new Map<string, FakeCommand>();
  const accessTokens: FakeAccessToken[] = [];
  // Mattermost's defaults, except what a server prepared for the bridge has switched on.
  const config: FakeConfig = {
    ServiceSettings: {
      SiteURL: 'http://mattermost.example.com',
      EnableCommands: true,
      EnableBotAccountCreation: true,
      EnableUserAccessTokens: true,
      EnablePostUsernameOverride: false,
      EnablePostIconOverride: false,
      AllowedUntrustedInternalConnections: '',
    },
    RateLimitSettings: { Enable: false, PerSec: 10, MaxBurst: 100, MemoryStoreSize: 10000, VaryByRemoteAddr: true, VaryByUser: false, VaryByHeader: '' },
  };

  const unauthorised = () => appError(401, 'api.context.session_expired.app_error', 'Invalid or expired session, please login again.');
  const forbidden = () => appError(403, 'api.context.permissions.app_error', 'You do not have the appropriate permissions.');
  // The permissions the fake checks (create_bot, manage_bots, manage_slash_commands, edit_other_users,
  // manage_system...) belong to system admins only, as in a default Mattermost.
  const isAdmin = (user: FakeUser) => hasRole(user, 'system_admin');
  const userNamed = (username: string | undefined) => [...users.values()].find((candidate) => candidate.username.toLowerCase() === username?.toLowerCase());
  const missingUser = () => appError(404, 'app.user.missing_account.const', 'Unable to find the user.');
  const newUser = (username: string, isBot: boolean, roles = 'system_user'): FakeUser => {
    const user: FakeUser = { id: mattermostId(), username, is_bot: isBot, roles };
    if (isBot) user.bot = { display_name: '', description: '', owner_id: '', delete_at: 0 };
    users.set(user.id, user);
    return user;
  };
  const botNotFound = () => appError(404, 'store.sql_bot.get.missing.app_error', 'Bot does not exist.');
  /** A bot the caller may manage. Mattermost answers 404 to those who may not even read bots, not 403. */
  const managedBot = (id: string | undefined, user: FakeUser): BotUser | undefined => {
    const bot = users.get(id ?? '');
    return bot?.bot && isAdmin(user) ? (bot as BotUser) : undefined;
  };
  const canViewTeam = (teamId: string, user: FakeUser) => isAdmin(user) || (teams.get(teamId)?.members.has(user.id) ?? false);
  const liveCommands = (teamId: string) => [...commands.values()].filter((command) => command.team_id === teamId && command.delete_at === 0);
  const liveCommand = (id: string | undefined) => {
    const command = commands.get(id ?? '');
    return command && command.delete_at === 0 ? command : undefined;
  };
  const commandsDisabled = () => appError(501, 'api.command.disabled.app_error', 'Commands have been disabled by the system admin.');
  const commandNotFound = () => appError(404, 'store.sql_command.save.get.app_error', 'Unable to get the command.');
  /** Mattermost's checks on a command being saved: a trigger free in its team (built-ins count), then Command.IsValid. */
  const commandRefusal = (command: FakeCommand): Reply | undefined => {
    const taken = BUILT_IN_TRIGGERS.includes(command.trigger) || liveCommands(command.team_id).some((other) => other.id !== command.id && other.trigger.toLowerCase() === command.trigger);
    if (taken) return appError(400, 'api.command.duplicate_trigger.app_error', 'This trigger word is already in use. Please choose another word.');
    const invalid = (field: string) => appError(400, `model.command.is_valid.${field}.app_error`, `Invalid ${field}.`);
    if (!/^[A-Za-z0-9]{26}$/.test(command.team_id)) return invalid('team_id');
    if (command.trigger === '' || command.trigger.length > 128 || command.trigger.startsWith('/') || command.trigger.includes(' ')) return invalid('trigger');
    if (command.url === '' || command.url.length > 1024) return invalid('url');
    if (!/^https?:\/\/\S+$/.test(command.url)) return invalid('url_http');
    if (command.method !== 'P' && command.method !== 'G') return invalid('method');
    if (command.display_name.length > 64) return invalid('display_name');
    if (command.description.length > 128) return invalid('description');
    return undefined;
  };
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
    team_id: channel.team_id,
    type: channel.type,
    // Mattermost leaves a direct message channel's display name empty: clients show the other user.
    display_name: channel.type === 'D' ? '' : channel.name,
    name: channel.name,
    header: '',
    purpose: '',
    creator_id: '',
  });
  const memberJson = (channel: FakeChannel, userId: string) => ({
    channel_id: channel.id,
    user_id: userId,
    roles: channel.admins.has(userId) ? 'channel_user channel_admin' : 'channel_user',
    last_viewed_at: 0,
    msg_count: 0,
    mention_count: 0,
    notify_props: {},
    last_update_at: 0,
    scheme_guest: false,
    scheme_user: true,
    scheme_admin: channel.admins.has(userId),
    explicit_roles: '',
  });

  const handlers: Record<string, Handler> = {
    // Answered without a session, as Mattermost does (it is what load balancers probe).
    GetPing: () => ({ status: 200, body: { status: 'OK' } }),
    GetUser: ({ params, user }) => {
      if (!user) return unauthorised();
      const target = params.user_id === 'me' ? user : users.get(params.user_id ?? '');
      return target ? { status: 200, body: userJson(target) } : missingUser();
    },
    GetUsersByIds: ({ body, user }) => {
      if (!user) return unauthorised();
      const ids = body as string[];
      if (ids.length === 0) return appError(400, 'api.context.invalid_body_param.app_error', 'Invalid or missing user_ids in request body.');
      // Ids that match no one are left out, not an error. (`since` is not supported: the fake keeps no update_at.)
      return { status: 200, body: [...new Set(ids)].flatMap((id) => users.get(id) ?? []).map(userJson) };
    },
    GetUserByUsername: ({ params, user }) => {
      if (!user) return unauthorised();
      const target = userNamed(params.username);
      return target ? { status: 200, body: userJson(target) } : appError(404, 'app.user.get_by_username.app_error', 'Unable to find an existing account matching your username.');
    },
    GetChannel: ({ params, user }) => {
      if (!user) return unauthorised();
      const channel = channelFor(params.channel_id, user);
      return channel ? { status: 200, body: channelJson(channel) } : appError(404, 'app.channel.get.existing.app_error', 'Unable to find the existing channel.');
    },
    // PUT /channels/{id}/privacy. Mattermost's api4 updateChannelPrivacy: privacy 'O' or 'P', else 400; needs
    // convert_private_channel_to_public (or the reverse), by default team and system admins'
    // (docs: convert-public-channels.rst); Town Square stays public. Answers the updated channel.
    UpdateChannelPrivacy: ({ params, body, user }) => {
      if (!user) return unauthorised();
      const privacy = (body as { privacy?: unknown }).privacy;
      if (privacy !== 'O' && privacy !== 'P') return appError(400, 'api.context.invalid_body_param.app_error', 'Invalid or missing privacy in request body.');
      // A system admin reaches every channel (manage_system); others only the ones they can see.
      const channel = isAdmin(user) ? channels.get(params.channel_id ?? '') : channelFor(params.channel_id, user);
      if (!channel || channel.type === 'D') return appError(404, 'app.channel.get.existing.app_error', 'Unable to find the existing channel.');
      if (!isAdmin(user) && !teams.get(channel.team_id)?.admins.has(user.id)) return forbidden();
      if (privacy === 'P' && channel.name === 'town-square') return appError(400, 'api.channel.update_channel_privacy.default_channel_error', 'The default channel cannot be made private.');
      channel.type = privacy;
      return { status: 200, body: channelJson(channel) };
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
      // A direct message channel keeps its two users.
      if (channel.type === 'D') return appError(400, 'api.channel.add_user_to_channel.type.app_error', 'Can not add user to this channel type.');
      if (channel.type !== 'O' && !channel.members.has(user.id)) return appError(403, 'api.context.permissions.app_error', 'You do not have the appropriate permissions.');
      if (channel.delete_at > 0) return appError(400, 'api.channel.add_user.to.channel.failed.deleted.app_error', 'Failed to add user to channel because the channel has been archived.');
      channel.members.add(userId);
      return { status: 201, body: memberJson(channel, userId) };
    },
    CreateDirectChannel: ({ body, user }) => {
      if (!user) return unauthorised();
      // The spec holds the body to two ids; Mattermost then checks each, and that the caller is one of the two
      // users unless they have manage_system. The same id twice is a user's channel with themselves.
      const ids = body as string[];
      if (ids.some((id) => !/^[A-Za-z0-9]{26}$/.test(id))) return appError(400, 'api.context.invalid_body_param.app_error', 'Invalid or missing user_id in request body.');
      if (!ids.includes(user.id) && !isAdmin(user)) return forbidden();
      if (ids.some((id) => !users.has(id))) return appError(400, 'api.channel.create_direct_channel.invalid_user.app_error', 'Invalid user ID for direct channel creation.');
      const name = [...ids].sort().join('__');
      // Get or create: asking again, in either order, answers the same channel (still 201).
      let channel = [...channels.values()].find((candidate) => candidate.type === 'D' && candidate.name === name);
      if (!channel) {
        channel = { id: mattermostId(), name, type: 'D', delete_at: 0, team_id: '', members: new Set(ids), admins: new Set() };
        channels.set(channel.id, channel);
      }
      return { status: 201, body: channelJson(channel) };
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
      const now = Date.now() + clock.offsetMs;
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
      post.update_at = Date.now() + clock.offsetMs;
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
    // read_channel_content: a member of the post's channel (the fake does not let outsiders read public channels).
    GetPost: ({ params, user }) => {
      if (!user) return unauthorised();
      const post = posts.find((candidate) => candidate.id === params.post_id);
      if (!post) return appError(404, 'app.post.get.app_error', 'Unable to get the post.');
      if (!channels.get(post.channel_id)?.members.has(user.id)) return forbidden();
      return { status: 200, body: postJson(post) };
    },
    CreateBot: ({ body, user }) => {
      if (!user) return unauthorised();
      // Bots cannot create bots, even with the permission.
      if (!isAdmin(user) || user.is_bot) return forbidden();
      if (!config.ServiceSettings.EnableBotAccountCreation) return appError(403, 'api.bot.create_disabled', 'Bot creation has been disabled.');
      const input = body as { username: string; display_name?: string; description?: string };
      if (!USERNAME.test(input.username)) return appError(400, 'model.bot.is_valid.username.app_error', 'Invalid username.');
      if (userNamed(input.username)) return appError(400, 'app.user.save.username_exists.app_error', 'An account with that username already exists.');
      const bot = newUser(input.username, true) as BotUser;
      Object.assign(bot.bot, { display_name: input.display_name ?? '', description: input.description ?? '', owner_id: user.id });
      return { status: 201, body: botJson(bot) };
    },
    GetBot: ({ params, query, user }) => {
      if (!user) return unauthorised();
      const bot = managedBot(params.bot_user_id, user);
      // Without include_deleted, a disabled bot does not exist (and @mattermost/client's getBot never sends it).
      if (!bot || (bot.bot.delete_at > 0 && !isTrue(query.include_deleted))) return botNotFound();
      return { status: 200, body: botJson(bot) };
    },
    PatchBot: ({ params, body, user }) => {
      if (!user) return unauthorised();
      const bot = managedBot(params.bot_user_id, user);
      if (!bot) return botNotFound();
      const patch = body as { username?: string; display_name?: string; description?: string };
      if (patch.username !== undefined && patch.username !== bot.username) {
        if (!USERNAME.test(patch.username)) return appError(400, 'model.bot.is_valid.username.app_error', 'Invalid username.');
        if (userNamed(patch.username)) return appError(400, 'app.user.save.username_exists.app_error', 'An account with that username already exists.');
        bot.username = patch.username;
      }
      if (patch.display_name !== undefined) bot.bot.display_name = patch.display_name;
      if (patch.description !== undefined) bot.bot.description = patch.description;
      return { status: 200, body: botJson(bot) };
    },
    EnableBot: ({ params, user }) => {
      if (!user) return unauthorised();
      const bot = managedBot(params.bot_user_id, user);
      if (!bot) return botNotFound();
      bot.bot.delete_at = 0;
      return { status: 200, body: botJson(bot) };
    },
    SetBotIconImage: ({ params, parts, user }) => {
      if (!user) return unauthorised();
      const bot = managedBot(params.bot_user_id, user);
      if (!bot) return botNotFound();
      // Mattermost reads the first file part named `image`; a plain field of that name does not count.
      const image = parts?.find((part) => part.name === 'image' && part.filename !== undefined);
      if (!image) return appError(400, 'api.bot.set_bot_icon_image.no_file.app_error', "No file under 'image' in request.");
      if (!isSizedSvg(image.bytes)) return appError(400, 'api.bot.set_bot_icon_image.app_error', 'Unable to upload icon image: it must be an SVG with a size.');
      bot.bot.icon = { contentType: image.contentType, bytes: image.bytes };
      return { status: 200, body: { status: 'OK' } };
    },
    CreateUserAccessToken: ({ params, body, user }) => {
      if (!user) return unauthorised();
      const { description } = body as { description: string };
      if (description === '') return appError(400, 'api.context.invalid_param.app_error', 'Invalid or missing description in request body.');
      // create_user_access_token comes with system_admin or the system_user_access_token role; for someone
      // else's token, edit_other_users too (a system admin's).
      if (!isAdmin(user) && !(params.user_id === user.id && hasRole(user, 'system_user_access_token'))) return forbidden();
      if (!config.ServiceSettings.EnableUserAccessTokens) {
        return appError(501, 'app.user_access_token.disabled', 'Personal access tokens are disabled on this server. Please contact your system administrator for details.');
      }
      if (!users.has(params.user_id ?? '')) return missingUser();
      const token: FakeAccessToken = { id: mattermostId(), token: mattermostId(), user_id: params.user_id!, description, is_active: true };
      accessTokens.push(token);
      // 200, not the spec's 201: what the server writes.
      return { status: 200, body: { ...token } };
    },
    GetUserAccessTokensForUser: ({ params, query, user }) => {
      if (!user) return unauthorised();
      if (!isAdmin(user) && !(params.user_id === user.id && hasRole(user, 'system_user_access_token'))) return forbidden();
      const page = Number(query.page ?? 0);
      const perPage = Number(query.per_page ?? 60);
      const found = accessTokens.filter((token) => token.user_id === params.user_id).slice(page * perPage, (page + 1) * perPage);
      // Like Mattermost, without the token values.
      return { status: 200, body: found.map(({ token: _token, ...sanitised }) => sanitised) };
    },
    GetAllTeams: ({ query, user }) => {
      if (!user) return unauthorised();
      // System admins list every team; others only teams anyone may join, which the fake's are not.
      const all = isAdmin(user) ? [...teams.values()].sort((a, b) => a.display_name.localeCompare(b.display_name)) : [];
      const page = Number(query.page ?? 0);
      const perPage = Number(query.per_page ?? 60);
      const found = all.slice(page * perPage, (page + 1) * perPage).map(teamJson);
      return { status: 200, body: isTrue(query.include_total_count) ? { teams: found, total_count: all.length } : found };
    },
    GetTeam: ({ params, user }) => {
      if (!user) return unauthorised();
      // view_team comes first, as for GetTeamMember: a non-member gets 403 whether the team exists or not.
      if (!canViewTeam(params.team_id ?? '', user)) return forbidden();
      const team = teams.get(params.team_id ?? '');
      return team ? { status: 200, body: teamJson(team) } : appError(404, 'app.team.get.find.app_error', 'Unable to find the existing team.');
    },
    GetTeamByName: ({ params, user }) => {
      if (!user) return unauthorised();
      const team = [...teams.values()].find((candidate) => candidate.name === params.name);
      if (!team) return appError(404, 'app.team.get_by_name.missing.app_error', 'Unable to find the existing team.');
      return canViewTeam(team.id, user) ? { status: 200, body: teamJson(team) } : forbidden();
    },
    GetTeamMember: ({ params, user }) => {
      if (!user) return unauthorised();
      // Mattermost checks view_team first, so a non-member asking gets 403 even for a team that does not exist.
      if (!canViewTeam(params.team_id ?? '', user)) return forbidden();
      const team = teams.get(params.team_id ?? '');
      const userId = params.user_id ?? '';
      if (!team?.members.has(userId)) return appError(404, 'app.team.get_member.missing.app_error', 'No team member found for that user ID and team ID.');
      const admin = team.admins.has(userId);
      return {
        status: 200,
        body: { team_id: team.id, user_id: userId, roles: admin ? 'team_user team_admin' : 'team_user', delete_at: 0, scheme_guest: false, scheme_user: true, scheme_admin: admin, explicit_roles: '' },
      };
    },
    ListCommands: ({ query, user }) => {
      if (!user) return unauthorised();
      const teamId = query.team_id ?? '';
      if (teamId === '') return appError(400, 'api.context.invalid_param.app_error', 'Invalid or missing team_id parameter in request URL.');
      if (!canViewTeam(teamId, user)) return forbidden();
      if (isTrue(query.custom_only)) {
        if (!isAdmin(user)) return forbidden();
        if (!config.ServiceSettings.EnableCommands) return commandsDisabled();
        // Only this form (@mattermost/client's getCustomTeamCommands) gives commands whole, tokens included.
        return { status: 200, body: liveCommands(teamId).map(commandJson) };
      }
      // Without custom_only (getCommandsList): built-in commands first, then the team's custom commands
      // stripped of token, URL, method and creator; users who may not manage commands get only
      // those with autocomplete.
      const custom = config.ServiceSettings.EnableCommands ? liveCommands(teamId).filter((command) => isAdmin(user) || command.auto_complete) : [];
      const builtIn = BUILT_IN_TRIGGERS.map((trigger) =>
        sanitisedCommand({ ...commandFields({ auto_complete: true, display_name: trigger }), id: '', token: '', create_at: 0, update_at: 0, delete_at: 0, creator_id: '', team_id: '', trigger }),
      );
      return { status: 200, body: [...builtIn, ...custom.map(sanitisedCommand)] };
    },
    CreateCommand: ({ body, user }) => {
      if (!user) return unauthorised();
      const input = body as Partial<FakeCommand>;
      if (!isAdmin(user)) return forbidden();
      // Creating on someone else's behalf (manage_others_slash_commands) needs an existing user.
      if (input.creator_id && !users.has(input.creator_id)) return missingUser();
      if (!config.ServiceSettings.EnableCommands) return commandsDisabled();
      const now = Date.now();
      const command: FakeCommand = {
        ...commandFields(input),
        id: mattermostId(),
        // Mattermost keeps a token the caller chose.
        token: input.token || mattermostId(),
        create_at: now,
        update_at: now,
        delete_at: 0,
        creator_id: input.creator_id || user.id,
        team_id: input.team_id ?? '',
        trigger: (input.trigger ?? '').toLowerCase(),
      };
      const refusal = commandRefusal(command);
      if (refusal) return refusal;
      commands.set(command.id, command);
      return { status: 201, body: commandJson(command) };
    },
    UpdateCommand: ({ params, body, user }) => {
      if (!user) return unauthorised();
      const input = body as Partial<FakeCommand>;
      if (input.id !== params.command_id) return appError(400, 'api.context.invalid_param.app_error', 'Invalid command parameter.');
      if (!config.ServiceSettings.EnableCommands) return commandsDisabled();
      const old = liveCommand(params.command_id);
      if (!old) return commandNotFound();
      if (input.team_id !== old.team_id) return appError(400, 'api.command.team_mismatch.app_error', 'Unable to update commands across teams.');
      // Mattermost pretends the command does not exist for those who may not manage it.
      if (!isAdmin(user)) return commandNotFound();
      // The body replaces the command: what it omits becomes empty. Id, token, creator, team and
      // creation stay.
      const updated: FakeCommand = { ...old, ...commandFields(input), update_at: Date.now(), trigger: (input.trigger ?? '').toLowerCase() };
      const refusal = commandRefusal(updated);
      if (refusal) return refusal;
      Object.assign(old, updated);
      return { status: 200, body: commandJson(old) };
    },
    RegenCommandToken: ({ params, user }) => {
      if (!user) return unauthorised();
      if (!config.ServiceSettings.EnableCommands) return commandsDisabled();
      const command = liveCommand(params.command_id);
      if (!command || !isAdmin(user)) return commandNotFound();
      command.token = mattermostId();
      command.update_at = Date.now();
      return { status: 200, body: { token: command.token } };
    },
    GetConfig: ({ user }) => {
      if (!user) return unauthorised();
      return isAdmin(user) ? { status: 200, body: config } : forbidden();
    },
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const bytes = Buffer.concat(chunks);
      const raw = bytes.toString('utf8');
      const contentType = req.headers['content-type'] ?? '';
      let body: unknown = raw === '' ? undefined : raw;
      let parts: MultipartPart[] | undefined;
      if (raw !== '' && /json/.test(contentType)) {
        try {
          body = JSON.parse(raw);
        } catch {
          violations.push(`${req.method} ${url.pathname}: body is not valid JSON`);
        }
      } else if (raw !== '' && /^multipart\/form-data/i.test(contentType)) {
        // The spec describes a multipart body as an object of its fields, so that is what gets validated
        // and recorded, a file standing for its size and type (openapi-backend cannot check binary
        // fields, nor that they are there: handlers do, with the parts themselves).
        parts = parseMultipart(bytes, contentType);
        if (parts) body = Object.fromEntries(parts.map((part) => [part.name, part.filename === undefined ? part.bytes.toString('utf8') : `(${part.bytes.length} bytes of ${part.contentType})`]));
        else violations.push(`${req.method} ${url.pathname}: body is not valid multipart/form-data`);
      }
      const request: ApiRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers as Record<string, string>,
        body,
      };
      const responseHook = /^\/hooks\/commands\/([a-z0-9]{26})$/.exec(url.pathname)?.[1];
      if (responseHook !== undefined && request.method === 'POST') {
        // commandWebhook in Mattermost's web package: an unknown or used-up id is a 400, a body it
        // cannot read too; then "ok" as text.
        const left = responseHooks.get(responseHook) ?? 0;
        if (left === 0 || typeof body !== 'object' || body === null) {
          violations.push(`POST ${url.pathname}: ${left === 0 ? 'unknown or used-up command response hook' : 'body is not a JSON command response'}`);
          return void res.writeHead(400, { 'Content-Type': 'application/json' }).end(JSON.stringify(appError(400, 'web.command_webhook.invalid.app_error', 'Invalid webhook.').body));
        }
        responseHooks.set(responseHook, left - 1);
        commandResponses.push({ hookId: responseHook, body });
        return void res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
      }
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
      const reply = handler({ params, query: Object.fromEntries(url.searchParams), body, parts, user });
      if (fault === 'drop') return void req.socket.destroy();
      if (fault === 'stall') return;
      send(reply);
    });
  });

  function userFor(headers: http.IncomingHttpHeaders): FakeUser | undefined {
    const bearer = /^bearer\s+(\S+)$/i.exec(headers.authorization ?? '')?.[1];
    const cookie = /(?:^|;\s*)MMAUTHTOKEN=([^;]+)/.exec(headers.cookie ?? '')?.[1];
    const presented = bearer ?? cookie ?? '';
    // Like Mattermost, personal access tokens do not work while EnableUserAccessTokens is off.
    const accessToken = config.ServiceSettings.EnableUserAccessTokens ? accessTokens.find((candidate) => candidate.token === presented && candidate.is_active) : undefined;
    const user = users.get(tokens.get(presented) ?? accessToken?.user_id ?? '');
    // Nor do a disabled bot's tokens.
    return user && !(user.bot && user.bot.delete_at > 0) ? user : undefined;
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
    users,
    channels,
    posts,
    teams,
    commands,
    accessTokens,
    config,
    clock,
    addChannel(name, options = {}) {
      const admins = options.admins ?? [];
      const channel: FakeChannel = {
        id: mattermostId(),
        name,
        type: options.type ?? 'O',
        delete_at: 0,
        team_id: options.teamId ?? 'team0000000000000000000000',
        members: new Set([...(options.members ?? []), ...admins]),
        admins: new Set(admins),
      };
      channels.set(channel.id, channel);
      return channel;
    },
    responseUrl() {
      const id = mattermostId();
      responseHooks.set(id, 5);
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/commands/${id}`;
    },
    commandResponses,
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
    directMessagesTo(userId) {
      return posts.filter((post) => {
        const channel = channels.get(post.channel_id);
        return channel?.type === 'D' && channel.members.has(userId) && post.user_id !== userId;
      });
    },
    addUser(username, options = {}) {
      const user = newUser(username, options.bot ?? false, options.roles);
      const token = mattermostId();
      tokens.set(token, user.id);
      return { user, token };
    },
    addSession(userId) {
      if (!users.has(userId)) throw new Error(`fake Mattermost: addSession() needs a user from addUser(), not ${userId}`);
      const token = mattermostId();
      tokens.set(token, userId);
      return token;
    },
    addTeam(name, options = {}) {
      const admins = options.admins ?? [];
      const team: FakeTeam = { id: mattermostId(), name, display_name: options.displayName ?? name, members: new Set([...(options.members ?? []), ...admins]), admins: new Set(admins) };
      teams.set(team.id, team);
      return team;
    },
    addCommand(command) {
      const now = Date.now();
      const created: FakeCommand = {
        ...commandFields({ method: 'P', url: 'https://integrations.example.com/command' }),
        id: mattermostId(),
        token: mattermostId(),
        create_at: now,
        update_at: now,
        delete_at: 0,
        ...command,
      };
      commands.set(created.id, created);
      return created;
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

function userJson(user: FakeUser) {
  return {
    id: user.id,
    username: user.username,
    is_bot: user.is_bot,
    roles: user.roles,
    delete_at: user.bot?.delete_at ?? 0,
    timezone: user.timezone ?? { useAutomaticTimezone: 'true', automaticTimezone: '', manualTimezone: '' },
    ...(user.bot ? { bot_description: user.bot.description } : {}),
  };
}

function botJson(bot: BotUser) {
  return {
    user_id: bot.id,
    username: bot.username,
    display_name: bot.bot.display_name,
    description: bot.bot.description,
    owner_id: bot.bot.owner_id,
    create_at: 1,
    update_at: 1,
    delete_at: bot.bot.delete_at,
  };
}

function teamJson(team: FakeTeam) {
  return {
    id: team.id,
    create_at: 1,
    update_at: 1,
    delete_at: 0,
    display_name: team.display_name,
    name: team.name,
    description: '',
    email: '',
    type: 'I',
    allowed_domains: '',
    invite_id: '',
    allow_open_invite: false,
  };
}

function commandJson(command: FakeCommand) {
  return { ...command, plugin_id: '' };
}

/** What Mattermost's Command.Sanitize leaves of a command. */
function sanitisedCommand(command: FakeCommand) {
  return { ...commandJson(command), token: '', creator_id: '', method: '', url: '', username: '', icon_url: '' };
}

/** A command's editable fields from a request body, empty where it says nothing. */
function commandFields(input: Partial<FakeCommand>) {
  return {
    // Left as sent; commandRefusal turns away anything but 'P' and 'G'.
    method: (input.method ?? '') as FakeCommand['method'],
    username: input.username ?? '',
    icon_url: input.icon_url ?? '',
    auto_complete: input.auto_complete ?? false,
    auto_complete_desc: input.auto_complete_desc ?? '',
    auto_complete_hint: input.auto_complete_hint ?? '',
    display_name: input.display_name ?? '',
    description: input.description ?? '',
    url: input.url ?? '',
  };
}

/** Some of Mattermost's built-in slash commands: listed with the custom ones, and their triggers are taken. */
const BUILT_IN_TRIGGERS = 'away code collapse dnd echo expand header help invite join kick leave logout me msg mute offline online purpose remove rename search settings shortcuts shrug status'.split(' ');

/** Roughly model.IsValidUsername. */
const USERNAME = /^[a-z][a-z0-9.\-_]{0,63}$/;

function hasRole(user: FakeUser, role: string): boolean {
  return user.roles.split(' ').includes(role);
}

/** Go's strconv.ParseBool, which Mattermost reads boolean query parameters with, for true. */
function isTrue(value: string | undefined): boolean {
  return /^(1|t|true)$/i.test(value ?? '');
}

/**
 * Mattermost decodes a bot icon as XML and needs a size from the root element's width and height or
 * its viewBox; anything else (a PNG...) is refused.
 */
function isSizedSvg(bytes: Buffer): boolean {
  const root = /<svg\b([^>]*)>/.exec(bytes.toString('utf8'))?.[1];
  if (root === undefined) return false;
  return /\bviewBox\s*=/.test(root) || (/\bwidth\s*=/.test(root) && /\bheight\s*=/.test(root));
}

/** Splits a multipart/form-data body into its parts; undefined when it is not one. */
function parseMultipart(body: Buffer, contentType: string): MultipartPart[] | undefined {
  const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  if (!boundary) return undefined;
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  const parts: MultipartPart[] = [];
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    at += delimiter.length;
    if (body.subarray(at, at + 2).toString() === '--') return parts;
    const next = body.indexOf(delimiter, at);
    if (next < 0) return undefined;
    // Between a delimiter's line break and the one before the next delimiter.
    const part = body.subarray(at + 2, next - 2);
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd < 0) return undefined;
    const headers = part.subarray(0, headerEnd).toString('utf8');
    const disposition = /^content-disposition:(.*)$/im.exec(headers)?.[1] ?? '';
    const name = /\bname="([^"]*)"/.exec(disposition)?.[1];
    if (name === undefined) return undefined;
    parts.push({
      name,
      filename: /\bfilename="([^"]*)"/.exec(disposition)?.[1],
      contentType: /^content-type:\s*(.*?)\s*$/im.exec(headers)?.[1] ?? 'text/plain',
      bytes: part.subarray(headerEnd + 4),
    });
    at = next;
  }
  return undefined;
}

function appError(status: number, id: string, message: string): Reply {
  return { status, body: { id, message, detailed_error: '', request_id: mattermostId(), status_code: status } };
}

/** Mattermost ids: 26 characters of lower-case base32. */
function mattermostId(): string {
  const alphabet = 'abcdefghijkmnopqrstuwxyz13456789';
  return Array.from(randomBytes(26), (byte) => alphabet[byte % 32]).join('');
}

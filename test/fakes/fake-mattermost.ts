/**
 * A Mattermost server on loopback for tests. Every request is validated against
 * Mattermost's OpenAPI spec (test/fixtures/mattermost); anything the spec does
 * not allow is answered 400/404 and recorded in `violations`, which tests expect
 * to stay empty. Operations are answered by handlers keyed by operationId.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import type { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP, type AddressInfo } from 'node:net';
import { posix } from 'node:path';
import type { Duplex } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import yaml from 'js-yaml';
import { OpenAPIBackend, type Operation, type Request as ApiRequest } from 'openapi-backend';
import { pluginCommandsForTeam, pluginsResponse, type FakePlugin } from './fake-mattermost-plugins.js';
import { createSocketHub, type SocketBroadcast } from './fake-mattermost-websocket.js';

const SPEC = new URL('../fixtures/mattermost/mattermost-openapi-v4.yaml', import.meta.url);

let api: Promise<OpenAPIBackend> | undefined;
export function loadApi(): Promise<OpenAPIBackend> {
  api ??= (async () => {
    const definition = yaml.load(readFileSync(SPEC, 'utf8')) as ConstructorParameters<typeof OpenAPIBackend>[0]['definition'];
    const backend = new OpenAPIBackend({ definition, quick: true, strict: false, ajvOpts: { strict: false } });
    await backend.init();
    return backend;
  })();
  return api;
}

/**
 * openapi-backend's own matchOperation rebuilds its list of every operation in the spec for each
 * request, which a fake answering a bench's hundreds of requests a second cannot afford. The same
 * rule over a list built once: an operation with the exact path and method, else the most specific
 * path template (fewest characters in braces) that matches with that method, the spec's order
 * breaking ties (router.js matchOperation).
 */
export function operationMatcher(backend: OpenAPIBackend): (request: ApiRequest) => Operation | undefined {
  const { router } = backend;
  const operations = router.getOperations();
  const exact = new Map<string, Operation>();
  for (const operation of operations) if (!exact.has(`${operation.method} ${operation.path}`)) exact.set(`${operation.method} ${operation.path}`, operation);
  const templates = operations
    .map((operation, index) => ({ operation, index, pattern: new RegExp(`^${operation.path.replace(/\{.*?\}/g, '[^/]+')}$`), specificity: operation.path.replace(/\{.*?\}/g, '').length }))
    .sort((a, b) => b.specificity - a.specificity || a.index - b.index);
  return (request) => {
    const normalized = router.normalizeRequest(request);
    if (!normalized.path.startsWith(router.apiRoot)) return undefined;
    const path = router.normalizePath(normalized.path);
    return exact.get(`${normalized.method} ${path}`) ?? templates.find((template) => template.operation.method === normalized.method && template.pattern.test(path))?.operation;
  };
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
    /** Seconds Mattermost waits for an action or dialog integration, and how long a trigger id lives (default 30). */
    OutgoingIntegrationRequestsTimeout: number;
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

/**
 * A post as the store keeps it. Deleted posts stay (delete_at > 0), as Mattermost soft-deletes: the API hides them
 * except from `since` reads.
 */
export interface FakePost {
  id: string;
  channel_id: string;
  root_id: string;
  user_id: string;
  message: string;
  props: Record<string, unknown>;
  create_at: number;
  /** Moves with every change: an edit, a reaction, a reply in its thread (for a root), deletion. */
  update_at: number;
  /** When the message was last edited; 0 if never. */
  edit_at: number;
  delete_at: number;
  /** The files attached when it was made (uploadFile), as Mattermost kept them. */
  file_ids: string[];
  /** How many times the message was edited after creation. */
  edits: number;
}

/** A file uploaded to a channel (model.FileInfo); attached to the first post that names it in file_ids. */
export interface FakeFile {
  id: string;
  user_id: string;
  channel_id: string;
  /** '' until attached. */
  post_id: string;
  name: string;
  extension: string;
  size: number;
  mime_type: string;
  create_at: number;
}

/** model.Reaction; a removed one stays with delete_at set, as the store keeps it. */
export interface FakeReaction {
  user_id: string;
  post_id: string;
  emoji_name: string;
  create_at: number;
  update_at: number;
  delete_at: number;
  channel_id: string;
}

/** What a REST call through a convenience helper got back. */
export interface FakeAnswer {
  status: number;
  body: unknown;
}

/** An ephemeral post Mattermost showed one user (SendEphemeralPost): never stored, so never in `posts`. */
export interface FakeEphemeralPost {
  userId: string;
  channelId: string;
  message: string;
  rootId: string;
  props: Record<string, unknown>;
}

/** An interactive dialog as an integration asks Mattermost to open it (model.Dialog). */
export interface FakeDialog {
  callback_id?: string;
  title: string;
  introduction_text?: string;
  icon_url?: string;
  elements: Record<string, unknown>[];
  submit_label?: string;
  notify_on_cancel?: boolean;
  state?: string;
}

/** A dialog Mattermost opened in a user's client (OpenInteractiveDialog publishes it to that user only). */
export interface FakeOpenDialog {
  /** The user the trigger id was issued to. */
  userId: string;
  url: string;
  dialog: FakeDialog;
  /** As the integration sent it (the signed trigger id it was given). */
  triggerId: string;
  /** The channel the trigger id came from when the fake issued it (a press, or triggerIdFor's channelId). */
  channelId: string | undefined;
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
  /** The token or cookie the caller presented (Mattermost forwards it to plugin URLs on its own host). */
  token: string;
}
type BotUser = FakeUser & { bot: FakeBot };
type Reply = { status: number; body: unknown };
type Handler = (context: Context) => Reply | Promise<Reply>;

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
  /** Installed server plugins by id (fake-mattermost-plugins.ts); set `active` false to disable one. */
  plugins: Map<string, FakePlugin>;
  /** A plugin as if an admin had installed and enabled it: its commands registered, its bot made. */
  addPlugin(plugin: FakePlugin): FakePlugin;
  /** A slash command as if someone had created it; unspecified fields get working defaults. */
  addCommand(command: Pick<FakeCommand, 'team_id' | 'trigger' | 'creator_id'> & Partial<FakeCommand>): FakeCommand;
  /** Makes the next `times` calls of `operationId` fail as `fault` says. */
  /** With `forUser`, only that user's calls get the fault (the bridge's own calls go on meanwhile). */
  inject(operationId: string, fault: Fault, times?: number, forUser?: string): void;
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
  /** What integrations showed users through `ephemeral_text` (a button's answer), in order. */
  ephemeralPosts: FakeEphemeralPost[];
  /** The dialogs integrations opened (POST /actions/dialogs/open), in order, invalid ones included as Mattermost opens them. */
  openDialogs: FakeOpenDialog[];
  /**
   * A trigger id for this user, as Mattermost puts in a slash command request or an action request: signed,
   * bound to the user, valid for OutgoingIntegrationRequestsTimeout seconds (by the fake's clock), reusable until then.
   * `channelId` is only remembered, to default submitDialog's channel.
   */
  triggerIdFor(userId: string, channelId?: string): string;
  /**
   * Presses a button as the user of `userToken` through the real DoPostAction route (spec and permission checks
   * apply), finding the action on the stored post by id, else by name. `ephemeral`: what this press showed the user.
   * The integration's URL must be reachable as Mattermost requires: set AllowedUntrustedInternalConnections for
   * loopback; a channel's team must exist (addTeam) or Mattermost answers 404, as for any team it cannot find.
   */
  pressButton(postId: string, actionNameOrId: string, userToken: string): Promise<{ status: number; body: unknown; ephemeral: FakeEphemeralPost[] }>;
  /**
   * Submits an open dialog as the user of `userToken` through the real SubmitInteractiveDialog route, as the webapp
   * does: url, callback_id and state from the dialog; the channel defaults to the one its trigger came from, the team
   * to that channel's (for a direct message channel, the first team of the dialog's user).
   */
  submitDialog(
    userToken: string,
    dialog: FakeOpenDialog,
    submission: Record<string, unknown>,
    options?: { cancelled?: boolean; channelId?: string; teamId?: string },
  ): Promise<{ status: number; body: unknown }>;
  /** The names of the actions currently on a post, across its attachments, in order. */
  buttonsOf(postId: string): string[];
  /** By id. */
  files: Map<string, FakeFile>;
  /** Every reaction ever made, removed ones with delete_at set. */
  reactions: FakeReaction[];
  /** A file this user uploaded to this channel (as POST /files would), for `file_ids`; returns its id. */
  uploadFile(userId: string, channelId: string, name: string, options?: { size?: number; mimeType?: string }): string;
  /**
   * The user of `token` posts through the real CreatePost route (spec and permission checks apply, and the
   * `posted` event goes out). `post` is the stored post when it was made.
   */
  postAs(token: string, post: { channelId: string; message: string; rootId?: string; fileIds?: string[]; props?: Record<string, unknown> }): Promise<FakeAnswer & { post: FakePost | undefined }>;
  /** PatchPost of the message, as the webapp's edit does: `post_edited`. */
  editAs(token: string, postId: string, message: string): Promise<FakeAnswer>;
  /** DeletePost: `post_deleted`. */
  deleteAs(token: string, postId: string): Promise<FakeAnswer>;
  /** SaveReaction as the user of `token`: `reaction_added`. */
  reactAs(token: string, postId: string, emojiName: string): Promise<FakeAnswer>;
  /** DeleteReaction of the user's own reaction: `reaction_removed`. */
  unreactAs(token: string, postId: string, emojiName: string): Promise<FakeAnswer>;
  /**
   * Cuts every WebSocket abruptly, as a network drop does: the server keeps each connection's queue for a
   * reconnect with its connection_id. `restart` also forgets them, as a restarted Mattermost has: the client
   * gets a new connection id and hello, and must catch up.
   */
  dropSockets(options?: { restart?: boolean }): void;
  /** Authenticated WebSocket connections open now (of one user if given). */
  socketCount(userId?: string): number;
  /** While on, the upgrade is answered 503, as a proxy does while Mattermost is down. */
  refuseSockets(on: boolean): void;
  /** Resolves once `count` (default 1) authenticated sockets (of `userId` if given) are open. */
  waitForSocket(options?: { userId?: string; count?: number; timeoutMs?: number }): Promise<void>;
  /** 'authenticated' and 'closed' ({ userId, connectionId }) and 'sent' ({ userId, connectionId, message }). */
  socketEvents: EventEmitter;
  close(): Promise<void>;
}

export async function startFakeMattermost(): Promise<FakeMattermost> {
  const backend = await loadApi();
  const matchOperation = operationMatcher(backend);
  const users = new Map<string, FakeUser>();
  const tokens = new Map<string, string>();
  const requests: RecordedRequest[] = [];
  const violations: string[] = [];
  const channels = new Map<string, FakeChannel>();
  const posts: FakePost[] = [];
  const files = new Map<string, FakeFile>();
  const reactions: FakeReaction[] = [];
  // SqlPostStore.Update keeps each replaced version as a deleted post of its own (a new id, original_id the
  // post's): `since` reads return them like any deleted post. Kept apart so `posts` holds only the posts themselves.
  const editHistory: { post: FakePost; originalId: string }[] = [];
  const faults: { operationId: string; fault: Fault; left: number; forUser?: string }[] = [];
  const clock = { offsetMs: 0 };
  // Command response hooks by id, with the uses left (Mattermost's MaxCommandResponseHookUses is 5).
  const responseHooks = new Map<string, number>();
  const commandResponses: { hookId: string; body: unknown }[] = [];
  const postWaiters: (() => void)[] = [];
  const teams = new Map<string, FakeTeam>();
  const commands = new Map<string, FakeCommand>();
  const plugins = new Map<string, FakePlugin>();
  const accessTokens: FakeAccessToken[] = [];
  const ephemeralPosts: FakeEphemeralPost[] = [];
  const openDialogs: FakeOpenDialog[] = [];
  // Signs trigger ids, as the server's asymmetric signing key does; the channel each came from, for submitDialog.
  const triggerKey = randomBytes(32);
  const triggerChannels = new Map<string, string>();
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
      OutgoingIntegrationRequestsTimeout: 30,
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

  const now = () => Date.now() + clock.offsetMs;
  const sockets = createSocketHub(
    {
      tokenOf: presentedToken,
      userIdFor: (token) => userFor(token)?.id,
      isChannelMember: (userId, channelId) => channels.get(channelId)?.members.has(userId) ?? false,
      isTeamMember: (userId, teamId) => teams.get(teamId)?.members.has(userId) ?? false,
      isSystemAdmin: (userId) => {
        const user = users.get(userId);
        return user !== undefined && isAdmin(user);
      },
      now,
    },
    mattermostId,
  );
  /** A post as the API shows it, with its files and reactions (PreparePostForClient). */
  const postView = (post: FakePost, originalId = '') =>
    postJson(post, {
      originalId,
      files: post.file_ids.flatMap((id) => files.get(id) ?? []),
      reactions: reactions.filter((reaction) => reaction.post_id === post.id && reaction.delete_at === 0),
    });
  /** GetSinglePost: deleted posts are not found. */
  const livePost = (id: string | undefined) => posts.find((post) => post.id === id && post.delete_at === 0);
  const channelEvent = (channelId: string, extra: Partial<SocketBroadcast> = {}) => ({ channel_id: channelId, ...extra });
  /**
   * The `posted` event (SendNotifications in app/notification.go, publishWebsocketEventForPost in app/post.go): the
   * post as a JSON string, to the channel's members. Mentions and the posted_ack hooks, added per connection by
   * Mattermost, are left out.
   */
  const publishPosted = (post: FakePost, channel: FakeChannel, sender: FakeUser, setOnline: boolean) => {
    // PostNotification.GetSenderName: an integration's override_username when allowed, else @username.
    const override = post.props.override_username;
    const overridden = config.ServiceSettings.EnablePostUsernameOverride && channel.type !== 'D' && post.props.from_webhook === 'true' && typeof override === 'string';
    const postFiles = post.file_ids.flatMap((id) => files.get(id) ?? []);
    sockets.publish(
      'posted',
      {
        post: JSON.stringify(postView(post)),
        channel_type: channel.type,
        // GetChannelName: for a direct message, the sender's @username.
        channel_display_name: channel.type === 'D' ? `@${sender.username}` : channel.name,
        channel_name: channel.name,
        sender_name: overridden ? override : `@${sender.username}`,
        team_id: channel.team_id,
        set_online: setOnline,
        ...(postFiles.length > 0 ? { otherFile: 'true', ...(postFiles.some((file) => file.mime_type.startsWith('image/')) ? { image: 'true' } : {}) } : {}),
      },
      channelEvent(channel.id),
    );
  };
  /** The store's reaction Save and Delete move the post's update_at (SqlReactionStore, updatePostForReactionsOn*). */
  const reactionEvent = (event: 'reaction_added' | 'reaction_removed', reaction: object, post: FakePost) => {
    post.update_at = now();
    // App.sendReactionEvent.
    sockets.publish(event, { reaction: JSON.stringify(reaction) }, channelEvent(post.channel_id));
  };
  const invalidBodyParam = (name: string, detail = '') => appError(400, 'api.context.invalid_body_param.app_error', `Invalid or missing ${name} in request body.`, detail);
  // DoActionRequest's answer to anything that kept it from a 200 (unreachable, refused address, timeout, other status).
  const integrationFailed = (detail: string) => appError(400, 'api.post.do_action.action_integration.app_error', 'Action integration error.', detail);
  /**
   * SessionHasPermissionToReadChannel / ...ToChannelByPost (read_channel_content): members; for a public channel,
   * members of its team (read_public_channel); system admins always, even for a channel that does not exist.
   */
  const canReadChannel = (channel: FakeChannel | undefined, user: FakeUser) =>
    isAdmin(user) || (channel !== undefined && (channel.members.has(user.id) || (channel.type === 'O' && (teams.get(channel.team_id)?.members.has(user.id) ?? false))));
  /** Post.ValidateProps only logs what it finds wrong (the post is saved); the fake records it instead. */
  const checkAttachments = (operationId: string, props: Record<string, unknown>) => {
    for (const problem of attachmentProblems(props)) violations.push(`${operationId}: ${problem}`);
  };
  /**
   * App.UpdatePost without SafeUpdate, behind UpdatePost, PatchPost and an action's `update`: message and props
   * replace the post's; the store's PreCommit gives actions without an id one; edit_at moves only when the message
   * or the attachments changed. Author, channel, root and creation stay. Nothing changes in an archived channel.
   */
  const editPost = (operationId: string, post: FakePost, change: { message: string; props: Record<string, unknown> }): Reply | undefined => {
    if ((channels.get(post.channel_id)?.delete_at ?? 0) > 0) {
      return appError(400, 'api.post.update_post.can_not_update_post_in_deleted.error', 'Can not update a post in an archived channel.');
    }
    const props = withActionIds(change.props);
    checkAttachments(operationId, props);
    const edited = change.message !== post.message || JSON.stringify(props.attachments ?? null) !== JSON.stringify(post.props.attachments ?? null);
    const at = now();
    // SqlPostStore.Update: the old version is kept as a deleted post; a reply's root moves too.
    editHistory.push({ post: { ...structuredClone(post), id: mattermostId(), update_at: at, delete_at: at }, originalId: post.id });
    const root = posts.find((candidate) => candidate.id === post.root_id);
    if (root && root.update_at < at) root.update_at = at;
    post.message = change.message;
    post.props = props;
    post.update_at = at;
    if (edited) {
      post.edits++;
      post.edit_at = at;
    }
    // App.UpdatePost publishes post_edited to the channel.
    sockets.publish('post_edited', { post: JSON.stringify(postView(post)) }, channelEvent(post.channel_id));
    return undefined;
  };
  /**
   * An action's `update` (DoPostActionWithCookie): the post keeps its id; `message` replaces the message even when
   * absent (Go's zero value: ''); `props` absent or null keep the post's props, otherwise replace them all except
   * PostActionRetainPropKeys (from_webhook, override_username, override_icon_url), which keep their old value or
   * stay absent. So from_bot goes unless the update sends it again.
   */
  const applyActionUpdate = (post: FakePost, update: Record<string, unknown>): Reply | undefined => {
    const message = typeof update.message === 'string' ? update.message : '';
    if (!isObject(update.props)) return editPost('DoPostAction', post, { message, props: post.props });
    const props: Record<string, unknown> = { ...update.props };
    for (const key of RETAINED_PROP_KEYS) {
      if (key in post.props) props[key] = post.props[key];
      else delete props[key];
    }
    return editPost('DoPostAction', post, { message, props });
  };
  /**
   * model.GenerateTriggerId: base64 of "clientId:userId:millis:signature" (the fake signs with an HMAC where
   * Mattermost uses its ECDSA key). The integration gets the whole id, the clicking client only clientId.
   */
  const mintTriggerId = (userId: string, channelId?: string) => {
    const clientId = mattermostId();
    const data = `${clientId}:${userId}:${now()}:`;
    const triggerId = Buffer.from(data + createHmac('sha256', triggerKey).update(data).digest('base64')).toString('base64');
    if (channelId !== undefined) triggerChannels.set(triggerId, channelId);
    return { clientId, triggerId };
  };
  /**
   * model.DecodeAndVerifyTriggerId: each failure is a 400 of its own; age is checked before the signature, against
   * OutgoingIntegrationRequestsTimeout. Nothing marks an id used: it works until it expires.
   */
  const verifyTriggerId = (triggerId: string): { userId: string } | Reply => {
    const refuse = (why: string, message: string) => appError(400, `interactive_message.decode_trigger_id.${why}`, message);
    if (!STD_BASE64.test(triggerId)) return refuse('base64_decode_failed', 'Failed to decode base64 for trigger ID for interactive dialog.');
    const parts = Buffer.from(triggerId, 'base64').toString('utf8').split(':');
    if (parts.length !== 4) return refuse('missing_data', 'Trigger ID missing required data for interactive dialog.');
    const [clientId, userId, stamp, signature] = parts as [string, string, string, string];
    const timeout = config.ServiceSettings.OutgoingIntegrationRequestsTimeout;
    // A timestamp strconv.ParseInt cannot read counts as 0: long expired.
    const issuedAt = /^[+-]?\d+$/.test(stamp) ? Number(stamp) : 0;
    if (now() - issuedAt > timeout * 1000) return refuse('expired', `Trigger ID for interactive dialog is expired. Trigger IDs live for a maximum of ${timeout}s.`);
    if (!STD_BASE64.test(signature)) return refuse('base64_decode_failed_signature', 'Failed to decode base64 for signature of trigger ID for interactive dialog.');
    const presented = Buffer.from(signature, 'base64');
    const expected = createHmac('sha256', triggerKey).update(`${clientId}:${userId}:${stamp}:`).digest();
    if (presented.length !== expected.length) return refuse('signature_decode_failed', 'Failed to decode ASN.1 signature of trigger ID for interactive dialog.');
    if (!timingSafeEqual(presented, expected)) return refuse('verify_signature_failed', 'Signature verification failed of trigger ID for interactive dialog.');
    return { userId };
  };
  // The spec types UpdatePost's and PatchPost's props as a string, but the server decodes a map (see PROVENANCE.md):
  // it cannot read a string.
  const undecodableProps = (operationId: string) => {
    violations.push(`${operationId}: props must be an object; the server cannot decode a string (the spec's type is a known drift)`);
    return invalidBodyParam('post');
  };
  const callIntegration = (rawUrl: string, payload: unknown, token: string) =>
    postToIntegration(rawUrl, payload, {
      siteUrl: config.ServiceSettings.SiteURL,
      token,
      allowed: config.ServiceSettings.AllowedUntrustedInternalConnections,
      timeoutMs: config.ServiceSettings.OutgoingIntegrationRequestsTimeout * 1000,
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
      // read_channel (api4 getChannel): a system admin holds it for every channel, private ones included.
      const channel = isAdmin(user) ? channels.get(params.channel_id ?? '') : channelFor(params.channel_id, user);
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
      const channel = isAdmin(user) ? channels.get(params.channel_id ?? '') : channelFor(params.channel_id, user);
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
    CreatePost: ({ body, query, user }) => {
      if (!user) return unauthorised();
      const input = body as { channel_id: string; message: string; root_id?: string; file_ids?: string[]; props?: Record<string, unknown> };
      const channel = channelFor(input.channel_id, user);
      if (!channel || !channel.members.has(user.id) || channel.delete_at > 0) {
        return appError(403, 'api.context.permissions.app_error', 'You do not have the appropriate permissions.');
      }
      // App.CreatePost reads the thread (deleted posts are not in it); CreatePostAsUser makes each failure a 400.
      const root = input.root_id ? livePost(input.root_id) : undefined;
      if (input.root_id && (!root || root.root_id !== '')) return appError(400, 'api.post.create_post.root_id.app_error', 'Invalid RootId parameter.');
      if (root && root.channel_id !== channel.id) return appError(400, 'api.post.create_post.channel_root_id.app_error', 'Invalid ChannelId for RootId parameter.');
      const createdAt = now();
      // App.CreatePost marks a bot's posts; the store's PreSave gives actions without an id one.
      const props = withActionIds({ ...input.props, ...(user.is_bot ? { from_bot: 'true' } : {}) });
      checkAttachments('CreatePost', props);
      const post: FakePost = {
        id: mattermostId(),
        channel_id: channel.id,
        root_id: input.root_id ?? '',
        user_id: user.id,
        message: input.message,
        props,
        create_at: createdAt,
        update_at: createdAt,
        edit_at: 0,
        delete_at: 0,
        file_ids: [],
        edits: 0,
      };
      // attachFilesToPost: a file attaches only if its uploader posts it in the channel it was uploaded to, once;
      // the others are dropped from file_ids without an error.
      for (const id of input.file_ids ?? []) {
        const file = files.get(id);
        if (!file || file.user_id !== user.id || file.channel_id !== channel.id || file.post_id !== '') continue;
        file.post_id = post.id;
        post.file_ids.push(id);
      }
      posts.push(post);
      // SqlPostStore.SaveMultiple: a reply moves its root's update_at to its own creation.
      if (root) root.update_at = Math.max(root.update_at, createdAt);
      for (const wake of postWaiters.splice(0)) wake();
      // api4 createPost: set_online defaults to true.
      publishPosted(post, channel, user, query.set_online === undefined || isTrue(query.set_online));
      return { status: 201, body: postView(post) };
    },
    // api4 patchPost: a post it cannot read (deleted too) is a permission error; edit_post in the channel for the
    // author, edit_others_posts (system admins') for anyone else.
    PatchPost: ({ params, body, user }) => {
      if (!user) return unauthorised();
      const post = livePost(params.post_id);
      if (!post) return forbidden();
      const mayEdit = post.user_id === user.id ? channels.get(post.channel_id)?.members.has(user.id) || isAdmin(user) : isAdmin(user);
      if (!mayEdit) return forbidden();
      // model.Post.Patch: what the patch has replaces the post's, props whole.
      const patch = body as { message?: string; props?: unknown };
      if (!decodableProps(patch.props)) return undecodableProps('PatchPost');
      const refusal = editPost('PatchPost', post, { message: patch.message ?? post.message, props: isObject(patch.props) ? patch.props : post.props });
      return refusal ?? { status: 200, body: postView(post) };
    },
    // api4 updatePost: the body replaces message and props; what it leaves out becomes empty (Go's zero values).
    UpdatePost: ({ params, body, user }) => {
      if (!user) return unauthorised();
      const input = body as { id: string; message?: string; props?: unknown };
      if (input.id !== params.post_id) return invalidBodyParam('id');
      if (!decodableProps(input.props)) return undecodableProps('UpdatePost');
      const post = livePost(params.post_id);
      // edit_post in the post's channel, then edit_others_posts (system admins') for someone else's post.
      if (!post || !(channels.get(post.channel_id)?.members.has(user.id) || isAdmin(user))) return forbidden();
      if (post.user_id !== user.id && !isAdmin(user)) return forbidden();
      const refusal = editPost('UpdatePost', post, { message: input.message ?? '', props: isObject(input.props) ? input.props : {} });
      return refusal ?? { status: 200, body: postView(post) };
    },
    GetPostsForChannel: ({ params, query, user }) => {
      if (!user) return unauthorised();
      const channel = channelFor(params.channel_id, user);
      if (!channel) return appError(403, 'api.context.permissions.app_error', 'You do not have the appropriate permissions.');
      const since = Number(query.since ?? 0);
      const inChannel = (post: FakePost) => post.channel_id === channel.id;
      const byCreation = (a: { post: FakePost }, b: { post: FakePost }) => b.post.create_at - a.post.create_at;
      // SqlPostStore.GetPostsSince: every post of the channel changed after `since`, deleted ones and replaced
      // versions included, paging ignored (up to 1000), newest first; GetPostsPage: a page of the live ones.
      const listed =
        since > 0
          ? [...posts.map((post) => ({ post, originalId: '' })), ...editHistory].filter(({ post }) => inChannel(post) && post.update_at > since).sort(byCreation).slice(0, 1000)
          : posts
              .filter((post) => inChannel(post) && post.delete_at === 0)
              .map((post) => ({ post, originalId: '' }))
              .sort(byCreation)
              .slice(Number(query.page ?? 0) * Number(query.per_page ?? 60), (Number(query.page ?? 0) + 1) * Number(query.per_page ?? 60));
      // Both also bring the roots of the replies listed, in `posts` but not in `order`.
      const roots = posts.filter((root) => listed.some(({ post }) => post.root_id === root.id) && (since > 0 || root.delete_at === 0));
      const entries = [...roots.map((root) => [root.id, postView(root)] as const), ...listed.map(({ post, originalId }) => [post.id, postView(post, originalId)] as const)];
      return {
        status: 200,
        body: { order: listed.map(({ post }) => post.id), posts: Object.fromEntries(entries), next_post_id: '', prev_post_id: '' },
      };
    },
    // read_channel_content: a member of the post's channel (the fake does not let outsiders read public channels).
    GetPost: ({ params, user }) => {
      if (!user) return unauthorised();
      const post = livePost(params.post_id);
      if (!post) return appError(404, 'app.post.get.app_error', 'Unable to get the post.');
      if (!channels.get(post.channel_id)?.members.has(user.id)) return forbidden();
      return { status: 200, body: postView(post) };
    },
    // api4 deletePost, then App.DeletePost: delete_post in the channel for the author, delete_others_posts (team
    // and system admins') for anyone else. The store soft-deletes the post and its replies (SqlPostStore.Delete).
    DeletePost: ({ params, user }) => {
      if (!user) return unauthorised();
      const post = livePost(params.post_id);
      if (!post) return appError(404, 'app.post.get.app_error', 'Unable to get the post.');
      const channel = channels.get(post.channel_id)!;
      const mayDelete =
        isAdmin(user) ||
        (post.user_id === user.id ? channel.members.has(user.id) : channel.members.has(user.id) && (teams.get(channel.team_id)?.admins.has(user.id) ?? false));
      if (!mayDelete) return forbidden();
      if (channel.delete_at > 0) return appError(400, 'api.post.delete_post.can_not_delete_post_in_deleted.error', 'Can not delete a post in an archived channel.');
      // The event carries the post as read before the delete: delete_at still 0.
      const before = JSON.stringify(postView(post));
      const at = now();
      for (const deleted of posts.filter((candidate) => candidate.id === post.id || (candidate.root_id === post.id && candidate.delete_at === 0))) {
        Object.assign(deleted, { delete_at: at, update_at: at, props: { ...deleted.props, deleteBy: user.id } });
      }
      // Users get the post; system admins (manage_system) the post and who deleted it.
      sockets.publish('post_deleted', { post: before }, channelEvent(post.channel_id, { contains_sanitized_data: true }));
      sockets.publish('post_deleted', { post: before, delete_by: user.id }, channelEvent(post.channel_id, { contains_sensitive_data: true }));
      return { status: 200, body: { status: 'OK' } };
    },
    // api4 saveReaction, then App.SaveReactionForPost. 200, not the spec's 201: what the server writes.
    SaveReaction: ({ body, user }) => {
      if (!user) return unauthorised();
      const input = body as { user_id?: unknown; post_id?: unknown; emoji_name?: unknown };
      const [userId, postId, emojiName] = [input.user_id, input.post_id, input.emoji_name].map((value) => (typeof value === 'string' ? value : ''));
      if (!VALID_ID.test(userId!) || !VALID_ID.test(postId!) || !EMOJI_NAME.test(emojiName!)) {
        return appError(400, 'api.reaction.save_reaction.invalid.app_error', 'Reaction is not valid.');
      }
      if (userId !== user.id) return appError(403, 'api.reaction.save_reaction.user_id.app_error', 'You cannot save reaction for the other user.');
      const target = posts.find((candidate) => candidate.id === postId);
      // add_reaction in the post's channel: its members.
      if (!target || !(channels.get(target.channel_id)?.members.has(user.id) || isAdmin(user))) return forbidden();
      const post = livePost(postId);
      if (!post) return appError(404, 'app.post.get.app_error', 'Unable to get the post.');
      // Every well-formed name counts as a system emoji here (the fake keeps no emoji list).
      const live = reactions.filter((reaction) => reaction.post_id === post.id && reaction.delete_at === 0);
      if (!live.some((reaction) => reaction.emoji_name === emojiName) && new Set(live.map((reaction) => reaction.emoji_name)).size >= 50) {
        return appError(400, 'app.reaction.save.save.too_many_reactions', 'Reaction limit has been reached for this post.');
      }
      if ((channels.get(post.channel_id)?.delete_at ?? 0) > 0) return appError(403, 'api.reaction.save.archived_channel.app_error', 'You cannot react in an archived channel.');
      // Saving again is no error: the stored one comes back to life with a new update_at.
      const at = now();
      let reaction = reactions.find((candidate) => candidate.post_id === post.id && candidate.user_id === user.id && candidate.emoji_name === emojiName);
      if (!reaction) {
        reaction = { user_id: user.id, post_id: post.id, emoji_name: emojiName!, create_at: at, update_at: at, delete_at: 0, channel_id: post.channel_id };
        reactions.push(reaction);
      }
      Object.assign(reaction, { update_at: at, delete_at: 0 });
      // The saved struct: its create_at is this save's (PreSave), whatever the row kept.
      const saved = { ...reactionJson(reaction), create_at: at };
      reactionEvent('reaction_added', saved, post);
      return { status: 200, body: saved };
    },
    // api4 deleteReaction, then App.DeleteReactionForPost: remove_reaction in the channel, and remove_others_reactions
    // (system admins') for someone else's. The store's update matches nothing for a reaction that is not there, and the
    // post and the event go ahead all the same.
    DeleteReaction: ({ params, user }) => {
      if (!user) return unauthorised();
      const { user_id: userId = '', post_id: postId = '', emoji_name: emojiName = '' } = params;
      if (!VALID_ID.test(userId)) return appError(400, 'api.context.invalid_url_param.app_error', 'Invalid or missing user_id parameter in request URL.');
      if (!VALID_ID.test(postId)) return appError(400, 'api.context.invalid_url_param.app_error', 'Invalid or missing post_id parameter in request URL.');
      if (!EMOJI_NAME.test(emojiName)) return appError(400, 'api.context.invalid_url_param.app_error', 'Invalid or missing emoji_name parameter in request URL.');
      const target = posts.find((candidate) => candidate.id === postId);
      if (!target || !(channels.get(target.channel_id)?.members.has(user.id) || isAdmin(user))) return forbidden();
      if (userId !== user.id && !isAdmin(user)) return forbidden();
      const post = livePost(postId);
      if (!post) return appError(404, 'app.post.get.app_error', 'Unable to get the post.');
      if ((channels.get(post.channel_id)?.delete_at ?? 0) > 0) return appError(403, 'api.reaction.delete.archived_channel.app_error', 'You cannot remove a reaction in an archived channel.');
      const at = now();
      const stored = reactions.find((candidate) => candidate.post_id === postId && candidate.user_id === userId && candidate.emoji_name === emojiName);
      if (stored) Object.assign(stored, { update_at: at, delete_at: at });
      // The event carries the reaction as the request named it: no create_at, no channel_id (PreUpdate sets update_at).
      reactionEvent('reaction_removed', { user_id: userId, post_id: postId, emoji_name: emojiName, create_at: 0, update_at: at, delete_at: 0, remote_id: '', channel_id: '' }, post);
      return { status: 200, body: { status: 'OK' } };
    },
    // api4 doPostAction, then App.DoPostActionWithCookie without a cookie (the webapp sends one for ephemeral posts only).
    DoPostAction: async ({ params, body, user, token }) => {
      // The route itself only matches alphanumeric action ids (`{action_id:[A-Za-z0-9]+}`); others find no page.
      if (!/^[A-Za-z0-9]+$/.test(params.action_id ?? '')) return appError(404, 'api.context.404.app_error', 'Sorry, we could not find the page.');
      if (!user) return unauthorised();
      if (!VALID_ID.test(params.post_id ?? '')) return appError(400, 'api.context.invalid_url_param.app_error', 'Invalid or missing post_id parameter in request URL.');
      const post = posts.find((candidate) => candidate.id === params.post_id);
      if (!canReadChannel(post && channels.get(post.channel_id), user)) return forbidden();
      if (!post) return appError(404, 'app.post.get.app_error', 'Unable to get the post.');
      // Post.GetAction: the first action with that id; one without integration cannot be pressed.
      const action = actionsOf(post.props).find((candidate) => candidate.id === params.action_id);
      const integration = action?.integration;
      if (!action || !isObject(integration)) return appError(404, 'api.post.do_action.action_id.app_error', 'Invalid action id.');
      const channel = channels.get(post.channel_id)!;
      // Direct and group channels have no team; any other team must exist.
      const team = teams.get(channel.team_id);
      if (channel.team_id !== '' && !team) return appError(404, 'app.team.get.find.app_error', 'Unable to find the existing team.');
      const { clientId, triggerId } = mintTriggerId(user.id, channel.id);
      const selected = isObject(body) && typeof body.selected_option === 'string' ? body.selected_option : '';
      const request = actionRequest({ user, channel, team, post, action, integration, triggerId, selected });
      const answer = await callIntegration(typeof integration.url === 'string' ? integration.url : '', request, token);
      if ('failure' in answer) return integrationFailed(answer.failure);
      if (answer.status !== 200) return integrationFailed(`status=${answer.status}`);
      const reply = readActionReply(answer.body);
      if (typeof reply === 'string') return integrationFailed(reply);
      if (reply.update) {
        const refusal = applyActionUpdate(post, reply.update);
        if (refusal) return refusal;
      }
      if (reply.ephemeralText !== '') {
        ephemeralPosts.push({
          userId: user.id,
          channelId: channel.id,
          message: reply.skipSlackParsing ? reply.ephemeralText : parseSlackLinks(reply.ephemeralText),
          // In the thread of the pressed post (its root, or itself).
          rootId: post.root_id || post.id,
          props: Object.fromEntries(RETAINED_PROP_KEYS.filter((key) => key in post.props).map((key) => [key, post.props[key]])),
        });
      }
      // PostActionAPIResponse; `goto_location` in the reply is dropped by released servers (11.x).
      return { status: 200, body: { status: 'OK', trigger_id: clientId } };
    },
    // api4 openDialog (an APIHandler: no session, the trigger id is the credential) and App.OpenInteractiveDialog.
    OpenInteractiveDialog: ({ body }) => {
      const input = body as { trigger_id: string; url: string; dialog: FakeDialog };
      const undecodable = dialogDecodeProblem(input.dialog as unknown as Record<string, unknown>);
      if (undecodable) return invalidBodyParam('dialog', undecodable);
      if (input.url === '') return invalidBodyParam('url');
      const verified = verifyTriggerId(input.trigger_id);
      if ('status' in verified) return verified;
      // Mattermost only logs "Interactive dialog is invalid" and sends the dialog to the user's clients anyway, which
      // may then show it broken or not at all: the fake records what OpenDialogRequest.IsValid finds.
      for (const problem of dialogProblems(input.dialog)) violations.push(`OpenInteractiveDialog: Mattermost logs "Interactive dialog is invalid": ${problem}`);
      openDialogs.push({ userId: verified.userId, url: input.url, dialog: input.dialog, triggerId: input.trigger_id, channelId: triggerChannels.get(input.trigger_id) });
      return { status: 200, body: { status: 'OK' } };
    },
    // api4 submitDialog, then App.SubmitInteractiveDialog.
    SubmitInteractiveDialog: async ({ body, user, token }) => {
      if (!user) return unauthorised();
      const input = body as { url: string; channel_id: string; team_id: string; submission: Record<string, unknown>; callback_id?: string; state?: string; cancelled?: boolean; type?: unknown };
      if (input.url === '') return invalidBodyParam('url');
      const channel = channels.get(input.channel_id);
      if (!channel) return appError(404, 'app.channel.get.existing.app_error', 'Unable to find the existing channel.');
      if (!canReadChannel(channel, user)) return forbidden();
      // view_team: an empty team_id never passes, so clients send their current team even from a direct message.
      if (input.team_id === '' || !canViewTeam(input.team_id, user)) return forbidden();
      // SubmitDialogRequest, its `url` left out and `user_id` the session's, whatever the body said.
      const request = {
        type: input.type === 'refresh' ? 'refresh' : 'dialog_submission',
        callback_id: input.callback_id ?? '',
        state: input.state ?? '',
        user_id: user.id,
        channel_id: input.channel_id,
        team_id: input.team_id,
        submission: input.submission,
        cancelled: input.cancelled ?? false,
      };
      const answer = await callIntegration(input.url, request, token);
      if ('failure' in answer) return integrationFailed(answer.failure);
      if (answer.status !== 200) return integrationFailed(`status=${answer.status}`);
      return readDialogReply(answer.body);
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
      // Without custom_only (getCommandsList): built-in commands first, then the active plugins' (empty
      // ids, see fake-mattermost-plugins.ts), then the team's custom commands stripped of token, URL,
      // method and creator, one entry per trigger (ListAllCommandsByUser). Users who may not manage
      // commands get ListAutocompleteCommands: plugins', custom and built-in ones with autocomplete.
      const custom = config.ServiceSettings.EnableCommands ? liveCommands(teamId).filter((command) => isAdmin(user) || command.auto_complete) : [];
      const builtIn = BUILT_IN_TRIGGERS.map((trigger) =>
        sanitisedCommand({ ...commandFields({ auto_complete: true, display_name: trigger }), id: '', token: '', create_at: 0, update_at: 0, delete_at: 0, creator_id: '', team_id: '', trigger }),
      );
      const ofPlugins = pluginCommandsForTeam(plugins.values(), teamId).filter((command) => isAdmin(user) || command.auto_complete === true);
      const listed = isAdmin(user) ? [...builtIn, ...ofPlugins, ...custom.map(sanitisedCommand)] : [...ofPlugins, ...custom.map(sanitisedCommand), ...builtIn];
      const seen = new Set<unknown>();
      return { status: 200, body: listed.filter((command) => !seen.has(command.trigger) && seen.add(command.trigger)) };
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
    GetPlugins: ({ user }) => {
      if (!user) return unauthorised();
      return isAdmin(user) ? { status: 200, body: pluginsResponse(plugins.values()) } : forbidden();
    },
    GetConfig: ({ user }) => {
      if (!user) return unauthorised();
      return isAdmin(user) ? { status: 200, body: config } : forbidden();
    },
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    const respond = async () => {
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
      const operation = matchOperation(request);
      const token = presentedToken(req.headers);
      const user = userFor(token);
      requests.push({ operationId: operation?.operationId, method: request.method, path: url.pathname, body, userId: user?.id });
      const send = ({ status, body: payload }: Reply) => {
        res.writeHead(status, { 'Content-Type': 'application/json', 'X-Request-Id': randomBytes(13).toString('hex') });
        res.end(JSON.stringify(payload));
      };

      if (!operation) {
        violations.push(`${request.method} ${url.pathname}: no such operation in the Mattermost API`);
        return send(appError(404, 'api.context.404.app_error', 'Sorry, we could not find the page.'));
      }
      const validation = backend.validateRequest(specView(operation.operationId, request), operation);
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
      const fault = takeFault(operation.operationId ?? '', user?.id);
      if (fault === 'hang') return;
      if (fault && typeof fault === 'object') {
        res.writeHead(fault.status, { 'Content-Type': 'application/json', ...fault.headers });
        return void res.end(JSON.stringify(fault.body ?? appError(fault.status, 'fake.fault', 'injected fault').body));
      }
      const reply = await handler({ params, query: Object.fromEntries(url.searchParams), body, parts, user, token });
      if (fault === 'drop') return void req.socket.destroy();
      if (fault === 'stall') return;
      send(reply);
    };
    req.on('end', () => {
      respond().catch((error: unknown) => {
        violations.push(`${req.method} ${req.url}: the fake failed: ${String(error)}`);
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
  });

  function presentedToken(headers: http.IncomingHttpHeaders): string {
    const bearer = /^bearer\s+(\S+)$/i.exec(headers.authorization ?? '')?.[1];
    const cookie = /(?:^|;\s*)MMAUTHTOKEN=([^;]+)/.exec(headers.cookie ?? '')?.[1];
    return bearer ?? cookie ?? '';
  }

  function userFor(presented: string): FakeUser | undefined {
    // Like Mattermost, personal access tokens do not work while EnableUserAccessTokens is off.
    const accessToken = config.ServiceSettings.EnableUserAccessTokens ? accessTokens.find((candidate) => candidate.token === presented && candidate.is_active) : undefined;
    const user = users.get(tokens.get(presented) ?? accessToken?.user_id ?? '');
    // Nor do a disabled bot's tokens.
    return user && !(user.bot && user.bot.delete_at > 0) ? user : undefined;
  }

  function takeFault(operationId: string, userId: string | undefined): Fault | undefined {
    const entry = faults.find((candidate) => candidate.operationId === operationId && candidate.left > 0 && (candidate.forUser === undefined || candidate.forUser === userId));
    if (!entry) return undefined;
    entry.left--;
    return entry.fault;
  }

  server.on('upgrade', (request: http.IncomingMessage, socket: Duplex, head: Buffer) => sockets.upgrade(request, socket, head));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  /** A REST call as the user of `token`, through the same door (and spec) as any client's. */
  const callAs = async (token: string, method: string, path: string, body?: unknown): Promise<FakeAnswer> => {
    const response = await fetch(`${baseUrl}/api/v4${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
  };
  return {
    url: baseUrl,
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
    inject(operationId, fault, times = 1, forUser) {
      faults.push({ operationId, fault, left: times, forUser });
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
    ephemeralPosts,
    openDialogs,
    triggerIdFor(userId, channelId) {
      return mintTriggerId(userId, channelId).triggerId;
    },
    async pressButton(postId, actionNameOrId, userToken) {
      const post = posts.find((candidate) => candidate.id === postId);
      const actions = actionsOf(post?.props ?? {});
      const action = actions.find((candidate) => candidate.id === actionNameOrId) ?? actions.find((candidate) => candidate.name === actionNameOrId);
      if (!post || !action) throw new Error(`fake Mattermost: pressButton() found no action ${actionNameOrId} on post ${postId}`);
      const presser = userFor(userToken);
      const before = ephemeralPosts.length;
      const response = await fetch(`${baseUrl}/api/v4/posts/${postId}/actions/${encodeURIComponent(String(action.id))}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${userToken}` },
      });
      const ephemeral = ephemeralPosts.slice(before).filter((shown) => shown.userId === presser?.id && shown.channelId === post.channel_id);
      return { status: response.status, body: await response.json(), ephemeral };
    },
    async submitDialog(userToken, dialog, submission, options = {}) {
      const channelId = options.channelId ?? dialog.channelId ?? '';
      const teamId = options.teamId || channels.get(channelId)?.team_id || [...teams.values()].find((team) => team.members.has(dialog.userId))?.id || '';
      const response = await fetch(`${baseUrl}/api/v4/actions/dialogs/submit`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${userToken}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({
          url: dialog.url,
          callback_id: dialog.dialog.callback_id ?? '',
          state: dialog.dialog.state ?? '',
          channel_id: channelId,
          team_id: teamId,
          submission,
          cancelled: options.cancelled ?? false,
        }),
      });
      return { status: response.status, body: await response.json() };
    },
    buttonsOf(postId) {
      const post = posts.find((candidate) => candidate.id === postId);
      if (!post) throw new Error(`fake Mattermost: buttonsOf() found no post ${postId}`);
      return actionsOf(post.props).map((action) => String(action.name ?? ''));
    },
    directMessagesTo(userId) {
      return posts.filter((post) => {
        const channel = channels.get(post.channel_id);
        return channel?.type === 'D' && channel.members.has(userId) && post.user_id !== userId;
      });
    },
    plugins,
    addPlugin(plugin) {
      plugins.set(plugin.id, plugin);
      if (plugin.bot && !userNamed(plugin.bot.username)) {
        const bot = newUser(plugin.bot.username, true);
        bot.bot = { display_name: plugin.bot.display_name, description: plugin.bot.description, owner_id: plugin.id, delete_at: 0 };
      }
      return plugin;
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
    files,
    reactions,
    uploadFile(userId, channelId, name, options = {}) {
      const extension = posix.extname(name).slice(1).toLowerCase();
      const id = mattermostId();
      files.set(id, {
        id,
        user_id: userId,
        channel_id: channelId,
        post_id: '',
        name,
        extension,
        size: options.size ?? 1024,
        mime_type: options.mimeType ?? MIME_TYPES[extension] ?? 'application/octet-stream',
        create_at: now(),
      });
      return id;
    },
    async postAs(token, { channelId, message, rootId, fileIds, props }) {
      const answer = await callAs(token, 'POST', '/posts', {
        channel_id: channelId,
        message,
        ...(rootId === undefined ? {} : { root_id: rootId }),
        ...(fileIds === undefined ? {} : { file_ids: fileIds }),
        ...(props === undefined ? {} : { props }),
      });
      const id = isObject(answer.body) ? answer.body.id : undefined;
      return { ...answer, post: answer.status === 201 ? posts.find((post) => post.id === id) : undefined };
    },
    editAs: (token, postId, message) => callAs(token, 'PUT', `/posts/${postId}/patch`, { message }),
    deleteAs: (token, postId) => callAs(token, 'DELETE', `/posts/${postId}`),
    reactAs: (token, postId, emojiName) => callAs(token, 'POST', '/reactions', { user_id: userFor(token)?.id ?? '', post_id: postId, emoji_name: emojiName }),
    unreactAs: (token, postId, emojiName) => callAs(token, 'DELETE', `/users/${userFor(token)?.id ?? 'me'}/posts/${postId}/reactions/${encodeURIComponent(emojiName)}`),
    dropSockets: (options) => sockets.drop(options),
    socketCount: (userId) => sockets.count(userId),
    refuseSockets: (on) => sockets.refuse(on),
    waitForSocket: (options) => sockets.waitFor(options),
    socketEvents: sockets.events,
    close: () =>
      new Promise((resolve) => {
        sockets.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The types Mattermost's file store would detect for the extensions tests use; others are octet-stream. */
const MIME_TYPES: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', txt: 'text/plain', pdf: 'application/pdf', log: 'text/plain' };

/**
 * model.Post as PreparePostForClient leaves it: files and reactions in metadata; a deleted post without its message
 * or metadata. Empty file_ids and a false has_reactions are left out (omitempty).
 */
function postJson(post: FakePost, extras: { originalId: string; files: FakeFile[]; reactions: FakeReaction[] }) {
  const deleted = post.delete_at > 0;
  const metadata = {
    ...(extras.files.length > 0 ? { files: extras.files.map(fileJson) } : {}),
    ...(extras.reactions.length > 0 ? { reactions: extras.reactions.map(reactionJson) } : {}),
  };
  return {
    id: post.id,
    create_at: post.create_at,
    update_at: post.update_at,
    delete_at: post.delete_at,
    edit_at: post.edit_at,
    user_id: post.user_id,
    channel_id: post.channel_id,
    root_id: post.root_id,
    original_id: extras.originalId,
    message: deleted ? '' : post.message,
    type: '',
    // Post.EncodeJSON: no answer carries an action's integration (its url and context), not even the author's.
    props: stripIntegrations(post.props),
    // The server's JSON tag (model.Post.Hashtags); the spec says `hashtag`.
    hashtags: '',
    ...(post.file_ids.length > 0 ? { file_ids: post.file_ids } : {}),
    pending_post_id: '',
    ...(extras.reactions.length > 0 ? { has_reactions: true } : {}),
    metadata: deleted ? {} : metadata,
  };
}

/** model.FileInfo, as in a post's metadata. */
function fileJson(file: FakeFile) {
  return {
    id: file.id,
    user_id: file.user_id,
    post_id: file.post_id,
    channel_id: file.channel_id,
    create_at: file.create_at,
    update_at: file.create_at,
    delete_at: 0,
    name: file.name,
    extension: file.extension,
    size: file.size,
    mime_type: file.mime_type,
    has_preview_image: false,
    remote_id: '',
    archived: false,
  };
}

/** model.Reaction. */
function reactionJson(reaction: FakeReaction) {
  return {
    user_id: reaction.user_id,
    post_id: reaction.post_id,
    emoji_name: reaction.emoji_name,
    create_at: reaction.create_at,
    update_at: reaction.update_at,
    delete_at: reaction.delete_at,
    remote_id: '',
    channel_id: reaction.channel_id,
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

/** Props Mattermost carries over when an action's update replaces a post's props (model.PostActionRetainPropKeys). */
const RETAINED_PROP_KEYS = ['from_webhook', 'override_username', 'override_icon_url'];

/** model.IsValidId: 26 letters or digits. */
const VALID_ID = /^[A-Za-z0-9]{26}$/;

/** Reaction.IsValid's emoji name: letters, digits, '-', '+', '_', at most EmojiNameMaxLength (64). */
const EMOJI_NAME = /^[a-zA-Z0-9\-+_]{1,64}$/;

/** What Go's base64.StdEncoding decodes: the standard alphabet, padded. */
const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const HEX_COLOR = /^#[0-9a-fA-F]{6}$/;
const ACTION_STYLES = ['default', 'primary', 'success', 'good', 'warning', 'danger'];
const TEXT_SUBTYPES = ['', 'text', 'email', 'number', 'tel', 'url', 'password'];

type GoKind = 'string' | 'boolean' | 'integer' | 'array' | 'object';
/** The JSON types model.Dialog and model.DialogElement decode; anything else fails json.Decode. */
const DIALOG_FIELDS: Record<string, GoKind> = {
  callback_id: 'string',
  title: 'string',
  introduction_text: 'string',
  icon_url: 'string',
  elements: 'array',
  submit_label: 'string',
  notify_on_cancel: 'boolean',
  state: 'string',
  source_url: 'string',
};
const ELEMENT_FIELDS: Record<string, GoKind> = {
  display_name: 'string',
  name: 'string',
  type: 'string',
  subtype: 'string',
  default: 'string',
  placeholder: 'string',
  help_text: 'string',
  optional: 'boolean',
  min_length: 'integer',
  max_length: 'integer',
  data_source: 'string',
  data_source_url: 'string',
  options: 'array',
  multiselect: 'boolean',
  refresh: 'boolean',
  min_date: 'string',
  max_date: 'string',
  time_interval: 'integer',
};

/** Roughly the reserved ranges of Mattermost's httpservice, which its untrusted client will not dial. */
const RESERVED_ADDRESSES = blockListOf([
  '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.0.0.0/24', '192.0.2.0/24',
  '192.168.0.0/16', '198.18.0.0/15', '198.51.100.0/24', '203.0.113.0/24', '224.0.0.0/4', '240.0.0.0/4',
  '::/128', '::1/128', '100::/64', '2001:db8::/32', '2002::/16', '64:ff9b::/96', 'fc00::/7', 'fe80::/10', 'ff00::/8',
]);

/**
 * The request as the spec gets to validate it: UpdatePost's and PatchPost's props are a map on the server but a
 * string in the spec (a known drift, see PROVENANCE.md), so an object is shown to the spec as that string.
 */
function specView(operationId: string | undefined, request: ApiRequest): ApiRequest {
  const body = request.body;
  if ((operationId !== 'UpdatePost' && operationId !== 'PatchPost') || !isObject(body) || !isObject(body.props)) return request;
  return { ...request, body: { ...body, props: JSON.stringify(body.props) } };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Props the server can decode into its map: none, null or an object. */
function decodableProps(props: unknown): boolean {
  return props === undefined || props === null || isObject(props);
}

/** The first field whose JSON type Go could not decode into the struct's, if any (null leaves the zero value). */
function goDecodeProblem(object: Record<string, unknown>, fields: Record<string, GoKind>, where: string): string | undefined {
  const fits: Record<GoKind, (value: unknown) => boolean> = {
    string: (value) => typeof value === 'string',
    boolean: (value) => typeof value === 'boolean',
    integer: (value) => Number.isInteger(value),
    array: Array.isArray,
    object: isObject,
  };
  const misfit = Object.entries(fields).find(([key, kind]) => object[key] !== undefined && object[key] !== null && !fits[kind](object[key]));
  return misfit && `${where}.${misfit[0]} is not a JSON ${misfit[1]}`;
}

/** Why json.Decode of an OpenDialogRequest's dialog would fail, if it would. */
function dialogDecodeProblem(dialog: Record<string, unknown>): string | undefined {
  const elements = Array.isArray(dialog.elements) ? dialog.elements : [];
  const inElements = elements.flatMap((element: unknown, index) => {
    const where = `dialog.elements[${index}]`;
    if (element === null) return [];
    if (!isObject(element)) return [`${where} is not an object`];
    const options = Array.isArray(element.options) ? element.options : [];
    const badOption = options.findIndex((option: unknown) => option !== null && !(isObject(option) && goDecodeProblem(option, { text: 'string', value: 'string' }, '') === undefined));
    return [goDecodeProblem(element, ELEMENT_FIELDS, where) ?? (badOption >= 0 ? `${where}.options[${badOption}] is not {text, value} strings` : undefined)];
  });
  return goDecodeProblem(dialog, DIALOG_FIELDS, 'dialog') ?? inElements.find((problem) => problem !== undefined);
}

/** The actions of a post's attachments, as Post.Attachments() reads them (null ones skipped). */
function actionsOf(props: Record<string, unknown>): Record<string, unknown>[] {
  const attachments = Array.isArray(props.attachments) ? props.attachments.filter(isObject) : [];
  return attachments.flatMap((attachment) => (Array.isArray(attachment.actions) ? attachment.actions.filter(isObject) : []));
}

/** A copy of the props in which every action has an id (Post.GenerateActionIds gives one to those without). */
function withActionIds(props: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(props);
  for (const action of actionsOf(copy)) {
    if (action.id === undefined || action.id === null || action.id === '') action.id = mattermostId();
  }
  return copy;
}

/** A copy of the props without the actions' integration (Post.StripActionIntegrations). */
function stripIntegrations(props: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(props);
  for (const action of actionsOf(copy)) delete action.integration;
  return copy;
}

/**
 * What Post.ValidateProps finds wrong in props.attachments (MessageAttachment.IsValid and PostAction.IsValid), which
 * Mattermost only logs, and action ids its DoPostAction route can never reach.
 */
function attachmentProblems(props: Record<string, unknown>): string[] {
  const logged = (problem: string) => `Mattermost logs "Invalid post props": ${problem}`;
  const attachments = Array.isArray(props.attachments) ? props.attachments.filter(isObject) : [];
  const problems = attachments.flatMap((attachment, index) => messageAttachmentProblems(attachment).map((problem) => logged(`attachment ${index}: ${problem}`)));
  const ids = new Set<string>();
  for (const action of actionsOf(props)) {
    const label = `action ${JSON.stringify(action.name ?? '')}`;
    problems.push(...postActionProblems(action).map((problem) => logged(`${label}: ${problem}`)));
    const id = String(action.id ?? '');
    if (!/^[A-Za-z0-9]+$/.test(id)) problems.push(`${label}: id ${JSON.stringify(id)} can never be pressed: DoPostAction's route takes [A-Za-z0-9]+ only`);
    else if (ids.has(id)) problems.push(`${label}: id ${id} is an earlier action's too, and Post.GetAction finds only the first`);
    ids.add(id);
  }
  return problems;
}

/** MessageAttachment.IsValid. */
function messageAttachmentProblems(attachment: Record<string, unknown>): string[] {
  const text = (key: string) => (typeof attachment[key] === 'string' ? (attachment[key] as string) : '');
  const problems: string[] = [];
  const color = text('color');
  if (color !== '' && !['good', 'warning', 'danger'].includes(color) && !HEX_COLOR.test(color)) problems.push(`invalid color '${color}'`);
  for (const [link, label] of [['author_link', 'author_name'], ['title_link', 'title']] as const) {
    if (text(link) !== '' && (text(label) === '' || !isValidHttpUrl(text(link)))) problems.push(`${link} needs ${label} and an http(s) URL`);
  }
  for (const key of ['author_icon', 'image_url', 'thumb_url', 'footer_icon']) {
    if (text(key) !== '' && !isValidHttpUrl(text(key))) problems.push(`invalid ${key}`);
  }
  // A JSON number decodes as a float64, which IsValid does not take: only strings (and Go ints) pass.
  const fields = Array.isArray(attachment.fields) ? attachment.fields.filter(isObject) : [];
  for (const field of fields) {
    if (field.value !== undefined && field.value !== null && typeof field.value !== 'string') problems.push(`field ${JSON.stringify(field.title ?? '')}: value must be a string`);
  }
  return problems;
}

/** PostAction.IsValid. */
function postActionProblems(action: Record<string, unknown>): string[] {
  const text = (key: string) => (typeof action[key] === 'string' ? (action[key] as string) : '');
  const problems: string[] = [];
  if (text('name') === '') problems.push('action must have a name');
  const style = text('style');
  if (style !== '' && !ACTION_STYLES.includes(style) && !HEX_COLOR.test(style)) problems.push(`invalid style '${style}'`);
  const options: unknown[] = Array.isArray(action.options) ? action.options : [];
  const source = text('data_source');
  if (action.type === 'button') {
    if (options.length > 0) problems.push('button action must not have options');
    if (source !== '') problems.push('button action must not have a data source');
  } else if (action.type === 'select') {
    if (source !== '' && !['users', 'channels'].includes(source)) problems.push(`invalid data_source '${source}' for select action`);
    if (source !== '' && options.length > 0) problems.push('select action cannot have both DataSource and Options set');
    if (source === '' && options.length === 0) problems.push('select action must have either DataSource or Options set');
    if (source === '' && options.some((option) => !isObject(option) || !option.text || !option.value)) problems.push('select options need a text and a value');
  } else {
    problems.push("invalid action type: must be 'button' or 'select'");
  }
  const integration = action.integration;
  if (!isObject(integration)) return [...problems, 'action must have integration settings'];
  const url = typeof integration.url === 'string' ? integration.url : '';
  if (url === '') problems.push('action must have an integration URL');
  if (!(url.startsWith('/plugins/') || url.startsWith('plugins/') || isValidHttpUrl(url))) problems.push('action must have a valid integration URL');
  return problems;
}

/** model.IsValidHTTPURL: starts with http:// or https:// and parses with a host. */
function isValidHttpUrl(raw: string): boolean {
  if (!raw.startsWith('http://') && !raw.startsWith('https://')) return false;
  try {
    return new URL(raw).host !== '';
  } catch {
    return false;
  }
}

/** model.IsValidLookupURL: a /plugins/ path without traversal, or an http(s) URL. */
function isValidLookupUrl(raw: string): boolean {
  if (raw.startsWith('/plugins/')) return !raw.includes('..') && !raw.includes('//');
  return isValidHttpUrl(raw);
}

/** model.ParseSlackLinksToMarkdown: <url|text> becomes [text](url). */
function parseSlackLinks(text: string): string {
  return text.replace(/<([^<|]+)\|([^>]+)>/g, '[$2]($1)');
}

/** Dialog.IsValid. Lengths are Go's len(): bytes, so a title of 24 characters with an accent is too long. */
function dialogProblems(dialog: FakeDialog): string[] {
  const title = typeof dialog.title === 'string' ? dialog.title : '';
  const problems: string[] = [];
  if (title === '' || Buffer.byteLength(title) > 24) problems.push(`invalid dialog title ${JSON.stringify(title)}: 1 to 24 bytes`);
  if (dialog.icon_url && !isValidHttpUrl(dialog.icon_url)) problems.push('invalid icon url');
  const names = new Set<string>();
  for (const element of dialog.elements ?? []) {
    const fields = isObject(element) ? element : {};
    const name = typeof fields.name === 'string' ? fields.name : '';
    if (names.has(name)) problems.push(`duplicate dialog element ${JSON.stringify(name)}`);
    names.add(name);
    problems.push(...elementProblems(fields).map((problem) => `${JSON.stringify(name)} field is not valid: ${problem}`));
  }
  return problems;
}

/** DialogElement.IsValid. */
function elementProblems(element: Record<string, unknown>): string[] {
  const text = (key: string) => (typeof element[key] === 'string' ? (element[key] as string) : '');
  const integer = (key: string) => (typeof element[key] === 'number' ? (element[key] as number) : 0);
  const options = Array.isArray(element.options) ? element.options.filter(isObject) : [];
  const inOptions = (value: string) => value === '' || options.some((option) => option.value === value);
  const sized = (max: number) => [tooLong('default', text('default'), max), tooLong('placeholder', text('placeholder'), max)];
  const type = text('type');
  const problems: (string | undefined)[] = [
    integer('min_length') < 0 ? 'min_length cannot be negative' : undefined,
    // max_length defaults to 0, so a min_length needs a max_length.
    integer('min_length') > integer('max_length') ? `min_length ${integer('min_length')} is more than max_length ${integer('max_length')}` : undefined,
    text('display_name') === '' ? 'display_name cannot be empty' : tooLong('display_name', text('display_name'), 24),
    text('name') === '' ? 'name cannot be empty' : tooLong('name', text('name'), 300),
    tooLong('help_text', text('help_text'), 150),
    element.multiselect === true && type !== 'select' ? `multiselect can only be used with select elements, got type "${type}"` : undefined,
  ];
  if (type === 'text' || type === 'textarea') {
    problems.push(...sized(type === 'text' ? 150 : 3000), TEXT_SUBTYPES.includes(text('subtype')) ? undefined : `invalid subtype "${text('subtype')}"`);
  } else if (type === 'select') {
    problems.push(...sized(3000), ...selectProblems(element, text, inOptions));
  } else if (type === 'bool') {
    problems.push(['', 'true', 'false'].includes(text('default')) ? undefined : 'invalid default of bool', tooLong('placeholder', text('placeholder'), 150));
  } else if (type === 'radio') {
    problems.push(inOptions(text('default')) ? undefined : `default value "${text('default')}" doesn't exist in options`);
  } else if (type === 'date' || type === 'datetime') {
    problems.push(...sized(150), dateProblem(text('default'), type === 'datetime'), dateProblem(text('min_date'), false), dateProblem(text('max_date'), false));
    if (type === 'datetime') problems.push(timeIntervalProblem(integer('time_interval')));
  } else {
    problems.push(`invalid element type: "${type}"`);
  }
  return problems.filter((problem): problem is string => problem !== undefined);
}

function selectProblems(element: Record<string, unknown>, text: (key: string) => string, inOptions: (value: string) => boolean): (string | undefined)[] {
  const source = text('data_source');
  if (!['', 'users', 'channels', 'dynamic'].includes(source)) return [`invalid data source "${source}", allowed are 'users', 'channels', or 'dynamic'`];
  if (source === 'dynamic') {
    const url = text('data_source_url');
    return [
      url === '' ? 'dynamic data_source requires data_source_url' : isValidLookupUrl(url) ? undefined : 'invalid data_source_url for dynamic select',
      Array.isArray(element.options) && element.options.length > 0 ? 'dynamic select element should not have static options' : undefined,
    ];
  }
  if (source !== '') return [];
  const defaults = element.multiselect === true ? text('default').replaceAll(' ', '').split(',') : [text('default')];
  return [defaults.every(inOptions) ? undefined : `default value "${text('default')}" doesn't exist in options`];
}

function tooLong(field: string, value: string, max: number): string | undefined {
  const length = Buffer.byteLength(value);
  return length > max ? `${field} cannot be longer than ${max} bytes, got ${length}` : undefined;
}

/** validateDateFormat / validateDateTimeFormat: empty, relative (today, +2d...), or ISO; a date given a time is flagged too. */
function dateProblem(value: string, withTime: boolean): string | undefined {
  const relative = ['today', 'tomorrow', 'yesterday'].includes(value) || (value.length >= 3 && value.length <= 5 && /^[+-][+-]?\d+[dwmh]$/i.test(value));
  if (value === '' || relative) return undefined;
  const realDate = isRealDate(value.slice(0, 10));
  const isDateTime = realDate && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:Z|[+-]\d{2}:\d{2})?)?$/.test(value);
  if (withTime) return isDateTime ? undefined : `invalid datetime format: "${value}"`;
  if (realDate && value.length === 10) return undefined;
  return isDateTime ? `date field received datetime format "${value}"` : `invalid date format: "${value}"`;
}

function isRealDate(value: string): boolean {
  const parts = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!parts) return false;
  const date = new Date(Date.UTC(Number(parts[1]), Number(parts[2]) - 1, Number(parts[3])));
  return date.getUTCMonth() === Number(parts[2]) - 1 && date.getUTCDate() === Number(parts[3]);
}

/** A datetime element's time_interval: IsValid counts the default 0 as a problem too (it is then reset to 60). */
function timeIntervalProblem(minutes: number): string | undefined {
  if (minutes === 0) return 'time_interval of 0 will be reset to default, 60 minutes';
  if (minutes < 1 || minutes > 1440) return `time_interval must be between 1 and 1440 minutes, got ${minutes}`;
  return 1440 % minutes === 0 ? undefined : `time_interval must be a divisor of 1440, got ${minutes}`;
}

/**
 * model.PostActionIntegrationRequest, in its JSON order. For a menu with a chosen option, the option goes into
 * context.selected_option and data_source is filled; an empty context is left out (omitempty).
 */
function actionRequest(press: {
  user: FakeUser;
  channel: FakeChannel;
  team: FakeTeam | undefined;
  post: FakePost;
  action: Record<string, unknown>;
  integration: Record<string, unknown>;
  triggerId: string;
  selected: string;
}) {
  const { user, channel, team, post, action, integration, triggerId, selected } = press;
  const type = typeof action.type === 'string' ? action.type : '';
  const chosen = type === 'select' && selected !== '';
  const context = { ...(isObject(integration.context) ? integration.context : {}), ...(chosen ? { selected_option: selected } : {}) };
  return {
    user_id: user.id,
    user_name: user.username,
    channel_id: channel.id,
    channel_name: channel.name,
    team_id: channel.team_id,
    team_domain: team?.name ?? '',
    post_id: post.id,
    trigger_id: triggerId,
    type,
    data_source: chosen && typeof action.data_source === 'string' ? action.data_source : '',
    ...(Object.keys(context).length > 0 ? { context } : {}),
  };
}

/**
 * A PostActionIntegrationResponse as Go decodes it: empty or null is an empty answer; anything it cannot decode
 * (not JSON, a field of the wrong type) is why the press failed.
 */
function readActionReply(text: string): { update: Record<string, unknown> | undefined; ephemeralText: string; skipSlackParsing: boolean } | string {
  let reply: unknown = null;
  try {
    if (text !== '') reply = JSON.parse(text);
  } catch {
    return 'the integration answered something that is not JSON';
  }
  const answer = reply ?? {};
  if (!isObject(answer)) return 'the integration answered JSON that is not an object';
  const problem =
    goDecodeProblem(answer, { update: 'object', ephemeral_text: 'string', skip_slack_parsing: 'boolean' }, 'answer') ??
    (isObject(answer.update) ? goDecodeProblem(answer.update, { message: 'string', props: 'object' }, 'answer.update') : undefined);
  if (problem) return problem;
  return {
    update: isObject(answer.update) ? answer.update : undefined,
    ephemeralText: typeof answer.ephemeral_text === 'string' ? answer.ephemeral_text : '',
    skipSlackParsing: answer.skip_slack_parsing === true,
  };
}

/**
 * A SubmitDialogResponse as App.SubmitInteractiveDialog reads it: empty is fine, undecodable is a 500; without
 * `error` or `errors`, `type` must be '', ok or navigate (no form) or form (with one). The client gets 200 and only
 * the known fields, empty ones left out, even when the answer holds errors.
 */
function readDialogReply(text: string): Reply {
  const undecodable = appError(500, 'app.submit_interactive_dialog.decode_json_error', 'Encountered an error decoding JSON response from interactive dialog.');
  let reply: unknown = null;
  try {
    if (text !== '') reply = JSON.parse(text);
  } catch {
    return undecodable;
  }
  const answer = reply ?? {};
  if (!isObject(answer) || goDecodeProblem(answer, { error: 'string', errors: 'object', type: 'string', form: 'object' }, 'answer')) return undecodable;
  const error = typeof answer.error === 'string' ? answer.error : '';
  const errors = isObject(answer.errors) ? answer.errors : {};
  if (Object.values(errors).some((message) => message !== null && typeof message !== 'string')) return undecodable;
  const type = typeof answer.type === 'string' ? answer.type : '';
  const form = isObject(answer.form) ? answer.form : undefined;
  const invalid = ['', 'ok', 'navigate'].includes(type)
    ? form && `form field must be nil for type "${type}"`
    : type === 'form'
      ? !form && 'form field is required for form type'
      : `invalid type "${type}", must be one of: empty, ok, form, navigate`;
  if (invalid && error === '' && Object.keys(errors).length === 0) {
    return appError(400, 'app.submit_interactive_dialog.invalid_response', 'Invalid response from the integration.', invalid);
  }
  const fields = { error, errors: Object.keys(errors).length > 0 ? errors : undefined, type, form };
  return { status: 200, body: Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined && value !== '')) };
}

type IntegrationAnswer = { status: number; body: string } | { failure: string };

/**
 * App.DoActionRequest. A relative /plugins/ URL goes in-process to a server plugin (DoLocalRequest), and the fake
 * runs none. An absolute URL on the SiteURL host under /plugins gets the clicking user's session token (and the
 * trusted client); any other goes through the untrusted client, which will not dial internal addresses unless
 * AllowedUntrustedInternalConnections lets it.
 */
async function postToIntegration(rawUrl: string, payload: unknown, options: { siteUrl: string; token: string; allowed: string; timeoutMs: number }): Promise<IntegrationAnswer> {
  if (/^\/?plugins\//.test(posix.normalize(rawUrl))) return { failure: `${rawUrl} is a server plugin's route, and the fake runs no plugins` };
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return { failure: `${JSON.stringify(rawUrl)} is not a URL` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { failure: `unsupported protocol scheme in ${rawUrl}` };
  // Go's client adds User-Agent (httpservice's), Accept-Encoding, Content-Length and Host to Mattermost's two headers.
  const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json', 'Accept-Encoding': 'gzip', 'User-Agent': 'Mattermost-Bot/1.1' };
  const site = new URL(options.siteUrl);
  if (url.hostname === site.hostname && posix.normalize(url.pathname).startsWith(posix.join(site.pathname, 'plugins'))) {
    headers.Authorization = `Bearer ${options.token}`;
  } else {
    const refusal = await forbiddenAddress(url.hostname, options.allowed);
    if (refusal) return { failure: refusal };
  }
  return postJsonTo(url, headers, JSON.stringify(payload), options.timeoutMs);
}

/** httpservice's dial filter: a host named in the list passes; else an internal address must be in one of its CIDRs. */
async function forbiddenAddress(hostname: string, allowed: string): Promise<string | undefined> {
  const entries = allowed.split(/\s+/).filter(Boolean);
  const host = hostname.replace(/^\[(.*)\]$/, '$1');
  if (entries.includes(host)) return undefined;
  // A name that does not resolve fails when dialled instead.
  const addresses = isIP(host) ? [host] : (await lookup(host, { all: true }).catch(() => [])).map((found) => found.address);
  const allowedRanges = blockListOf(entries);
  const refused = (address: string) => {
    const family = isIP(address) === 4 ? 'ipv4' : 'ipv6';
    return RESERVED_ADDRESSES.check(address, family) && !allowedRanges.check(address, family);
  };
  if (addresses.length === 0 || !addresses.every(refused)) return undefined;
  return `address forbidden, you may need to set AllowedUntrustedInternalConnections to allow an integration access to your internal network (${host} is ${addresses.join(', ')})`;
}

function blockListOf(cidrs: string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [address = '', prefix = ''] = cidr.split('/');
    const family = isIP(address);
    if (family !== 0 && /^\d+$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128)) list.addSubnet(address, Number(prefix), family === 4 ? 'ipv4' : 'ipv6');
  }
  return list;
}

/** One POST, answered within `timeoutMs` (the context deadline covers reading the answer too); gzip is undone as Go's transport does. */
function postJsonTo(url: URL, headers: Record<string, string>, body: string, timeoutMs: number): Promise<IntegrationAnswer> {
  return new Promise((resolve) => {
    const client = url.protocol === 'https:' ? https : http;
    const request = client.request(url, { method: 'POST', agent: false, headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', (error) => resolve({ failure: error.message }));
      response.on('end', () => {
        clearTimeout(timer);
        try {
          const bytes = Buffer.concat(chunks);
          resolve({ status: response.statusCode ?? 0, body: (response.headers['content-encoding'] === 'gzip' ? gunzipSync(bytes) : bytes).toString('utf8') });
        } catch (error) {
          resolve({ failure: `unreadable answer: ${String(error)}` });
        }
      });
    });
    const timer = setTimeout(() => request.destroy(new Error(`no answer within ${timeoutMs} ms (OutgoingIntegrationRequestsTimeout)`)), timeoutMs);
    request.on('error', (error) => {
      clearTimeout(timer);
      resolve({ failure: error.message });
    });
    request.end(body);
  });
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

/** `detail`, Mattermost's detailed_error, says what went wrong where Mattermost would only log it. */
function appError(status: number, id: string, message: string, detail = ''): Reply {
  return { status, body: { id, message, detailed_error: detail, request_id: mattermostId(), status_code: status } };
}

/** Mattermost ids: 26 characters of lower-case base32. */
function mattermostId(): string {
  const alphabet = 'abcdefghijkmnopqrstuwxyz13456789';
  return Array.from(randomBytes(26), (byte) => alphabet[byte % 32]).join('');
}

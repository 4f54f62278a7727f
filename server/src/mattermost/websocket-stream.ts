/**
 * Mattermost's WebSocket API as the bot, through the client @mattermost/client
 * provides (it authenticates with `authentication_challenge`, pings, checks
 * sequence numbers and reconnects with backoff). What arrives is handed on as
 * ChatEvents; every (re)connection is reported once Mattermost says hello, so
 * the caller can catch up on what the gap hid.
 */
import mattermostClient from '@mattermost/client';
import { CloseEvent as UndiciCloseEvent, WebSocket as UndiciWebSocket } from 'undici';
import type { ChatEvent, ChatPost, ChatReaction } from '../conversations/chat-events.js';
import type { Logger } from '../log.js';

const { WebSocketClient } = mattermostClient;

// The client reads the WHATWG globals `WebSocket` (for WebSocket.OPEN) and `CloseEvent`, which Node
// has only from 22 and 23; undici (already the bridge's HTTP client) provides the same classes.
const globals = globalThis as { WebSocket?: unknown; CloseEvent?: unknown };
globals.WebSocket ??= UndiciWebSocket;
globals.CloseEvent ??= UndiciCloseEvent;

export type StreamPhase = 'connecting' | 'connected' | 'reconnecting' | 'stopped';

export interface StreamState {
  phase: StreamPhase;
  /** When the current connection said hello (ms), or null. */
  connectedAt: number | null;
  lastEventAt: number | null;
  /** Connections after the first. */
  reconnects: number;
  lastError: string | null;
}

export interface StreamOptions {
  /** Mattermost's address (http or https); the socket is at /api/v4/websocket. */
  url: string;
  token: string;
  /** The shortest wait before reconnecting (the client adds jitter and backs off after repeated failures). */
  retryMs: number;
  log: Logger;
  onEvent(event: ChatEvent): void;
  /** Each hello: the first connection, or one after a gap. */
  onConnected(reconnect: boolean): void;
}

export interface MattermostStream {
  state(): StreamState;
  /** Closes the socket and stops reconnecting. */
  stop(): void;
}

interface SocketMessage {
  event?: string;
  data?: Record<string, unknown>;
  broadcast?: { channel_id?: string };
}

export function openMattermostStream(options: StreamOptions): MattermostStream {
  const client = new WebSocketClient({
    minWebSocketRetryTime: options.retryMs,
    reconnectJitterRange: Math.max(100, Math.round(options.retryMs / 2)),
    newWebSocketFn: (url: string) => guardMessages(new UndiciWebSocket(url), options.log) as unknown as WebSocket,
  });
  const state: StreamState = { phase: 'connecting', connectedAt: null, lastEventAt: null, reconnects: 0, lastError: null };
  let greeted = false;

  client.addMessageListener((received) => {
    const message = received as unknown as SocketMessage;
    if (message.event === 'hello') {
      const reconnect = greeted;
      greeted = true;
      if (reconnect) state.reconnects += 1;
      state.phase = 'connected';
      state.connectedAt = Date.now();
      state.lastError = null;
      options.log.info({ reconnect }, 'listening to Mattermost');
      options.onConnected(reconnect);
      return;
    }
    const event = toChatEvent(message);
    if (!event) return;
    state.lastEventAt = Date.now();
    options.onEvent(event);
  });
  // The client resets its sequence count on a hello with a new connection id only when someone listens for
  // missed messages; without one, every reconnection to a new connection fails its sequence check and loops.
  // The catch-up that follows each hello is what recovers what was missed.
  client.addMissedMessageListener(() => undefined);
  client.addCloseListener((failures: number) => {
    if (state.phase === 'stopped') return;
    if (state.phase === 'connected') options.log.warn('the Mattermost socket closed; reconnecting');
    state.phase = 'reconnecting';
    state.connectedAt = null;
    state.lastError = `connection closed (${failures} in a row)`;
  });
  client.addErrorListener(() => {
    state.lastError = 'socket error';
  });
  client.initialize(socketUrl(options.url), options.token);

  return {
    state: () => ({ ...state }),
    stop() {
      if (state.phase === 'stopped') return;
      state.phase = 'stopped';
      state.connectedAt = null;
      client.close();
      // close() leaves a socket that is still connecting; it would reconnect once it fails.
      const pending = (client as unknown as { conn: { onclose: unknown; close(): void } | null }).conn;
      if (pending) {
        pending.onclose = () => undefined;
        pending.close();
        (client as unknown as { conn: unknown }).conn = null;
      }
    },
  };
}

/**
 * The client parses every frame with JSON.parse inside the socket's message handler, where a throw would
 * end the process (an EventTarget listener's error is uncaught): a frame that is not JSON is dropped and logged.
 */
export function guardMessages(socket: UndiciWebSocket, log: Logger): UndiciWebSocket {
  type Handler = (event: unknown) => void;
  let handler: Handler | null = null;
  socket.addEventListener('message', (event) => {
    try {
      handler?.(event);
    } catch (error) {
      log.warn({ err: { message: (error as Error).message } }, 'dropped a message from Mattermost that could not be read');
    }
  });
  Object.defineProperty(socket, 'onmessage', {
    get: () => handler,
    set: (next: Handler | null) => {
      handler = next;
    },
  });
  return socket;
}

function socketUrl(url: string): string {
  const parsed = new URL(url.replace(/\/+$/, '') + '/api/v4/websocket');
  parsed.protocol = parsed.protocol === 'https:' ? 'wss:' : 'ws:';
  return parsed.toString();
}

/**
 * Mattermost sends the post and the reaction as JSON strings inside `data`
 * (model.WebSocketEvent built in app/post.go and app/reaction.go); a message
 * that does not parse is dropped, never thrown.
 */
export function toChatEvent(message: SocketMessage): ChatEvent | null {
  const data = message.data ?? {};
  switch (message.event) {
    case 'posted':
    case 'post_edited':
    case 'post_deleted': {
      const post = parseJson<ChatPost>(data.post);
      if (!post || typeof post.id !== 'string' || typeof post.channel_id !== 'string') return null;
      const normalised = normalisePost(post);
      return message.event === 'posted' ? { kind: 'posted', post: normalised } : message.event === 'post_edited' ? { kind: 'edited', post: normalised } : { kind: 'deleted', post: normalised };
    }
    case 'reaction_added':
    case 'reaction_removed': {
      const reaction = parseJson<ChatReaction>(data.reaction);
      const channelId = message.broadcast?.channel_id ?? reaction?.channel_id;
      if (!reaction || typeof reaction.post_id !== 'string' || typeof reaction.user_id !== 'string' || typeof reaction.emoji_name !== 'string' || !channelId) return null;
      return { kind: message.event, reaction, channelId };
    }
    default:
      return null;
  }
}

/** Fields a post may leave out in some Mattermost versions, given their defaults. */
export function normalisePost(post: Partial<ChatPost> & { id: string; channel_id: string }): ChatPost {
  return {
    ...post,
    id: post.id,
    channel_id: post.channel_id,
    root_id: post.root_id ?? '',
    user_id: post.user_id ?? '',
    message: post.message ?? '',
    create_at: post.create_at ?? 0,
    update_at: post.update_at ?? post.create_at ?? 0,
    edit_at: post.edit_at ?? 0,
    delete_at: post.delete_at ?? 0,
    type: post.type ?? '',
  };
}

function parseJson<T>(value: unknown): T | null {
  if (typeof value === 'object' && value !== null) return value as T;
  if (typeof value !== 'string') return null;
  try {
    const parsed = JSON.parse(value) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as T) : null;
  } catch {
    return null;
  }
}

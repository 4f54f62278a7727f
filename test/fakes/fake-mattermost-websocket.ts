/**
 * The fake Mattermost's WebSocket API (`GET /api/v4/websocket`), speaking the protocol as Mattermost's server does:
 * server/channels/api4/websocket.go (the upgrade), app/platform/web_conn.go (a connection: hello, sequence
 * numbers, the dead queue replayed on reconnect), web_hub.go (who gets an event), websocket_router.go (the
 * client's requests), wsapi/system.go (ping) and public/model/websocket_message.go (the JSON).
 */
import { EventEmitter } from 'node:events';
import type http from 'node:http';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';

/** The parts of the `ws` package (installed with jsdom; it has no types here) that the fake and its tests use. */
export interface WsSocket {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): this;
  on(event: 'close', listener: (code: number, reason: Buffer) => void): this;
  on(event: 'open', listener: () => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  on(event: 'unexpected-response', listener: (request: http.ClientRequest, response: http.IncomingMessage) => void): this;
}

interface WsServer {
  handleUpgrade(request: http.IncomingMessage, socket: Duplex, head: Buffer, done: (socket: WsSocket) => void): void;
  close(): void;
}

export interface WsModule {
  WebSocket: (new (url: string, options?: { headers?: Record<string, string> }) => WsSocket) & { CONNECTING: number; OPEN: number; CLOSING: number; CLOSED: number };
  WebSocketServer: new (options: { noServer: true }) => WsServer;
}

export const ws = createRequire(import.meta.url)('ws') as WsModule;

/** model.WebsocketBroadcast as it goes on the wire (its hooks never do). */
export interface SocketBroadcast {
  omit_users: Record<string, boolean> | null;
  user_id: string;
  channel_id: string;
  team_id: string;
  connection_id: string;
  omit_connection_id: string;
  contains_sanitized_data?: boolean;
  contains_sensitive_data?: boolean;
}

/** An event as a connection receives it (webSocketEventJSON). */
export interface SocketEvent {
  event: string;
  data: Record<string, unknown>;
  broadcast: SocketBroadcast;
  seq: number;
}

export interface SocketHubOptions {
  /** The token a request presents (Authorization header or MMAUTHTOKEN cookie). */
  tokenOf(headers: http.IncomingHttpHeaders): string;
  /** The user whose live session a token is (Suite.GetSession); undefined once it stops working. */
  userIdFor(token: string): string | undefined;
  isChannelMember(userId: string, channelId: string): boolean;
  isTeamMember(userId: string, teamId: string): boolean;
  /** manage_system, which decides who gets sanitized and who gets sensitive events. */
  isSystemAdmin(userId: string): boolean;
  /** Milliseconds, by the fake's clock. */
  now(): number;
}

export interface SocketHub {
  /** The server's 'upgrade' listener. */
  upgrade(request: http.IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Hub.Broadcast: to every connection, open or waiting for its client to come back, that may see it. */
  publish(event: string, data: Record<string, unknown>, broadcast: Partial<SocketBroadcast>): void;
  drop(options?: { restart?: boolean }): void;
  count(userId?: string): number;
  refuse(on: boolean): void;
  waitFor(options?: { userId?: string; count?: number; timeoutMs?: number }): Promise<void>;
  /** 'authenticated' and 'closed' ({ userId, connectionId }), 'sent' ({ userId, connectionId, message }). */
  events: EventEmitter;
  close(): void;
}

// web_conn.go: deadQueueSize and sendQueueSize (a connection whose queue overflows is dropped), authCheckInterval.
const DEAD_QUEUE_SIZE = 128;
const SEND_QUEUE_SIZE = 256;
const AUTH_CHECK_MS = 5_000;
const VERSION = '11.9.0';
/** createHelloMessage: CurrentVersion.BuildNumber.ClientConfigHash.IsLicensed. */
const SERVER_VERSION = `${VERSION}.0.fakeconfighash.false`;
const SERVER_HOSTNAME = 'fake-mattermost';
/** Actions the fake answers with a bare OK; Mattermost's handlers for them do more (typing, statuses...). */
const QUIET_ACTIONS = new Set(['user_typing', 'presence', 'get_statuses', 'get_statuses_by_ids', 'user_update_active_status', 'posted_notify_ack']);

interface Connection {
  /** Changes when a reconnect finds events lost (hasMsgLoss): the client then knows to catch up. */
  id: string;
  /** '' until authenticated. */
  userId: string;
  token: string;
  socket: WsSocket | undefined;
  /** The sequence number the next event gets. */
  sequence: number;
  /** The last events written, kept to replay what a reconnecting client missed. */
  deadQueue: SocketEvent[];
  /** The send queue: events waiting while the client is away (an inactive WebConn still receives broadcasts). */
  pending: Omit<SocketEvent, 'seq'>[];
  reuseCount: number;
  authTimer: NodeJS.Timeout | undefined;
}

export function createSocketHub(options: SocketHubOptions, newId: () => string): SocketHub {
  const server = new ws.WebSocketServer({ noServer: true });
  const events = new EventEmitter();
  /** The hub's index: authenticated connections, open or inactive (kept for a reconnect). */
  const hub = new Set<Connection>();
  /** Every open socket's connection, authenticated or not. */
  const open = new Set<Connection>();
  let refusing = false;

  /** WebConn.IsAuthenticated: a session that stopped working is forgotten (a new challenge may then succeed). */
  const isAuthenticated = (conn: Connection) => {
    if (conn.token === '') return false;
    if (options.userIdFor(conn.token) === conn.userId) return true;
    conn.token = '';
    return false;
  };
  const isOpen = (conn: Connection) => conn.socket !== undefined && conn.socket.readyState === ws.WebSocket.OPEN;
  const count = (userId?: string) => [...hub].filter((conn) => isOpen(conn) && isAuthenticated(conn) && (userId === undefined || conn.userId === userId)).length;

  const helloFor = (conn: Connection): Omit<SocketEvent, 'seq'> => ({
    event: 'hello',
    data: { connection_id: conn.id, server_hostname: SERVER_HOSTNAME, server_version: SERVER_VERSION },
    broadcast: broadcastOf({ user_id: conn.userId }),
  });

  /** writePump: an event gets the connection's next sequence number, is kept in the dead queue, then written. */
  const write = (conn: Connection, event: Omit<SocketEvent, 'seq'>) => {
    const sent: SocketEvent = { ...event, seq: conn.sequence++ };
    conn.deadQueue.push(sent);
    if (conn.deadQueue.length > DEAD_QUEUE_SIZE) conn.deadQueue.shift();
    send(conn, sent);
  };
  const send = (conn: Connection, message: object) => {
    if (!conn.socket || !isOpen(conn)) return;
    conn.socket.send(JSON.stringify(message));
    events.emit('sent', { userId: conn.userId, connectionId: conn.id, message });
  };
  const flush = (conn: Connection) => {
    for (const event of conn.pending.splice(0)) write(conn, event);
  };
  const deliver = (conn: Connection, event: Omit<SocketEvent, 'seq'>) => {
    if (isOpen(conn)) return write(conn, event);
    conn.pending.push(event);
    // Hub: a connection whose send queue is full is closed and forgotten; its client starts afresh.
    if (conn.pending.length > SEND_QUEUE_SIZE) hub.delete(conn);
  };
  /** WebSocketResponse: answers go through the hub, so a connection that is not in it gets none. */
  const reply = (conn: Connection, seq: number, answer: { data?: Record<string, unknown>; error?: { id: string; message: string; status: number } }) => {
    if (!hub.has(conn)) return;
    const { data, error } = answer;
    send(conn, {
      status: error ? 'FAIL' : 'OK',
      seq_reply: seq,
      ...(data ? { data } : {}),
      // returnWebSocketError clears detailed_error.
      ...(error ? { error: { id: error.id, message: error.message, detailed_error: '', status_code: error.status } } : {}),
    });
  };

  /** Hub register: a fresh connection (reuseCount 0) gets hello first. */
  const register = (conn: Connection) => {
    hub.add(conn);
    if (conn.reuseCount === 0) conn.pending.unshift(helloFor(conn));
    clearTimeout(conn.authTimer);
    events.emit('authenticated', { userId: conn.userId, connectionId: conn.id });
  };

  /** The start of writePump for a client coming back: replay from the dead queue, or start over with a new id. */
  const resume = (conn: Connection) => {
    if (conn.sequence === 0) return;
    const index = conn.deadQueue.findIndex((event) => event.seq === conn.sequence);
    if (index >= 0) {
      for (const event of conn.deadQueue.slice(index)) {
        send(conn, event);
        conn.sequence++;
      }
      return;
    }
    const last = conn.deadQueue.at(-1);
    if (last && last.seq !== conn.sequence - 1) {
      // Lost events: a new connection id and hello at 0 tell the client to fetch what it missed.
      conn.deadQueue = [];
      conn.id = newId();
      conn.sequence = 0;
      write(conn, helloFor(conn));
    }
  };

  /** ShouldSendEvent. */
  const mayReceive = (conn: Connection, broadcast: SocketBroadcast) => {
    if (!isAuthenticated(conn)) return false;
    const admin = options.isSystemAdmin(conn.userId);
    if (broadcast.contains_sanitized_data && admin) return false;
    if (broadcast.contains_sensitive_data && !admin) return false;
    if (broadcast.connection_id !== '') return conn.id === broadcast.connection_id;
    if (conn.id === broadcast.omit_connection_id) return false;
    if (broadcast.user_id !== '') return conn.userId === broadcast.user_id;
    if (broadcast.omit_users?.[conn.userId]) return false;
    if (broadcast.channel_id !== '') return options.isChannelMember(conn.userId, broadcast.channel_id);
    if (broadcast.team_id !== '') return options.isTeamMember(conn.userId, broadcast.team_id);
    return true;
  };

  /** WebSocketRouter.ServeWebSocket, with wsapi's ping. */
  const route = (conn: Connection, request: Record<string, unknown>) => {
    const action = typeof request.action === 'string' ? request.action : '';
    const seq = typeof request.seq === 'number' ? request.seq : 0;
    if (action === '') return reply(conn, seq, { error: { id: 'api.web_socket_router.no_action.app_error', message: 'No websocket action.', status: 400 } });
    if (seq <= 0) return reply(conn, seq, { error: { id: 'api.web_socket_router.bad_seq.app_error', message: 'Invalid sequence for WebSocket message.', status: 400 } });
    if (action === 'authentication_challenge') {
      // Already authenticated (by the upgrade's header, say): ignored, no answer.
      if (conn.token !== '') return;
      const data = request.data;
      const token = typeof data === 'object' && data !== null ? (data as Record<string, unknown>).token : undefined;
      const userId = typeof token === 'string' ? options.userIdFor(token) : undefined;
      // A missing or bad token closes the socket without an answer (gorilla's Conn.Close: no close frame).
      if (typeof token !== 'string' || !userId) return conn.socket?.terminate();
      conn.token = token;
      conn.userId = userId;
      register(conn);
      flush(conn);
      return reply(conn, seq, {});
    }
    if (!isAuthenticated(conn)) return reply(conn, seq, { error: { id: 'api.web_socket_router.not_authenticated.app_error', message: 'Not authenticated.', status: 401 } });
    if (action === 'ping') return reply(conn, seq, { data: { node_id: '', server_time: options.now(), text: 'pong', version: VERSION } });
    if (QUIET_ACTIONS.has(action)) return reply(conn, seq, {});
    return reply(conn, seq, { error: { id: 'api.web_socket_router.bad_action.app_error', message: 'Unknown WebSocket action.', status: 500 } });
  };

  const attach = (conn: Connection, socket: WsSocket) => {
    conn.socket = socket;
    open.add(conn);
    socket.on('message', (raw, isBinary) => {
      // readPump: a message that does not decode into a WebSocketRequest ends the connection.
      const request = isBinary ? undefined : decodeRequest(raw.toString('utf8'));
      if (!request) return socket.terminate();
      route(conn, request);
    });
    socket.on('error', () => socket.terminate());
    socket.on('close', () => {
      clearTimeout(conn.authTimer);
      open.delete(conn);
      if (conn.socket === socket) conn.socket = undefined;
      events.emit('closed', { userId: conn.userId, connectionId: conn.id });
    });
  };

  /** connectWebSocket, then PopulateWebConnConfig and NewWebConn. */
  const accept = (socket: WsSocket, query: URLSearchParams, headerToken: string) => {
    const userId = headerToken === '' ? undefined : options.userIdFor(headerToken);
    const wanted = query.get('connection_id') ?? '';
    // Only a session on the upgrade itself can take an earlier connection back (the challenge comes too late).
    const earlier = userId && wanted !== '' ? [...hub].find((conn) => conn.id === wanted && conn.userId === userId && !isOpen(conn)) : undefined;
    if (earlier) {
      hub.delete(earlier);
      const sequence = query.get('sequence_number') ?? '';
      // Sequence_number must come with connection_id, as a number >= 0; otherwise the socket is closed.
      if (!/^[+-]?\d+$/.test(sequence) || Number(sequence) < 0) return socket.terminate();
      Object.assign(earlier, { token: headerToken, sequence: Number(sequence), reuseCount: earlier.reuseCount + 1 });
      attach(earlier, socket);
      register(earlier);
      resume(earlier);
      return flush(earlier);
    }
    const conn: Connection = {
      id: newId(),
      userId: userId ?? '',
      token: userId ? headerToken : '',
      socket: undefined,
      sequence: 0,
      deadQueue: [],
      pending: [],
      reuseCount: 0,
      authTimer: undefined,
    };
    attach(conn, socket);
    if (userId) {
      register(conn);
      return flush(conn);
    }
    // authTicker: a socket that has not authenticated within 5 s is closed.
    conn.authTimer = setTimeout(() => {
      if (conn.token === '') socket.terminate();
    }, AUTH_CHECK_MS);
    conn.authTimer.unref();
  };

  return {
    upgrade(request, socket, head) {
      const url = new URL(request.url ?? '/', 'http://fake');
      // api4.InitWebSocket: the route takes an optional trailing slash.
      if (!/^\/api\/v4\/websocket\/?$/.test(url.pathname)) return void socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      // As a proxy answers while Mattermost is down or restarting.
      if (refusing) return void socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      const token = options.tokenOf(request.headers);
      server.handleUpgrade(request, socket, head, (upgraded) => accept(upgraded, url.searchParams, token));
    },
    publish(event, data, broadcast) {
      const message = { event, data: sortedKeys(data), broadcast: broadcastOf(broadcast) };
      for (const conn of [...hub]) {
        if (mayReceive(conn, message.broadcast)) deliver(conn, message);
      }
    },
    drop({ restart = false } = {}) {
      for (const conn of [...open]) {
        conn.socket?.terminate();
        conn.socket = undefined;
        open.delete(conn);
      }
      // A restarted server remembers no connection: every client gets a new id, and hello.
      if (restart) hub.clear();
    },
    count,
    refuse(on) {
      refusing = on;
    },
    waitFor({ userId, count: wanted = 1, timeoutMs = 20_000 } = {}) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (count(userId) < wanted) return;
          cleanup();
          resolve();
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`fake Mattermost: expected ${wanted} authenticated socket(s)${userId ? ` of ${userId}` : ''}, found ${count(userId)}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          events.off('authenticated', check);
        };
        events.on('authenticated', check);
        check();
      });
    },
    events,
    close() {
      for (const conn of [...open]) {
        clearTimeout(conn.authTimer);
        conn.socket?.terminate();
      }
      open.clear();
      hub.clear();
      server.close();
    },
  };
}

/**
 * model.WebSocketRequest as Go decodes it: an object with an optional string action, integer seq and object data
 * (binary frames are msgpack to Mattermost; the fake reads JSON only). Undefined when it would not decode.
 */
function decodeRequest(text: string): Record<string, unknown> | undefined {
  let request: unknown;
  try {
    request = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof request !== 'object' || request === null || Array.isArray(request)) return undefined;
  const { action, seq, data } = request as Record<string, unknown>;
  if (action !== undefined && action !== null && typeof action !== 'string') return undefined;
  if (seq !== undefined && seq !== null && !Number.isInteger(seq)) return undefined;
  if (data !== undefined && data !== null && (typeof data !== 'object' || Array.isArray(data))) return undefined;
  return request as Record<string, unknown>;
}

/** NewWebSocketEvent's broadcast, in its JSON field order. */
function broadcastOf(broadcast: Partial<SocketBroadcast>): SocketBroadcast {
  return { omit_users: null, user_id: '', channel_id: '', team_id: '', connection_id: '', omit_connection_id: '', ...broadcast };
}

/** Go encodes the event's data map with its keys sorted. */
function sortedKeys(data: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(data).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

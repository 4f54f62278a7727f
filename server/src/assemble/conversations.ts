/**
 * Conversations both ways: one replica (advisory-lock leadership) listens to
 * Mattermost as the bot and carries thread replies and root reactions to
 * GitLab as the people who wrote them, and answers code links in channels that
 * asked for previews. Needs the bot, and the OAuth application (people act with
 * their own tokens); MATTERMOST_WEBSOCKET=off turns it all off.
 */
import { hostname } from 'node:os';
import type { GitLabConnections } from '../accounts/gitlab-connections.js';
import { connectUrl } from '../accounts/connect-link.js';
import { gitlabAsUser } from '../actions/gitlab-as-user.js';
import type { Config } from '../config.js';
import type { ChatEventHandler, ChatPost } from '../conversations/chat-events.js';
import { createCodePreviewReplies } from '../conversations/code-preview-replies.js';
import { startListening, type Listening } from '../conversations/listen.js';
import { createReactionIntake } from '../conversations/record-reactions.js';
import { createReplyIntake } from '../conversations/record-replies.js';
import { createAwardSender } from '../conversations/send-awards.js';
import { createReplySender } from '../conversations/send-replies.js';
import { runForLeadership, type Leadership } from '../conversations/stream-leadership.js';
import { createThreadProjectCheck } from '../conversations/thread-project.js';
import type { Metrics } from '../http/metrics.js';
import type { Logger } from '../log.js';
import type { PollClient } from '../gitlab/poll-client.js';
import type { ChannelGateway } from '../mattermost/channel-gateway.js';
import type { MattermostClient } from '../mattermost/client.js';
import { describeStream, type StreamReport } from '../conversations/stream-report.js';
import type { StreamState } from '../mattermost/websocket-stream.js';
import { gitlabUsernamesOf } from '../store/chat-replies.js';
import type { Database } from '../store/database.js';
import { readStreamHeartbeat, writeStreamHeartbeat, type StreamHeartbeat } from '../store/stream-heartbeat.js';

export type ConversationRole = 'off' | 'standby' | 'listening';

export interface ConversationState {
  role: ConversationRole;
  /** Why it is off. */
  reason?: string;
  stream?: StreamState;
}

export interface Conversations {
  state(): ConversationState;
  /** For /readyz and `/gitlab status`: who listens and how it goes, whichever replica asks. */
  report(): Promise<StreamReport>;
  stop(): Promise<void>;
}

export interface ConversationDeps {
  config: Config;
  log: Logger;
  metrics: Metrics;
  database: Pick<Database, 'pool' | 'locks'>;
  bot: MattermostClient | null;
  connections: GitLabConnections | null;
  notify(userId: string, message: string): Promise<void>;
  /** Posts the code previews' replies (null without a bot). */
  gateway: ChannelGateway | null;
  /** The budgeted GitLab client (code previews ask it whether a project's code is open to all). */
  gitlabClient: PollClient;
}

/** Team names change rarely; a permalink with an old one still resolves in Mattermost. */
const NAME_TTL_MS = 10 * 60_000;
/** How often the listener renews its heartbeat (stream-report.ts calls it stale after 30 s). */
const HEARTBEAT_MS = 5000;
const LISTENER_NAME = `${hostname()} (pid ${process.pid})`;

export function startConversations(deps: ConversationDeps): Conversations {
  const { config, log, database, bot, connections } = deps;
  const reason = !config.mattermostWebsocket.enabled
    ? 'MATTERMOST_WEBSOCKET=off'
    : !bot || !config.mattermost.url || !config.mattermost.botToken
      ? 'no bot (MATTERMOST_URL and MATTERMOST_BOT_TOKEN)'
      : !connections
        ? 'accounts cannot be connected (no GitLab OAuth application)'
        : null;
  if (reason) return { state: () => ({ role: 'off', reason }), report: async () => describeStream({ role: 'off', reason }, null), stop: async () => undefined };

  const streamLog = log.child({ component: 'mattermost-stream' });
  const client = bot!;
  const callerFor = (userId: string) => connections!.callerFor(userId);
  const gitlab = (token: string) => gitlabAsUser(config.gitlab.url, token);
  const siteUrl = (config.mattermost.siteUrl ?? config.mattermost.url!).replace(/\/+$/, '');
  // Mattermost's webapp and apps resolve `_redirect` to the post's team (PERMALINK_GENERIC_TEAM_NAME_REDIRECT):
  // the link for a channel the bot cannot look up the team of.
  const teamNames = cachedLookup(async (channelId: string) => {
    const channel = await client.getChannel(channelId);
    return (await client.getTeam(channel.team_id)).name;
  }, '_redirect');
  // Unknown names are remembered too: a reply full of them must not become as many questions each time.
  const userIds = cachedLookup(async (username: string) => (await client.getUserByUsername(username).catch(() => null))?.id ?? '', '');

  let listening: Listening | null = null;
  const leadership: Leadership = runForLeadership({
    locks: database.locks,
    retryMs: config.mattermostWebsocket.retryMs,
    log: streamLog,
    async lead() {
      const me = await client.getMe();
      const wake = () => listening?.wake();
      const replies = createReplyIntake({ pool: database.pool, botUserId: me.id, wake, log: streamLog });
      const reactions = createReactionIntake({ pool: database.pool, botUserId: me.id, wake, log: streamLog });
      const threadProject = createThreadProjectCheck(database.pool);
      const replySender = createReplySender({
        pool: database.pool,
        threadProject,
        callerFor,
        gitlab,
        permalinkOf: async (channelId, postId) => `${siteUrl}/${await teamNames(channelId)}/pl/${postId}`,
        gitlabUsernamesOf: async (usernames) => {
          const ids = new Map<string, string>();
          for (const username of usernames) {
            const id = await userIds(username);
            if (id) ids.set(id, username);
          }
          const gitlabNames = await gitlabUsernamesOf(database.pool, [...ids.keys()]);
          return new Map([...gitlabNames].map(([id, gitlabName]) => [ids.get(id)!, gitlabName]));
        },
        tell: deps.notify,
        connectLink: (userId) => connectUrl(database.pool, config.publicUrl, userId),
        log: streamLog,
        count: (outcome) => deps.metrics.conversations.inc({ kind: 'reply', outcome }),
      });
      const gateway = deps.gateway;
      const codePreviews = gateway
        ? createCodePreviewReplies({
            db: database.pool,
            gitlab: deps.gitlabClient,
            gitlabUrl: config.gitlab.url,
            callerFor,
            gateway: {
              currentType: (channelId) => gateway.currentType(channelId),
              async createReply({ channelId, rootId, message, forPostId }) {
                const access = await gateway.ensureCanPost(channelId);
                if (!access.ok) throw new Error(access.reason);
                return gateway.createPost({ channelId, rootId, message, outboxId: `code-preview:${forPostId}` });
              },
            },
            botUserId: async () => me.id,
            log: streamLog.child({ part: 'code-previews' }),
          })
        : null;
      const awardSender = createAwardSender({ pool: database.pool, threadProject, callerFor, gitlab, log: streamLog, count: (outcome) => deps.metrics.conversations.inc({ kind: 'award', outcome }) });
      listening = startListening({
        pool: database.pool,
        url: config.mattermost.url!,
        token: config.mattermost.botToken!,
        retryMs: config.mattermostWebsocket.retryMs,
        handlers: [replies, reactions, ...(codePreviews ? [beside(codePreviews)] : [])],
        reconcile: (post) => reactions.reconcile(post),
        postsSince: async (channelId, since) => postsOf(await client.getPostsSince(channelId, since)),
        threadPosts: async (rootId) => postsOf(await client.getPostThread(rootId)),
        senders: [replySender.sendNext, awardSender.sendNext],
        log: streamLog,
        countEvent: (event) => deps.metrics.mattermostEvents.inc({ event }),
      });
      const led = listening;
      const beat = () => writeStreamHeartbeat(database.pool, heartbeatOf(led.state())).catch((error: unknown) => streamLog.warn({ err: error }, 'could not record the stream heartbeat'));
      const heartbeat = setInterval(beat, HEARTBEAT_MS);
      heartbeat.unref();
      void beat();
      return {
        async stop() {
          clearInterval(heartbeat);
          if (listening === led) listening = null;
          await led.stop();
        },
      };
    },
  });

  const state = (): ConversationState => (leadership.isLeader() && listening ? { role: 'listening', stream: listening.state() } : { role: 'standby' });
  return {
    state,
    async report() {
      const now = state();
      if (now.role === 'listening' && now.stream) return describeStream({ role: 'listening', beat: heartbeatOf(now.stream) }, null);
      return describeStream({ role: 'standby' }, await readStreamHeartbeat(database.pool));
    },
    stop: () => leadership.stop(),
  };
}

function heartbeatOf(stream: StreamState): StreamHeartbeat {
  return { listener: LISTENER_NAME, phase: stream.phase, connectedAt: stream.connectedAt, lastEventAt: stream.lastEventAt, reconnects: stream.reconnects };
}

/** A PostList's posts (Mattermost answers a map and an order). */
function postsOf(list: { order?: string[]; posts?: Record<string, unknown> }): ChatPost[] {
  const posts = list.posts ?? {};
  return Object.keys(posts).map((id) => posts[id] as ChatPost);
}

/**
 * Code previews wait for GitLab, which may be slow: they run beside the listener's queue, at most
 * `limit` at once (beyond that the queue waits), so replies are recorded without waiting for them.
 */
function beside(handler: ChatEventHandler, limit = 8): ChatEventHandler {
  let running = 0;
  const waiting: (() => void)[] = [];
  return {
    async handle(event, source) {
      while (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
      running += 1;
      void handler.handle(event, source).finally(() => {
        running -= 1;
        waiting.shift()?.();
      });
    },
  };
}

/** Remembers answers for a while; a failed look-up answers `otherwise`, and is asked again next time. */
function cachedLookup(fetch: (key: string) => Promise<string>, otherwise: string): (key: string) => Promise<string> {
  const known = new Map<string, { value: string; at: number }>();
  return async (key) => {
    const hit = known.get(key);
    if (hit && Date.now() - hit.at < NAME_TTL_MS) return hit.value;
    let value: string;
    try {
      value = await fetch(key);
    } catch {
      return otherwise;
    }
    if (known.size > 10_000) known.clear();
    known.set(key, { value, at: Date.now() });
    return value;
  };
}

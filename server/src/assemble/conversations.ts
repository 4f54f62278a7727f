/**
 * Conversations both ways: one replica (advisory-lock leadership) listens to
 * Mattermost as the bot and carries thread replies and root reactions to
 * GitLab as the people who wrote them, and answers code links in channels that
 * asked for previews. Needs the bot, and the OAuth application (people act with
 * their own tokens); MATTERMOST_WEBSOCKET=off turns it all off. One listener
 * for every GitLab instance: a thread's replies go to the instance its key
 * names, a code link is read on the instance it points at.
 */
import { hostname } from 'node:os';
import { connectUrl } from '../accounts/connect-link.js';
import { gitlabAsUser } from '../actions/gitlab-as-user.js';
import type { Config } from '../config.js';
import type { ChatPost } from '../conversations/chat-events.js';
import type { ConversationSide } from '../conversations/conversation-side.js';
import { startListening, type Listening } from '../conversations/listen.js';
import { answerCodeLinks } from './code-links.js';
import { createReactionIntake } from '../conversations/record-reactions.js';
import { createReplyIntake } from '../conversations/record-replies.js';
import { createAwardSender } from '../conversations/send-awards.js';
import { createReplySender } from '../conversations/send-replies.js';
import { runForLeadership, type Leadership } from '../conversations/stream-leadership.js';
import { createThreadProjectCheck } from '../conversations/thread-project.js';
import type { Metrics } from '../http/metrics.js';
import type { Logger } from '../log.js';
import type { ChannelGateway } from '../mattermost/channel-gateway.js';
import type { MattermostClient } from '../mattermost/client.js';
import { createReplyLookups } from '../mattermost/reply-lookups.js';
import { describeStream, type StreamReport } from '../conversations/stream-report.js';
import type { StreamState } from '../mattermost/websocket-stream.js';
import type { Database } from '../store/database.js';
import type { GitLabSides } from './gitlab.js';
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
  /** Every configured GitLab: its people's connections, and its budgeted client (code previews ask it whether a project's code is open to all). */
  gitlabs: Pick<GitLabSides, 'all'>;
  notify(userId: string, message: string): Promise<void>;
  /** Posts the code previews' replies (null without a bot). */
  gateway: ChannelGateway | null;
}

/** How often the listener renews its heartbeat (stream-report.ts calls it stale after 30 s). */
const HEARTBEAT_MS = 5000;
const LISTENER_NAME = `${hostname()} (pid ${process.pid})`;

export function startConversations(deps: ConversationDeps): Conversations {
  const { config, log, database, bot } = deps;
  // Instances whose people can connect: the others' threads and links are passed over.
  const connectable = deps.gitlabs.all.filter((side) => side.connections !== null);
  const reason = !config.mattermostWebsocket.enabled
    ? 'MATTERMOST_WEBSOCKET=off'
    : !bot || !config.mattermost.url || !config.mattermost.botToken
      ? 'no bot (MATTERMOST_URL and MATTERMOST_BOT_TOKEN)'
      : connectable.length === 0
        ? 'accounts cannot be connected (no GitLab OAuth application)'
        : null;
  if (reason) return { state: () => ({ role: 'off', reason }), report: async () => describeStream({ role: 'off', reason }, null), stop: async () => undefined };

  const streamLog = log.child({ component: 'mattermost-stream' });
  const client = bot!;
  const sides = new Map(
    connectable.map((side): [string, ConversationSide] => [
      side.instance.name,
      {
        name: side.instance.name,
        callerFor: (userId) => side.connections!.callerFor(userId),
        gitlab: (token) => gitlabAsUser(side.instance.url, token),
        scopeSetting: side.instance,
        connectLink: (userId) => connectUrl(database.pool, config.publicUrl, userId, side.instance.name),
      },
    ]),
  );
  const sideOf = (instance: string) => sides.get(instance) ?? null;
  const lookups = createReplyLookups(client, config.mattermost.siteUrl ?? config.mattermost.url!, database.pool);

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
        sides: sideOf,
        threadProject,
        permalinkOf: lookups.permalinkOf,
        gitlabUsernamesOf: lookups.gitlabUsernamesOf,
        tell: deps.notify,
        log: streamLog,
        count: (outcome) => deps.metrics.conversations.inc({ kind: 'reply', outcome }),
      });
      const codePreviews = deps.gateway
        ? answerCodeLinks({
            db: database.pool,
            gateway: deps.gateway,
            instances: connectable.map((side) => ({ name: side.instance.name, url: side.instance.url, gitlab: side.client, callerFor: (userId: string) => side.connections!.callerFor(userId) })),
            botUserId: me.id,
            log: streamLog,
          })
        : null;
      const awardSender = createAwardSender({ pool: database.pool, sides: sideOf, threadProject, log: streamLog, count: (outcome) => deps.metrics.conversations.inc({ kind: 'award', outcome }) });
      listening = startListening({
        pool: database.pool,
        url: config.mattermost.url!,
        token: config.mattermost.botToken!,
        retryMs: config.mattermostWebsocket.retryMs,
        handlers: [replies, reactions, ...(codePreviews ? [codePreviews] : [])],
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

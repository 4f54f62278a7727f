/** Prometheus metrics: process metrics plus a request histogram per listener and route. */
import type { NextFunction, Request, Response } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface Metrics {
  registry: Registry;
  /** Webhook deliveries by outcome (accepted, duplicate, not_stored, rejected_<status>) and, once authenticated, event. */
  webhooks: Counter<'outcome' | 'event'>;
  /** Channel post attempts by outcome: sent, retry (will be tried again), failed (given up). */
  channelPosts: Counter<'outcome'>;
  /** Personal direct message attempts by outcome: sent, retry, skipped (recipient may not see it), failed. */
  directMessages: Counter<'outcome'>;
  /** GitLab requests the pollers made, by outcome (ok, rate_limited, error), and waits for the budget (budget_wait). */
  gitlabRequests: Counter<'outcome'>;
  /** How late each poll started after it was due: grows when the request budget stretches cycles. */
  pollLag: Histogram<'kind' | 'outcome'>;
  /** Rows deleted by retention (jobs/run-pruning.ts), by table. */
  prunedRows: Counter<'table'>;
  /**
   * Buttons, dialogs and the `/gitlab mr|deployment|job` commands, by action, how it came (button, dialog,
   * command) and outcome: done, not_done (GitLab refused, or there was nothing to do), or refused_<reason>
   * (the bridge refused the press: forged, wrong_channel, not_bot_post, not_member, other_user).
   */
  actions: Counter<'action' | 'via' | 'outcome'>;
  /** What the Mattermost listener heard, by event (posted, edited, deleted, reaction_added, reaction_removed, catch_up). */
  mattermostEvents: Counter<'event'>;
  /** Replies and reactions carried to GitLab, by kind (reply, award) and outcome (sent, edited, deleted, awarded, removed, skipped, failed, retry). */
  conversations: Counter<'kind' | 'outcome'>;
  /** Records one answered request (for handlers that are not express middleware). */
  observeRequest(labels: { listener: string; method: string; route: string; status: number }, seconds: number): void;
  /** Express middleware that times every request on one listener. */
  timeRequests(listener: string): (request: Request, response: Response, next: NextFunction) => void;
}

export interface MetricProbes {
  /** Stored webhook deliveries not processed yet; asked at each scrape. */
  webhookBacklog?(): Promise<number>;
  /** Channel posts and DMs waiting to be sent or retried (a Mattermost outage piles them up); asked at each scrape. */
  outboxBacklog?(): Promise<{ channel: number; direct: number }>;
  /** 1 while this replica listens to Mattermost and its socket is connected; asked at each scrape. */
  mattermostStreamUp?(): number;
}

export function createMetrics(version: string, probes: MetricProbes = {}): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'gitlab_bridge_build_info',
    help: 'Always 1; the labels say which version runs',
    labelNames: ['version'],
    registers: [registry],
  }).set({ version }, 1);
  const duration = new Histogram({
    name: 'gitlab_bridge_http_request_duration_seconds',
    help: 'Time to answer HTTP requests, by listener, method, route and status',
    labelNames: ['listener', 'method', 'route', 'status'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  const webhooks = new Counter({
    name: 'gitlab_bridge_webhooks_total',
    help: 'GitLab webhook deliveries by outcome and event (event only for authenticated deliveries)',
    labelNames: ['outcome', 'event'],
    registers: [registry],
  });

  const webhookBacklog = probes.webhookBacklog;
  if (webhookBacklog) {
    new Gauge({
      name: 'gitlab_bridge_webhook_backlog',
      help: 'Stored webhook deliveries not processed yet: grows during a burst, then drains',
      registers: [registry],
      async collect() {
        // Unknown (NaN) while the database is away, rather than failing the whole scrape.
        this.set(await webhookBacklog().catch(() => Number.NaN));
      },
    });
  }

  const outboxBacklog = probes.outboxBacklog;
  if (outboxBacklog) {
    new Gauge({
      name: 'gitlab_bridge_outbox_pending',
      help: 'Channel posts (queue="channel") and direct messages (queue="direct") waiting to be sent or retried: grows while Mattermost is down, then drains',
      labelNames: ['queue'],
      registers: [registry],
      async collect() {
        // Unknown (NaN) while the database is away, as the webhook backlog.
        const pending = await outboxBacklog().catch(() => ({ channel: Number.NaN, direct: Number.NaN }));
        this.set({ queue: 'channel' }, pending.channel);
        this.set({ queue: 'direct' }, pending.direct);
      },
    });
  }

  const channelPosts = new Counter({
    name: 'gitlab_bridge_channel_posts_total',
    help: 'Channel post attempts by outcome: sent, retry (tried again later) or failed (given up)',
    labelNames: ['outcome'],
    registers: [registry],
  });

  const directMessages = new Counter({
    name: 'gitlab_bridge_direct_messages_total',
    help: 'Personal direct message attempts by outcome: sent, retry, skipped (the recipient may not see the project) or failed',
    labelNames: ['outcome'],
    registers: [registry],
  });

  const gitlabRequests = new Counter({
    name: 'gitlab_bridge_gitlab_requests_total',
    help: 'GitLab requests made by polling, by outcome (ok, rate_limited, error), and waits for the request budget (budget_wait)',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const pollLag = new Histogram({
    name: 'gitlab_bridge_poll_lag_seconds',
    help: 'How late polls start after they are due, by kind (user, project) and outcome; grows when GITLAB_MAX_REQUESTS_PER_MINUTE or GitLab rate limits stretch cycles',
    labelNames: ['kind', 'outcome'],
    buckets: [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900],
    registers: [registry],
  });

  const prunedRows = new Counter({
    name: 'gitlab_bridge_pruned_rows_total',
    help: 'Rows deleted by retention, by table (WEBHOOK_DEDUPE_WINDOW, DELIVERY_RETENTION, IDLE_THREAD_RETENTION, AUDIT_RETENTION)',
    labelNames: ['table'],
    registers: [registry],
  });
  const actions = new Counter({
    name: 'gitlab_bridge_actions_total',
    help: 'Actions asked for by buttons, dialogs and commands, by action, how they came and outcome',
    labelNames: ['action', 'via', 'outcome'],
    registers: [registry],
  });

  const mattermostEvents = new Counter({
    name: 'gitlab_bridge_mattermost_events_total',
    help: 'What the Mattermost listener heard, by event; catch_up counts reads of the channels after a gap',
    labelNames: ['event'],
    registers: [registry],
  });
  const conversations = new Counter({
    name: 'gitlab_bridge_conversations_total',
    help: 'Thread replies (kind reply) and reactions (kind award) carried to GitLab, by outcome',
    labelNames: ['kind', 'outcome'],
    registers: [registry],
  });
  const streamUp = probes.mattermostStreamUp;
  if (streamUp) {
    new Gauge({
      name: 'gitlab_bridge_mattermost_stream_up',
      help: '1 while this replica listens to Mattermost with its socket connected; 0 on standby replicas and while reconnecting',
      registers: [registry],
      collect() {
        this.set(streamUp());
      },
    });
  }

  return {
    registry,
    webhooks,
    channelPosts,
    directMessages,
    gitlabRequests,
    pollLag,
    prunedRows,
    actions,
    mattermostEvents,
    conversations,
    observeRequest({ listener, method, route, status }, seconds) {
      duration.observe({ listener, method, route, status: String(status) }, seconds);
    },
    timeRequests(listener) {
      return (request, response, next) => {
        const end = duration.startTimer({ listener, method: request.method });
        response.once('finish', () => {
          // The matched route pattern, never the raw path: raw paths would explode the label set.
          const route = request.route ? `${request.baseUrl}${String(request.route.path)}` : 'unmatched';
          end({ route, status: String(response.statusCode) });
        });
        next();
      };
    },
  };
}

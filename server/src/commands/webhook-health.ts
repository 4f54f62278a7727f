/**
 * The webhook side of a subscription, for `subscriptions list`: whether events
 * arrive (our own record) and, when the user may read them, what GitLab says
 * of the hooks pointing at us.
 */
import type { GitLabHook } from '../gitlab/hooks-api.js';
import { webhookPathOf } from '../http/webhook-door.js';
import { describeBlindSpots } from '../polling/polling-blind-spots.js';
import type { SubscriptionFilters } from '../rules/subscription.js';
import { ago } from '../render/format.js';

/** What could be learnt of GitLab's hooks: the ones pointing at us, or why we cannot tell. */
export type HookReport = { hooks: GitLabHook[] } | { unknown: true };

/**
 * Where one GitLab's hooks send to this bridge: PUBLIC_URL/webhook for the default instance,
 * PUBLIC_URL/webhook/<name> for another (whose door takes only that instance's secrets).
 */
export function bridgeWebhookUrl(publicUrl: string, instance = 'default'): string {
  return `${publicUrl.replace(/\/+$/, '')}${webhookPathOf(instance)}`;
}

/** A hook sending to the bridge's webhook URL (a query string on it is allowed). */
export function pointsAt(hook: GitLabHook, ourUrl: string): boolean {
  return hook.url === ourUrl || hook.url.startsWith(`${ourUrl}?`);
}

export function describeHookHealth(hook: GitLabHook): string {
  if (hook.alertStatus === 'executable') return 'working';
  if (hook.alertStatus === 'temporarily_disabled') return `**paused by GitLab after failures**${hook.disabledUntil ? ` until ${hook.disabledUntil}` : ''}`;
  return '**disabled by GitLab after repeated failures**: fix the cause, then re-enable it in GitLab (Settings → Webhooks)';
}

/** One line about a subscription's webhook. */
export function webhookHealth(subscription: { targetKind: 'project' | 'group'; targetPath: string; lastEventAt: Date | null; instance?: string }, report: HookReport, trigger: string, now: Date): string {
  const arrived = subscription.lastEventAt ? `last event ${ago(subscription.lastEventAt, now)}` : '**no event has arrived yet**';
  if ('unknown' in report) return `Webhook: ${arrived}`;
  if (report.hooks.length > 0) return `Webhook: ${arrived} · ${report.hooks.map((hook) => `GitLab hook ${hook.id} ${describeHookHealth(hook)}`).join(', ')}`;
  // A group's projects may have hooks of their own, so "no group hook" alone is not a problem.
  if (subscription.lastEventAt && subscription.targetKind === 'group') return `Webhook: ${arrived} (through its projects' hooks)`;
  const on = subscription.instance && subscription.instance !== 'default' ? ` --instance ${subscription.instance}` : '';
  return `Webhook: ${arrived} · no GitLab hook of \`${subscription.targetPath}\` points at this bridge: \`/${trigger} webhook add ${subscription.targetPath}${on}\``;
}

/** What a project poll remembers that the list shows: why it polls, and the lists GitLab refused the subscriber's token. */
interface PollingState {
  polled?: boolean;
  webhook?: { state: string };
  refused?: Partial<Record<string, string>>;
}

/**
 * How a project subscription is polled instead of (or beside) its webhook, for `subscriptions list`,
 * and what polling cannot see of what it asks for; null when it is not polled.
 */
export function pollingLine(
  subscription: { targetKind: 'project' | 'group'; poll: boolean; filters?: SubscriptionFilters },
  polling: { state: PollingState; lastSuccessAt: Date | null; lastError: string | null } | undefined,
  now: Date,
): string | null {
  if (subscription.targetKind !== 'project') return null;
  const polled = subscription.poll || polling?.state.polled === true;
  if (!polled) return null;
  const why = subscription.poll ? 'added with `--poll`' : 'no webhook reaches the bridge';
  const fresh = polling?.lastSuccessAt ? `last polled ${ago(polling.lastSuccessAt, now)}` : 'not polled yet';
  const failing = polling?.lastError ? ` · **last poll failed:** ${polling.lastError}` : '';
  const refused = Object.keys(polling?.state.refused ?? {});
  const unreadable = refused.length > 0 ? ` · **GitLab does not show its ${refused.join(' and ')} to the subscriber it is polled as**` : '';
  const blind = describeBlindSpots(subscription.filters?.events);
  return `Polled (${why}): ${fresh}${failing}${unreadable}${blind ? ` · ${blind}` : ''}`;
}

/** The webapp's view of a subscription's webhook: a state to show as a badge, and a plain-text sentence (no Markdown). */
export interface WebhookState {
  state: 'ok' | 'missing' | 'disabled' | 'unknown' | 'polled';
  text: string;
}

export function webhookState(
  subscription: { targetKind: 'project' | 'group'; lastEventAt: Date | null; poll: boolean; filters?: SubscriptionFilters },
  report: HookReport,
  polling: { state: { polled?: boolean } } | undefined,
  now: Date,
): WebhookState {
  const arrived = subscription.lastEventAt ? `Last event ${ago(subscription.lastEventAt, now)}` : 'No event has arrived yet';
  const hooks = 'unknown' in report ? null : report.hooks;
  const broken = hooks?.find((hook) => hook.alertStatus !== 'executable');
  if (broken) {
    const until = broken.alertStatus === 'temporarily_disabled' ? `paused by GitLab after failures${broken.disabledUntil ? ` until ${broken.disabledUntil}` : ''}` : 'disabled by GitLab after repeated failures';
    return { state: 'disabled', text: `${arrived}. GitLab hook ${broken.id} is ${until}: fix the cause, then re-enable it in GitLab (Settings → Webhooks).` };
  }
  if (hooks && hooks.length > 0) return { state: 'ok', text: `${arrived}. GitLab hook ${hooks.map((hook) => hook.id).join(', ')} working.` };
  const polled = subscription.targetKind === 'project' && (subscription.poll || polling?.state.polled === true);
  if (polled) {
    const blind = describeBlindSpots(subscription.filters?.events);
    return { state: 'polled', text: `${arrived}. Polled ${subscription.poll ? 'as asked' : 'because no webhook reaches the bridge'}.${blind ? ` ${blind}` : ''}` };
  }
  if (subscription.lastEventAt) return { state: 'ok', text: `${arrived}${hooks && subscription.targetKind === 'group' ? " (through its projects' hooks)" : ''}.` };
  if (hooks) return { state: 'missing', text: `${arrived}. No GitLab hook of this ${subscription.targetKind} points at the bridge.` };
  return { state: 'unknown', text: `${arrived}. Only a Maintainer (or a group's Owner) can see its GitLab hooks.` };
}

/**
 * What GitLab says of the webhooks that should feed a target, for an
 * explanation: a state, a plain-text sentence and the fix (a command to run,
 * or what to do in GitLab). Pure; the hooks are read by subscriptions/hook-reports.ts
 * as the viewer, and polling's facts by poll-jobs.
 */
import type { HookReport } from '../commands/webhook-health.js';
import { instanceOption } from '../commands/on-instance.js';
import { HOOK_FLAGS } from '../gitlab/hooks-api.js';
import { describeBlindSpots } from '../polling/polling-blind-spots.js';
import { DEFAULT_EVENTS } from '../rules/subscription.js';
import { ago } from '../render/format.js';

export type HookState = 'working' | 'paused' | 'disabled' | 'failing' | 'missing' | 'unknown' | 'polling';

export interface HookHealth {
  state: HookState;
  /** Plain text, no Markdown. */
  text: string;
  /** What to run or do; null when there is nothing to fix. */
  fix: string | null;
}

export interface HookFacts {
  target: { kind: 'project' | 'group'; path: string; instance: string };
  /** The hooks pointing at this bridge, or why they could not be read. */
  report: HookReport;
  /** The event kinds the subscriptions ask for (`merge_request`, `merge_request:merged`); the defaults when none say. */
  events: readonly string[] | undefined;
  /** Polled instead of (or beside) a webhook; null when not. */
  polling: { asked: boolean; lastSuccessAt: Date | null; lastError: string | null } | null;
  /** Whether anything about the target has arrived (within retention). */
  arrived: boolean;
  /** The slash command's trigger, for fixes (`gitlab`). */
  trigger: string;
  /** For "last polled 3 min ago". */
  now: Date;
}

const SETTINGS = 'Settings → Webhooks';

export function hookHealth(facts: HookFacts): HookHealth {
  const { target, report, trigger } = facts;
  const on = instanceOption(target.instance);
  const add = `/${trigger} webhook add ${target.path}${on}`;
  if (facts.polling) {
    const why = facts.polling.asked ? 'as its subscription asks (--poll)' : 'because no webhook of it reaches the bridge';
    const last = facts.polling.lastSuccessAt ? `last polled ${ago(facts.polling.lastSuccessAt, facts.now)}` : 'not polled yet';
    const failing = facts.polling.lastError ? `; the last poll failed: ${facts.polling.lastError}` : '';
    const blind = describeBlindSpots(facts.events);
    return { state: 'polling', text: `Polled ${why} (${last}${failing}).${blind ? ` ${blind}` : ''}`, fix: blind ? `${add} (as a Maintainer)` : null };
  }
  if ('unknown' in report) {
    return {
      state: 'unknown',
      text: `The bridge cannot read the webhooks of ${target.path} with your GitLab account: that takes the Maintainer role (Owner for a group), or connecting your account.`,
      fix: `/${trigger} webhook list ${target.path}${on} (a Maintainer), or ${add}`,
    };
  }
  const disabled = report.hooks.find((hook) => hook.alertStatus === 'disabled');
  if (disabled) {
    return {
      state: 'disabled',
      text: `GitLab hook ${disabled.id} to this bridge is disabled: GitLab turned it off after its deliveries kept failing, and sends nothing through it.`,
      fix: `Fix what made it fail (GitLab shows its recent events under ${SETTINGS} → Edit), then re-enable it in GitLab (${SETTINGS}).`,
    };
  }
  const paused = report.hooks.find((hook) => hook.alertStatus === 'temporarily_disabled');
  if (paused) {
    return {
      state: 'failing',
      text: `GitLab hook ${paused.id} to this bridge is failing: its deliveries failed, so GitLab holds them back${paused.disabledUntil ? ` until ${paused.disabledUntil}` : ''}.`,
      fix: `Make sure GitLab can reach the bridge's webhook URL; GitLab tries again after the pause, or re-enable it now in GitLab (${SETTINGS}).`,
    };
  }
  if (report.hooks.length === 0) {
    return { state: 'missing', text: `No GitLab webhook of ${target.path} points at this bridge.`, fix: `${add} (as a Maintainer${target.kind === 'group' ? ', or Owner of the group' : ''})` };
  }
  const ids = report.hooks.map((hook) => hook.id).join(', ');
  const off = missingFlags(report.hooks.map((hook) => hook.events), facts.events);
  if (off.length > 0) {
    return {
      state: 'working',
      text: `GitLab hook ${ids} to this bridge works, but does not send ${off.join(', ')}.`,
      fix: `Turn on ${off.join(', ')} for the hook in GitLab (${SETTINGS}), or delete it and run ${add}`,
    };
  }
  return {
    state: 'working',
    text: `GitLab hook ${ids} to this bridge works${facts.arrived ? '' : ', yet nothing from it has arrived: maybe nothing happened yet'}.`,
    fix: facts.arrived ? null : `/${trigger} webhook test ${target.path}${on} sends a test event`,
  };
}

/** GitLab's event flags the subscriptions' kinds need that no hook has on (`merge_requests_events`). */
function missingFlags(hooks: readonly (readonly string[])[], events: readonly string[] | undefined): string[] {
  const kinds = new Set((events?.length ? events : DEFAULT_EVENTS).map((entry) => entry.split(':', 1)[0]!));
  const missing: string[] = [];
  for (const kind of kinds) {
    // The first flag is the kind's own (issues_events before confidential_issues_events).
    const flag = HOOK_FLAGS[kind]?.[0];
    if (flag && !hooks.some((on) => on.includes(flag)) && !missing.includes(flag)) missing.push(flag);
  }
  return missing;
}

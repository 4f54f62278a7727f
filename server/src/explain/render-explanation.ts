/**
 * An ExplainReport as the answer to `/gitlab subscriptions explain`. Pure.
 * Everything that came from GitLab or Mattermost (summaries, reasons that
 * name labels or branches, channel names, Mattermost's errors) goes through
 * render/text.ts, so it can neither ping anyone nor forge markup.
 */
import { ago } from '../render/format.js';
import { link } from '../render/links.js';
import { code, escapeMarkdown, inline, neutraliseMentions } from '../render/text.js';
import type { ExplainRule } from './delivery-record.js';
import type { ExplainEvent, ExplainOutcome, ExplainReport } from './explain-report.js';

/** Each rule in a few words, before its sentence. */
const RULE_WORDS: Record<ExplainRule, string> = {
  kind_not_selected: 'event not selected',
  pipeline_status: 'pipeline status filter',
  branch_filter: 'branch filter',
  label_filter: 'label filter',
  draft: 'draft',
  excluded_author: 'excluded author',
  excluded_path: 'excluded path',
  confidential_not_opted_in: 'confidential, not opted in',
  confidential_not_vouched: 'confidential, nobody vouches',
  not_visible: 'not visible to the subscriber',
  private_channel_required: 'needs a channel that is not public',
  same_channel_other_subscription: 'another subscription of this channel',
  echo: 'came from this channel',
  not_processed_yet: 'not processed yet',
  ignored: 'nothing to post',
  processing_error: 'processing failed',
};

export interface RenderOptions {
  trigger: string;
  now: Date;
  /** The channel's view names its subscription; the admin's names each channel. */
  subscriptionId?: string;
  /** Admin view: how many subscriptions (in any channel) follow the path or what is around it. */
  subscriptions?: number;
}

export function renderExplanation(report: ExplainReport, options: RenderOptions): string {
  const target = `${report.target.kind} ${code(report.target.path)}${report.target.label && report.target.instance !== 'default' ? ` on ${inline(report.target.label)}` : ''}`;
  const admin = options.subscriptionId === undefined;
  const heading = admin ? `#### What reached channels about ${target}` : `#### What reached this channel through subscription ${options.subscriptionId} (${target})`;
  const lines = [heading];
  if (admin && options.subscriptions === 0) lines.push(`No channel subscribes to it, or to a group above it.`);
  if (report.nothingArrived) {
    lines.push(
      admin
        ? 'Nothing about it has reached the bridge (within the retention).'
        : 'Nothing about it has reached the bridge for this subscription since it was added (within the retention).',
    );
  } else {
    lines.push(`The last ${report.events.length === 1 ? 'event' : `${report.events.length} events`} the bridge received, newest first:`);
    for (const event of report.events) lines.push(...eventLines(event, admin, options));
  }
  if (report.hook) {
    const state = report.hook.state === 'polling' ? 'Polled' : `Webhook: ${report.hook.state}`;
    lines.push(`**${state}.** ${inline(report.hook.text, 1000)}${report.hook.fix ? `\nFix: ${withCommands(report.hook.fix, options.trigger)}` : ''}`);
  }
  return lines.join('\n');
}

function eventLines(event: ExplainEvent, admin: boolean, options: RenderOptions): string[] {
  const when = ago(new Date(event.receivedAt), options.now);
  const what = `${inline(event.kind, 40)} ${inline(event.action, 40)}`.trim();
  const summary = event.summary === null ? '_hidden from this channel_' : link(inline(event.summary), event.url);
  const head = `- ${when}${event.source === 'poll' ? ' (polled)' : ''} · ${what} · ${admin && event.summary === null ? '_hidden_' : summary}`;
  if (!admin) return [`${head} → ${outcomeText(event.outcomes[0]!)}`];
  return [head, ...event.outcomes.map((outcome) => `  - ${outcome.channelName ? inline(outcome.channelName, 80) : `channel ${outcome.channelId}`} (subscription ${outcome.subscriptionId}): ${outcomeText(outcome)}`)];
}

function outcomeText(outcome: ExplainOutcome): string {
  const rule = outcome.rule ? ` (${RULE_WORDS[outcome.rule]})` : '';
  const reason = inline(outcome.reason, 500);
  switch (outcome.outcome) {
    case 'posted':
      return outcome.postUrl ? `**posted**: ${link('view the post', outcome.postUrl)}${reason === 'posted' ? '' : ` · ${reason}`}` : `**posted** · ${reason}`;
    case 'queued':
      return `**queued**: ${reason}`;
    case 'failing':
      return `**failing**: ${reason}`;
    case 'failed':
      return `**failed**${rule}: ${reason}`;
    case 'pending':
      return `**pending**: ${reason}`;
    case 'dropped':
      return `**dropped**${rule}: ${reason}`;
  }
}

/** A fix in plain text, its slash commands as code so they can be copied. */
function withCommands(fix: string, trigger: string): string {
  const command = new RegExp(`(/${trigger.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} webhook (?:add|list|test) \\S+(?: --instance \\S+)?)`, 'g');
  return fix
    .split(command)
    // Only escaped, not trimmed: the spaces around a command belong to the sentence.
    .map((part, index) => (index % 2 === 1 ? code(part, 300) : escapeMarkdown(neutraliseMentions(part.replace(/\s+/g, ' ')))))
    .join('');
}

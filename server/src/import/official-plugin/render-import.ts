/**
 * The import's words: the admin's report on the terminal, the post in each channel, the direct message to
 * each person. Pure. Paths and labels come from the plugin's store, which channel members typed: in
 * Mattermost they go only inside code spans (render/text.ts code()), so they can neither ping nor link.
 */
import { code, neutraliseMentions } from '../../render/text.js';
import { addCommand, type ImportPlan, type PlannedItem } from './plan-import.js';

type Created = Extract<PlannedItem, { action: 'create' }>;
type Pending = Extract<PlannedItem, { action: 'pending' }>;

const channelName = (item: { channel: { name: string; teamName: string | null; type: string } }) =>
  `${item.channel.teamName ? `${item.channel.teamName}/` : ''}~${item.channel.name} (${item.channel.type === 'O' ? 'public' : item.channel.type === 'P' ? 'private' : 'direct/group'})`;

/** The terminal report; `applied` words it as done (but for what `failed`), else as what --apply would do. */
export function renderReport(plan: ImportPlan, source: string, trigger: string, applied: boolean, failed: ReadonlySet<PlannedItem> = new Set()): string[] {
  const lines = [`The GitLab plugin's subscriptions, read from ${source}: ${plan.items.length}.`, ''];
  for (const item of plan.items) {
    const what = `${item.mapped ? `${item.mapped.kind} ${item.mapped.path}` : `"${item.stored.key}"`} (plugin features: ${item.stored.features || 'none'})`;
    if (item.action === 'create') {
      lines.push(`${failed.has(item) ? 'FAILED to create' : applied ? 'created' : 'would create'}  ${channelName(item)}  ${what}`);
      lines.push(`    as: ${item.mapped.mapped.join('; ')}; only what GitLab shows everyone`);
    } else if (item.action === 'pending') {
      lines.push(`${applied ? 'left for the channel' : 'would leave for the channel'}  ${channelName(item)}  ${what}`);
      lines.push(`    why: ${item.why}`);
      lines.push(`    they run: ${addCommand(trigger, item.mapped)}`);
      lines.push(`    told: ${item.tell === 'channel' ? 'in the channel' : item.tell ? `the subscriber, by direct message` : 'nobody (the subscriber is gone): tell the channel yourself'}`);
    } else {
      lines.push(`skipped  channel ${item.stored.channelId}  ${what}`);
      lines.push(`    why: ${item.why}`);
    }
    for (const note of item.mapped?.notes ?? []) lines.push(`    cannot map: ${note}`);
  }
  const { connected, askedBefore, unreachable } = plan.notAsked;
  lines.push('');
  lines.push(
    `${applied ? 'Asked' : 'Would ask'} ${plan.asks.length} ${plan.asks.length === 1 ? 'person' : 'people'} by direct message to connect their GitLab account${plan.asks.length ? `: ${plan.asks.map((user) => `@${user.username}`).join(', ')}` : ''}` +
      ` (${connected} connected already, ${askedBefore} asked before, ${unreachable} gone or bots).`,
  );
  lines.push(applied ? 'Done.' : 'Nothing was changed: this was a dry run. Run it again with --apply to do it.');
  return lines;
}

/** One post per channel, about what the import did there. */
export function channelPost(created: readonly Created[], pending: readonly Pending[], trigger: string): string {
  const lines = ['This channel followed GitLab through the GitLab plugin, which is being replaced by the GitLab bridge.'];
  if (created.length > 0) {
    lines.push('', 'Subscribed here again (only what GitLab shows everyone; `/' + trigger + ' subscriptions list` shows them):');
    for (const item of created) lines.push(`- ${item.mapped.kind} ${code(item.mapped.path)}: events ${item.mapped.settings.events.map((event) => code(event)).join(', ')}${item.mapped.settings.labels ? `, labels ${item.mapped.settings.labels.map((label) => code(label)).join(', ')}` : ''}`);
  }
  if (pending.length > 0) {
    lines.push('', 'Not moved: GitLab does not show these to everyone, so someone here with access to them adds them, as themselves:');
    for (const item of pending) lines.push(`- ${code(addCommand(trigger, item.mapped), 300)}`);
  }
  const notes = [...created, ...pending].flatMap((item) => item.mapped.notes.map((note) => `- ${code(item.mapped.path)}: ${neutraliseMentions(note)}`));
  if (notes.length > 0) lines.push('', 'What did not come over as it was:', ...notes);
  lines.push('', `Your GitLab connection does not carry over from the plugin: run \`/${trigger} connect\` once.`);
  return lines.join('\n');
}

/** One direct message per person: connect (when asked), and what they subscribed where the bot cannot post. */
export function directMessage(options: { ask: boolean; connectLink: string | null; pending: readonly Pending[]; trigger: string }): string {
  const lines: string[] = ['The GitLab plugin is being replaced by the GitLab bridge.'];
  if (options.ask) {
    const how = options.connectLink
      ? `[Connect your GitLab account](${options.connectLink}) (the link works once, within 10 minutes; later, run \`/${options.trigger} connect\`)`
      : `Run \`/${options.trigger} connect\``;
    lines.push(`Your GitLab connection does not carry over from the plugin. ${how}, and you get your reviews, to-dos and mentions here again.`);
  }
  if (options.pending.length > 0) {
    lines.push('', 'You subscribed these channels in the plugin, where the bot cannot post yet. To follow GitLab there again, in each channel:');
    for (const item of options.pending) {
      const invite = item.channel.type === 'D' ? 'subscribe a channel instead: a direct message channel cannot have the bot' : 'add the bot with `/invite @gitlab`, then run';
      lines.push(`- ~${neutraliseMentions(item.channel.name)}: ${invite} ${code(addCommand(options.trigger, item.mapped), 300)}`);
    }
  }
  lines.push('', '(This message comes once.)');
  return lines.join('\n');
}

/**
 * What the import does with each of the official plugin's subscriptions, from facts gathered beforehand
 * (gather-facts.ts). Pure: the dry run prints this plan, --apply carries it out.
 *
 * The rule that keeps it safe: an import vouches for nothing. The plugin's subscriber showed GitLab access
 * to the plugin, not to the bridge, and their token does not carry over; so a subscription is made only for
 * a project or group GitLab shows to anyone (asked without a token), and only for what anyone may see
 * (`private_access` off: features a public project keeps to members stay out, as do its private
 * subprojects for a group). A target GitLab does not show publicly is not made at all: the channel (or,
 * where the bot cannot post, the subscriber) is told the exact command a member with access runs, which
 * checks that access as for any subscription. Confidential issues are never turned on by an import.
 */
import type { OfficialSubscription } from './stored-format.js';
import { mapSubscription, type MappedSubscription } from './map-features.js';
import { importKey } from '../../store/official-plugin-imports.js';

export interface ChannelFacts {
  id: string;
  name: string;
  /** O public, P private, D direct, G group message. */
  type: string;
  archived: boolean;
  /** '' for direct and group messages. */
  teamId: string;
  teamName: string | null;
  botIsMember: boolean;
}

export interface UserFacts {
  id: string;
  username: string;
  /** A person who can read a message: not deactivated, not a bot. */
  active: boolean;
}

export interface PlanFacts {
  channels: ReadonlyMap<string, ChannelFacts | null>;
  /** By `kind:path`: GitLab's answer without a token (null: it shows nothing, so not public, or gone). */
  publicTargets: ReadonlyMap<string, { id: number; path: string } | null>;
  /** importKey()s of channel-and-path pairs an earlier import handled. */
  imported: ReadonlySet<string>;
  /** importKey()s of the bridge's subscriptions now. */
  existing: ReadonlySet<string>;
  users: ReadonlyMap<string, UserFacts>;
  /** Who runs the import: the admin token's user. */
  admin: UserFacts;
  /** Connected to GitLab in the bridge already: nothing to ask. */
  connected: ReadonlySet<string>;
  askedBefore: ReadonlySet<string>;
  /** Who the plugin held a token for; null when the source does not say (then the subscribers are asked). */
  connectedInPlugin: readonly string[] | null;
}

export type PlannedItem =
  | { action: 'create'; stored: OfficialSubscription; mapped: MappedSubscription; channel: ChannelFacts; creatorId: string; targetId: number }
  /** Not made; `tell` says who learns what to run: the channel, its subscriber, or nobody the bot can reach. */
  | { action: 'pending'; stored: OfficialSubscription; mapped: MappedSubscription; channel: ChannelFacts; why: string; tell: 'channel' | { userId: string } | null }
  | { action: 'skip'; stored: OfficialSubscription; mapped: MappedSubscription | null; why: string };

export interface ImportPlan {
  items: PlannedItem[];
  /** Asked by direct message to connect, once. */
  asks: UserFacts[];
  notAsked: { connected: number; askedBefore: number; unreachable: number };
}

export const targetKey = (kind: 'project' | 'group', path: string): string => `${kind}:${path}`;

export function planImport(subscriptions: readonly OfficialSubscription[], facts: PlanFacts): ImportPlan {
  const seen = new Set<string>();
  const items = subscriptions.map((stored): PlannedItem => {
    const mapping = mapSubscription(stored.key, stored.features);
    if (!mapping.ok) return { action: 'skip', stored, mapped: null, why: mapping.reason };
    const mapped = mapping.subscription;
    const channel = facts.channels.get(stored.channelId) ?? null;
    const skip = (why: string): PlannedItem => ({ action: 'skip', stored, mapped, why });
    if (!channel) return skip('the channel no longer exists');
    if (channel.archived) return skip('the channel is archived');
    const key = importKey(channel.id, mapped.kind, mapped.path);
    if (seen.has(key)) return skip('the plugin stored it twice');
    seen.add(key);
    if (facts.imported.has(key)) return skip('an earlier import handled it');
    if (facts.existing.has(key)) return skip('the channel already follows it in the bridge');

    const botCanPost = channel.type === 'O' || ((channel.type === 'P' || channel.type === 'G') && channel.botIsMember);
    const subscriber = facts.users.get(stored.creatorId);
    const tellSubscriber = subscriber?.active ? { userId: subscriber.id } : null;
    const pending = (why: string): PlannedItem => ({ action: 'pending', stored, mapped, channel, why, tell: botCanPost ? 'channel' : tellSubscriber });
    if (channel.type === 'D') return pending('it is a direct message channel, where the bot cannot post');
    if (!botCanPost) return pending(`the bot is not a member of this ${channel.type === 'G' ? 'group message' : 'private channel'}`);
    const target = facts.publicTargets.get(targetKey(mapped.kind, mapped.path));
    if (!target) return pending(`GitLab does not show the ${mapped.kind} to everyone (it is private or internal, or gone): someone here with access adds it`);
    // The subscriber keeps it as theirs (they may change or remove it) when Mattermost still knows them.
    const creatorId = subscriber?.active ? subscriber.id : facts.admin.id;
    return { action: 'create', stored, mapped: { ...mapped, path: target.path }, channel, creatorId, targetId: target.id };
  });

  const candidates = facts.connectedInPlugin ?? [...new Set(subscriptions.map((stored) => stored.creatorId))];
  const notAsked = { connected: 0, askedBefore: 0, unreachable: 0 };
  const asks: UserFacts[] = [];
  for (const userId of candidates) {
    const user = facts.users.get(userId);
    if (!user?.active) notAsked.unreachable += 1;
    else if (facts.connected.has(userId)) notAsked.connected += 1;
    else if (facts.askedBefore.has(userId)) notAsked.askedBefore += 1;
    else asks.push(user);
  }
  return { items, asks: asks.sort((a, b) => a.username.localeCompare(b.username)), notAsked };
}

/** The command a member with access runs for a subscription the import could not make. */
export function addCommand(trigger: string, mapped: MappedSubscription): string {
  const words = [`/${trigger}`, 'subscriptions', 'add', mapped.path, '--events', mapped.settings.events.join(',')];
  if (mapped.settings.labels) words.push('--labels', quoteWord(mapped.settings.labels.join(',')));
  if (mapped.settings.pipelines) words.push('--pipelines', mapped.settings.pipelines.join(','));
  if (mapped.settings.branches) words.push('--branches', quoteWord(mapped.settings.branches.join(',')));
  return words.join(' ');
}

/** Quoted when the slash command's tokenizer would split or unescape it. */
function quoteWord(word: string): string {
  return /^[\w.,:/-]+$/.test(word) ? word : `"${word.replace(/["\\]/g, '\\$&')}"`;
}

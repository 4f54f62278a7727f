/**
 * Notes reactions on the roots of MR and issue threads (where the root says the
 * thread goes to GitLab), and their removal, for the award sender. After a gap
 * the catch-up compares a root's reactions with what was recorded (reconcile).
 */
import type { Logger } from '../log.js';
import { findThreadByRoot } from '../store/channel-outbox.js';
import { presentReactions, recordReaction, recordReactionRemoved } from '../store/chat-reactions.js';
import type { Queryable } from '../store/queryable.js';
import { awardNameOf } from './award-names.js';
import type { ChatEvent, ChatEventHandler, ChatPost, ChatReaction } from './chat-events.js';
import { parseThreadKey } from './thread-target.js';

export interface ReactionIntakeDeps {
  pool: Queryable;
  botUserId: string;
  wake(): void;
  log: Logger;
}

export function createReactionIntake(deps: ReactionIntakeDeps): ChatEventHandler & { reconcile(post: ChatPost): Promise<void> } {
  async function added(reaction: ChatReaction, channelId: string): Promise<void> {
    if (reaction.user_id === deps.botUserId) return;
    const thread = await findThreadByRoot(deps.pool, reaction.post_id);
    if (!thread || thread.channelId !== channelId || !thread.repliesSince || parseThreadKey(thread.threadKey)?.discussionId !== null) return;
    if (reaction.create_at && reaction.create_at < thread.repliesSince.getTime()) return;
    const awardName = awardNameOf(reaction.emoji_name);
    if (!awardName) return;
    await recordReaction(deps.pool, { postId: reaction.post_id, userId: reaction.user_id, emojiName: reaction.emoji_name, channelId, threadKey: thread.threadKey, awardName });
    deps.wake();
  }

  async function removed(reaction: ChatReaction): Promise<void> {
    await recordReactionRemoved(deps.pool, reaction.post_id, reaction.user_id, reaction.emoji_name);
    deps.wake();
  }

  return {
    async handle(event: ChatEvent) {
      if (event.kind === 'reaction_added') await added(event.reaction, event.channelId);
      else if (event.kind === 'reaction_removed') await removed(event.reaction);
    },
    /** A root's reactions as Mattermost has them now, against those recorded: what changed during a gap. */
    async reconcile(post: ChatPost) {
      if (post.root_id) return;
      const now = post.metadata?.reactions ?? [];
      const recorded = await presentReactions(deps.pool, post.id);
      const key = (userId: string, emojiName: string) => `${userId}\n${emojiName}`;
      const present = new Set(now.map((reaction) => key(reaction.user_id, reaction.emoji_name)));
      const known = new Set(recorded.map((reaction) => key(reaction.userId, reaction.emojiName)));
      for (const reaction of now) if (!known.has(key(reaction.user_id, reaction.emoji_name))) await added(reaction, post.channel_id);
      for (const gone of recorded) if (!present.has(key(gone.userId, gone.emojiName))) await removed({ user_id: gone.userId, post_id: post.id, emoji_name: gone.emojiName, create_at: 0 });
    },
  };
}

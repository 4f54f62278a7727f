/**
 * What the bridge hears from Mattermost (its WebSocket API, or the catch-up
 * reads after a gap), in the shape the conversation handlers take. Posts and
 * reactions are Mattermost's own JSON (model.Post, model.Reaction), trimmed to
 * the fields the bridge reads.
 */

export interface ChatPost {
  id: string;
  channel_id: string;
  /** '' for a post that is not a reply. */
  root_id: string;
  user_id: string;
  message: string;
  /** Milliseconds since the epoch, as Mattermost keeps them. */
  create_at: number;
  update_at: number;
  edit_at: number;
  delete_at: number;
  /** Set on the deleted copy of a post's old text that each edit leaves (Mattermost's SqlPostStore.Update). */
  original_id?: string;
  /** '' for a user's message; system posts have a type ('system_join_channel', …). */
  type: string;
  props?: Record<string, unknown>;
  file_ids?: string[];
  metadata?: {
    files?: { id: string; name: string }[];
    reactions?: ChatReaction[];
  };
}

export interface ChatReaction {
  user_id: string;
  post_id: string;
  emoji_name: string;
  create_at: number;
  channel_id?: string;
}

export type ChatEvent =
  | { kind: 'posted'; post: ChatPost }
  | { kind: 'edited'; post: ChatPost }
  | { kind: 'deleted'; post: ChatPost }
  | { kind: 'reaction_added'; reaction: ChatReaction; channelId: string }
  | { kind: 'reaction_removed'; reaction: ChatReaction; channelId: string };

/** Where an event came from: the live socket, or reading a channel's posts after a gap. */
export type ChatEventSource = 'socket' | 'catch-up';

/** One part of the bridge that acts on what people do in Mattermost. Must not throw for bad input. */
export interface ChatEventHandler {
  handle(event: ChatEvent, source: ChatEventSource): Promise<void>;
}

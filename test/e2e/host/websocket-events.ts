/**
 * What Mattermost's WebSocket tells the webapp about posts, applied as the
 * webapp's handlers do (actions/websocket_actions.jsx): `posted` and
 * `ephemeral_message` add the post to its channel (handleNewPostEvent),
 * `post_edited` replaces it (handlePostEditEvent), `reaction_added` and
 * `reaction_removed` store or drop one reaction (handleReactionAddedEvent,
 * handleReactionRemovedEvent). Posts and reactions come as JSON strings, a post's
 * actions already without `integration`. Collapsed reply threads are off: replies
 * show in the channel too. The page opens no WebSocket of its own, so the tests
 * deliver these events.
 */
import type { Post } from '@mattermost/types/posts';
import type { Reaction } from '@mattermost/types/reactions';
import { PostTypes } from 'mattermost-redux/action_types';
import type { Store } from 'redux';

export type HostWebSocketEvent =
  | { event: 'posted' | 'ephemeral_message' | 'post_edited'; data: { post: string } }
  | { event: 'reaction_added' | 'reaction_removed'; data: { reaction: string } };

export function applyWebSocketEvent(store: Store, message: HostWebSocketEvent): void {
  if ('reaction' in message.data) {
    const reaction = JSON.parse(message.data.reaction) as Reaction;
    store.dispatch({ type: message.event === 'reaction_added' ? PostTypes.RECEIVED_REACTION : PostTypes.REACTION_DELETED, data: reaction });
    return;
  }
  const post = JSON.parse(message.data.post) as Post;
  // mattermost-redux's receivedPost and receivedNewPost, without the rest of its post actions.
  const type = message.event === 'post_edited' ? PostTypes.RECEIVED_POST : PostTypes.RECEIVED_NEW_POST;
  store.dispatch({ type, data: post, features: { crtEnabled: false } });
}

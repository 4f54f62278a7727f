/**
 * What Mattermost's WebSocket tells the webapp about posts, applied as the
 * webapp's handlers do: `posted` and `ephemeral_message` add the post to its
 * channel (handleNewPostEvent), `post_edited` replaces it (handlePostEditEvent).
 * The post comes as a JSON string, its actions already without `integration`.
 * Collapsed reply threads are off: replies show in the channel too. The fake
 * Mattermost has no WebSocket, so the tests deliver these events.
 */
import type { Post } from '@mattermost/types/posts';
import { PostTypes } from 'mattermost-redux/action_types';
import type { Store } from 'redux';

export interface HostWebSocketEvent {
  event: 'posted' | 'ephemeral_message' | 'post_edited';
  data: { post: string };
}

export function applyWebSocketEvent(store: Store, message: HostWebSocketEvent): void {
  const post = JSON.parse(message.data.post) as Post;
  // mattermost-redux's receivedPost and receivedNewPost, without the rest of its post actions.
  const type = message.event === 'post_edited' ? PostTypes.RECEIVED_POST : PostTypes.RECEIVED_NEW_POST;
  store.dispatch({ type, data: post, features: { crtEnabled: false } });
}

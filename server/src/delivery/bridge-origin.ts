/**
 * Whether a GitLab event is the echo of something the bridge did for someone in
 * Mattermost (a reply made a comment, a reaction made an award emoji), and in
 * which channel: that channel already shows it, so it is not posted there
 * again. Other channels following the MR or issue still get it.
 *
 * A comment is known by its note id once the bridge recorded it; its Note Hook
 * can arrive before that (GitLab sends hooks from a background job that may
 * run before our call returns), so its footer's post id is also accepted, when
 * the comment's author is the person whose reply it was. Each is looked up on
 * the event's own instance: two GitLabs number notes, awards and users each
 * from 1, so another instance's note of the same id is not the bridge's.
 */
import type { GitLabEvent } from '../gitlab/events/event.js';
import { reactionOriginOfAward } from '../store/chat-reactions.js';
import { replyOriginOfNote, replyOriginOfPost } from '../store/chat-replies.js';
import type { Queryable } from '../store/queryable.js';

export async function bridgeOriginChannel(db: Queryable, event: GitLabEvent, objectKey: string | null): Promise<string | null> {
  const details = event.details;
  const authorId = event.actor?.id ?? null;
  if (details.kind === 'note') {
    const byNote = await replyOriginOfNote(db, event.instance, details.id);
    if (byNote) return byNote;
    return details.chatPostId && authorId !== null ? replyOriginOfPost(db, event.instance, details.chatPostId, authorId) : null;
  }
  if (details.kind === 'emoji' && objectKey && (details.awardableType === 'MergeRequest' || details.awardableType === 'Issue')) {
    return reactionOriginOfAward(db, { instance: event.instance, id: details.id, threadKey: objectKey, gitlabUserId: authorId, name: details.name });
  }
  return null;
}

/**
 * The one line a thread's root carries while replies in the thread go to GitLab, so nobody
 * publishes there by surprise; and the root's message composed with it. Pure. The root's stored
 * message (channel_threads.root_message) never holds the line: it is added when the root is
 * drawn, so a subscription turning replies off takes it away at the next redraw.
 */

/** Short, names nobody: it must not ping anyone, and it sits on every such root. */
export const REPLIES_NOTICE = '_Replies here, and reactions on this post, go to GitLab as comments and award emoji by people who connected GitLab._';
/** For an internal note's thread: its replies become internal notes (conversations/thread-target.ts). */
export const INTERNAL_REPLIES_NOTICE = '_Replies here go to GitLab as internal notes by people who connected GitLab._';

/** The root's message as posted or redrawn: the stored message, the line when replies go to GitLab, then the status paragraph if any. */
export function composeThreadRoot(rootMessage: string, parts: { syncReplies: boolean; internal?: boolean; status?: string | null }): string {
  return [rootMessage, parts.syncReplies ? (parts.internal ? INTERNAL_REPLIES_NOTICE : REPLIES_NOTICE) : null, parts.status ?? null].filter((part): part is string => part !== null && part !== '').join('\n\n');
}

/** Whether a posted root says that replies go to GitLab (its own paragraph, wherever the status put it). */
export function showsRepliesNotice(postedMessage: string): boolean {
  const paragraphs = postedMessage.split('\n\n');
  return paragraphs.includes(REPLIES_NOTICE) || paragraphs.includes(INTERNAL_REPLIES_NOTICE);
}

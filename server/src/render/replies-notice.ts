/**
 * The one line a thread's root carries while replies in the thread go to GitLab, so nobody
 * publishes there by surprise; and the root's message composed with it. Pure. The root's stored
 * message (channel_threads.root_message) never holds the line: it is added when the root is
 * drawn, so a subscription turning replies off takes it away at the next redraw.
 */

/** Short, names nobody: it must not ping anyone, and it sits on every such root. */
export const REPLIES_NOTICE = '_Replies in this thread are posted to GitLab as comments by people who connected their GitLab account._';

/** The root's message as posted or redrawn: the stored message, the line when replies go to GitLab, then the status paragraph if any. */
export function composeThreadRoot(rootMessage: string, parts: { syncReplies: boolean; status?: string | null }): string {
  return [rootMessage, parts.syncReplies ? REPLIES_NOTICE : null, parts.status ?? null].filter((part): part is string => part !== null && part !== '').join('\n\n');
}

/** Whether a posted root says that replies go to GitLab (its own paragraph, wherever the status put it). */
export function showsRepliesNotice(postedMessage: string): boolean {
  return postedMessage.split('\n\n').includes(REPLIES_NOTICE);
}

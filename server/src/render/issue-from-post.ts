/**
 * The text an issue or comment gets from a Mattermost post, and the bot's reply
 * in the post's thread. Pure. Inside GitLab the post's text is kept as it was,
 * only quoted; what goes back to Mattermost is GitLab text made safe (no pings,
 * no forged links).
 */
import { link } from './links.js';
import { inline } from './text.js';

export interface PostSource {
  message: string;
  /** The post author's Mattermost username: named, never `@`-mentioned, since GitLab would ping its user of that name. */
  authorUsername: string;
  permalink: string;
}

/** `intro` (the user's own words), the post quoted, then who wrote it and where. */
export function quotePost(post: PostSource, intro?: string): string {
  const quoted = post.message.replace(/\r\n?/g, '\n').split('\n').map((line) => (line ? `> ${line}` : '>'));
  const parts = [...(intro?.trim() ? [intro.trim(), ''] : []), ...quoted, '', `Posted by **${post.authorUsername}** in Mattermost: ${post.permalink}`];
  return parts.join('\n');
}

/** `<siteUrl>/<team>/pl/<postId>`; Mattermost's team-less redirect for direct and group messages. */
export function postPermalink(siteUrl: string, teamName: string | null, postId: string): string {
  return `${siteUrl.replace(/\/+$/, '')}/${teamName ? encodeURIComponent(teamName) : '_redirect'}/pl/${postId}`;
}

export interface IssueRef {
  reference: string;
  title: string;
  url: string;
}

/** The bot's reply in the thread; `actor` is who asked (a Mattermost username, named without `@`). */
export function threadReply(kind: 'created' | 'attached', actor: string, issue: IssueRef, noteUrl?: string): string {
  const target = link(inline(`${issue.reference}: ${issue.title}`), issue.url);
  const who = inline(actor, 64);
  return kind === 'created' ? `${who} created GitLab issue ${target} from this post.` : `${who} attached this post to GitLab issue ${target} (${link('comment', noteUrl ?? issue.url)}).`;
}

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
  /** Null when the channel may not see it (titleFitsChannel): the reply then names the issue by reference only. */
  title: string | null;
  url: string;
}

/**
 * May the thread reply show the issue's title to everyone in the channel? The post is already there;
 * the title is GitLab content the channel's members may not be allowed to read:
 * - a confidential issue: never (GitLab shows it to its author, assignees and Planners and above;
 *   a channel, private ones included, has other people in it);
 * - an issue everyone may read (public project, issues open to everyone): anywhere;
 * - an issue of a private or internal project, or of issues kept to members, or one whose project
 *   could not be read: not in a public channel (everyone on the server reads it); in a private
 *   channel, a group or a direct message, yes, as a subscription with access may post it there.
 * `confidential` missing counts as confidential.
 */
export function titleFitsChannel(issue: { confidential?: boolean }, openToAll: boolean, channelType: string): boolean {
  if (issue.confidential !== false) return false;
  return openToAll || channelType !== 'O';
}

/** The bot's reply in the thread; `actor` is who asked (a Mattermost username, named without `@`). */
export function threadReply(kind: 'created' | 'attached', actor: string, issue: IssueRef, noteUrl?: string): string {
  const target = link(inline(issue.title === null ? issue.reference : `${issue.reference}: ${issue.title}`), issue.url);
  const who = inline(actor, 64);
  return kind === 'created' ? `${who} created GitLab issue ${target} from this post.` : `${who} attached this post to GitLab issue ${target} (${link('comment', noteUrl ?? issue.url)}).`;
}

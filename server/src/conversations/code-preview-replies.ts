/**
 * Code previews for Mattermost's mobile apps, which run no webapp plugin: in a
 * channel that opted in (`/gitlab settings channel --code-previews on`), a post
 * with GitLab code links gets one bot reply in its thread with their lines.
 *
 * Security. The code is read as the person who posted the link (their GitLab
 * token), and the reply shows it to everyone in the channel, including people
 * without a GitLab account or access. So a link is answered only when every
 * member may read that code anyway, the project being the one GitLab finds for
 * the poster, by the path it has now (a link may name it by an old path that
 * redirects: previews/find-project.ts), and the file read by that project's id:
 *  - the project and its repository are open to anyone, asked of GitLab
 *    without a token (previews/code-open-to-all.ts): any channel; or
 *  - the channel is private (type P, asked of Mattermost now, not remembered)
 *    and one of its subscriptions covers the project with `private_access`: its
 *    subscriber was shown to have access when adding it to a channel that is not
 *    public (rules/subscription-rules.ts grantsPrivateAccess), the rule under
 *    which the channel already receives that project's members-only events.
 * Anything else (a private file linked in a public channel, a private channel
 * without such a subscription) gets no reply, and nothing is said about why.
 * The poster not connected: no reply either. A link to any configured GitLab
 * instance is answered on that instance, as the poster's account there (and a
 * channel's subscriptions count only on that instance); links to other hosts
 * are not GitLab's code to the bridge. The bot's own posts, system posts
 * and edits are not answered; each post is answered at most once, whichever of
 * the socket and the catch-up reads it first (code_preview_replies).
 */
import type { GitLabCaller } from '../accounts/gitlab-connections.js';
import { findInstanceCodeLinks } from '../gitlab/code-permalink.js';
import type { PollClient } from '../gitlab/poll-client.js';
import type { Logger } from '../log.js';
import { isCodeOpenToAll } from '../previews/code-open-to-all.js';
import { fetchCode, type CodeSnippet } from '../previews/fetch-code.js';
import { findProject, type FoundProject } from '../previews/find-project.js';
import { renderCodePreviews } from '../render/code-preview.js';
import { pathOrAncestorMatches } from '../rules/glob.js';
import { covers, coveringPaths } from '../rules/match-subscription.js';
import { readChannelSettings } from '../store/channel-settings.js';
import type { Queryable } from '../store/queryable.js';
import { findCandidates } from '../store/subscriptions.js';
import type { ChatEvent, ChatEventHandler, ChatEventSource, ChatPost } from './chat-events.js';

/** What the handler needs from Mattermost, as the bot. */
export interface CodePreviewGateway {
  /** The channel's type now (O, P, D, G; null when the bot cannot read it): ChannelGateway.currentType. */
  currentType(channelId: string): Promise<string | null>;
  /** Posts `message` as the bot in the thread of `rootId`; the new post's id. `forPostId` is the post answered (a marker, if wanted). */
  createReply(reply: { channelId: string; rootId: string; message: string; forPostId: string }): Promise<string>;
}

/** One configured GitLab, as code previews read it. */
export interface CodePreviewInstance {
  /** Its name (config.gitlabInstances[].name): subscriptions are matched on it. */
  name: string;
  url: string;
  /** Its budgeted client: files as the poster, and the anonymous GraphQL read. */
  gitlab: Pick<PollClient, 'get' | 'anonymousGraphql'>;
  /** The poster's identity on it, or null when not connected there (GitLabConnections.callerFor). */
  callerFor(mattermostUserId: string): Promise<Pick<GitLabCaller, 'token'> | null>;
}

export interface CodePreviewReplyDeps {
  db: Queryable;
  /** Every configured GitLab, the default first. */
  instances: readonly CodePreviewInstance[];
  gateway: CodePreviewGateway;
  /** The bot's Mattermost user id: its own posts are never answered. */
  botUserId(): Promise<string>;
  log: Logger;
}

export function createCodePreviewReplies(deps: CodePreviewReplyDeps): ChatEventHandler {
  return {
    async handle(event: ChatEvent, source: ChatEventSource): Promise<void> {
      if (event.kind !== 'posted') return;
      try {
        await answer(deps, event.post);
      } catch (error) {
        deps.log.warn({ err: error, post: event.post?.id, source }, 'could not answer a code link with a preview');
      }
    },
  };
}

async function answer(deps: CodePreviewReplyDeps, post: ChatPost): Promise<void> {
  if (!post || typeof post.id !== 'string' || typeof post.message !== 'string' || typeof post.channel_id !== 'string') return;
  if (post.type || post.delete_at > 0) return;
  // Every post the bot sees comes here: the cheap questions first, the message read only where a reply may follow.
  if (!post.message.includes('/-/blob/') || !post.message.includes('#L')) return;
  if (post.user_id === (await deps.botUserId())) return;
  if (!(await readChannelSettings(deps.db, post.channel_id)).codePreviews) return;
  const links = findInstanceCodeLinks(post.message, deps.instances);
  if (links.length === 0) return;
  if (await answered(deps.db, post.id)) return;

  // The poster's account on each instance linked to, asked once.
  const callers = new Map<string, Promise<Pick<GitLabCaller, 'token'> | null>>();
  const projects = new Map<string, Promise<FoundProject | null>>();
  const audience = channelAudience(deps, post.channel_id);
  const snippets: CodeSnippet[] = [];
  for (const link of links) {
    const { instance } = link;
    if (!callers.has(instance.name)) callers.set(instance.name, instance.callerFor(post.user_id));
    const caller = await callers.get(instance.name)!;
    if (!caller) continue;
    // Who may read is decided by the project's path now, not as written (an old path redirects: find-project.ts).
    const key = `${instance.name}\n${link.project.toLowerCase()}`;
    if (!projects.has(key)) projects.set(key, findProject(instance.gitlab, caller.token, link.project));
    const project = await projects.get(key)!;
    if (!project) continue;
    if (!(await audience.mayRead(instance, project.path))) {
      deps.log.info({ post: post.id, channel: post.channel_id }, 'a code link was not previewed: not everyone in the channel may read that code');
      continue;
    }
    // By id: the project checked is the one read, whatever its old paths.
    const read = await fetchCode(instance.gitlab, caller.token, link, instance.url, project);
    if (read.ok) snippets.push(read.snippet);
  }
  if (snippets.length === 0) return;

  // Whoever records the post first replies; a second reading of it (socket and catch-up) does not.
  const claimed = await deps.db.query('INSERT INTO code_preview_replies (post_id) VALUES ($1) ON CONFLICT (post_id) DO NOTHING RETURNING post_id', [post.id]);
  if (claimed.rowCount === 0) return;
  // At most once: a reply whose answer was lost is not sent again (the row stays without reply_post_id).
  const replyId = await deps.gateway.createReply({ channelId: post.channel_id, rootId: post.root_id || post.id, message: renderCodePreviews(snippets), forPostId: post.id });
  await deps.db.query('UPDATE code_preview_replies SET reply_post_id = $2 WHERE post_id = $1', [post.id, replyId]);
}

async function answered(db: Queryable, postId: string): Promise<boolean> {
  const { rowCount } = await db.query('SELECT 1 FROM code_preview_replies WHERE post_id = $1', [postId]);
  return (rowCount ?? 0) > 0;
}

/** Whether everyone in the channel may read a project's code (see the top); each question asked once per post. */
function channelAudience(deps: CodePreviewReplyDeps, channelId: string) {
  let type: Promise<string | null> | undefined;
  const open = new Map<string, Promise<boolean>>();
  return {
    /** `path`: the project's full path now (find-project.ts) on `instance`, never one written in a link. */
    async mayRead(instance: CodePreviewInstance, path: string): Promise<boolean> {
      const project = path.toLowerCase();
      const key = `${instance.name}\n${project}`;
      if (!open.has(key)) open.set(key, isCodeOpenToAll(instance.gitlab, path));
      if (await open.get(key)!) return true;
      type ??= deps.gateway.currentType(channelId);
      if ((await type) !== 'P') return false;
      // The same path on another GitLab is another project: only this instance's subscriptions vouch.
      const subscriptions = await findCandidates(deps.db, coveringPaths(project), null, instance.name);
      return subscriptions.some(
        (subscription) =>
          subscription.channelId === channelId &&
          subscription.privateAccess &&
          covers(subscription, project) &&
          !(subscription.filters.exclude?.length && pathOrAncestorMatches(project, subscription.filters.exclude)),
      );
    },
  };
}

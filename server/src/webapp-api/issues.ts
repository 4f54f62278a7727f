/**
 * `POST /issues` and `POST /issues/{ref}/notes`: a Mattermost post turned into
 * a GitLab issue, or attached to one as a comment. The post is read with the
 * user's own session (so only posts they can read), GitLab is written as the
 * user, and then the bot says so in the post's thread. The issue stands even
 * when the bot cannot post: the answer's `notice` says why.
 */
import { randomUUID } from 'node:crypto';
import express, { type Response } from 'express';
import { z } from 'zod';
import { parseObjectRef } from '../commands/gitlab-references.js';
import { parseTarget } from '../commands/subscription-options.js';
import { createMattermostClient, MattermostHttpError } from '../mattermost/client.js';
import { readLevels } from '../gitlab/project-features.js';
import { postPermalink, quotePost, threadReply, titleFitsChannel, type IssueRef, type PostSource } from '../render/issue-from-post.js';
import { audit } from '../store/audit-log.js';
import { connectedCaller, sessionOf } from './context.js';
import type { WebappDeps } from './deps.js';
import { ApiError } from './errors.js';
import { assertMayWrite } from './refuse-write.js';
import { validInput } from './validate-input.js';

const postId = z.string().regex(/^[a-z0-9]{26}$/, 'not a Mattermost post id');
const createBody = z.strictObject({
  postId,
  project: z.string().min(1).max(1000),
  title: z.string().trim().min(1).max(255),
  description: z.string().max(50_000).optional(),
  labels: z.array(z.string().trim().min(1).max(255)).max(50).optional(),
  milestoneId: z.number().int().positive().optional(),
  assigneeIds: z.array(z.number().int().positive()).max(20).optional(),
});
const noteBody = z.strictObject({ postId, comment: z.string().max(50_000).optional() });

interface ReadPost extends PostSource {
  id: string;
  channelId: string;
  /** The thread the bot replies in: the post's root, or the post itself. */
  rootId: string;
  /** Mattermost's channel type: O public, P private, D and G direct and group messages. */
  channelType: string;
}

interface IssueJson {
  iid: number;
  title: string;
  confidential?: boolean;
  web_url: string;
  references?: { full?: string };
}

export function issueRoutes(deps: WebappDeps): express.Router {
  const router = express.Router();
  const caller = (response: Response) => connectedCaller(async (userId) => (deps.connections ? deps.connections.callerFor(userId) : null), response);

  router.post('/issues', async (request, response) => {
    const body = validInput(createBody, request.body);
    const project = parseTarget(body.project, deps.gitlabUrl);
    if (!project.ok || !project.path.includes('/')) throw new ApiError(400, 'bad_request', `\`project\`: ${project.ok ? 'name a project (`group/project`)' : project.error}.`);
    const gitlab = await caller(response);
    assertMayWrite(deps.scopeSetting, 'create issues', gitlab);
    const post = await readPost(deps, response, body.postId);
    const { body: issue } = await deps.gitlab.post<IssueJson>(gitlab.token, `/projects/${encodeURIComponent(project.path)}/issues`, {
      title: body.title,
      description: quotePost(post, body.description),
      ...(body.labels?.length ? { labels: [...new Set(body.labels)].join(',') } : {}),
      ...(body.milestoneId !== undefined ? { milestone_id: body.milestoneId } : {}),
      ...(body.assigneeIds?.length ? { assignee_ids: body.assigneeIds } : {}),
    });
    const ref = issueRef(issue, project.path, await titleFits(deps, gitlab.token, project.path, issue, post.channelType));
    const { user } = sessionOf(response);
    await audit(deps.pool, { actor: user.id, action: 'issue.created', target: `project:${project.path}`, details: { issue: ref.reference, post: post.id } });
    const notice = await replyInThread(deps, post, threadReply('created', user.username, ref));
    response.status(201).json({ reference: ref.reference, url: ref.url, iid: issue.iid, ...(notice ? { notice } : {}) });
  });

  router.post('/issues/:ref/notes', async (request, response) => {
    const named = parseObjectRef(String(request.params.ref), deps.gitlabUrl, 'issue');
    if (!named.ok) throw new ApiError(400, 'bad_request', `\`ref\`: ${named.error}.`);
    const body = validInput(noteBody, request.body);
    const gitlab = await caller(response);
    assertMayWrite(deps.scopeSetting, 'comment on issues', gitlab);
    const post = await readPost(deps, response, body.postId);
    const issuePath = `/projects/${encodeURIComponent(named.project)}/issues/${named.number}`;
    // Read first: a missing or hidden issue is 404 before anything is written.
    const { body: issue } = await deps.gitlab.get<IssueJson>(gitlab.token, issuePath);
    const { body: note } = await deps.gitlab.post<{ id: number }>(gitlab.token, `${issuePath}/notes`, { body: quotePost(post, body.comment) });
    const ref = issueRef(issue, named.project, await titleFits(deps, gitlab.token, named.project, issue, post.channelType));
    const url = `${ref.url}#note_${note.id}`;
    const notice = await replyInThread(deps, post, threadReply('attached', sessionOf(response).user.username, ref, url));
    response.status(201).json({ url, reference: ref.reference, ...(notice ? { notice } : {}) });
  });

  return router;
}

const issueRef = (issue: IssueJson, project: string, withTitle: boolean): IssueRef => ({
  reference: issue.references?.full ?? `${project}#${issue.iid}`,
  title: withTitle ? issue.title : null,
  url: issue.web_url,
});

/**
 * Whether the thread reply may name the issue's title (titleFitsChannel): asks GitLab, as the user, who may
 * read the project's issues. A project that cannot be read counts as keeping them to members.
 */
async function titleFits(deps: WebappDeps, token: string, project: string, issue: IssueJson, channelType: string): Promise<boolean> {
  if (issue.confidential !== false) return false;
  let openToAll = false;
  try {
    const levels = readLevels((await deps.gitlab.get<unknown>(token, `/projects/${encodeURIComponent(project)}`)).body);
    openToAll = levels.visibility === 'public' && (levels.levels.issues === 'enabled' || levels.levels.issues === 'public');
  } catch (error) {
    deps.log.warn({ err: error, project }, 'could not read who may see the project’s issues; the thread reply names the issue without its title');
  }
  return titleFitsChannel(issue, openToAll, channelType);
}

/** The post, its author and its permalink, all asked of Mattermost as the user: what they cannot read is not found. */
async function readPost(deps: WebappDeps, response: Response, id: string): Promise<ReadPost> {
  const siteUrl = deps.siteUrl ?? deps.mattermostUrl;
  if (!deps.mattermostUrl || !siteUrl) throw new ApiError(503, 'not_configured', 'The bridge has no MATTERMOST_URL.');
  const client = createMattermostClient(deps.mattermostUrl, sessionOf(response).sessionToken);
  const post = await asUser(client.getPost(id));
  const [channel, author] = await Promise.all([asUser(client.getChannel(post.channel_id)), asUser(client.getUser(post.user_id))]);
  const team = channel.team_id ? await asUser(client.getTeam(channel.team_id)) : null;
  return {
    id: post.id,
    channelId: post.channel_id,
    rootId: post.root_id || post.id,
    channelType: channel.type,
    message: post.message,
    authorUsername: author.username,
    permalink: postPermalink(siteUrl, team?.name ?? null, post.id),
  };
}

async function asUser<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (!(error instanceof MattermostHttpError)) throw new ApiError(502, 'mattermost_unavailable', 'Mattermost could not be reached; try again shortly.');
    if (error.status === 401) throw new ApiError(401, 'not_logged_in', 'The Mattermost session has expired; log in again.');
    if (error.status === 403 || error.status === 404) throw new ApiError(404, 'not_found', 'No such post, or you cannot read it.');
    throw new ApiError(502, 'mattermost_unavailable', `Mattermost answered ${error.status}; try again shortly.`);
  }
}

/** The bot's reply; a reason for the user when it could not be made (the GitLab side is done either way). */
async function replyInThread(deps: WebappDeps, post: ReadPost, message: string): Promise<string | null> {
  if (!deps.gateway) return 'The bridge has no bot, so nothing was posted in the thread.';
  try {
    const access = await deps.gateway.ensureCanPost(post.channelId);
    if (!access.ok) return `The bot could not reply in the thread: ${access.reason}.`;
    await deps.gateway.createPost({ channelId: post.channelId, message, rootId: post.rootId, outboxId: `post-${randomUUID()}` });
    return null;
  } catch (error) {
    deps.log.warn({ err: error, post: post.id }, 'could not reply in the thread of a post turned into an issue');
    return 'The bot could not reply in the thread; the issue itself is in GitLab.';
  }
}

/**
 * `GET /code-preview?url=`: the lines of a GitLab code link, for the embed the
 * webapp shows under a post (components/code-preview.tsx).
 *
 * Security. Who reaches it: anyone with a Mattermost session, through the
 * proxy path; the session middleware (session.ts) checks the session with
 * Mattermost, refuses cross-origin calls (Origin, Sec-Fetch-Site) and, being a
 * GET that changes nothing, needs no CSRF token. As whom it acts: the viewer,
 * with their own GitLab token (connectedCaller), never the bot's or another
 * user's; the viewer not connected gets 403 `not_connected`, as for link
 * previews, and no code. What the caller sees: only what their GitLab account
 * may read, as GitLab's files API decides. A file they may not read, a missing
 * one, another host's link and lines past the end all get the same 404, which
 * says nothing of whether the file exists. Answers are kept per user, never
 * shared between users.
 */
import express from 'express';
import { parseCodeLink } from '../gitlab/code-permalink.js';
import { fetchCode, type CodeSnippet } from '../previews/fetch-code.js';
import { connectedCaller, sessionOf } from './context.js';
import type { WebappDeps } from './deps.js';
import { ApiError, gitlabFailure } from './errors.js';

/** One page shows the same link to the same person often (every redraw of the post). */
const CACHE_MS = 30_000;
const CACHE_MAX = 2_000;
const NOT_FOUND = 'No code to show: not a GitLab code link with lines that you can read.';

type Answer = { snippet: CodeSnippet } | { refusal: ApiError };

export function codePreviewRoutes(deps: WebappDeps, now: () => number = Date.now): express.Router {
  const router = express.Router();
  const cache = new Map<string, { answer: Answer; expires: number }>();

  router.get('/code-preview', async (request, response) => {
    const url = request.query.url;
    if (typeof url !== 'string' || url.length === 0 || url.length > 2000) throw new ApiError(400, 'bad_request', '`url`: give one GitLab code link.');
    const link = parseCodeLink(url, deps.gitlabUrl);
    if (!link) throw new ApiError(404, 'not_found', NOT_FOUND);
    const caller = await connectedCaller(async (userId) => (deps.connections ? deps.connections.callerFor(userId) : null), response);
    // The GitLab user too: a reconnection as someone else must not see the previous account's answers.
    const key = `${sessionOf(response).user.id}\n${caller.gitlabUserId}\n${link.project.toLowerCase()}\n${link.splits[0]!.ref}/${link.splits[0]!.path}\n${link.startLine}-${link.endLine}`;
    const hit = cache.get(key);
    let answer: Answer;
    if (hit && hit.expires > now()) {
      answer = hit.answer;
    } else {
      answer = await read(deps, caller.token, link);
      cache.delete(key);
      if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
      cache.set(key, { answer, expires: now() + CACHE_MS });
    }
    if ('refusal' in answer) throw answer.refusal;
    response.json(answer.snippet);
  });

  return router;
}

async function read(deps: WebappDeps, token: string, link: NonNullable<ReturnType<typeof parseCodeLink>>): Promise<Answer> {
  try {
    const outcome = await fetchCode(deps.gitlab, token, link, deps.gitlabUrl);
    if (outcome.ok) return { snippet: outcome.snippet };
    // Only someone who could read the file learns that it is binary or too large.
    if (outcome.reason === 'too_large') return { refusal: new ApiError(422, 'not_previewable', 'This file is too large to preview; open it in GitLab.') };
    if (outcome.reason === 'not_text') return { refusal: new ApiError(422, 'not_previewable', 'This file is not text; open it in GitLab.') };
    return { refusal: new ApiError(404, 'not_found', NOT_FOUND) };
  } catch (error) {
    const known = gitlabFailure(error);
    // Rate limits, an unreachable GitLab, a token no longer taken: said as for every call, and not remembered.
    if (known) throw known;
    throw error;
  }
}

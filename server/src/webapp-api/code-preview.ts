/**
 * `GET /code-preview?url=`: the lines of a GitLab code link, for the embed the
 * webapp shows under a post (components/code-preview.tsx).
 *
 * Security. Who reaches it: anyone with a Mattermost session, through the
 * proxy path; the session middleware (session.ts) checks the session with
 * Mattermost, refuses cross-origin calls (Origin, Sec-Fetch-Site) and, being a
 * GET that changes nothing, needs no CSRF token. As whom it acts: the viewer,
 * with their own GitLab token on the instance the link is on (link-instance.ts),
 * never the bot's, another user's, or their token of another instance; the
 * viewer not connected there gets 403 `not_connected`, as for link previews,
 * and no code. What the caller sees: only what their GitLab account
 * may read, as GitLab's files API decides. A file they may not read, a missing
 * one, another host's link and lines past the end all get the same 404, which
 * says nothing of whether the file exists. Files read are kept per user (and
 * GitLab account), never shared between users, whatever lines are asked of
 * them: asking for other lines of a file costs no request. The reads each
 * viewer makes are capped (previews/read-allowance.ts, 429 `rate_limited`
 * beyond): they count in the GitLab request budget everyone shares.
 */
import express from 'express';
import { parseCodeLink, type CodeLink } from '../gitlab/code-permalink.js';
import { cutSnippet, readCodeFile, type FileRead } from '../previews/fetch-code.js';
import { createKeptFiles } from '../previews/kept-files.js';
import { createReadAllowance } from '../previews/read-allowance.js';
import { sessionOf } from './context.js';
import type { WebappDeps } from './deps.js';
import { ApiError, gitlabFailure } from './errors.js';
import { gitlabOfLink, viewerOn, type LinkGitLab } from './link-instance.js';

/** One page shows the same file to the same person often: every redraw of a post, other lines of it in other posts. */
const CACHE_MS = 30_000;
const CACHE_MAX = 2_000;
/** Files weigh up to a few megabytes each in memory: the kept ones together no more than this. */
const CACHE_BYTES = 32 * 1024 * 1024;
/**
 * Reads of files not kept, per viewer and minute. Each costs one to five GitLab
 * requests (a branch with slashes is tried ref by ref); a page of code links
 * asks for a handful of files.
 */
const READS_PER_MINUTE = 30;
const NOT_FOUND = 'No code to show: not a GitLab code link with lines that you can read.';

export function codePreviewRoutes(deps: WebappDeps, now: () => number = Date.now): express.Router {
  const router = express.Router();
  const kept = createKeptFiles({ ttlMs: CACHE_MS, maxEntries: CACHE_MAX, maxBytes: CACHE_BYTES, now });
  const allowance = createReadAllowance({ perMinute: READS_PER_MINUTE, now });
  // A page with one link in many posts asks for it at once: one read answers them all.
  const reading = new Map<string, Promise<FileRead>>();

  router.get('/code-preview', async (request, response) => {
    const url = request.query.url;
    if (typeof url !== 'string' || url.length === 0 || url.length > 2000) throw new ApiError(400, 'bad_request', '`url`: give one GitLab code link.');
    const gitlab = gitlabOfLink(deps, url);
    const link = gitlab && parseCodeLink(url, gitlab.url);
    if (!gitlab || !link) throw new ApiError(404, 'not_found', NOT_FOUND);
    const caller = await viewerOn(gitlab, response);
    const userId = sessionOf(response).user.id;
    // The GitLab user too: a reconnection as someone else must not see the previous account's answers. And the instance: its projects are its own.
    const key = `${userId}\n${gitlab.name}\n${caller.gitlabUserId}\n${link.project.toLowerCase()}\n${link.splits[0]!.ref}/${link.splits[0]!.path}`;
    let read = kept.get(key);
    if (!read) {
      let pending = reading.get(key);
      if (!pending) {
        const allowed = allowance.take(userId);
        if (!allowed.granted) throw new ApiError(429, 'rate_limited', 'Too many code previews asked for at once; try again shortly.', allowed.retryAfterSeconds);
        pending = readFile(gitlab, caller.token, link).finally(() => reading.delete(key));
        reading.set(key, pending);
        // What GitLab answered is kept, refusals too; a failure to ask (rate limits, an unreachable GitLab) is not.
        pending.then((answer) => kept.keep(key, answer)).catch(() => undefined);
      }
      read = await pending;
    }
    if (!read.ok) {
      // Only someone who could read the file learns that it is binary or too large.
      if (read.reason === 'too_large') throw new ApiError(422, 'not_previewable', 'This file is too large to preview; open it in GitLab.');
      if (read.reason === 'not_text') throw new ApiError(422, 'not_previewable', 'This file is not text; open it in GitLab.');
      throw new ApiError(404, 'not_found', NOT_FOUND);
    }
    const cut = cutSnippet(read.file, link, gitlab.url);
    if (!cut.ok) throw new ApiError(404, 'not_found', NOT_FOUND);
    response.json(cut.snippet);
  });

  return router;
}

async function readFile(gitlab: LinkGitLab, token: string, link: CodeLink): Promise<FileRead> {
  try {
    return await readCodeFile(gitlab.client, token, link);
  } catch (error) {
    // Rate limits, an unreachable GitLab, a token no longer taken: said as for every call.
    throw gitlabFailure(error) ?? error;
  }
}

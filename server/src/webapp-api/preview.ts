/**
 * `GET /preview?url=`: the tooltip of a GitLab link, on any configured GitLab
 * instance (link-instance.ts). That GitLab is asked as the user, with their
 * account there (through its budgeted client), so only what they may see is
 * shown; a link to another host is not looked up at all. The answer is kept
 * per user for 30 s, since one page shows the same link often.
 */
import express from 'express';
import { parseGitLabUrl } from '../gitlab/parse-gitlab-url.js';
import { readPreview, type Preview } from '../gitlab/preview-objects.js';
import { sessionOf } from './context.js';
import type { WebappDeps } from './deps.js';
import { ApiError, gitlabFailure } from './errors.js';
import { gitlabOfLink, viewerOn } from './link-instance.js';

const CACHE_MS = 30_000;
const CACHE_MAX = 5_000;
const NOT_FOUND = 'Nothing to preview: not a GitLab issue, merge request, pipeline or commit you can see.';

export function previewRoutes(deps: WebappDeps, now: () => number = Date.now): express.Router {
  const router = express.Router();
  // What GitLab refused is remembered too: a hidden issue linked in a busy channel costs one request, not one per reader's hover.
  const cache = new Map<string, { preview: Preview | null; expires: number }>();

  router.get('/preview', async (request, response) => {
    const url = request.query.url;
    if (typeof url !== 'string' || url.length === 0 || url.length > 2000) throw new ApiError(400, 'bad_request', '`url`: give one GitLab URL.');
    const gitlab = gitlabOfLink(deps, url);
    const target = gitlab && parseGitLabUrl(url, gitlab.url);
    if (!gitlab || !target) throw new ApiError(404, 'not_found', NOT_FOUND);
    const caller = await viewerOn(gitlab, response);
    // Per instance too: the same path and number on two GitLabs are two objects.
    const key = `${sessionOf(response).user.id}\n${gitlab.name}\n${JSON.stringify(target)}`;
    const hit = cache.get(key);
    let preview: Preview | null;
    if (hit && hit.expires > now()) {
      preview = hit.preview;
    } else {
      try {
        preview = await readPreview(gitlab.client, caller.token, target);
      } catch (error) {
        const known = gitlabFailure(error);
        if (known?.code !== 'not_found') throw known ?? error;
        preview = null;
      }
      cache.delete(key);
      if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
      cache.set(key, { preview, expires: now() + CACHE_MS });
    }
    if (!preview) throw new ApiError(404, 'not_found', NOT_FOUND);
    response.json(preview);
  });

  return router;
}

/** Every webapp API error is JSON `{error, code}`: `error` for people, `code` for the webapp's logic. */
import type { Response } from 'express';
import { BudgetExhaustedError, GitLabHttpError, GitLabRateLimitedError, GitLabUnauthorizedError, GitLabUnreachableError } from '../gitlab/poll-client.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Seconds, for 429: sent as Retry-After. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function sendError(response: Response, status: number, code: string, message: string): void {
  response.status(status).json({ error: message, code });
}

/**
 * What a failed call to GitLab (through the polling client) means for the
 * webapp; null for anything else, which stays a 500. GitLab's 404 and 403
 * both become `not_found`: the caller may not know the thing exists.
 */
export function gitlabFailure(error: unknown, now = Date.now()): ApiError | null {
  if (error instanceof GitLabRateLimitedError) {
    return new ApiError(429, 'rate_limited', 'GitLab asks the bridge to wait; try again shortly.', Math.max(1, Math.ceil((error.retryAt.getTime() - now) / 1000)));
  }
  if (error instanceof BudgetExhaustedError) {
    return new ApiError(429, 'rate_limited', "The bridge's GitLab request budget is used up for now; try again shortly.", Math.max(1, Math.ceil(error.retryInMs / 1000)));
  }
  if (error instanceof GitLabUnauthorizedError) return new ApiError(403, 'not_connected', 'GitLab no longer accepts your connection: connect your GitLab account again.');
  if (error instanceof GitLabUnreachableError) return new ApiError(502, 'gitlab_unavailable', 'GitLab could not be reached; try again shortly.');
  if (error instanceof GitLabHttpError) {
    if (error.status === 404 || error.status === 403) return new ApiError(404, 'not_found', 'GitLab has no such item, or it is not yours to see.');
    if (error.status >= 400 && error.status < 500) return new ApiError(400, 'bad_request', `GitLab refused: ${error.gitlabMessage}`);
    return new ApiError(502, 'gitlab_unavailable', `GitLab answered ${error.status}; try again shortly.`);
  }
  return null;
}

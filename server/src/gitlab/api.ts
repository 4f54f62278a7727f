/**
 * GitLab's REST API as one user: @gitbeaker/rest with that user's OAuth token,
 * so GitLab's own permission checks decide what they may see and do.
 */
import { Gitlab, GitbeakerRequestError, GitbeakerRetryError, GitbeakerTimeoutError } from '@gitbeaker/rest';

export type GitLabApi = InstanceType<typeof Gitlab<false>>;

/** Per request; a slash command that takes longer answers through its response_url. */
const QUERY_TIMEOUT_MS = 10_000;

export function gitlabApi(gitlabUrl: string, token: string): GitLabApi {
  return new Gitlab({ host: gitlabUrl.replace(/\/+$/, ''), oauthToken: token, queryTimeout: QUERY_TIMEOUT_MS });
}

/** A refusal from GitLab: its status and its own words, or null for anything else (a bug, to be thrown). */
export function gitlabRefusal(error: unknown): { status: number; message: string } | null {
  if (error instanceof GitbeakerRequestError && error.cause) return { status: error.cause.response.status, message: error.cause.description };
  if (error instanceof GitbeakerTimeoutError) return { status: 504, message: 'GitLab did not answer in time' };
  if (error instanceof GitbeakerRetryError) return { status: 429, message: 'GitLab is rate limiting or unavailable' };
  if (error instanceof TypeError && /fetch failed/.test(error.message)) return { status: 502, message: 'GitLab could not be reached' };
  return null;
}

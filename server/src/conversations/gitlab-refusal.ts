/** Telling GitLab's "no" from GitLab not answering. */
import { GitLabHttpError } from '../gitlab/poll-client.js';

/** GitLab answered, and asking again would not help (unlike a timeout or a rate limit). */
export function isRefusal(error: unknown): error is GitLabHttpError {
  return error instanceof GitLabHttpError && error.status >= 400 && error.status < 500 && error.status !== 408 && error.status !== 429;
}

/** For checks that ask GitLab: its refusal means no; anything else (no answer) is thrown on, to be retried. */
export function refusedAsFalse(error: unknown): false {
  if (isRefusal(error)) return false;
  throw error;
}

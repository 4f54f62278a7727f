/** What a failed GitLab call means for the webapp: one mapping for every endpoint. */
import { describe, expect, it } from '@jest/globals';
import { BudgetExhaustedError, GitLabHttpError, GitLabRateLimitedError, GitLabUnauthorizedError, GitLabUnreachableError } from '../../../server/src/gitlab/poll-client.js';
import { gitlabFailure } from '../../../server/src/webapp-api/errors.js';

const mapped = (error: unknown) => {
  const found = gitlabFailure(error, Date.parse('2026-01-01T00:00:00Z'));
  return found && { status: found.status, code: found.code, retryAfterSeconds: found.retryAfterSeconds };
};

describe('gitlabFailure', () => {
  it('maps refusals, limits and outages to the contract\'s codes', () => {
    expect(mapped(new GitLabHttpError(404, '404 Not found', 'POST /api/v4/todos/1/mark_as_done'))).toEqual({ status: 404, code: 'not_found', retryAfterSeconds: undefined });
    expect(mapped(new GitLabHttpError(403, '403 Forbidden', 'GET x'))).toMatchObject({ status: 404, code: 'not_found' });
    expect(mapped(new GitLabHttpError(422, 'bad', 'GET x'))).toMatchObject({ status: 400, code: 'bad_request' });
    expect(mapped(new GitLabHttpError(500, 'oops', 'GET x'))).toMatchObject({ status: 502, code: 'gitlab_unavailable' });
    expect(mapped(new GitLabUnreachableError('down', undefined))).toMatchObject({ status: 502, code: 'gitlab_unavailable' });
    expect(mapped(new GitLabUnauthorizedError('GET x'))).toMatchObject({ status: 403, code: 'not_connected' });
    expect(mapped(new GitLabRateLimitedError(new Date('2026-01-01T00:00:30Z')))).toEqual({ status: 429, code: 'rate_limited', retryAfterSeconds: 30 });
    expect(mapped(new BudgetExhaustedError(1500))).toEqual({ status: 429, code: 'rate_limited', retryAfterSeconds: 2 });
  });

  it('leaves anything else alone (a 500 with the details in the log)', () => {
    expect(mapped(new Error('a bug'))).toBeNull();
  });
});

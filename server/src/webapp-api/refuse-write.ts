/**
 * The webapp's side of least privilege (accounts/write-access.ts): a route that
 * writes to GitLab answers 403 `read_only` (the admin chose read_api) or
 * `token_read_only` (the caller's connection was granted only read_api) before
 * anything is asked of GitLab.
 */
import type { GitLabCaller } from '../accounts/gitlab-connections.js';
import { refuseWrite, type ScopeSetting } from '../accounts/write-access.js';
import { ApiError } from './errors.js';

export function assertMayWrite(setting: ScopeSetting, what: string, caller: GitLabCaller): void {
  const refusal = refuseWrite(setting, what, caller.scopes);
  if (refusal) throw new ApiError(403, refusal.reason, refusal.text);
}

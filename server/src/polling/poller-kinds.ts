/** What is polled: connected users (and, with them, their reminders) and project subscriptions without webhooks. */
import type { JobState, PollJob } from '../store/poll-jobs.js';
import { pollUser, syncUserJobs, USER_JOB, type UserJobState, type UserPollDeps } from './poll-users.js';
import type { PollerKind } from './run-pollers.js';

export function pollerKinds(deps: UserPollDeps): PollerKind[] {
  return [
    {
      kind: USER_JOB,
      sync: () => syncUserJobs(deps.pool),
      run: (job) => pollUser(deps, job as PollJob<UserJobState>) as Promise<{ nextRunAt: Date; state: JobState; error?: string }>,
    },
  ];
}

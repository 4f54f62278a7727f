/**
 * What is polled: connected users (and, with them, their reminders), project subscriptions without
 * webhooks, (daily) whether confidential opt-ins still have their GitLab access, and (hourly) the
 * project hooks of groups on a GitLab without group webhooks.
 */
import type { JobState, PollJob } from '../store/poll-jobs.js';
import { checkConfidentialAccess, CONFIDENTIAL_JOB, syncConfidentialJobs } from './check-confidential-access.js';
import { GROUP_HOOKS_JOB, runGroupHookJob, syncGroupHookJobs, type GroupHookJobDeps } from './group-hook-job.js';
import { pollProject, PROJECT_JOB, syncProjectJobs, type ProjectJobState, type ProjectPollDeps } from './poll-projects.js';
import { readUserPolls, syncUserJobs, USER_JOB, type PollOutcome, type UserJobState, type UserPollDeps } from './poll-users.js';
import type { PollerKind } from './run-pollers.js';

export function pollerKinds(deps: UserPollDeps & ProjectPollDeps & GroupHookJobDeps): PollerKind[] {
  return [
    {
      kind: USER_JOB,
      sync: () => syncUserJobs(deps.pool, deps.instance),
      prepare: async (jobs) => {
        const poll = await readUserPolls(deps, jobs as PollJob<UserJobState>[]);
        return (job) => poll(job as PollJob<UserJobState>) as Promise<PollOutcome<JobState>>;
      },
      run: async (job) => (await readUserPolls(deps, [job as PollJob<UserJobState>]))(job as PollJob<UserJobState>) as Promise<PollOutcome<JobState>>,
    },
    {
      kind: PROJECT_JOB,
      sync: () => syncProjectJobs(deps.pool, deps.instance),
      run: (job) => pollProject(deps, job as PollJob<ProjectJobState>) as Promise<PollOutcome<JobState>>,
    },
    {
      kind: CONFIDENTIAL_JOB,
      sync: () => syncConfidentialJobs(deps.pool, deps.instance),
      run: (job) => checkConfidentialAccess(deps, job),
    },
    {
      kind: GROUP_HOOKS_JOB,
      sync: () => syncGroupHookJobs(deps.pool, deps.instance),
      run: (job) => runGroupHookJob(deps, job),
    },
  ];
}

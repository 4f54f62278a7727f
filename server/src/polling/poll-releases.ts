/**
 * Polls a project's releases: one request a cycle, GET /projects/:id/releases
 * (newest created first, `updated_after` the last answer's time less a
 * minute, so that what changed since comes back however GitLab's and the
 * bridge's clocks differ; GitLab older than the filter lists the newest
 * anyway, and the fingerprints tell what changed). The first poll only notes
 * the releases there are. See release-hook.ts for what is reported.
 */
import type { PollClient } from '../gitlab/poll-client.js';
import { hookFromRelease, releaseChanges, releaseFingerprint, rememberReleases, type ReleaseMemory } from './release-hook.js';
import type { RestProject, RestRelease } from './rest-shapes.js';

const PAGE = 100;
/** Looked back beyond the last answer, for releases written while it was being answered. */
const OVERLAP_MS = 60_000;

export interface ReleasePollState extends ReleaseMemory {
  /** GitLab's time at the last answer. */
  since: string;
}

/** What polling one kind of a project needs. */
export interface KindPoll {
  client: PollClient;
  token: string;
  projectId: string;
  project: RestProject;
  now: Date;
  /** Stores a built hook as a webhook delivery under `key`, which makes storing it twice harmless. */
  store(hook: { event: string; payload: unknown }, key: string): Promise<void>;
}

export async function pollReleases(poll: KindPoll, state: ReleasePollState | undefined): Promise<ReleasePollState> {
  const path = `/projects/${poll.projectId}/releases`;
  const query = { order_by: 'created_at', sort: 'desc', per_page: PAGE };
  if (!state) {
    const { body, headers } = await poll.client.get<RestRelease[]>(poll.token, path, query);
    const at = gitlabTime(headers, poll.now);
    return { since: at, ...rememberReleases(body, at) };
  }
  const updatedAfter = new Date(Date.parse(state.since) - OVERLAP_MS).toISOString();
  const { body, headers } = await poll.client.get<RestRelease[]>(poll.token, path, { ...query, updated_after: updatedAfter });
  const { changes, memory } = releaseChanges(state, body);
  for (const { release, action } of changes) {
    const hook = hookFromRelease(release, poll.project, action);
    if (hook) await poll.store(hook, `poll:${poll.projectId}:release:${release.tag_name}:${action}:${releaseFingerprint(release)}`);
  }
  return { since: gitlabTime(headers, poll.now), ...memory };
}

/** GitLab's clock, from the answer's Date header; the bridge's when there is none. */
export function gitlabTime(headers: Headers, now: Date): string {
  const date = Date.parse(headers.get('date') ?? '');
  return new Date(Number.isNaN(date) ? now.getTime() : date).toISOString();
}

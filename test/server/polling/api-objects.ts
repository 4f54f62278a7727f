/**
 * GitLab REST API objects describing the same happenings as the webhook
 * fixtures (test/fixtures/gitlab/webhooks): same projects, ids, iids, titles,
 * people and times, in the shapes the Events, Projects, Merge requests,
 * Issues, Notes, Commits, Pipelines and Jobs APIs answer with.
 */
import type {
  RestCommit,
  RestEvent,
  RestIssue,
  RestJob,
  RestMergeRequest,
  RestNote,
  RestPipeline,
  RestProject,
  RestUser,
} from '../../../server/src/polling/rest-shapes.js';

const AVATAR = 'http://www.gravatar.com/avatar/e64c7d89f26bd1972efa854d13d7dd61?s=40&d=identicon';

export const root: RestUser = { id: 1, username: 'root', name: 'Administrator', state: 'active', avatar_url: AVATAR, web_url: 'http://example.com/root' };
export const user1: RestUser = { id: 6, username: 'user1', name: 'User1', state: 'active', avatar_url: AVATAR, web_url: 'http://example.com/user1' };
/** The fixtures name these authors by `author_id` only. */
const author51: RestUser = { id: 51, username: 'dmitriy', name: 'Dmitriy Zaporozhets', state: 'active', avatar_url: AVATAR, web_url: 'http://example.com/dmitriy' };
const author8: RestUser = { id: 8, username: 'lavern', name: 'Lavern Greenholt', state: 'active', avatar_url: AVATAR, web_url: 'http://example.com/lavern' };
export const jsmith: RestUser = {
  id: 4,
  username: 'jsmith',
  name: 'John Smith',
  state: 'active',
  avatar_url: 'https://s.gravatar.com/avatar/d4c74594d841139328695756648b6bd6?s=8://s.gravatar.com/avatar/d4c74594d841139328695756648b6bd6?s=80',
  web_url: 'http://example.com/jsmith',
};

/** merge_request.*.json and issue.*.json. */
export const gitlabTest: RestProject = {
  id: 1,
  name: 'Gitlab Test',
  description: 'Aut reprehenderit ut est.',
  path_with_namespace: 'gitlabhq/gitlab-test',
  web_url: 'http://example.com/gitlabhq/gitlab-test',
  avatar_url: null,
  ssh_url_to_repo: 'git@example.com:gitlabhq/gitlab-test.git',
  http_url_to_repo: 'http://example.com/gitlabhq/gitlab-test.git',
  default_branch: 'master',
  visibility: 'public',
  namespace: { id: 41, name: 'GitlabHQ', path: 'gitlabhq', full_path: 'gitlabhq' },
  ci_config_path: '',
};

/** note.*.json. */
export const gitlabOrgTest: RestProject = {
  id: 5,
  name: 'Gitlab Test',
  description: 'Aut reprehenderit ut est.',
  path_with_namespace: 'gitlab-org/gitlab-test',
  web_url: 'http://example.com/gitlab-org/gitlab-test',
  avatar_url: null,
  ssh_url_to_repo: 'git@example.com:gitlab-org/gitlab-test.git',
  http_url_to_repo: 'http://example.com/gitlab-org/gitlab-test.git',
  default_branch: 'master',
  visibility: 'internal',
  namespace: { id: 4, name: 'Gitlab Org', path: 'gitlab-org', full_path: 'gitlab-org' },
};

/** push.json. */
export const diaspora: RestProject = {
  id: 15,
  name: 'Diaspora',
  description: '',
  path_with_namespace: 'mike/diaspora',
  web_url: 'http://example.com/mike/diaspora',
  avatar_url: null,
  ssh_url_to_repo: 'git@example.com:mike/diaspora.git',
  http_url_to_repo: 'http://example.com/mike/diaspora.git',
  default_branch: 'master',
  visibility: 'private',
  namespace: { id: 3, name: 'Mike', path: 'mike', full_path: 'mike' },
};

/** pipeline.*.json. */
export const pipelineProject: RestProject = {
  id: 1,
  name: 'Gitlab Test',
  description: 'Atque in sunt eos similique dolores voluptatem.',
  path_with_namespace: 'gitlab-org/gitlab-test',
  web_url: 'http://192.168.64.1:3005/gitlab-org/gitlab-test',
  avatar_url: null,
  ssh_url_to_repo: 'git@192.168.64.1:gitlab-org/gitlab-test.git',
  http_url_to_repo: 'http://192.168.64.1:3005/gitlab-org/gitlab-test.git',
  default_branch: 'master',
  visibility: 'public',
  namespace: { id: 4, name: 'Gitlab Org', path: 'gitlab-org', full_path: 'gitlab-org' },
};

/** An Events API event by `author` (root unless given). */
export function apiEvent(fields: Partial<RestEvent> & Pick<RestEvent, 'id' | 'action_name' | 'created_at'>): RestEvent {
  const author = fields.author ?? root;
  return {
    project_id: 1,
    target_id: null,
    target_iid: null,
    target_type: null,
    target_title: null,
    author_id: author.id,
    author,
    author_username: author.username,
    ...fields,
  };
}

/** MR !1 "MS-Viewport" of merge_request.open.json, opened. */
export function msViewport(fields: Partial<RestMergeRequest> = {}): RestMergeRequest {
  return {
    id: 99,
    iid: 1,
    project_id: 14,
    title: 'MS-Viewport',
    description: '',
    state: 'opened',
    created_at: '2013-12-03T17:23:34.000Z',
    updated_at: '2013-12-03T17:23:34.000Z',
    target_branch: 'master',
    source_branch: 'ms-viewport',
    source_project_id: 14,
    target_project_id: 14,
    author: author51,
    assignees: [user1],
    reviewers: [user1],
    labels: ['API'],
    draft: false,
    work_in_progress: false,
    milestone: null,
    merge_status: 'unchecked',
    detailed_merge_status: 'mergeable',
    merge_commit_sha: null,
    sha: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
    blocking_discussions_resolved: true,
    first_contribution: true,
    web_url: 'http://example.com/diaspora/merge_requests/1',
    ...fields,
  };
}

/** An Events API event on MR !1 of gitlabhq/gitlab-test. */
export function mergeRequestEvent(action: string, createdAt: string, author: RestUser = root): RestEvent {
  return apiEvent({ id: 4001, action_name: action, target_id: 99, target_iid: 1, target_type: 'MergeRequest', target_title: 'MS-Viewport', author, created_at: createdAt });
}

/** Issue #23 of issue.open.json, open. */
export function newApiIssue(fields: Partial<RestIssue> = {}): RestIssue {
  return {
    id: 301,
    iid: 23,
    project_id: 14,
    title: 'New API: create/update/delete file',
    description: 'Create new API for manipulations with repository',
    state: 'opened',
    created_at: '2013-12-03T17:15:43.000Z',
    updated_at: '2013-12-03T17:15:43.000Z',
    closed_at: null,
    author: author51,
    assignees: [user1],
    labels: ['API'],
    milestone: null,
    confidential: false,
    discussion_locked: true,
    due_date: null,
    issue_type: 'issue',
    type: 'ISSUE',
    weight: null,
    health_status: 'at_risk',
    severity: 'HIGH',
    web_url: 'http://example.com/diaspora/issues/23',
    ...fields,
  };
}

export function issueEvent(action: string, createdAt: string): RestEvent {
  return apiEvent({
    id: 4101,
    action_name: action,
    target_id: 301,
    target_iid: 23,
    target_type: 'Issue',
    target_title: 'New API: create/update/delete file',
    created_at: createdAt,
  });
}

/** MR !1 of note.merge_request.json. */
export const temporaMergeRequest: RestMergeRequest = {
  id: 7,
  iid: 1,
  project_id: 5,
  title: 'Tempora et eos debitis quae laborum et.',
  description: 'Et voluptas corrupti assumenda temporibus. Architecto cum animi eveniet amet asperiores. Vitae numquam voluptate est natus sit et ad id.',
  state: 'opened',
  created_at: '2015-03-01T20:12:53.000Z',
  updated_at: '2015-03-21T18:27:27.000Z',
  target_branch: 'markdown',
  source_branch: 'master',
  source_project_id: 5,
  target_project_id: 5,
  author: author8,
  assignees: [{ ...user1, id: 28 }],
  reviewers: [],
  labels: ['Afterpod', 'Element'],
  draft: false,
  work_in_progress: false,
  milestone: { id: 11 },
  merge_status: 'cannot_be_merged',
  detailed_merge_status: 'checking',
  sha: '562e173be03b8ff2efb05345d12df18815438a4b',
  web_url: 'http://example.com/gitlab-org/gitlab-test/merge_requests/1',
};

/** Issue #17 of note.issue.json. */
export function testIssue(fields: Partial<RestIssue> = {}): RestIssue {
  return {
    id: 92,
    iid: 17,
    project_id: 5,
    title: 'test',
    description: 'test',
    state: 'closed',
    created_at: '2015-04-12T14:53:17.000Z',
    updated_at: '2015-04-26T08:28:42.000Z',
    closed_at: '2015-04-26T08:28:42.000Z',
    author: root,
    assignees: [],
    labels: ['Afterpod', 'Element'],
    confidential: false,
    issue_type: 'issue',
    web_url: 'http://example.com/gitlab-org/gitlab-test/issues/17',
    ...fields,
  };
}

/** A `commented on` event carrying its note, as the Events API gives it (GitLab 15.5+ says whether it is internal). */
export function noteEvent(note: RestNote): RestEvent {
  return apiEvent({ id: 4201, project_id: 5, action_name: 'commented on', target_id: note.id, target_iid: note.id, target_type: 'Note', author: note.author, created_at: note.created_at, note });
}

export function mergeRequestNote(fields: Partial<RestNote> = {}): RestNote {
  return {
    id: 1244,
    type: null,
    body: 'This MR needs work.',
    attachment: null,
    author: root,
    created_at: '2015-05-17T18:21:36.482Z',
    updated_at: '2015-05-17T18:21:36.482Z',
    system: false,
    noteable_id: 7,
    noteable_type: 'MergeRequest',
    noteable_iid: 1,
    project_id: 5,
    confidential: false,
    internal: false,
    ...fields,
  };
}

export function issueNote(fields: Partial<RestNote> = {}): RestNote {
  return {
    id: 1241,
    type: null,
    body: 'Hello world',
    attachment: null,
    author: root,
    created_at: '2015-05-17T17:06:40.119Z',
    updated_at: '2015-05-17T17:06:40.119Z',
    system: false,
    noteable_id: 92,
    noteable_type: 'Issue',
    noteable_iid: 17,
    project_id: 5,
    confidential: false,
    internal: false,
    ...fields,
  };
}

/** The two commits of push.json, newest first as the Commits API lists them. */
export const fixedReadme: RestCommit = {
  id: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
  short_id: 'da156088',
  title: 'fixed readme',
  message: 'fixed readme',
  author_name: 'GitLab dev user',
  author_email: 'gitlabdev@dv6700.(none)',
  authored_date: '2012-01-03T23:36:29.000+02:00',
  committed_date: '2012-01-03T23:36:29.000+02:00',
  web_url: 'http://example.com/mike/diaspora/commit/da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
};
export const catalanTranslation: RestCommit = {
  id: 'b6568db1bc1dcd7f8b4d5a946b0b91f9dacd7327',
  short_id: 'b6568db1',
  title: 'Update Catalan translation to e38cb41.',
  message: 'Update Catalan translation to e38cb41.\n\nSee https://gitlab.com/gitlab-org/gitlab for more information',
  author_name: 'Jordi Mallach',
  author_email: 'jordi@softcatala.org',
  authored_date: '2011-12-12T14:27:31.000+02:00',
  committed_date: '2011-12-12T14:27:31.000+02:00',
  web_url: 'http://example.com/mike/diaspora/commit/b6568db1bc1dcd7f8b4d5a946b0b91f9dacd7327',
};

export const BEFORE = '95790bf891e76fee5e1747ab589903a6a1f80f22';
export const AFTER = 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7';

/** A push event by John Smith on mike/diaspora's master. */
export function pushEvent(action: 'pushed to' | 'pushed new' | 'deleted', data: Partial<NonNullable<RestEvent['push_data']>>): RestEvent {
  return apiEvent({
    id: 4301,
    project_id: 15,
    action_name: action,
    author: jsmith,
    created_at: '2012-01-03T21:36:40.512Z',
    push_data: {
      commit_count: 2,
      action: action === 'pushed new' ? 'created' : action === 'deleted' ? 'removed' : 'pushed',
      ref_type: 'branch',
      commit_from: BEFORE,
      commit_to: AFTER,
      ref: 'master',
      commit_title: 'fixed readme',
      ref_count: null,
      ...data,
    },
  });
}

/** Pipeline #31 of pipeline.success.json, with `status` and the times that go with it. */
export function pipeline31(status: string, fields: Partial<RestPipeline> = {}): RestPipeline {
  const finished = status !== 'running';
  return {
    id: 31,
    iid: 3,
    project_id: 1,
    name: 'Pipeline for branch: master',
    status,
    source: 'merge_request_event',
    ref: 'master',
    sha: 'bcbb5ec396a2c0f828686f14fac9b80b780504f2',
    before_sha: 'bcbb5ec396a2c0f828686f14fac9b80b780504f2',
    tag: false,
    user: { ...root, avatar_url: 'http://www.gravatar.com/avatar/e32bd13e2add097461cb96824b7a829c?s=80&d=identicon' },
    created_at: '2016-08-12T15:23:28.000Z',
    updated_at: '2016-08-12T15:26:29.000Z',
    started_at: '2016-08-12T15:23:29.000Z',
    finished_at: finished ? '2016-08-12T15:26:29.000Z' : null,
    duration: finished ? 63 : null,
    queued_duration: 1,
    web_url: 'http://example.com/gitlab-org/gitlab-test/-/pipelines/31',
    ...fields,
  };
}

/** MR !1 "Test" that pipeline #31 ran for. */
export const testMergeRequest: RestMergeRequest = {
  id: 1,
  iid: 1,
  project_id: 1,
  title: 'Test',
  description: '',
  state: 'opened',
  created_at: '2016-08-12T15:20:00.000Z',
  updated_at: '2016-08-12T15:23:28.000Z',
  target_branch: 'master',
  source_branch: 'test',
  source_project_id: 1,
  target_project_id: 1,
  author: root,
  labels: [],
  merge_status: 'can_be_merged',
  detailed_merge_status: 'mergeable',
  web_url: 'http://192.168.64.1:3005/gitlab-org/gitlab-test/merge_requests/1',
};

/** The jobs of pipeline.failed.json, as GET /projects/1/pipelines/31/jobs lists them (newest first). */
export const failedPipelineJobs: RestJob[] = [
  job(380, 'production', 'deploy', 'skipped'),
  job(379, 'staging', 'deploy', 'skipped'),
  job(378, 'test-build', 'test', 'failed', 'script_failure'),
  job(377, 'test-image', 'test', 'success'),
  job(376, 'build-image', 'build', 'success'),
];

function job(id: number, name: string, stage: string, status: string, failureReason?: string): RestJob {
  const ran = status === 'success' || status === 'failed';
  return {
    id,
    name,
    stage,
    status,
    allow_failure: false,
    created_at: '2016-08-12T15:23:28.000Z',
    started_at: ran ? '2016-08-12T15:26:12.000Z' : null,
    finished_at: ran ? '2016-08-12T15:26:29.000Z' : null,
    duration: ran ? 17 : null,
    queued_duration: ran ? 196 : null,
    ...(failureReason ? { failure_reason: failureReason } : {}),
    user: root,
    runner: ran ? { id: 380987, description: 'shared-runners-manager-6.gitlab.com', active: true, runner_type: 'instance_type', is_shared: true } : null,
    tag_list: [],
    web_url: `http://192.168.64.1:3005/gitlab-org/gitlab-test/-/jobs/${id}`,
  };
}

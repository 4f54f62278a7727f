/**
 * Polled tags, releases and deployments give the webhook's posts: the REST objects below describe the
 * happenings of the tag_push, release.create and deployment.* fixtures, in the shapes the Events, Tags,
 * Releases and Deployments APIs answer with.
 */
import { describe, expect, it } from '@jest/globals';
import { hookFromDeployment } from '../../../server/src/polling/deployment-hook.js';
import { hookFromEvent, lookupRequests, lookupsFor } from '../../../server/src/polling/hooks-from-api.js';
import { hookFromRelease, releaseChanges, rememberReleases, REMEMBERED_RELEASES } from '../../../server/src/polling/release-hook.js';
import type { RestCommit, RestDeployment, RestEvent, RestProject, RestRelease, RestTag, RestUser } from '../../../server/src/polling/rest-shapes.js';
import { apiEvent } from './api-objects.js';
import { expectSamePost, fullPost, parseHook, pollHook } from './fallback-fetch.js';

const ZERO = '0'.repeat(40);

/** tag_push.json's project and pusher. */
const example: RestProject = {
  id: 1,
  name: 'Example',
  description: '',
  path_with_namespace: 'jsmith/example',
  web_url: 'http://example.com/jsmith/example',
  avatar_url: null,
  ssh_url_to_repo: 'git@example.com:jsmith/example.git',
  http_url_to_repo: 'http://example.com/jsmith/example.git',
  default_branch: 'master',
  visibility: 'private',
  namespace: { id: 2, name: 'Jsmith', path: 'jsmith', full_path: 'jsmith' },
};
const johnSmith: RestUser = { id: 1, username: 'jsmith', name: 'John Smith', state: 'active', avatar_url: null, web_url: 'http://example.com/jsmith' };
const TAG_TARGET = '82b3d5ae55f7080f1e6022629cdb57bfae7cccc7';
const tagCommit: RestCommit = {
  id: TAG_TARGET,
  short_id: '82b3d5ae',
  title: 'Prepare 1.0.0',
  message: 'Prepare 1.0.0',
  author_name: 'John Smith',
  author_email: 'john@example.com',
  committed_date: '2020-01-01T10:00:00.000Z',
  web_url: `http://example.com/jsmith/example/-/commit/${TAG_TARGET}`,
};

function tagEvent(action: 'pushed new' | 'pushed to' | 'deleted', data: Partial<NonNullable<RestEvent['push_data']>> = {}): RestEvent {
  return apiEvent({
    id: 9001,
    project_id: 1,
    action_name: action,
    author: johnSmith,
    created_at: '2020-01-01T10:00:05.000Z',
    push_data: {
      commit_count: 1,
      action: action === 'pushed new' ? 'created' : action === 'deleted' ? 'removed' : 'pushed',
      ref_type: 'tag',
      commit_from: null,
      commit_to: TAG_TARGET,
      ref: 'v1.0.0',
      commit_title: 'Prepare 1.0.0',
      ref_count: null,
      ...data,
    },
  });
}

/** The documented example predates `user_username`, which GitLab sends today. */
const withUsername = (payload: Record<string, unknown>) => {
  payload.user_username = 'jsmith';
};

describe('tag pushes give the webhook’s posts', () => {
  const lightweight: RestTag = { name: 'v1.0.0', message: '', target: TAG_TARGET, commit: tagCommit, protected: true };

  it('a tag created: one request for the tag, the webhook’s key', () => {
    const event = tagEvent('pushed new');
    expect(lookupsFor(event)).toEqual({ tag: 'v1.0.0' });
    expect(lookupRequests(1, lookupsFor(event)!)).toEqual([{ path: '/projects/1/repository/tags/v1.0.0' }]);
    const hook = pollHook(event, example, { tags: [lightweight] });
    const { polled, webhook } = expectSamePost(hook, 'tag_push.json', withUsername);
    expect(polled.key).toBe(webhook.key);
    expect(hook?.event).toBe('Tag Push Hook');
    // As GitLab sends it today: the tag's commit, and the ref's protection.
    expect(hook?.payload).toMatchObject({ commits: [{ id: TAG_TARGET, title: 'Prepare 1.0.0' }], total_commits_count: 1, ref_protected: true, checkout_sha: TAG_TARGET });
  });

  it('an annotated tag: its message quoted, its commit through the tag object', () => {
    const tagObject = 'a'.repeat(40);
    const annotated: RestTag = { name: 'v1.0.0', message: 'First stable release', target: tagObject, commit: tagCommit };
    const hook = pollHook(tagEvent('pushed new', { commit_to: tagObject }), example, { tags: [annotated] });
    expectSamePost(hook, 'tag_push.json', (payload) => {
      withUsername(payload);
      payload.after = tagObject;
      payload.message = 'First stable release';
    });
    expect(hook?.payload).toMatchObject({ after: tagObject, checkout_sha: TAG_TARGET });
  });

  it('a tag moved again since the push: neither its message nor its commit are this push’s', () => {
    const moved: RestTag = { name: 'v1.0.0', message: 'Later message', target: 'b'.repeat(40), commit: { ...tagCommit, id: 'c'.repeat(40) } };
    const hook = pollHook(tagEvent('pushed new'), example, { tags: [moved] });
    expect(hook?.payload).toMatchObject({ message: null, commits: [], checkout_sha: TAG_TARGET });
    expectSamePost(hook, 'tag_push.json', withUsername);
  });

  it('a tag deleted: no request', () => {
    const event = tagEvent('deleted', { commit_to: null, commit_from: TAG_TARGET, commit_count: 0 });
    expect(lookupsFor(event)).toEqual({});
    const hook = hookFromEvent(event, { project: example });
    expect(hook?.payload).toMatchObject({ before: TAG_TARGET, after: ZERO, checkout_sha: null, commits: [] });
    const polled = parseHook(hook);
    expect(polled.action).toBe('deleted');
    expect(fullPost(polled).message).toMatch(/deleted tag `v1.0.0`/);
  });

  it('a tag gone before the poll read it: still the push, without message', () => {
    expectSamePost(pollHook(tagEvent('pushed new'), example, { tags: [] }), 'tag_push.json', withUsername);
  });

  it('keeps a private project private', () => {
    const hook = pollHook(tagEvent('pushed new'), example, { tags: [lightweight] });
    expect(hook?.payload).toMatchObject({ project: { visibility_level: 0 } });
    expect(parseHook(hook).project?.visibility).toBe('private');
  });
});

/** release.create.json's project and release. */
const releaseProject: RestProject = {
  id: 2,
  name: 'release-webhook-example',
  description: '',
  path_with_namespace: 'gitlab-org/release-webhook-example',
  web_url: 'https://example.com/gitlab-org/release-webhook-example',
  avatar_url: null,
  ssh_url_to_repo: 'ssh://git@example.com/gitlab-org/release-webhook-example.git',
  http_url_to_repo: 'https://example.com/gitlab-org/release-webhook-example.git',
  default_branch: 'master',
  visibility: 'private',
  namespace: { id: 9, name: 'Gitlab', path: 'gitlab-org', full_path: 'gitlab-org' },
  ci_config_path: null,
};

function release(fields: Partial<RestRelease> = {}): RestRelease {
  return {
    name: 'v1.1',
    tag_name: 'v1.1',
    description: 'v1.1 has been released',
    created_at: '2020-11-02T12:55:12.000Z',
    released_at: '2020-11-02T12:55:12.000Z',
    author: { id: 1, username: 'root', name: 'Administrator' },
    commit: {
      id: 'ee0a3fb31ac16e11b9dbb596ad16d4af654d08f8',
      short_id: 'ee0a3fb3',
      title: 'Release v1.1',
      message: 'Release v1.1',
      author_name: 'Example User',
      author_email: 'user@example.com',
      committed_date: '2020-10-31T14:58:32+11:00',
      web_url: 'https://example.com/gitlab-org/release-webhook-example/-/commit/ee0a3fb31ac16e11b9dbb596ad16d4af654d08f8',
    },
    assets: { count: 4, sources: [{ format: 'zip', url: 'https://example.com/gitlab-org/release-webhook-example/-/archive/v1.1/release-webhook-example-v1.1.zip' }], links: [] },
    _links: { self: 'https://example.com/gitlab-org/release-webhook-example/-/releases/v1.1' },
    ...fields,
  };
}

describe('releases give the webhook’s posts', () => {
  it('created', () => {
    const hook = hookFromRelease(release(), releaseProject, 'create');
    expect(hook?.event).toBe('Release Hook');
    const { polled } = expectSamePost(hook, 'release.create.json');
    expect(polled.action).toBe('created');
  });

  it('updated', () => {
    const { polled } = expectSamePost(hookFromRelease(release({ description: 'Now with notes' }), releaseProject, 'update'), 'release.create.json', (payload) => {
      payload.action = 'update';
      payload.description = 'Now with notes';
    });
    expect(fullPost(polled).message).toMatch(/Release \[v1\.1\]\([^)]+\) updated/);
  });

  it('names its page when GitLab gives no link', () => {
    const { _links: _ignored, ...bare } = release({ tag_name: 'v1.1/rc 1' });
    expect(hookFromRelease(bare, releaseProject, 'create')?.payload.url).toBe('https://example.com/gitlab-org/release-webhook-example/-/releases/v1.1%2Frc%201');
  });

  it('builds nothing without the tag, which GitLab shows only to those who may read the code', () => {
    const { tag_name: _tag, commit: _commit, ...hidden } = release();
    expect(hookFromRelease(hidden, releaseProject, 'create')).toBeNull();
  });
});

describe('which releases changed between polls', () => {
  const at = (minute: number) => `2024-05-01T10:${String(minute).padStart(2, '0')}:00.000Z`;
  const v = (tag: string, minute: number, fields: Partial<RestRelease> = {}) => release({ tag_name: tag, name: tag, created_at: at(minute), released_at: at(minute), ...fields });

  it('the first poll reports nothing; a release created later is `create`, once', () => {
    const memory = rememberReleases([v('v1', 1), v('v2', 2)], at(3));
    const first = releaseChanges(memory, [v('v3', 5), v('v2', 2), v('v1', 1)]);
    expect(first.changes.map(({ release: { tag_name }, action }) => `${tag_name}:${action}`)).toEqual(['v3:create']);
    expect(releaseChanges(first.memory, [v('v3', 5), v('v2', 2)]).changes).toEqual([]);
  });

  it('a known release whose name, notes or date changed is `update`; the same again is nothing', () => {
    const memory = rememberReleases([v('v1', 1)], at(2));
    const edited = releaseChanges(memory, [v('v1', 1, { description: 'Fixed notes' })]);
    expect(edited.changes.map(({ action }) => action)).toEqual(['update']);
    expect(releaseChanges(edited.memory, [v('v1', 1, { description: 'Fixed notes' })]).changes).toEqual([]);
  });

  it('an older release never seen (GitLab without updated_after, after a deletion) is remembered, not reported', () => {
    const memory = rememberReleases([v('v2', 2)], at(3));
    const shifted = releaseChanges(memory, [v('v1', 1)]);
    expect(shifted.changes).toEqual([]);
    expect(releaseChanges(shifted.memory, [v('v1', 1, { name: 'Renamed' })]).changes.map(({ action }) => action)).toEqual(['update']);
  });

  it('several created in one cycle come oldest first', () => {
    const memory = rememberReleases([], at(0));
    expect(releaseChanges(memory, [v('b', 3), v('a', 2)]).changes.map(({ release: { tag_name } }) => tag_name)).toEqual(['a', 'b']);
  });

  it('remembers the newest releases only', () => {
    const many = Array.from({ length: REMEMBERED_RELEASES + 5 }, (_, index) => release({ tag_name: `t${index}`, created_at: new Date(Date.UTC(2024, 0, 1, 0, index)).toISOString() }));
    const memory = rememberReleases(many, at(0));
    expect(Object.keys(memory.known)).toHaveLength(REMEMBERED_RELEASES);
    expect(memory.known.t0).toBeUndefined();
    expect(memory.known[`t${REMEMBERED_RELEASES + 4}`]).toBeDefined();
  });
});

/** deployment.*.json's project, deployment, job and deployer. */
const deploymentProject: RestProject = {
  id: 30,
  name: 'test-deployment-webhooks',
  description: '',
  path_with_namespace: 'root/test-deployment-webhooks',
  web_url: 'http://10.126.0.2:3000/root/test-deployment-webhooks',
  avatar_url: null,
  ssh_url_to_repo: 'ssh://vlad@10.126.0.2:2222/root/test-deployment-webhooks.git',
  http_url_to_repo: 'http://10.126.0.2:3000/root/test-deployment-webhooks.git',
  default_branch: 'master',
  visibility: 'private',
  namespace: { id: 1, name: 'Administrator', path: 'root', full_path: 'root' },
  ci_config_path: '',
};
const root: RestUser = { id: 1, username: 'root', name: 'Administrator', state: 'active', avatar_url: null, web_url: 'http://10.126.0.2:3000/root' };
const SHA = '279484c09fbe69ededfced8c1bb6e6d24616b468';

function deployment(status: string, fields: Partial<RestDeployment> = {}): RestDeployment {
  return {
    id: 15,
    iid: 3,
    ref: 'master',
    sha: SHA,
    created_at: '2021-04-28T19:49:10.000Z',
    updated_at: '2021-04-28T19:50:00.000Z',
    status,
    user: root,
    environment: { id: 4, name: 'staging', slug: 'staging', external_url: 'https://staging.example.com', tier: 'staging' },
    deployable: {
      id: 796,
      name: 'deploy',
      stage: 'deploy',
      status: status === 'blocked' ? 'manual' : status,
      allow_failure: false,
      created_at: '2021-04-28T19:49:10.000Z',
      user: root,
      commit: { id: SHA, short_id: '279484c0', title: 'Add new file' },
      web_url: 'http://10.126.0.2:3000/root/test-deployment-webhooks/-/jobs/796',
    },
    ...fields,
  };
}

/** GitLab sends `ref` since 15.x; the documented examples predate it. */
const withRef = (payload: Record<string, unknown>) => {
  payload.ref = 'master';
};

describe('deployments give the webhook’s posts', () => {
  it.each(['running', 'success', 'failed'])('%s, with the webhook’s key', (status) => {
    const hook = hookFromDeployment(deployment(status), deploymentProject);
    expect(hook?.event).toBe('Deployment Hook');
    const { polled, webhook } = expectSamePost(hook, `deployment.${status}.json`, withRef);
    expect(polled.key).toBe(webhook.key);
  });

  it('canceled, and blocked (waiting for approval), which the bridge has buttons for', () => {
    const canceled = parseHook(hookFromDeployment(deployment('canceled'), deploymentProject));
    expect(fullPost(canceled).message).toMatch(/Deployment to `staging` from `master` was canceled/);
    const blocked = parseHook(hookFromDeployment(deployment('blocked'), deploymentProject));
    expect(blocked.details).toMatchObject({ kind: 'deployment', id: 15, status: 'blocked' });
  });

  it.each(['created', 'skipped'])('skips a deployment caught %s', (status) => {
    expect(hookFromDeployment(deployment(status), deploymentProject)).toBeNull();
  });

  it('one made through the API, without a job: no job link, no commit title, whoever made it', () => {
    const polled = parseHook(hookFromDeployment(deployment('success', { deployable: null }), deploymentProject));
    expect(polled.details).toMatchObject({ deployableUrl: null, commitTitle: null });
    expect(polled.actor?.username).toBe('root');
  });

  it('names who ran the deploy job rather than who made the deployment', () => {
    const runner: RestUser = { id: 7, username: 'ops', name: 'Ops' };
    const base = deployment('success');
    const polled = parseHook(hookFromDeployment({ ...base, deployable: { ...base.deployable!, user: runner } }, deploymentProject));
    expect(polled.actor?.username).toBe('ops');
  });

  it('keeps a private project private', () => {
    const hook = hookFromDeployment(deployment('success'), deploymentProject);
    expect(hook?.payload).toMatchObject({ project: { visibility_level: 0 } });
    expect(parseHook(hook).project?.visibility).toBe('private');
  });
});
